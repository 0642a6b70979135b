# The image every Airflow component of docker-compose.yml runs: the official Airflow
# image plus this project's runtime pins (requirements.txt: no test tools), the newsingest
# package, the DAGs and plugins. One checkout, one image: nothing of the code is
# bind-mounted, so every worker, on any host, runs the same library as the DAG file.
FROM apache/airflow:3.3.2-python3.11

USER airflow
COPY --chown=airflow:0 requirements.txt /opt/newsingest/requirements.txt
RUN pip install --no-cache-dir -r /opt/newsingest/requirements.txt
COPY --chown=airflow:0 pyproject.toml README.md /opt/newsingest/
COPY --chown=airflow:0 include /opt/newsingest/include
RUN pip install --no-cache-dir --no-deps -e /opt/newsingest
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
# Local settings: the scheduler and Celery workers import the library once, before they
# fork task processes (newsingest.preload); /opt/airflow is the image's AIRFLOW_HOME.
COPY --chown=airflow:0 config/airflow_local_settings.py /opt/airflow/config/airflow_local_settings.py
