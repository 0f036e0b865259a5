"""Payroll ingest: absence and personnel files from the payroll/HR system, by dialect (see docs/payroll-formats.md).

`load_pending()` loads everything waiting in landing/payroll; `load_path(path)` loads one file.
"""

from frisk.payroll.load import load_path, load_pending

__all__ = ["load_path", "load_pending"]
