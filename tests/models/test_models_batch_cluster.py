"""The LocalCluster of the scoring batch (``models.batch_cluster``)."""

from __future__ import annotations

import socket

from models.batch_cluster import dask_client


def test_local_cluster_starts_while_the_default_dask_port_is_taken() -> None:
    """Another Dask on the machine (or a cluster still closing) holds 8787: no warning, no move.

    distributed warns "Port 8787 is already in use" and moves when its scheduler's HTTP server
    cannot bind its default port; under warnings-as-errors the cluster fails to start.
    """
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            other.bind(("0.0.0.0", 8787))
            other.listen()
        except OSError:  # already held by something else: the condition under test holds anyway
            pass
        with dask_client(n_workers=1, processes=False) as client:
            assert client.submit(sum, [1, 2, 3]).result() == 6
            http = client.cluster.scheduler.http_server
            assert http.port != 8787
            assert http.address == "127.0.0.1"  # served to this machine only


def test_thread_workers_run_whatever_the_host_process_holds() -> None:
    """Thread workers measure the whole host process: a limit would pause them for good.

    The last CI run hung in the Dask tests this way: by then the test session held more than 80 %
    of the 2 GiB per-worker limit, the in-process workers paused, and no task ever ran.
    """
    import time

    with dask_client(n_workers=1, processes=False, memory_limit="64MiB") as client:
        worker = next(iter(client.cluster.workers.values()))
        assert worker.memory_manager.memory_limit is None
        time.sleep(0.5)  # a few rounds of the memory monitor (every 100 ms)
        assert client.submit(sum, [1, 2, 3]).result(timeout=30) == 6
