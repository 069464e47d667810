"""Shared inputs for the benchmarks: canvases, tensors, the shipped models and their peers.

Run with `make bench` (writes benchmarks/RESULTS.md). CI runs each once with
--benchmark-disable so they keep working.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import digitrt
from training.strokes import draw_digit, write_number

MODELS = Path(__file__).resolve().parent.parent / "models"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """Add p99 to every benchmark's stats (pytest-benchmark reports no percentiles)."""
    for bench in output_json["benchmarks"]:
        data = bench["stats"].get("data")
        if data:
            bench["stats"]["p99"] = float(np.percentile(data, 99))


@pytest.fixture(scope="session")
def canvas():
    """A 280x280 grey canvas with a digit drawn by a black round pen, like the window's."""
    return draw_digit(3, background=160, pen=0, width=20)


@pytest.fixture(scope="session")
def number_canvas():
    """An 800x250 grey canvas with the six digits 314159 written by the window's pen."""
    return write_number((3, 1, 4, 1, 5, 9))


@pytest.fixture(scope="session")
def touching_number_canvas():
    """The same six digits written closer, so that neighbouring strokes touch or cross."""
    return write_number((3, 1, 4, 1, 5, 9), step=62)


@pytest.fixture(scope="session")
def mnist_image(mnist):
    return mnist.test_images[0]


@pytest.fixture(scope="session")
def photo():
    """A 1000x1000 photo-like image: uneven lighting, paper grain, a dark pen digit."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:1000, 0:1000]
    light = 170 + 40 * np.sin(x / 300) * np.cos(y / 400)
    grain = rng.normal(0, 4, (1000, 1000))
    digit = draw_digit(5, size=1000, background=255, pen=0, width=45).astype(np.float64)
    image = light + grain - (255 - digit) * 0.55
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def recognizers():
    return {kind: digitrt.Recognizer(kind) for kind in ("cnn", "cnn-int8", "mlp")}


@pytest.fixture(scope="session")
def keras_models():
    pytest.importorskip("keras", reason="Keras peer needs the train extra")
    from training.train import build_model

    models = {}
    for kind in ("cnn", "mlp"):
        model = build_model(kind)
        model.load_weights(MODELS / f"digit_{kind}.weights.h5")
        models[kind] = model
    return models
