"""Environment helpers for tests that run the pipeline: NEWS_* settings set for a block."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def env_vars(**values: str) -> Iterator[None]:
    """Set environment variables for the block, restoring (or removing) them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def news_env(registry: Path, data: Path):
    """The NEWS_* settings of a demo run: the registry, the data root, loopback allowed."""
    return env_vars(NEWS_FEEDS=str(registry), NEWS_DATA_URL=str(data),
                    NEWS_ALLOW_PRIVATE_NETWORKS="1", NEWS_HOST_INTERVAL="0.02")
