"""The demo-data generator behind `frisk demo-data`: a fictional region with two municipalities and three FHV
providers, written as landing files (payroll exports, PEPPOL invoices with specifications, payments).

`generate(out_dir, employees=2000, years=3, seed=42, end_date=None, *, intervention_effect=None) -> dict`
The world (units, occupations, rates, prices, the intervention effect) is described in `world.yaml`.
`MAX_EMPLOYEES`: the most distinct people Skatteverket's test-number ranges hold (about 225,000).
"""

from frisk.demo.generate import generate
from frisk.demo.personnummer import MAX_EMPLOYEES

__all__ = ["MAX_EMPLOYEES", "generate"]
