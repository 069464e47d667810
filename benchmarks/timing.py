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
