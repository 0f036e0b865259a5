"""FHV invoices: PEPPOL BIS 3 e-invoices, per-employee specifications and accounts-payable payments.

`load_pending(run_id)` loads every waiting file and then reconciles specifications and payments with invoices.
Modules: xml_safety (hardened XML), ubl (Invoice/CreditNote reading), limits (the warehouse columns' numeric
ranges, checked while parsing), arithmetic (EN 16931 totals), documents
(rows and pseudonymisation), specification and payments (the CSV files), load (per file), reconcile
(findings).
"""

from __future__ import annotations


def load_pending(run_id: str | None = None) -> list[dict]:
    """Load all pending invoice, specification and payment files, then reconcile. One result dict per file."""
    from frisk.invoices.load import load_pending as _load_pending

    return _load_pending(run_id=run_id)


__all__ = ["load_pending"]
