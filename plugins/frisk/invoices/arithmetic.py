"""The EN 16931 / PEPPOL BIS 3 calculation rules: a document whose totals do not add up is rejected.

Each failed rule becomes one sentence naming the rule, the total that is off, what it should be and by how
much, so the supplier can be told exactly what to correct. Amounts are compared to the cent; two rules allow
the slack the PEPPOL validation artefacts allow (line net from price x quantity, VAT from taxable amount x
rate), because suppliers legitimately round there.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from frisk.invoices.ubl import Document
from frisk.loading import FileRejected

CENT = Decimal("0.01")
LINE_NET_SLACK = Decimal("0.02")  # PEPPOL-EN16931-R120
VAT_SLACK = Decimal("1")  # BR-CO-17 as validated: within one currency unit (VAT may be rounded per line)


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _off(rule: str, what: str, printed: Decimal, expected: Decimal, basis: str, line: int | None) -> str:
    diff = _money(printed) - _money(expected)
    where = f" (line {line})" if line else ""
    return f"{rule}: {what} is {_money(printed)} but {basis} gives {_money(expected)}; off by {diff:+}{where}"


def problems(doc: Document) -> list[str]:
    """Every calculation rule the document breaks, in document order (empty: the arithmetic holds)."""
    out: list[str] = []
    tl = doc.totals_sourceline

    for ln in doc.lines:
        if ln.quantity is None or ln.price_amount is None:
            continue
        base = ln.base_quantity if ln.base_quantity not in (None, Decimal(0)) else Decimal(1)
        expected = ln.quantity * ln.price_amount / base
        expected += sum((a.amount for a in ln.allowance_charges if a.is_charge), Decimal(0))
        expected -= sum((a.amount for a in ln.allowance_charges if not a.is_charge), Decimal(0))
        if abs(ln.net_amount - expected) > LINE_NET_SLACK:
            out.append(
                _off(
                    "PEPPOL-EN16931-R120",
                    f"line {ln.line_id} net amount (LineExtensionAmount)",
                    ln.net_amount,
                    expected,
                    "quantity x price / base quantity + charges - allowances",
                    ln.sourceline,
                )
            )

    line_sum = sum((ln.net_amount for ln in doc.lines), Decimal(0))
    if _money(line_sum) != _money(doc.line_extension_amount):
        out.append(
            _off(
                "BR-CO-10",
                "LineExtensionAmount (sum of line net amounts)",
                doc.line_extension_amount,
                line_sum,
                f"the sum of the {len(doc.lines)} line net amounts",
                tl,
            )
        )

    allowances = sum((a.amount for a in doc.allowance_charges if not a.is_charge), Decimal(0))
    charges = sum((a.amount for a in doc.allowance_charges if a.is_charge), Decimal(0))
    if _money(allowances) != _money(doc.allowance_total_amount):
        out.append(
            _off(
                "BR-CO-11",
                "AllowanceTotalAmount",
                _money(doc.allowance_total_amount),
                allowances,
                "the sum of document-level allowances",
                tl,
            )
        )
    if _money(charges) != _money(doc.charge_total_amount):
        out.append(
            _off(
                "BR-CO-12",
                "ChargeTotalAmount",
                _money(doc.charge_total_amount),
                charges,
                "the sum of document-level charges",
                tl,
            )
        )

    tax_exclusive = (
        _money(doc.line_extension_amount)
        - _money(doc.allowance_total_amount)
        + _money(doc.charge_total_amount)
    )
    if _money(doc.tax_exclusive_amount) != tax_exclusive:
        out.append(
            _off(
                "BR-CO-13",
                "TaxExclusiveAmount",
                doc.tax_exclusive_amount,
                tax_exclusive,
                "LineExtensionAmount - AllowanceTotalAmount + ChargeTotalAmount",
                tl,
            )
        )

    if doc.tax_subtotals:
        sub_sum = sum((s.tax_amount for s in doc.tax_subtotals), Decimal(0))
        if _money(sub_sum) != _money(doc.tax_amount):
            out.append(
                _off(
                    "BR-CO-14",
                    "TaxAmount (VAT total)",
                    doc.tax_amount,
                    sub_sum,
                    "the sum of the VAT breakdown amounts",
                    tl,
                )
            )
    out.extend(_vat_breakdown(doc))

    tax_inclusive = _money(doc.tax_exclusive_amount) + _money(doc.tax_amount)
    if _money(doc.tax_inclusive_amount) != tax_inclusive:
        out.append(
            _off(
                "BR-CO-15",
                "TaxInclusiveAmount",
                doc.tax_inclusive_amount,
                tax_inclusive,
                "TaxExclusiveAmount + TaxAmount",
                tl,
            )
        )

    payable = (
        _money(doc.tax_inclusive_amount) - _money(doc.prepaid_amount) + _money(doc.payable_rounding_amount)
    )
    if _money(doc.payable_amount) != payable:
        out.append(
            _off(
                "BR-CO-16",
                "PayableAmount",
                doc.payable_amount,
                payable,
                "TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount",
                tl,
            )
        )
    return out


def _key(category: str | None, percent: Decimal | None) -> tuple[str, Decimal]:
    return (category or "?", (percent or Decimal(0)).normalize())


def _vat_breakdown(doc: Document) -> list[str]:
    """Per VAT category and rate: taxable amount = lines + charges - allowances (BR-S/E/Z/AE/K/G/O-08),
    and VAT = taxable x rate (BR-CO-17). Categories used on lines but missing from the breakdown are named."""
    out: list[str] = []
    expected: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for ln in doc.lines:
        expected[_key(ln.tax_category, ln.tax_percent)] += ln.net_amount
    for ac in doc.allowance_charges:
        expected[_key(ac.tax_category, ac.tax_percent)] += ac.amount if ac.is_charge else -ac.amount
    printed = {_key(s.category, s.percent): s for s in doc.tax_subtotals}
    if not doc.tax_subtotals:
        return [f"BR-CO-18: the document has no VAT breakdown (cac:TaxSubtotal) (line {doc.sourceline})"]
    for key, amount in expected.items():
        sub = printed.get(key)
        if sub is None:
            out.append(
                f"BR-CO-18: VAT category {key[0]} at {key[1]} % is used on lines or allowances/charges "
                f"but has no VAT breakdown (cac:TaxSubtotal); its taxable amount would be {_money(amount)}"
            )
            continue
        if _money(sub.taxable_amount) != _money(amount):
            out.append(
                _off(
                    f"BR-{key[0]}-08",
                    f"TaxableAmount for VAT category {key[0]} at {key[1]} %",
                    sub.taxable_amount,
                    amount,
                    "its lines + charges - allowances",
                    sub.sourceline,
                )
            )
    for key, sub in printed.items():
        if key not in expected:
            out.append(
                f"BR-{key[0]}-08: VAT breakdown for category {key[0]} at {key[1]} % has no lines or "
                f"allowances/charges in that category (line {sub.sourceline})"
            )
        vat = (sub.taxable_amount * sub.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(_money(sub.tax_amount) - vat) > VAT_SLACK:
            out.append(
                _off(
                    "BR-CO-17",
                    f"TaxAmount for VAT category {key[0]} at {key[1]} %",
                    sub.tax_amount,
                    vat,
                    "TaxableAmount x rate",
                    sub.sourceline,
                )
            )
    return out


def check(doc: Document) -> None:
    """Raise FileRejected listing every broken rule, naming the total that is off and by how much."""
    found = problems(doc)
    if found:
        kind = "credit note" if doc.document_type == "credit_note" else "invoice"
        raise FileRejected(
            f"{kind} {doc.invoice_number}: the totals do not add up ({len(found)} rule(s) broken):\n- "
            + "\n- ".join(found)
        )
