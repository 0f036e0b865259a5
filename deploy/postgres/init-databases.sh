#!/usr/bin/env bash
# First start of the Postgres container: the databases Frisk, Airflow and Metabase use.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
create database warehouse;
create database airflow;
create role metabase login password '${METABASE_DB_PASSWORD}';
create database metabase owner metabase;
SQL
