"""newsingest: RSS/Atom feeds to clean, deduplicated, country-tagged Parquet.

The library is independent of Airflow: every stage is a plain function that can be
called from a notebook, a test or a DAG task.
"""

__version__ = "0.1.0"
