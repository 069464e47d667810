"""Personalization and folders at scale: adapt, predict with a profile, the folder CLI, Ray.

`make bench` measures 10,000 files; with --benchmark-disable (as `make test` runs it) 300.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

import digitrt
from training.strokes import draw_digit

from .timing import compare


def writer_samples(n: int):
    """n drawings of one writer: mirrored 3s (a style no model knows) and other digits."""
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(n):
        digit = i % 10
        image = draw_digit(digit, width=int(rng.integers(8, 24)))
        pairs.append((np.fliplr(image).copy() if digit == 3 else image, digit))
    return pairs


@pytest.mark.benchmark(group="personal")
def test_adapt_100_samples(benchmark, recognizers):
    """Recognizer.adapt on 100 samples (target: under 1 s)."""
    pairs = writer_samples(100)
    adapted = benchmark.pedantic(recognizers["cnn"].adapt, (pairs,), rounds=5, iterations=1)
    benchmark.extra_info["target_s"] = 1.0
    assert sum(adapted.profile.counts()) == 100


@pytest.mark.benchmark(group="personal")
def test_predict_with_profile_interleaved(benchmark, recognizers, canvas):
    """predict with a 100-sample profile against predict without, alternated call by call
    (target: at most 10 % slower)."""
    base = recognizers["cnn"]
    personal = base.adapt(writer_samples(100))
    compare(benchmark, ("profile", lambda: personal.predict(canvas)),
            ("plain", lambda: base.predict(canvas)))
    p = benchmark.pedantic(personal.predict, (canvas,), rounds=1, iterations=1)
    assert p.digit == 3


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, request):
    """10,000 PNGs (300 without measuring): half 280x280 canvases, half 28x28 digits."""
    disabled = request.config.getoption("benchmark_disable")
    n = 300 if disabled else 10_000
    folder = tmp_path_factory.mktemp("scale")
    encoded = [cv2.imencode(".png", draw_digit(d, size=size, width=max(2, size // 14)))[1].tobytes()
               for size in (280, 28) for d in range(10)]
    for i in range(n):
        (folder / f"{i:05d}.png").write_bytes(encoded[i % len(encoded)])
    return folder, n


def cli_run(folder, workers: int):
    """Run the folder CLI; return (total seconds, seconds from first to last result, peak KB)."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "digitrt", "predict", str(folder),
                                "--format", "jsonl", "--workers", str(workers)],
                               stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    first = last = None
    peak = 0
    count = 0
    samples: list[int] = []  # RSS of all processes every 500 results, KB
    assert process.stdout is not None
    for _ in process.stdout:
        now = time.perf_counter()
        first = first or now
        last = now
        count += 1
        if count % 500 == 0:
            with contextlib.suppress(psutil.Error):  # a worker may be exiting
                samples.append(sum(p.memory_info().rss for p in
                                   [watched, *watched.children(recursive=True)]) // 1024)
                peak = max(peak, samples[-1])
    process.wait()
    process.stdout.close()
    early = samples[len(samples) // 5] if samples else 0
    return (time.perf_counter() - started, (last or started) - (first or started), peak, count,
            early, samples[-1] if samples else 0)


@pytest.mark.benchmark(group="scale")
def test_folder_throughput(benchmark, image_folder):
    """Images/s including decode: predict_batch on the files in this process (the baseline),
    the folder CLI with 1 and 2 workers (whole run, and steady state from first to last
    result), peak memory (all processes)."""
    folder, n = image_folder
    files = sorted(str(p) for p in folder.iterdir())
    rec = digitrt.Recognizer()
    started = time.perf_counter()
    results = rec.predict_batch(files)
    baseline = n / (time.perf_counter() - started)
    info = {"images": n, "predict_batch_images_per_s": baseline}
    for workers in (1, 2):
        total, steady, peak_kb, count, early_kb, late_kb = cli_run(folder, workers)
        assert count == n
        info[f"cli_{workers}_images_per_s"] = n / total
        info[f"cli_{workers}_steady_images_per_s"] = n / max(steady, 1e-9)
        info[f"cli_{workers}_peak_rss_mb"] = peak_kb / 1024
        info[f"cli_{workers}_rss_at_20pct_mb"] = early_kb / 1024
        info[f"cli_{workers}_rss_at_end_mb"] = late_kb / 1024
    info["cli_2_vs_twice_baseline"] = info["cli_2_steady_images_per_s"] / (2 * baseline)
    benchmark.extra_info.update(info)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    assert sum(p.digit is not None for p in results) == n


@pytest.mark.benchmark(group="scale")
def test_ray_local_throughput(benchmark, image_folder, tmp_path):
    """The Ray Data path in local mode (2 actors): images/s including decode and Parquet."""
    ray = pytest.importorskip("ray", reason="needs the ray extra")
    from digitrt.ray import predict_folder

    folder, n = image_folder
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        started = time.perf_counter()
        predict_folder(folder, tmp_path / "out", concurrency=2)
        seconds = time.perf_counter() - started
    finally:
        ray.shutdown()
    benchmark.extra_info.update(images=n, ray_images_per_s=n / seconds)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    assert any((tmp_path / "out").iterdir())
