"""Public sick-rate statistics: Försäkringskassan open-data Excel files and Kolada KPIs, fetched politely.

`load_all(run_id)` fetches every configured source (bundled snapshots unless FRISK_FK_BASE_URL /
FRISK_KOLADA_BASE_URL say otherwise), loads what changed and picks up manual drops from
landing/statistics/.
"""

from __future__ import annotations

from frisk.statistics.load import load_all, load_fk, load_kolada, load_pending

__all__ = ["load_all", "load_fk", "load_kolada", "load_pending"]
