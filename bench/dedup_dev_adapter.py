"""Adapter from the dedup-dev scorer's records to :func:`newsingest.dedup.cluster_documents`.

The scorer (``../shared/data/dedup-dev/eval_dedup.py``) passes dicts with ``id``, ``title``,
``text``, ``published`` and ``outlet``; the project calls them ``published_at`` and
``source``. Usage, from the project root::

    .venv/bin/python ../shared/data/dedup-dev/eval_dedup.py bench/dedup_dev_adapter.py:detect \\
        --fields id,title,text,published,outlet
"""

from __future__ import annotations

from typing import Iterable, Mapping

from newsingest.dedup import cluster_documents


def to_project(d: Mapping) -> dict:
    """One scorer record as a ``cluster_documents`` input."""
    return {"id": d["id"], "title": d.get("title") or "", "text": d.get("text") or "",
            "published_at": d.get("published") or None, "source": d.get("outlet") or None}


def detect(docs: Iterable[Mapping]) -> dict[str, str]:
    """``{id: cluster_id}`` for the scorer's records."""
    return cluster_documents([to_project(d) for d in docs])
