"""The Dask cluster of the scoring batch (:mod:`models.batch`) and per-process memory sampling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["LOOPBACK_ANY_PORT", "PeakRss", "dask_client", "process_rss_mb"]

#: Where a LocalCluster's scheduler serves HTTP: loopback, a port the system picks.
LOOPBACK_ANY_PORT = "127.0.0.1:0"


def process_rss_mb() -> float:
    """Resident set of this process now (MB); run on workers with ``client.run``."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class PeakRss:
    """Largest resident set of this process while the block runs, sampled every 50 ms (MB).

    ``ru_maxrss`` cannot be used: Linux carries it across fork and exec from the process that
    started the worker, so it reports the driver's peak.
    """

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.mb = self._proc.memory_info().rss / 2**20
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.mb = max(self.mb, self._proc.memory_info().rss / 2**20)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.mb = max(self.mb, self._proc.memory_info().rss / 2**20)


@contextmanager
def dask_client(address: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1,
                memory_limit: str = "2GiB", processes: bool = True) -> Iterator[Any]:
    """A Dask client: to ``address`` (a running scheduler) or to a new LocalCluster.

    Parameters
    ----------
    memory_limit
        Per worker *process*. Thread workers (``processes=False``, the tests) get none: Dask
        measures a worker's memory as its process's resident set, which for a thread worker is
        the whole host process (driver, test session and all); past 80 % of the limit the
        workers pause and wait for memory that never frees, and the run hangs.
    """
    from distributed import Client, LocalCluster

    if address:
        client = Client(address)
        try:
            yield client
        finally:
            client.close()
        return
    # The scheduler always serves HTTP (health, metrics; the dashboard too when bokeh is
    # installed, which it is not here). Its default port, 8787, is taken by any other Dask on
    # the machine or by a cluster of a moment ago still closing: distributed then warns and moves
    # (an error under warnings-as-errors, as in the tests). A free loopback port avoids both and
    # serves nothing beyond this machine.
    with LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                      memory_limit=memory_limit if processes else 0, processes=processes,
                      dashboard_address=LOOPBACK_ANY_PORT) as cluster, \
            Client(cluster) as client:
        yield client


