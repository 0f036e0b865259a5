"""Regenerate the bundled Kolada snapshot: one recorded v2 response per KPI in sources.yml.

The files sit where the configured request URL points when the base URL is the snapshot folder, so the offline
run goes through the same fetch/hash/store code as the live API. The figures are ILLUSTRATIVE (a deterministic
level + trend + per-municipality offset), not Kolada's published values: see README.md.

    .venv/bin/python plugins/frisk/statistics/snapshots/make_kolada_snapshot.py
"""

from __future__ import annotations

import hashlib
import json

from frisk.statistics import kolada
from frisk.statistics.settings import HERE, kolada_years, sources

# KPI -> (national level per year 2019.., women's and men's offset from the total). Shapes follow the public
# picture (a pandemic peak in 2020-2021, women higher than men); the numbers are made up.
LEVELS: dict[str, tuple[tuple[float, ...], float, float]] = {
    "N00090": ((7.0, 8.4, 8.8, 8.2, 7.5, 7.3, 7.2), 1.0, -2.3),          # sick leave, % of scheduled time
    "N00091": ((44.0, 38.5, 39.0, 41.5, 43.0, 44.0, 44.5), 1.5, -4.0),   # share in spells > 59 days, %
    "N00092": ((5.6, 7.4, 7.8, 7.1, 6.4, 6.2, 6.1), 0.8, -1.9),          # age < 30, %
    "N00093": ((6.6, 8.0, 8.4, 7.8, 7.1, 6.9, 6.8), 0.9, -2.2),          # age 30-49, %
    "N00094": ((7.7, 9.0, 9.4, 8.9, 8.2, 8.0, 7.9), 1.0, -2.4),          # age > 49, %
    "N00938": ((9.4, 9.8, 9.6, 9.9, 10.3, 10.4, 10.3), 3.1, -3.0),       # sjukpenningtal, days
    "N00957": ((25.2, 25.0, 24.0, 23.0, 22.5, 22.3, 22.1), 4.5, -4.3),   # ohälsotal, days
}


def _offset(*parts: object) -> float:
    """A stable pseudo-random number in [-1, 1) from the parts (no RNG state: the files are reproducible)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**31 - 1.0


def response(kpi: str, municipalities: list[str], years: list[int]) -> dict:
    levels, women, men = LEVELS[kpi]
    values = []
    for muni in municipalities:
        muni_level = 0.0 if muni == "0000" else 0.12 * _offset(kpi, muni)  # +-12 % around the national level
        for i, year in enumerate(years):
            base = levels[min(i, len(levels) - 1)] * (1 + muni_level + 0.03 * _offset(kpi, muni, year))
            if kpi == "N00091" and year == years[-1] and muni in ("2021", "2039"):
                # small kommuner often lack the latest long-term share: value null, status Missing
                entries = [{"count": 0, "gender": g, "status": "Missing", "value": None} for g in "KMT"]
            else:
                entries = [
                    {"count": 1, "gender": g, "status": "", "value": round(base + off, 1)}
                    for g, off in (("K", women), ("M", men), ("T", 0.0))
                ]
            values.append({"kpi": kpi, "municipality": muni, "period": year, "values": entries})
    return {"count": len(values), "values": values}


def main() -> None:
    cfg = sources()["kolada"]
    base = HERE / cfg["snapshot_dir"]
    years = kolada_years()
    for kpi in cfg["kpis"]:
        url = kolada.kpi_url(base.as_uri(), kpi, list(cfg["municipalities"]), years)
        path = base / url[len(base.as_uri()) + 1 :]
        path.parent.mkdir(parents=True, exist_ok=True)
        body = response(kpi, list(cfg["municipalities"]), years)
        path.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
        print(path.relative_to(HERE))


if __name__ == "__main__":
    main()
