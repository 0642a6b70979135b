"""Where a run's tasks execute, and whether its data root is reachable from all of them.

A run's tasks hand files to each other under ``<data root>/_staging/<run>/``: ``poll``
writes ``entries-g0.parquet``, ``fetch`` reads it. Under a distributed executor (Celery,
Kubernetes, Edge) consecutive tasks may run on different machines, so a local data root
turns into ``FileNotFoundError`` on whichever task lands elsewhere, and a retry that
happens to land on the right worker passes: flaky, not loud. :func:`check_data_root`
makes it loud, before any feed is polled.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

import fsspec

from newsingest.config import Settings
from newsingest.errors import ConfigError

# Executors that run every task on the scheduler's own machine.
SINGLE_MACHINE_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
# fsspec protocols whose files live in one machine (or one process).
LOCAL_PROTOCOLS = frozenset({"file", "local", "memory"})


def configured_executors(env: Mapping[str, str] | None = None) -> list[str]:
    """Class names of Airflow's configured executors (``[core] executor``), e.g. ['CeleryExecutor'].

    Read from Airflow's configuration when the calling process has already loaded it (a
    task always has), else from ``AIRFLOW__CORE__EXECUTOR``; the library never imports
    Airflow itself. With ``env`` given, only ``env`` is read. Empty when nothing says.
    """
    airflow_conf = sys.modules.get("airflow.configuration") if env is None else None
    env = os.environ if env is None else env
    raw = env.get("AIRFLOW__CORE__EXECUTOR", "")
    if not raw and airflow_conf is not None:
        try:
            raw = airflow_conf.conf.get("core", "executor", fallback="") or ""
        except Exception:  # noqa: BLE001 - an odd configuration: fall back to the environment
            raw = ""
    names = []
    for item in raw.split(","):
        item = item.strip()
        if item:  # "alias:path.to.Executor", "path.to.Executor" or "Executor"
            names.append(item.rsplit(":", 1)[-1].rsplit(".", 1)[-1])
    return names


def is_local_url(url: str) -> bool:
    """True for a data root that only one machine sees: a path, ``file://`` or ``memory://``."""
    protocol, _ = fsspec.core.split_protocol(url)
    return protocol is None or protocol in LOCAL_PROTOCOLS


def check_data_root(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Refuse a machine-local ``NEWS_DATA_URL`` under an executor that spreads tasks over machines."""
    distributed = [e for e in configured_executors(env) if e not in SINGLE_MACHINE_EXECUTORS]
    if not distributed or settings.data_root_shared or not is_local_url(settings.data_url):
        return
    raise ConfigError(
        f"NEWS_DATA_URL={settings.data_url!r} is a local path, but the executor "
        f"{distributed[0]} runs a run's tasks on several workers: the files one task writes "
        f"there (poll's _staging/<run>/entries-g<N>.parquet) are missing on the worker that "
        f"runs the next task. Point NEWS_DATA_URL at storage every worker reaches "
        f"(s3://bucket/news, with NEWS_STORAGE_OPTIONS for the endpoint and credentials), or, "
        f"if this path is one filesystem mounted on every worker (NFS, a single host's Docker "
        f"volume), set NEWS_DATA_ROOT_SHARED=1.")
