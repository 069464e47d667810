"""Shared fixtures: a committed MNIST test subset (always), the full MNIST (when found)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SUBSET = Path(__file__).resolve().parent / "data" / "mnist_test_2000.npz"


@pytest.fixture(scope="session")
def mnist():
    """The full MNIST sets, from $DIGITRT_MNIST_DIR or the other places the loader looks (never
    downloaded). Tests that need them are skipped, with the reason, when they are not found."""
    from training.mnist import MnistError, load_mnist

    try:
        return load_mnist(mirrors=())
    except MnistError:
        pytest.skip("needs the full MNIST sets: set DIGITRT_MNIST_DIR=DIR or run `make data`")


@pytest.fixture(scope="session")
def mnist_subset():
    """2,000 MNIST test digits committed with the suite (tests/data/README.md): test_images,
    test_labels, and indices into the 10k test set."""
    with np.load(SUBSET) as f:
        return SimpleNamespace(test_images=f["images"], test_labels=f["labels"],
                               indices=f["indices"])


@pytest.fixture(scope="session")
def recognizer():
    import digitrt

    return digitrt.Recognizer()


@pytest.fixture(scope="session")
def mlp_recognizer():
    import digitrt

    return digitrt.Recognizer("mlp")
