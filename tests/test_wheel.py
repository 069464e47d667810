"""The wheel: built from the checkout, models inside, installed alone into a fresh venv."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )
    (path,) = out.glob("digitrt-*.whl")
    return path


def test_wheel_contents(wheel):
    """The wheel carries every bundled model and the number reader's sequence model, py.typed
    and the GUI as digitrt_gui, and nothing else at top level (no generic `gui`, no training
    code, no tests)."""
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("digitrt/models/digit_cnn.onnx", "digitrt/models/digit_mlp.onnx",
                     "digitrt/models/digit_cnn_int8.onnx", "digitrt/models/digit_sequence.onnx",
                     "digitrt/py.typed", "digitrt_gui/window.py"):
        assert required in names
    assert "digitrt_gui/screenshot.py" not in names  # a development tool
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Project-URL: Homepage" in metadata and "Project-URL: Issues" in metadata
    top_level = {n.split("/")[0] for n in names}
    assert top_level == {"digitrt", "digitrt_gui", wheel.name.split("-py3")[0] + ".dist-info"}
    for shipped in ("digit_cnn.onnx", "digit_cnn_int8.onnx", "digit_mlp.onnx", "digit_sequence.onnx"):
        data = zipfile.ZipFile(wheel).read(f"digitrt/models/{shipped}")
        assert data == (ROOT / "models" / shipped).read_bytes()


@pytest.mark.slow
def test_wheel_installs_alone_and_predicts_outside_the_source_tree(wheel, tmp_path):
    """A fresh venv with only the wheel and its runtime dependencies recognises a digit, using
    the model inside the installed package."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   capture_output=True)
    code = textwrap.dedent(
        """
        import importlib.metadata as md, sys, numpy as np, digitrt
        canvas = np.full((280, 280), 160, np.uint8)
        canvas[50:230, 132:148] = 0
        r = digitrt.Recognizer()
        print(r.predict(canvas).digit, r.path)
        installed = {d.metadata["Name"].lower() for d in md.distributions()}
        print(sorted(installed & {"tensorflow", "tensorflow-cpu", "keras", "pyqt6", "opencv-python"}))
        """
    )
    out = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    prediction, extras = out.stdout.splitlines()
    digit, path = prediction.split(" ", 1)
    assert digit == "1"
    assert str(venv) in path and path.endswith("digitrt/models/digit_cnn_int8.onnx")  # the default
    assert extras == "[]"
    cli = subprocess.run([str(venv / "bin" / "digitrt"), "--version"], capture_output=True,
                         text=True, check=True)
    assert cli.stdout.startswith("digitrt ")
    gui = subprocess.run([str(venv / "bin" / "digitrt-gui"), "--help"], capture_output=True,
                         text=True, check=True)
    assert "usage: digitrt-gui" in gui.stdout


@pytest.mark.slow
def test_editable_install_gives_a_working_digitrt_gui(tmp_path):
    """`pip install -e .` into a new venv installs a `digitrt-gui` that starts (it finds the
    checkout's gui/ package; a wheel's is digitrt_gui)."""
    import site
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True)
    # The dependencies come from this test environment, so nothing is downloaded.
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib.stdout.strip(), "outer.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "-e", str(ROOT)], check=True, capture_output=True)
    gui = subprocess.run([str(venv / "bin" / "digitrt-gui"), "--help"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert gui.returncode == 0, gui.stderr
    assert "usage: digitrt-gui" in gui.stdout
