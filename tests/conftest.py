"""Test set-up: an isolated Airflow home (SQLite) set before Airflow is imported."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="newsingest-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__PARALLELISM"] = "4"
os.environ.pop("NEWS_FEEDS", None)
os.environ.pop("NEWS_DATA_URL", None)


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """A migrated SQLite metadata database, once per test session."""
    from airflow.utils import db

    db.initdb()
    return _AIRFLOW_HOME
