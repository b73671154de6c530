"""Thread limits for the compiled parts (OpenMP in gradient boosting)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from threadpoolctl import threadpool_limits

__all__ = ["thread_limit"]


@contextmanager
def thread_limit(n_threads: int | None) -> Iterator[None]:
    """Limit OpenMP/BLAS threads to ``n_threads`` inside the block (no limit when ``None``)."""
    ctx = threadpool_limits(limits=n_threads) if n_threads else nullcontext()
    with ctx:
        yield
