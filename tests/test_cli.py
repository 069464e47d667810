"""The `digitrt` command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

import digitrt
from training.strokes import draw_digit


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "digitrt", *args], input=stdin, capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    paths = {}
    for digit in (3, 8):
        paths[digit] = folder / f"digit{digit}.png"
        cv2.imwrite(str(paths[digit]), draw_digit(digit, background=255))
    paths["bad"] = folder / "bad.png"
    paths["bad"].write_text("not an image")
    return paths


def test_version_is_fast_and_imports_nothing_heavy():
    """--version prints the version without loading NumPy, OpenCV or onnxruntime."""
    started = time.perf_counter()
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.decode().strip() == f"digitrt {digitrt.__version__}"
    assert time.perf_counter() - started < 5  # generous: a loaded CI machine
    code = ("import sys, digitrt.__main__; "
            "print(sorted({'numpy','cv2','onnxruntime'} & set(sys.modules)))")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert probe.stdout.strip() == "[]"


def test_predict_human_output(files):
    """One line per file with the digit and its confidence."""
    out = run("predict", str(files[3]), str(files[8]))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert lines[0].startswith(f"{files[3]}: 3 ") and lines[1].startswith(f"{files[8]}: 8 ")


def test_predict_json_and_top_k(files):
    """--json gives one object per file with file, digit, confidence, probabilities."""
    out = run("predict", "--json", "--top-k", "3", "--model", "mlp", str(files[3]))
    record = json.loads(out.stdout)
    assert record["file"] == str(files[3]) and record["digit"] == 3
    assert len(record["probabilities"]) == 10 and abs(sum(record["probabilities"]) - 1) < 1e-3
    assert len(record["top"]) == 3 and record["top"][0]["digit"] == 3


def test_predict_reads_stdin(files):
    """'-' reads the image from standard input."""
    out = run("predict", "-", stdin=files[8].read_bytes())
    assert out.returncode == 0 and out.stdout.decode().startswith("-: 8 ")


def test_bad_file_is_one_line_on_stderr_and_others_still_run(files, tmp_path):
    """A bad or missing file: one line naming it, exit 1, the good files still predicted."""
    out = run("predict", str(files["bad"]), str(tmp_path / "missing.png"), str(files[3]))
    assert out.returncode == 1
    errors = out.stderr.decode().splitlines()
    assert len(errors) == 2 and "bad.png" in errors[0] and "missing.png" in errors[1]
    assert "Traceback" not in out.stderr.decode()
    assert out.stdout.decode().startswith(f"{files[3]}: 3 ")


def test_bad_model_is_one_line(files):
    """A model that does not exist: one error line, exit 2, no traceback."""
    out = run("predict", "--model", "nonexistent.onnx", str(files[3]))
    assert out.returncode == 2
    assert out.stderr.decode().count("\n") == 1 and "nonexistent.onnx" in out.stderr.decode()


def test_info_lists_models_and_runtime():
    """info shows the bundled models with their metadata, the number reader's sequence model
    and onnxruntime's providers."""
    out = run("info", "--json")
    report = json.loads(out.stdout)
    assert set(report["models"]) == {"cnn", "cnn-int8", "mlp"}
    assert report["models"]["cnn"]["model"] == "digit_cnn"
    assert "mnist_test_accuracy" in report["models"]["cnn"]
    assert "CPUExecutionProvider" in report["providers"]
    assert report["sequence_model"]["path"].endswith("digit_sequence.onnx")
    human = run("info").stdout.decode()
    assert "onnxruntime" in human and "digit_mlp" in human and "digit_sequence.onnx" in human


def test_missing_file_is_one_plain_line(files):
    """A missing file is named in one line, without the Python API's list of array types."""
    out = run("predict", "/no/such/digit.png", str(files[3]))
    assert out.returncode == 1
    err = out.stderr.decode()
    assert err.count("\n") == 1 and "no such file" in err and "accepted" not in err
    assert out.stdout.decode().startswith(f"{files[3]}: 3")


def test_help_lines_are_whole():
    """`digitrt --help` describes info in full (nothing cut mid-phrase)."""
    out = run("--help").stdout.decode()
    assert "their metadata and the onnxruntime" in " ".join(out.split())
    assert "providers" in out


def test_json_carries_the_status(files):
    """--json records carry status: "digit" for a drawing, "blank" for an empty canvas."""
    blank = files[3].parent / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100), 255, np.uint8))
    out = run("predict", "--json", str(files[8]), str(blank))
    records = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["status"] for r in records] == ["digit", "blank"]
    assert records[0]["digit"] == 8 and records[1]["digit"] is None


def test_closed_pipe_is_a_quiet_exit(files):
    """`digitrt predict ... | head -1` and `digitrt info | head -1`: no BrokenPipeError trace."""
    many = " ".join([str(files[3])] * 400)
    for command in (f"predict {many}", "info"):
        out = subprocess.run(f"{sys.executable} -m digitrt {command} | head -1", shell=True,
                             capture_output=True, text=True, timeout=120)
        assert out.stdout.count("\n") == 1
        assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_any_file_name_is_one_record_in_any_encoding(files, tmp_path):
    """A name with a newline stays on one line; a non-ASCII name prints under an ASCII locale."""
    import os
    import shutil

    odd = tmp_path / "two\nlines é.png"
    shutil.copy(files[3], odd)
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for extra in ((), ("--json",)):
        out = subprocess.run([sys.executable, "-m", "digitrt", "predict", *extra, str(odd)],
                             capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0 and out.stderr == ""
        assert out.stdout.count("\n") == 1
    assert json.loads(out.stdout)["file"] == str(odd)


def test_stdin_is_capped():
    """`digitrt predict - < /dev/zero` ends with one error line, not a MemoryError."""
    with open("/dev/zero", "rb") as zero:
        out = subprocess.run([sys.executable, "-m", "digitrt", "predict", "-"], stdin=zero,
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "larger than" in out.stderr and "Traceback" not in out.stderr


def test_read_prints_numbers_and_json_with_boxes(tmp_path):
    """`digitrt read`: the number per file in plain text; with --json the text, confidence and
    each digit's box over its own ink; a blank image reads as no digits; a bad file is one
    error record and the exit code says so."""
    from tests.test_reader import number

    image = number([9, 0, 4])
    cv2.imwrite(str(tmp_path / "n.png"), image)
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((120, 400), 255, np.uint8))
    (tmp_path / "bad.png").write_text("not an image")
    out = run("read", str(tmp_path / "n.png"), str(tmp_path / "blank.png"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert lines[0].startswith(f"{tmp_path / 'n.png'}: 904  (")
    assert lines[1] == f"{tmp_path / 'blank.png'}: no digits found"

    out = run("read", "--json", str(tmp_path / "n.png"), str(tmp_path / "bad.png"))
    assert out.returncode == 1
    good, bad = (json.loads(line) for line in out.stdout.decode().splitlines())
    assert good["text"] == "904" and 0.5 < good["confidence"] <= 1
    assert [d["digit"] for d in good["digits"]] == [9, 0, 4]
    for d in good["digits"]:
        x, y, w, h = d["box"]
        assert d["status"] == "digit" and (image[y : y + h, x : x + w] < 128).any()
    assert good["digits"][0]["box"][0] < good["digits"][1]["box"][0] < good["digits"][2]["box"][0]
    assert bad["status"] == "error" and "not a readable image" in bad["error"]
