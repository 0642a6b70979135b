"""Import the library and build its per-process models once, in the process that forks tasks.

Under an executor every task runs in a process ``os.fork()``-ed from a long-lived one
(LocalExecutor: the scheduler's worker processes, or ``airflow dags test --use-executor``;
CeleryExecutor: the Celery worker's pool). A task process inherits, copy-on-write,
whatever its parent had imported; whatever it had not, every task imports again: pyarrow
and pandas (about 1 s CPU per task), trafilatura and lxml, the language model of
py3langid (0.5 s) and the gazetteer (1.4 s) that every extract task loads. :func:`preload` does all of that once
in the parent, before it forks, so no task pays it.

It is hooked in through Airflow's local settings (``config/airflow_local_settings.py``,
copied to ``$AIRFLOW_HOME/config/``), which every Airflow command imports at start-up; it
acts only in the commands that fork task processes (:data:`TASK_FORKING_COMMANDS`), so
the api-server, dag-processor and triggerer stay as light as before.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from typing import Callable, Sequence

log = logging.getLogger(__name__)

# What the tasks of news_ingest import (directly or through the library).
MODULES = (
    "pyarrow", "pyarrow.parquet", "pyarrow.dataset",   # Store.read_parquet: dataset pulls in pandas
    "newsingest.pipeline", "newsingest.lease", "newsingest.placement",
    "newsingest.feeds", "newsingest.fetch",              # poll, fetch
    "newsingest.extract", "newsingest.templates",       # extract: trafilatura, lxml
    "newsingest.dedup", "newsingest.geo", "newsingest.digest",
)

# ``airflow <command...>`` that fork a process per task; argv prefixes after ``airflow``.
TASK_FORKING_COMMANDS = (
    ("scheduler",),            # LocalExecutor's workers are forked from the scheduler
    ("dags", "test"),          # with --use-executor: the same LocalExecutor workers
    ("celery", "worker"),      # the prefork pool forks from the worker process
)


def _warm_models() -> None:
    """Per-process models that tasks would otherwise each build on first use."""
    from newsingest.config import _country_codes
    from newsingest.extract import load_language_model
    from newsingest.gazetteer import get_gazetteer

    load_language_model()   # py3langid's model (0.5 s): every extract task detects languages
    get_gazetteer()         # the gazetteer (1.4 s): every extract task tags countries
    _country_codes()        # pycountry's table: plan checks the registry's countries


WARM_UPS: tuple[Callable[[], None], ...] = (_warm_models,)


def preload(modules: Sequence[str] = MODULES,
            warm_ups: Sequence[Callable[[], None]] = WARM_UPS) -> float:
    """Import ``modules`` and run ``warm_ups`` in this process; returns the CPU seconds spent.

    A module or warm-up that fails is logged and skipped: the task that needs it will
    import it itself and fail there with the real error, in the task's own log.
    """
    start = time.process_time()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - never stop the scheduler or worker from starting
            log.warning("newsingest preload: cannot import %s", name, exc_info=True)
    for warm in warm_ups:
        try:
            warm()
        except Exception:  # noqa: BLE001 - as above
            log.warning("newsingest preload: %s failed", getattr(warm, "__name__", warm),
                        exc_info=True)
    return time.process_time() - start


def forks_tasks(argv: Sequence[str]) -> bool:
    """Whether ``argv`` is an Airflow command that forks a process per task."""
    if not argv or not (argv[0].endswith("airflow") or argv[0].endswith("airflow/__main__.py")):
        return False
    words = tuple(a for a in argv[1:] if not a.startswith("-"))
    return any(words[:len(cmd)] == cmd for cmd in TASK_FORKING_COMMANDS)


def preload_if_forking_tasks(argv: Sequence[str] | None = None) -> bool:
    """:func:`preload` when this process is one of :data:`TASK_FORKING_COMMANDS`."""
    if not forks_tasks(sys.argv if argv is None else argv):
        return False
    spent = preload()
    log.info("newsingest preload: library imported before forking tasks (%.2f s CPU)", spent)
    return True
