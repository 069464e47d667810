"""Static checks run with the tests: ruff on everything, mypy --strict on the runtime package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    """ruff finds nothing in the package, the GUI, training, tests and benchmarks."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    out = subprocess.run([ruff, "check", "digitrt", "gui", "training", "tests", "benchmarks",
                          "hatch_build.py"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_is_clean_on_digitrt():
    """mypy --strict (configured in pyproject.toml) finds nothing in digitrt/."""
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_public_api_is_small_and_documented():
    """digitrt exports only its few public names, each with a docstring."""
    import digitrt

    assert sorted(digitrt.__all__) == sorted([
        "DigitrtError", "ImageError", "ImageInput", "ModelError", "Prediction", "Recognizer",
        "__version__", "predict", "preprocess",
        # added by the runtime reshape
        "Model", "ModelSpec", "PREPROCESSING_VERSION", "SampleStore", "default_recognizer",
        "list_models",
        # added by the number reader
        "Reading",
    ])
    for name in digitrt.__all__:
        if name not in ("__version__", "ImageInput", "PREPROCESSING_VERSION"):
            assert getattr(digitrt, name).__doc__, name
