"""PNG charts for a pack, readable in black and white: series differ by line style, marker and hatch.

Every chart is 800 x 450 pixels (8 x 4.5 in at 100 dpi) so the PDF can place them predictably. Suppressed
values are not drawn (a gap) and are marked ".." where a bar or point would be.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a scheduler worker
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from frisk.extracts import labels as L  # noqa: E402
from frisk.extracts import queries  # noqa: E402
from frisk.extracts.figures import TOTAL, Unit  # noqa: E402

SIZE_IN = (8.0, 4.5)
DPI = 100
SIZE_PX = (int(SIZE_IN[0] * DPI), int(SIZE_IN[1] * DPI))
# No timestamps or version in the file: the same figures give the same bytes (stable hashes in the manifest).
PNG_META = {"Software": None}


def _new():
    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt.subplots(figsize=SIZE_IN, dpi=DPI)


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, metadata=PNG_META)
    plt.close(fig)
    return path


def trend_chart(unit: Unit, path: Path, names: dict[str, str]) -> Path:
    fig, ax = _new()
    t = unit.topics["trend"]
    months = sorted({k[0] for k in t.cells if k[1] == TOTAL})
    own = [t.value((m, TOTAL), "sick_pct") for m in months]
    ax.plot(months, [float("nan") if v is None else v for v in own], color="black", linestyle="-",
            marker="o", markersize=3, linewidth=2, label=f"{unit.label}: sjukfrånvaro, % (vänster axel)")
    ax.set_ylabel("Sjukfrånvaro, % av arbetstid")
    ax.set_ylim(bottom=0)
    if unit.benchmark:
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        bm = unit.benchmark
        x = [b["month"] for b in bm]
        styles = ["--", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1))]
        for i, e in enumerate(unit.employers):
            ax2.plot(x, [b["kommun"].get(e) for b in bm], color="0.35", linestyle=styles[i % len(styles)],
                     label=f"Sjukpenningtal {names.get(e, e)} (höger axel)")
        ax2.plot(x, [b["lan"] for b in bm], color="0.5", linestyle="-.", marker="s", markersize=3,
                 label="Sjukpenningtal länet")
        ax2.plot(x, [b["riket"] for b in bm], color="0.2", linestyle=":", marker="^", markersize=3,
                 label="Sjukpenningtal riket")
        ax2.set_ylabel("Sjukpenningtal, dagar per försäkrad")
        ax2.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower left", fontsize=7, frameon=True)
    elif unit.benchmark_latest:
        # no published month inside the period: the latest one as reference levels, dated in the legend
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        latest = unit.benchmark_latest
        when = latest["month"].strftime("%Y-%m")
        for value, style, label in ((latest["lan"], "-.", "länet"), (latest["riket"], ":", "riket")):
            if value is not None:
                ax2.axhline(value, color="0.3", linestyle=style, linewidth=1.5,
                            label=f"Sjukpenningtal {label} {when}: {value:.1f} (höger axel)".replace(".", ","))
        ax2.set_ylabel("Sjukpenningtal, dagar per försäkrad")
        ax2.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower left", fontsize=7, frameon=True)
    else:
        ax.legend(loc="lower left", fontsize=7)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    fig.autofmt_xdate()
    if any(v is None for v in own):
        ax.text(0.99, 0.98, "Luckor: för få anställda (..)", transform=ax.transAxes, ha="right", va="top",
                fontsize=7)
    ax.set_title("Sjukfrånvaro per månad jämfört med sjukpenningtal")
    fig.tight_layout()
    return _save(fig, path)


def spells_chart(unit: Unit, path: Path) -> Path:
    fig, ax = _new()
    t = unit.topics["spells"]
    bands = list(queries.LENGTH_BANDS)
    width = 0.38
    for i, (period, style) in enumerate((
        ("previous", {"color": "white", "edgecolor": "black", "hatch": "///"}),
        ("current", {"color": "0.25", "edgecolor": "black"}),
    )):
        xs = [b + (i - 0.5) * width for b in range(len(bands))]
        vals = [t.value((period, b), "spells") for b in bands]
        ax.bar(xs, [v or 0 for v in vals], width=width, label=L.PERIODS[period], **style)
        for x, b in zip(xs, bands, strict=True):
            cell = t.cells.get((period, b))
            if cell is not None and cell.suppressed:
                ax.text(x, 0, L.SUPPRESSED, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(bands)), [L.BANDS[b] for b in bands])
    ax.set_ylabel("Antal sjukfall som började")
    ax.set_title("Sjukfallens längd")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def outcome_chart(unit: Unit, path: Path) -> Path:
    fig, ax = _new()
    t = unit.topics["outcomes"]
    keys = sorted(t.cells)
    ax.axhline(0, color="black", linewidth=0.8, linestyle="--")
    for i, k in enumerate(keys):
        did, lo, hi = (t.value(k, n) for n in ("did", "ci_low", "ci_high"))
        if did is None:
            ax.text(i, 0, L.SUPPRESSED, ha="center", va="bottom", fontsize=10)
            continue
        if lo is not None and hi is not None:
            ax.errorbar([i], [did], yerr=[[did - lo], [hi - did]], fmt="o", color="black", capsize=6,
                        markersize=6)
        else:
            ax.plot([i], [did], marker="o", color="black")
        ax.annotate(L.number(did, 1), (i, did), textcoords="offset points", xytext=(10, 0), fontsize=8)
    ax.set_xticks(range(len(keys)), [f"{k[0]} dagar" for k in keys])
    ax.set_xlim(-0.5, max(len(keys), 1) - 0.5)
    ax.set_ylabel("Skillnad i sjukdagar (insats − jämförelse)")
    ax.set_title("Effekt av tidiga insatser med 95 % konfidensintervall (under 0 = färre sjukdagar)")
    fig.tight_layout()
    return _save(fig, path)


def grant_chart(unit: Unit, path: Path) -> Path:
    fig, ax = _new()
    t = unit.topics["grant"]
    keys = sorted(t.cells)
    series = (
        ("claimed", "Sökt/beviljat", {"color": "0.15", "edgecolor": "black"}),
        ("claimable", "Kan sökas", {"color": "0.65", "edgecolor": "black", "hatch": ".."}),
        ("lost_caps", "Förlorat: tak", {"color": "white", "edgecolor": "black", "hatch": "xx"}),
        ("lost_deadline", "Förlorat: frist", {"color": "white", "edgecolor": "black", "hatch": "\\\\"}),
    )
    bottoms = [0.0] * len(keys)
    for name, text, style in series:
        vals = [t.value(k, name) or 0.0 for k in keys]
        ax.bar(range(len(keys)), vals, bottom=bottoms, label=text, width=0.6, **style)
        bottoms = [b + v for b, v in zip(bottoms, vals, strict=True)]
    for i, k in enumerate(keys):
        if t.cells[k].suppressed:
            ax.text(i, 0, L.SUPPRESSED, ha="center", va="bottom", fontsize=10)
    ax.set_xticks(range(len(keys)), [f"{k[0]}\n{'FK' if k[1] == 'FK_ARS' else k[1]}" for k in keys])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: L.number(v, 0)))
    ax.set_ylabel("Kronor")
    ax.set_title("Bidrag för rehabiliteringsinsatser per år och ordning")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


CHARTS = {
    "trend": "sjukfranvaro_trend",
    "spells": "sjukfall_langd",
    "outcomes": "insatser_effekt",
    "grant": "bidrag",
}


def render_charts(unit: Unit, folder: Path, prefix: str, names: dict[str, str]) -> dict[str, Path]:
    return {
        "trend": trend_chart(unit, folder / f"{prefix}_{CHARTS['trend']}.png", names),
        "spells": spells_chart(unit, folder / f"{prefix}_{CHARTS['spells']}.png"),
        "outcomes": outcome_chart(unit, folder / f"{prefix}_{CHARTS['outcomes']}.png"),
        "grant": grant_chart(unit, folder / f"{prefix}_{CHARTS['grant']}.png"),
    }
