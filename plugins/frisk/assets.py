"""Airflow Assets that connect the DAGs: ingest DAGs update them, the warehouse build is scheduled on them.

Imported by the thin DAG files, so this module imports nothing heavy.
"""

from airflow.sdk import Asset

PAYROLL_RAW = Asset("frisk://warehouse/raw/payroll", group="frisk")
INVOICES_RAW = Asset("frisk://warehouse/raw/invoices", group="frisk")
STATISTICS_RAW = Asset("frisk://warehouse/raw/statistics", group="frisk")
MARTS = Asset("frisk://warehouse/marts", group="frisk")
OUTBOX = Asset("frisk://outbox/meeting-packs", group="frisk")
