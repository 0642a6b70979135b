"""Airflow local settings of a news_ingest deployment: copy to ``$AIRFLOW_HOME/config/``.

Airflow imports this file at start-up in every command. In the commands that fork a
process per task (scheduler, ``dags test``, Celery worker) it imports the newsingest
library and builds its models once, so the task processes inherit them instead of each
paying about 1-2 s of CPU for them (see ``newsingest.preload`` and the README's
"Capacity"). It defines no policy and changes no setting.
"""

from newsingest.preload import preload_if_forking_tasks as _preload_if_forking_tasks

__all__: list[str] = []   # nothing here is an Airflow policy or setting

_preload_if_forking_tasks()
