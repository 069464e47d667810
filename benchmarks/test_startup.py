"""Whole-process cold start and memory, measured in fresh subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parent.parent / "models"

DIGITRT_COLD = textwrap.dedent(
    """
    import numpy as np
    import digitrt
    canvas = np.full((280, 280), 160, np.uint8)
    canvas[50:230, 132:148] = 0
    assert digitrt.Recognizer().predict(canvas).digit == 1
    """
)

KERAS_COLD = textwrap.dedent(
    f"""
    import os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    from training.train import build_model
    model = build_model("cnn")
    model.load_weights({str(MODELS / "digit_cnn.weights.h5")!r})
    x = np.zeros((1, 28, 28, 1), np.float32)
    x[0, 4:24, 13:15, 0] = 1
    assert model.predict(x, verbose=0).argmax() == 1
    """
)


def run_python(code):
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   cwd=Path(__file__).resolve().parent.parent)


@pytest.mark.benchmark(group="startup")
def test_cold_start_digitrt(benchmark):
    """import digitrt + Recognizer() + first prediction, as a whole new process."""
    benchmark.pedantic(run_python, (DIGITRT_COLD,), rounds=10 if not benchmark.disabled else 1,
                       warmup_rounds=1 if not benchmark.disabled else 0)


@pytest.mark.benchmark(group="startup")
def test_cold_start_keras(benchmark):
    """import TensorFlow + build and load the same CNN + first model.predict."""
    pytest.importorskip("tensorflow", reason="Keras peer needs the train extra")
    benchmark.pedantic(run_python, (KERAS_COLD,), rounds=3 if not benchmark.disabled else 1)


@pytest.mark.benchmark(group="startup")
def test_cold_start_python(benchmark):
    """The interpreter alone: the part of every cold start no library can remove."""
    benchmark.pedantic(run_python, ("pass",), rounds=10 if not benchmark.disabled else 1)


MEMORY = textwrap.dedent(
    """
    import json, numpy as np, digitrt
    def rss_mb():  # VmHWM: this process's peak RSS (ru_maxrss would include the parent's)
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
    base = rss_mb()
    digitrt.preprocess(np.zeros((28, 28), np.uint8))  # import NumPy, OpenCV
    import onnxruntime
    imported = rss_mb()
    rec = digitrt.Recognizer()
    canvas = np.full((280, 280), 160, np.uint8)
    canvas[50:230, 132:148] = 0
    rec.predict(canvas)
    created = rss_mb()
    for i in range(1000):
        rec.predict(canvas)
    after_1k = rss_mb()
    for i in range(9000):
        rec.predict(np.roll(canvas, i % 40 - 20, axis=1))
    after_10k = rss_mb()
    print(json.dumps(dict(python_mb=base, imports_mb=imported, recognizer_mb=created,
                          after_1k_mb=after_1k,
                          after_10k_mb=after_10k)))
    """
)


@pytest.mark.benchmark(group="memory")
def test_memory_peak_rss_does_not_grow(benchmark):
    """Peak RSS after creating a Recognizer, after 1k and after 10k predictions: no growth."""
    def measure():
        out = subprocess.run([sys.executable, "-c", MEMORY], check=True, capture_output=True,
                             text=True)
        return json.loads(out.stdout)

    rss = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(rss)
    assert rss["after_10k_mb"] - rss["after_1k_mb"] < 5, rss
