"""Shared fixtures: an MNIST subset (the full sets: ../conftest.py) and recognizers."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

@pytest.fixture(scope="session")
def mnist_subset(mnist):
    """2,000 MNIST test digits (a seeded choice, sorted) for the checks that hold a model to its
    published accuracy within this sample's statistical margin: test_images, test_labels and
    indices into the 10k test set."""
    indices = np.sort(np.random.default_rng(20261125).choice(len(mnist.test_images), 2000,
                                                              replace=False))
    return SimpleNamespace(test_images=mnist.test_images[indices],
                           test_labels=mnist.test_labels[indices], indices=indices)


@pytest.fixture(scope="session")
def recognizer():
    import digitrt

    return digitrt.Recognizer()


@pytest.fixture(scope="session")
def mlp_recognizer():
    import digitrt

    return digitrt.Recognizer("mlp")
