"""Shared fixtures: MNIST (from $DIGITRT_MNIST_DIR or the other places the loader looks)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def mnist():
    """The MNIST data set; the suite needs it (CI points DIGITRT_MNIST_DIR at a local copy)."""
    from training.mnist import load_mnist

    return load_mnist(mirrors=())  # tests never reach the internet


@pytest.fixture(scope="session")
def recognizer():
    import digitrt

    return digitrt.Recognizer()


@pytest.fixture(scope="session")
def mlp_recognizer():
    import digitrt

    return digitrt.Recognizer("mlp")
