"""Alternating two calls in one loop: machine noise then hits both alike, so their medians
compare fairly even on this shared, noisy machine."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt


def alternate(first: Callable[[], object], second: Callable[[], object], rounds: int
              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Seconds per call of `first` and of `second`, called one after the other `rounds` times."""
    a, b = np.empty(rounds), np.empty(rounds)
    clock = time.perf_counter
    for i in range(rounds):
        t0 = clock()
        first()
        t1 = clock()
        second()
        t2 = clock()
        a[i], b[i] = t1 - t0, t2 - t1
    return a, b


def compare(benchmark, first: tuple[str, Callable[[], object]],  # type: ignore[no-untyped-def]
            second: tuple[str, Callable[[], object]]) -> dict[str, float]:
    """Alternate two named calls (2000 rounds; 20 when benchmarks are disabled) and record in the
    benchmark's extra_info each one's median and p99 in µs (`<name>_median_us`, `<name>_p99_us`)
    and `ratio`, first's median over second's."""
    a, b = alternate(first[1], second[1], 20 if benchmark.disabled else 2000)
    info = {"ratio": float(np.median(a) / np.median(b))}
    for (name, _), times in ((first, a), (second, b)):
        info[f"{name}_median_us"] = float(np.median(times) * 1e6)
        info[f"{name}_p99_us"] = float(np.percentile(times, 99) * 1e6)
    benchmark.extra_info.update(info)
    return info
