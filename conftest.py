"""Fixtures shared by tests/ and benchmarks/: the full MNIST sets, when found."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mnist():
    """The full MNIST sets, from $DIGITRT_MNIST_DIR or the other places the loader looks (never
    downloaded). Tests that need them are skipped, with the reason, when they are not found."""
    from training.mnist import MnistError, load_mnist

    try:
        return load_mnist(mirrors=())
    except MnistError:
        pytest.skip("needs the full MNIST sets: set DIGITRT_MNIST_DIR=DIR or run `make data`")
