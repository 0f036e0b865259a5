"""Write the committed GX project (expectations/gx) from the suites in frisk.quality.suites.

    python -m frisk.quality.authoring            # rewrite expectations/gx
    python -m frisk.quality.authoring /tmp/x     # write a project elsewhere (the drift test does this)

Creates the pandas runtime datasource with one dataframe asset per raw table, the suites (with severities),
one validation definition and one checkpoint per raw table, and the Data Docs site config. The checkpoints keep
at most a few example values of failing rows (with line_no), never more; texts are only seen as flags.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from frisk.quality.context import PROJECT_DIR, RUNTIME_DATASOURCE
from frisk.quality.suites import SUITES, Exp

# What a checkpoint keeps of failing rows: counts, a handful of values, and their line numbers when the table
# has them (so an error can name the file, the line and the field).
RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 5}


def to_gx(exp: Exp) -> Any:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return ExpectationConfiguration(type=exp.type, kwargs=dict(exp.kwargs), severity=exp.severity)


def result_format_for(columns: list[str]) -> dict[str, Any]:
    fmt = dict(RESULT_FORMAT)
    if "line_no" in columns:
        fmt["unexpected_index_column_names"] = ["line_no"]
    return fmt


def write_project(root_parent: Path) -> Path:
    """Create a fresh GX file project at root_parent/gx. Returns its path."""
    import great_expectations as gx

    target = root_parent / "gx"
    if target.exists():
        shutil.rmtree(target)
    ctx = gx.get_context(mode="file", project_root_dir=str(root_parent))
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # progress bars are noise in a task log
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    ctx.variables.save()
    ds = ctx.data_sources.add_pandas(RUNTIME_DATASOURCE)
    for suite_def in SUITES:
        bd = ds.add_dataframe_asset(suite_def.name).add_batch_definition_whole_dataframe("batch")
        suite = gx.ExpectationSuite(name=suite_def.name)
        for exp in suite_def.all_expectations():
            suite.add_expectation_configuration(to_gx(exp))
        suite = ctx.suites.add(suite)
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=suite_def.name, data=bd, suite=suite))
        ctx.checkpoints.add(gx.Checkpoint(
            name=suite_def.name, validation_definitions=[vd], actions=[],
            result_format=result_format_for(suite_def.all_columns()),
        ))
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parent = Path(args[0]) if args else PROJECT_DIR.parent
    path = write_project(parent)
    print(f"GX project written to {path} ({len(SUITES)} raw suites)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
