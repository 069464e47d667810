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
        # added by the reading reshape (#31): the decision step, a reading's digit
        "Decision", "DigitReading",
        # the image file suffixes digitrt reads (one table: library, CLI, Ray, server, window)
        "IMAGE_SUFFIXES",
        # the side of the images the models see (the window draws it)
        "MNIST_SIZE",
    ])
    for name in digitrt.__all__:
        if name not in ("__version__", "ImageInput", "PREPROCESSING_VERSION", "IMAGE_SUFFIXES",
                        "MNIST_SIZE"):
            assert getattr(digitrt, name).__doc__, name


def _locked_versions() -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_lock_pins_every_dependency_within_pyproject_ranges():
    """requirements.lock (what `make test` and CI install from) pins every runtime dependency
    and every extra's, each at a version inside pyproject.toml's range."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"],
              *(r for extra in project["optional-dependencies"].values() for r in extra)]
    pins = _locked_versions()
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock; run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock has {req.name}=={pins[name]}, outside pyproject's {req.specifier}")


def test_installed_tools_are_the_locked_versions():
    """The environment running these tests is the lock's: the static checks above depend on
    the exact mypy, ruff and OpenCV stubs (an unpinned upgrade once turned CI red)."""
    from importlib.metadata import version

    pins = _locked_versions()
    for tool in ("mypy", "ruff", "opencv-python-headless", "numpy", "onnxruntime", "pytest"):
        assert version(tool) == pins[tool], f"{tool} {version(tool)} is installed, the lock says {pins[tool]}"


# Concepts the reshape (#31) gave one home each: name -> the module that defines it.
ONE_HOME = {
    "IMAGE_SUFFIXES": "digitrt._constants", "FORMATS": "digitrt._constants",
    "DEFAULT_BATCH_SIZE": "digitrt._constants", "MAX_BATCH_SIZE": "digitrt._constants",
    "MNIST_SIZE": "digitrt._preprocess", "Box": "digitrt._decision",
    "UNSURE_BELOW": "digitrt._decision", "NEVER_REJECT": "digitrt._decision",
    "BLANK": "digitrt._reading.lines", "LINE_HEIGHT": "digitrt._reading.lines",
    "SEED": "training.common", "OPSET": "training.common", "EPOCHS": "training.common",
    "FALSE_REJECTION": "training.common", "GAPS": "training.compose",
}


def test_each_shared_constant_is_defined_in_one_place():
    """Each shared constant is assigned at module level in exactly one file of digitrt, gui,
    training and benchmarks, the module named in ONE_HOME (imported here from there)."""
    import importlib
    import re

    found: dict[str, list[str]] = {name: [] for name in ONE_HOME}
    for folder in ("digitrt", "gui", "training", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in ONE_HOME:
                if re.search(rf"^{name}\s*(:[^=]*)?=", path.read_text(), re.M):
                    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                    found[name].append(module)
    for name, home in ONE_HOME.items():
        assert found[name] == [home], (name, found[name])
        assert hasattr(importlib.import_module(home), name)


def test_the_comparison_models_commits_are_named_once():
    """Model v1's and v2.1's commits appear in one code file each (the Makefile and the
    baseline's README), not retyped in scripts."""
    for commit in ("9e228a7", "d6ab927"):
        files = [p for folder in ("digitrt", "gui", "training", "benchmarks")
                 for p in (ROOT / folder).rglob("*.py") if commit in p.read_text()]
        files += [p for p in (ROOT / "Makefile",) if commit in p.read_text()]
        assert len(files) <= 1, (commit, files)


def test_no_private_attribute_is_reached_from_outside_its_object():
    """No code reaches into another object's private attributes (a recognizer's _run): only `self`
    and `cls` are followed by a private name, in digitrt, gui, training, tests and benchmarks
    (imports of digitrt's private modules by the tests of its internals are not attribute
    access)."""
    import re

    reach = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*)\._[a-z]\w*")
    allowed = {"self", "cls", "os", "sys", "digitrt"}
    found = []
    for folder in ("digitrt", "gui", "training", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#")[0]
                if code.lstrip().startswith(("from ", "import ")):
                    continue
                found += [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}"
                          for m in reach.finditer(code) if m.group(1) not in allowed]
    assert not found, found


def test_no_function_in_digitrt_or_gui_is_over_60_lines():
    """Long functions are split into named steps: none in digitrt/ or gui/ is over 60 lines."""
    import ast

    long = []
    for folder in ("digitrt", "gui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > 60:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {lines}")
    assert not long, long
