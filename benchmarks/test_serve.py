"""`digitrt serve` under load: 8 concurrent clients on 127.0.0.1 posting a 280x280 PNG to
/predict, against predict_batch on the same PNGs in one process (decoding included).

`make bench` runs 20 s of load; with --benchmark-disable (as `make test` runs it) 3 s. Targets:
no errors; throughput >= 50 % of predict_batch's (judged on `make bench`'s 20 s); the server's
memory flat (its resident size
grows by less than 20 MB from the first second to the end, worker processes included).
"""

from __future__ import annotations

import http.client
import multiprocessing
import socket
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

import digitrt
from training.strokes import draw_digit

CLIENTS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(port: int, png: bytes, seconds: float) -> tuple[list[float], list[str], float]:
    """One client: POST /predict on one keep-alive connection for `seconds`; its latencies,
    errors and the time it ran."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], []
    begun = time.perf_counter()
    while time.perf_counter() - begun < seconds:
        started = time.perf_counter()
        conn.request("POST", "/predict", png, {"Content-Type": "image/png"})
        response = conn.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200 or b'"digit":7' not in body:
            errors.append(f"{response.status} {body[:100]!r}")
    conn.close()
    return latencies, errors, time.perf_counter() - begun


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children (the server's worker processes)."""
    with open(f"/proc/{pid}/status") as f:
        total = next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return total + sum(rss_mb(int(child)) for child in f.read().split())


@pytest.mark.benchmark(group="serve")
def test_serve_predict_under_load(benchmark, request):
    pytest.importorskip("uvicorn")
    seconds = 3.0 if request.config.getoption("benchmark_disable") else 20.0
    png = cv2.imencode(".png", draw_digit(7))[1].tobytes()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "digitrt", "serve", "--port", str(port),
                               "--workers", "2"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.1)
        memory: list[float] = []
        context = multiprocessing.get_context("spawn")  # clients in their own processes:
        with context.Pool(CLIENTS) as pool:             # a client's GIL is not the server's limit
            pending = pool.starmap_async(client, [(port, png, seconds)] * CLIENTS)
            time.sleep(min(1.0, seconds / 3) + 1.0)  # (+1 s: the clients' start-up)
            memory.append(rss_mb(server.pid))
            runs = pending.get(timeout=seconds + 120)
        latencies = [t for lat, _, _ in runs for t in lat]
        errors = [e for _, errs, _ in runs for e in errs]
        elapsed = max(span for _, _, span in runs)
        memory.append(rss_mb(server.pid))
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()

    # The same PNGs through predict_batch in this process, decoding included.
    recognizer = digitrt.Recognizer()
    batch = [png] * 256
    recognizer.predict_batch(batch)
    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < min(seconds, 5.0):
        recognizer.predict_batch(batch)
        rounds += 1
    in_process = rounds * len(batch) / (time.perf_counter() - started)

    served = len(latencies) / elapsed
    lat = np.asarray(latencies) * 1000
    benchmark.extra_info.update({
        "requests": len(latencies), "requests_per_s": round(served, 1),
        "predict_batch_images_per_s": round(in_process, 1), "ratio": round(served / in_process, 3),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "rss_mb_first_second": round(memory[0], 1), "rss_mb_end": round(memory[1], 1),
        "target_ratio": 0.5})
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    print(benchmark.extra_info)
    assert not errors, errors[:3]
    if not benchmark.disabled:  # the 3-s smoke run of `make test` is too short and noisy to judge
        assert served >= 0.5 * in_process, benchmark.extra_info
    assert memory[1] - memory[0] < 20, benchmark.extra_info
