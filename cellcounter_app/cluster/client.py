"""Open a Dask client for a batch: start a local cluster or reach a running scheduler."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import CellCounterError
from .address import DaskAddress

log = logging.getLogger(__name__)

LOCAL_WORKERS_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                        "distributed.scheduler.worker-saturation": 1.0}
"""Dask config for the workers of ``local:N``.

Dask's nanny starts its workers with glibc's ``MALLOC_TRIM_THRESHOLD_=65536``,
which fixes the mmap threshold at 128 KiB: every image-sized array is then a
fresh mmap, page-faulted in, and an image took 1.3-1.7x as long to count
(bench/bench_cluster.py). Unset, the workers' malloc is the one a plain
``cellcounter count`` has (a variable set in this environment still wins).

A worker-saturation of 1 sends a worker only as many images as it has
threads (Dask's 1.1 sends a one-thread worker two): when an image kills its
worker, no other image is on that worker to be blamed with it (two deaths
make an innocent image an error row otherwise)."""


class ClusterError(CellCounterError):
    """Dask is missing, the scheduler cannot be reached, or the workers cannot count the batch."""


def import_distributed() -> Any:
    """``dask.distributed``, or a `ClusterError` that says how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(
            f"--dask needs dask.distributed, which is not installed ({exc}); "
            "install it with: pip install 'cellcounter[cluster]'") from None
    return distributed


@contextmanager
def open_client(address: DaskAddress) -> Iterator[Any]:
    """A `distributed.Client` for ``address``, closed (with its local cluster) when the block ends.

    The time to reach a scheduler is Dask's ``distributed.comm.timeouts.connect``
    (30 s unless configured, e.g. ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s``).

    Raises
    ------
    ClusterError
        Dask is missing, the scheduler file does not exist, or the scheduler
        cannot be reached in time.
    """
    distributed = import_distributed()
    import dask  # installed with distributed

    cluster = None
    try:
        if address.kind == "local":
            with dask.config.set(LOCAL_WORKERS_CONFIG):
                cluster = distributed.LocalCluster(n_workers=address.workers, threads_per_worker=1, processes=True,
                                                   dashboard_address=None)
            client = distributed.Client(cluster, set_as_default=False)
        elif address.kind == "file":
            if not Path(address.target).is_file():
                raise ClusterError(f"Dask scheduler file {address.target} does not exist")
            client = distributed.Client(scheduler_file=address.target, set_as_default=False)
        else:
            client = distributed.Client(address.target, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        hint = "" if address.kind == "local" else "; is the scheduler running and reachable from this computer?"
        raise ClusterError(f"cannot reach {address.describe()}: {exc}{hint}") from None
    log.info("counting on %s (dashboard: %s)", address.describe(), client.dashboard_link)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def worker_count(client: Any) -> int:
    """How many workers the scheduler has now (at least 1, as more may join)."""
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
