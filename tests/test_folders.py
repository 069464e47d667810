"""`digitrt predict` on folders: streaming formats, every name, errors, workers, resume, Ctrl+C."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest

from training.strokes import draw_digit


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "digitrt", "predict", *args], capture_output=True,
                          text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """40 drawings (digit = i % 10) in a folder and a subfolder, odd names, one broken file."""
    root = tmp_path_factory.mktemp("folder")
    (root / "sub").mkdir()
    truth = {}
    for i in range(40):
        name = f"d{i:02d}.png" if i % 7 else f"odd, \"name\"\n{i}.png"
        path = (root / "sub" if i % 2 else root) / name
        cv2.imwrite(str(path), draw_digit(i % 10, size=140, width=10))
        truth[str(path)] = i % 10
    (root / "broken.png").write_bytes(b"not an image")
    (root / "notes.txt").write_text("not an image either, and not picked up")
    return root, truth


def test_jsonl_is_one_valid_record_per_image_and_errors_are_records(folder):
    """Every line is valid JSON whatever the file name; a bad file is an error record; exit 1."""
    root, truth = folder
    out = run(str(root), "--recursive", "--format", "jsonl")
    assert out.returncode == 1
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 41
    by_file = {r["file"]: r for r in records}
    assert by_file[str(root / "broken.png")]["status"] == "error"
    assert "not a readable image" in by_file[str(root / "broken.png")]["error"]
    assert sum(by_file[f]["digit"] == d for f, d in truth.items()) >= 39


def test_csv_is_valid_and_top_level_only_without_recursive(folder):
    """CSV parses back with the header's columns; without --recursive the subfolder is skipped."""
    root, truth = folder
    out = run(str(root), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["file", "digit", "confidence", "status", "error"]
    top_level = [f for f in truth if os.path.dirname(f) == str(root)]
    assert {r["file"] for r in rows} == {*top_level, str(root / "broken.png")}
    assert all(r["digit"] == str(truth[r["file"]]) for r in rows if r["file"] in truth)


def test_globs_and_workers_give_the_same_answers(folder):
    """A glob selects files; two worker processes give exactly what one process gives."""
    root, _ = folder
    pattern = str(root / "sub" / "*.png")
    one = run(pattern, "--format", "jsonl")
    two = run(pattern, "--format", "jsonl", "--workers", "2", "--batch-size", "4")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 20


@pytest.mark.slow
def test_interrupt_then_resume_processes_each_file_exactly_once(tmp_path):
    """Ctrl+C stops a run with its results so far written; --resume finishes the rest, and each
    file appears exactly once in the output."""
    images = tmp_path / "many"
    images.mkdir()
    # 1000x1000 drawings take milliseconds each to decode: 3,000 of them are seconds of work,
    # so the interrupt lands first even on a busy machine with a fast model
    digit = cv2.imencode(".png", draw_digit(4, size=1000, width=60))[1].tobytes()
    n = 3_000
    for i in range(n):
        (images / f"{i:05d}.png").write_bytes(digit)
    output = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "digitrt", "predict", str(images), "--format", "jsonl",
               "--output", str(output), "--batch-size", "50"]
    # Ctrl+C's default action in the child, whatever this process inherited: a job started in
    # the background by a non-interactive shell (`make test &`) ignores SIGINT, a child inherits
    # that, and Python then never raises KeyboardInterrupt (the run finished with exit code 0).
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while (not output.exists() or output.stat().st_size < 2000) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    first = output.read_text().splitlines()
    assert 0 < len(first) < n
    rerun = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0
    files = [json.loads(line)["file"] for line in output.read_text().splitlines()]
    assert len(files) == n and len(set(files)) == n
