"""Airflow listener plugin for ``bench/pipeline.py``: wall, CPU and peak memory of each task.

``bench/pipeline.py`` copies this file into the bench's own plugins folder; it is never
loaded by the project's Airflow. On ``running`` it notes the wall clock and the process's
CPU time and resets the process's peak RSS (``/proc/self/clear_refs``: 5); on ``success``
or ``failed`` it appends one JSON line to ``$NEWS_BENCH_PROBE``: task, map index, pid,
wall and CPU seconds between the two hooks (the task's own work: the DAG's callable), and
the peak RSS reached in between (``VmHWM``). With ``$NEWS_BENCH_PROFILE`` set (the
bench's ``--profile DIR``), each task's callable also runs under cProfile, one
``<task>-<map index>-<pid>.prof`` file per task in that folder (``python -m pstats``).
"""

from __future__ import annotations

import json
import os
import sys
import time

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

_started: dict[tuple[str, str, int], tuple[float, float]] = {}
_profiles: dict[tuple[str, str, int], object] = {}


def _key(ti) -> tuple[str, str, int]:  # noqa: ANN001 - RuntimeTaskInstance
    return ti.run_id, ti.task_id, getattr(ti, "map_index", -1)


def _rss_kb(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@hookimpl
def on_task_instance_running(previous_state, task_instance) -> None:  # noqa: ANN001
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    if os.environ.get("NEWS_BENCH_PROFILE"):
        import cProfile

        prof = cProfile.Profile()
        _profiles[_key(task_instance)] = prof
        prof.enable()
    _started[_key(task_instance)] = (time.perf_counter(), time.process_time())


def _record(task_instance, state: str) -> None:  # noqa: ANN001
    wall_end, cpu_end = time.perf_counter(), time.process_time()
    start = _started.pop(_key(task_instance), None)
    prof = _profiles.pop(_key(task_instance), None)
    if prof is not None:
        prof.disable()
        folder = os.environ["NEWS_BENCH_PROFILE"]
        os.makedirs(folder, exist_ok=True)
        prof.dump_stats(os.path.join(folder, f"{task_instance.task_id}-{getattr(task_instance, 'map_index', -1)}-{os.getpid()}.prof"))
    target = os.environ.get("NEWS_BENCH_PROBE")
    if start is None or not target:
        return
    row = {"run_id": task_instance.run_id, "task_id": task_instance.task_id,
           "map_index": getattr(task_instance, "map_index", -1), "pid": os.getpid(), "state": state,
           "wall_s": wall_end - start[0], "cpu_s": cpu_end - start[1],
           "peak_rss_mb": _rss_kb("VmHWM") / 1024, "end": time.time()}
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


@hookimpl
def on_task_instance_success(previous_state, task_instance) -> None:  # noqa: ANN001
    _record(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state, task_instance, error=None) -> None:  # noqa: ANN001
    _record(task_instance, "failed")


class PipelineProbe(AirflowPlugin):
    """Registers the listener above."""

    name = "newsingest_pipeline_probe"
    listeners = [sys.modules[__name__]]
