"""The numeric ranges of the warehouse columns the invoice sources are loaded into.

A value that does not fit its column (an amount of 10^14 SEK, a VAT rate of 10,000 %) must be refused by the
parser, naming the element or field and the line, not by COPY: PostgreSQL's NumericValueOutOfRange aborts the
whole file's transaction and surfaces as a crash the task retries every night. The types mirror
plugins/frisk/migrations/020_raw_invoices.sql and 021_invoice_details.sql (a test compares them with the
database); they are facts of the schema, not business rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Numeric:
    """A PostgreSQL `numeric(precision, scale)`: at most precision - scale digits before the decimal point."""

    precision: int
    scale: int

    @property
    def bound(self) -> Decimal:
        """The smallest absolute value that no longer fits (10^(precision - scale))."""
        return Decimal(10) ** (self.precision - self.scale)

    def fits(self, value: Decimal) -> bool:
        """True when PostgreSQL stores `value` in this column (finite, and below the bound after rounding)."""
        if not value.is_finite() or abs(value) >= self.bound:
            return False
        # PostgreSQL rounds half away from zero to the column's scale: 999999999999.995 becomes 10^12, too big.
        # (abs(value) < bound here, so quantize stays within the decimal context's 28 digits.)
        rounded = value.quantize(Decimal(1).scaleb(-self.scale), rounding=ROUND_HALF_UP)
        return abs(rounded) < self.bound

    def describe(self) -> str:
        return (f"numeric({self.precision},{self.scale}), which holds less than 10^{self.precision - self.scale} "
                "in absolute value")


AMOUNT = Numeric(14, 2)  # every money column (net, totals, VAT, allowances, specification and payment amounts)
QUANTITY = Numeric(14, 4)  # quantity, price, base quantity on an invoice line
PERCENT = Numeric(6, 2)  # VAT rates

# column -> range, checked against information_schema by tests/test_reliability_corpus.py
COLUMN_TYPES: dict[str, Numeric] = {
    **{f"raw.invoice_documents.{c}": AMOUNT for c in (
        "line_extension_amount", "allowance_total_amount", "charge_total_amount", "tax_exclusive_amount",
        "tax_amount", "tax_inclusive_amount", "prepaid_amount", "payable_rounding_amount", "payable_amount",
        "tax_amount_tax_currency")},
    "raw.invoice_lines.quantity": QUANTITY,
    "raw.invoice_lines.net_amount": AMOUNT,
    "raw.invoice_lines.tax_percent": PERCENT,
    "raw.invoice_lines.price_amount": QUANTITY,
    "raw.invoice_lines.base_quantity": QUANTITY,
    "raw.invoice_allowance_charges.amount": AMOUNT,
    "raw.invoice_allowance_charges.tax_percent": PERCENT,
    "raw.invoice_line_allowance_charges.amount": AMOUNT,
    "raw.invoice_line_allowance_charges.base_amount": AMOUNT,
    "raw.invoice_tax_subtotals.tax_percent": PERCENT,
    "raw.invoice_tax_subtotals.taxable_amount": AMOUNT,
    "raw.invoice_tax_subtotals.tax_amount": AMOUNT,
    "raw.invoice_specifications.amount_net": AMOUNT,
    "raw.payments.amount": AMOUNT,
}
