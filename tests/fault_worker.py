"""The child side of the crash tests: one pipeline run in a fresh process.

Started through a multiprocessing *forkserver* that has imported the pipeline (and
warmed its country tagger) once, so a child starts in milliseconds instead of seconds,
as a real process that ``NEWS_FAULT`` can SIGKILL. The result goes to a JSON file.
"""

from __future__ import annotations

import json
import os
import traceback

from newsingest import commit
from newsingest.config import Settings
from newsingest.pipeline import RunContext, publish, run_all

try:  # warm the lazily built tagger and extractor in the forkserver, once
    from newsingest.geo import tag_countries

    tag_countries("Warm-up", "Portugal and Spain signed a deal in Lisbon.")
    import _strptime  # noqa: F401
    import encodings.idna  # noqa: F401
    import pandas  # noqa: F401 - pulled in during a run; import it once here

    import newsingest.dedup  # noqa: F401
    import newsingest.extract  # noqa: F401
    import newsingest.feeds  # noqa: F401
    import newsingest.fetch  # noqa: F401
except Exception:  # noqa: BLE001 - warming is an optimisation only
    pass


def child(env: dict[str, str], run_id: str, mode: str, out: str) -> None:
    """Run ``run_all`` (mode "run") or only ``publish`` (mode "publish": an Airflow retry
    of the publish task) for ``run_id``; write the summary or the error to ``out``."""
    os.environ.pop("NEWS_FAULT", None)
    os.environ.update(env)
    ctx = RunContext(run_id, "2026-11-24", Settings.from_env(env))
    try:
        if mode == "publish":
            staging = ctx.store.listdir(commit.staging_dir(ctx.key))
            refs = sorted(n[len("extracted-"):-len(".parquet")] for n in staging
                          if n.startswith("extracted-"))
            result = publish(ctx, refs)
        else:
            result = run_all(ctx, group_size=2)
        doc = {"ok": True, "summary": result}
    except Exception as exc:  # noqa: BLE001 - reported to the test
        doc = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    with open(out, "w") as fh:
        json.dump(doc, fh, default=str)
