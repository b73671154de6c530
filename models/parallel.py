"""Thread limits for the compiled parts (OpenMP in gradient boosting, BLAS).

OpenMP threads that outnumber the free cores do not share the work, they wait for each other at
every barrier: on a 2-core machine already running another job, gradient boosting with 2 threads
ran 5–10× slower than with 1. :func:`auto_threads` therefore uses every core only when the
machine is otherwise idle.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Literal

from threadpoolctl import threadpool_limits

__all__ = ["ThreadsArg", "auto_threads", "thread_limit"]

log = logging.getLogger(__name__)

#: ``None`` (library default: all cores), ``'auto'`` (:func:`auto_threads`) or a count.
ThreadsArg = int | Literal["auto"] | None


def auto_threads(*, cpus: int | None = None, load: float | None = None) -> int:
    """Threads worth using now: the cores not taken by *other* runnable processes.

    ``floor(cpus + 1 - load)`` clamped to ``[1, cpus]``, with ``load`` the 1-minute load average
    (one runnable process is assumed to be the caller itself, which has usually just been busy
    reading or generating the data). On 2 cores: load < 1 → 2 threads, otherwise 1.

    Parameters
    ----------
    cpus : int, optional
        Usable cores (default: the process's CPU affinity).
    load : float, optional
        Load average (default: ``os.getloadavg()[0]``).
    """
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # pragma: no cover - no load average on this platform
            load = 0.0
    return max(1, min(cpus, math.floor(cpus + 1 - load)))


@contextmanager
def thread_limit(n_threads: ThreadsArg) -> Iterator[None]:
    """Limit OpenMP/BLAS threads inside the block (``None``: no limit; ``'auto'``: :func:`auto_threads`)."""
    if n_threads == "auto":
        n_threads = auto_threads()
        log.info("using %d thread(s) (load average %.2f)", n_threads, os.getloadavg()[0])
    ctx = threadpool_limits(limits=n_threads) if n_threads else nullcontext()
    with ctx:
        yield
