# Frisk on the official Airflow image: the same locked dependencies as `make run`, plus this project.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
USER airflow

WORKDIR /opt/frisk
COPY --chown=airflow:root requirements.lock /opt/frisk/requirements.lock
# The image already holds Airflow; installing the lock aligns every other package with the tested set.
RUN pip install --no-cache-dir -r /opt/frisk/requirements.lock

COPY --chown=airflow:root pyproject.toml README.md /opt/frisk/
COPY --chown=airflow:root plugins /opt/frisk/plugins
COPY --chown=airflow:root dags /opt/frisk/dags
COPY --chown=airflow:root dbt_project /opt/frisk/dbt_project
COPY --chown=airflow:root expectations /opt/frisk/expectations
RUN pip install --no-cache-dir --no-deps -e /opt/frisk

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/frisk/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DEFAULT_TIMEZONE=Europe/Stockholm \
    FRISK_HOME=/opt/frisk/state \
    FRISK_LANDING_DIR=/data/landing \
    FRISK_OUTBOX_DIR=/data/outbox
