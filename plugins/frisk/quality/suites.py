"""The raw-batch expectation suites, as code: one per raw table, each expectation critical or warning.

This is the source of the committed GX project in expectations/gx/ (`python -m frisk.quality.authoring` writes
it; tests/test_quality_suites.py fails when the two drift apart). Thresholds are `$PARAMETER`s filled from
expectations/gates.yml. Every suite checks: the schema (columns) and their types, required fields, value ranges,
plausible dates and to >= from, allowed codes, the row count against the previous batch (warning), and that no
text column holds anything shaped like a personnummer (a derived boolean column, so GX never sees the text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CRITICAL, WARNING = "critical", "warning"

# What the frame loader (frames.py) produces per PostgreSQL type family: a numpy dtype name, or for object
# columns (text, nullable int/bool, json) the Python type of every non-null value.
TYPE_LISTS: dict[str, list[str]] = {
    "text": ["str"],
    "int": ["int64", "int"],
    "num": ["float64"],
    "date": ["datetime64[s]"],
    "bool": ["bool"],
    "json": ["dict", "list"],
}

HEX64 = r"^[0-9a-f]{64}$"
ORG10 = r"^[0-9]{10}$"


def P(name: str) -> dict[str, str]:
    """A suite parameter, filled at run time from gates.yml."""
    return {"$PARAMETER": name}


@dataclass(frozen=True)
class Exp:
    type: str
    kwargs: dict[str, Any]
    severity: str = CRITICAL


def not_null(*cols: str, severity: str = CRITICAL) -> list[Exp]:
    return [Exp("expect_column_values_to_not_be_null", {"column": c}, severity) for c in cols]


def between(col: str, lo: Any = None, hi: Any = None, severity: str = CRITICAL, **kw: Any) -> Exp:
    return Exp("expect_column_values_to_be_between", {"column": col, "min_value": lo, "max_value": hi, **kw},
               severity)


def in_set(col: str, values: Any, severity: str = CRITICAL) -> Exp:
    return Exp("expect_column_values_to_be_in_set", {"column": col, "value_set": values}, severity)


def regex(col: str, pattern: str, severity: str = CRITICAL) -> Exp:
    return Exp("expect_column_values_to_match_regex", {"column": col, "regex": pattern}, severity)


def a_ge_b(a: str, b: str, severity: str = CRITICAL) -> Exp:
    return Exp("expect_column_pair_values_a_to_be_greater_than_b",
               {"column_A": a, "column_B": b, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
               severity)


def plausible_date(col: str, severity: str = CRITICAL) -> Exp:
    return between(col, P("earliest_date"), P("latest_date"), severity)


def amount(col: str, severity: str = CRITICAL, signed: bool = False, limit: str = "max_amount_sek") -> Exp:
    # a Decimal-free range: the frame holds floats; amounts may be negative only where credits are signed.
    # `limit` names the bound: one service or line (max_amount_sek), or a whole invoice or payment
    # (max_document_amount_sek: a large municipality's monthly FHV invoice runs to millions).
    low = {"$PARAMETER": "min_signed_amount"} if signed else 0
    if signed and limit != "max_amount_sek":
        low = {"$PARAMETER": "min_signed_document_amount"}
    return Exp("expect_column_values_to_be_between",
               {"column": col, "min_value": low, "max_value": P(limit)}, severity)


PNR_PREFIX = "pnr_shaped__"


@dataclass(frozen=True)
class RawSuite:
    table: str                         # raw.<table>
    columns: dict[str, str]            # column -> type family (TYPE_LISTS)
    scan_text: tuple[str, ...]         # free-text columns scanned for personnummer shapes
    expectations: list[Exp]
    extra_select: str = ""             # derived columns added by the frame query (alias `t` is the raw table)
    extra_columns: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"raw_{self.table}"

    def all_columns(self) -> list[str]:
        return [*self.columns, *self.extra_columns, *(PNR_PREFIX + c for c in self.scan_text)]

    def all_expectations(self) -> list[Exp]:
        out = [Exp("expect_table_columns_to_match_set", {"column_set": self.all_columns(), "exact_match": True})]
        for col, family in {**self.columns, **self.extra_columns}.items():
            out.append(Exp("expect_column_values_to_be_in_type_list",
                           {"column": col, "type_list": TYPE_LISTS[family]}))
        out.append(Exp("expect_table_row_count_to_be_between",
                       {"min_value": P("min_rows"), "max_value": P("max_rows")}, WARNING))
        out.extend(self.expectations)
        out.extend(in_set(PNR_PREFIX + c, [False]) for c in self.scan_text)
        return out


def _key_cols(*cols: str) -> list[Exp]:
    return [regex(c, HEX64) for c in cols]


SUITES: list[RawSuite] = [
    RawSuite(
        table="payroll_personnel",
        columns={"batch_id": "int", "line_no": "int", "employer_org_number": "text", "person_key": "text",
                 "birth_year": "int", "sex": "text", "is_coordination_number": "bool", "employment_id": "text",
                 "org_unit_code": "text", "org_unit_name": "text", "sector": "text", "occupation": "text",
                 "employment_rate_pct": "num", "weekly_hours": "num", "employment_start": "date",
                 "employment_end": "date"},
        scan_text=("employment_id", "org_unit_code", "org_unit_name", "occupation"),
        expectations=[
            *not_null("employer_org_number", "person_key", "birth_year", "sex", "employment_id", "org_unit_code"),
            regex("employer_org_number", ORG10), *_key_cols("person_key"),
            in_set("sex", P("sexes")),
            between("birth_year", P("birth_year_min"), P("birth_year_max")),
            between("employment_rate_pct", 0, 100),
            between("weekly_hours", 0, P("max_weekly_hours"), WARNING),
            in_set("sector", P("sectors"), WARNING),
            between("employment_start", P("earliest_employment_date"), P("latest_date"), WARNING),
            a_ge_b("employment_end", "employment_start"),
        ],
    ),
    RawSuite(
        table="payroll_absence",
        columns={"batch_id": "int", "line_no": "int", "employer_org_number": "text", "person_key": "text",
                 "employment_id": "text", "absence_cause_code": "text", "absence_category": "text",
                 "cause_is_known": "bool", "from_date": "date", "to_date": "date", "extent_pct": "num",
                 "hours": "num"},
        scan_text=("employment_id", "absence_cause_code"),
        # The employment must be known from a loaded personnel delivery of the same employer; an unknown one
        # is a warning (personnel may arrive a night later), and staging cannot place it in a unit.
        extra_select="""exists (
            select 1 from raw.payroll_personnel p
            join audit.batches pb on pb.batch_id = p.batch_id and pb.status = 'loaded'
            where p.employer_org_number = t.employer_org_number and p.person_key = t.person_key
              and p.employment_id = t.employment_id) as employment_known""",
        extra_columns={"employment_known": "bool"},
        expectations=[
            *not_null("employer_org_number", "person_key", "employment_id", "absence_cause_code",
                      "absence_category", "from_date", "extent_pct"),
            regex("employer_org_number", ORG10), *_key_cols("person_key"),
            between("extent_pct", 0, 100, strict_min=True),
            plausible_date("from_date"), plausible_date("to_date"),
            a_ge_b("to_date", "from_date"),
            in_set("absence_category", P("absence_categories")),
            in_set("cause_is_known", [True], WARNING),
            in_set("employment_known", [True], WARNING),
            between("hours", 0, 24 * 366, WARNING),
        ],
    ),
    RawSuite(
        table="invoice_documents",
        columns={"batch_id": "int", "document_type": "text", "invoice_number": "text", "type_code": "text",
                 "issue_date": "date", "due_date": "date", "currency": "text", "supplier_org_number": "text",
                 "supplier_vat_number": "text", "supplier_name": "text", "buyer_org_number": "text",
                 "buyer_vat_number": "text", "buyer_name": "text", "buyer_reference": "text",
                 "order_reference": "text", "billing_reference": "text", "line_extension_amount": "num",
                 "allowance_total_amount": "num", "charge_total_amount": "num", "tax_exclusive_amount": "num",
                 "tax_amount": "num", "tax_inclusive_amount": "num", "prepaid_amount": "num",
                 "payable_rounding_amount": "num", "payable_amount": "num", "sign": "int",
                 "document_sha256": "text"},
        scan_text=("buyer_reference", "order_reference", "supplier_name", "buyer_name"),
        expectations=[
            *not_null("document_type", "invoice_number", "issue_date", "currency", "supplier_org_number",
                      "buyer_org_number"),
            in_set("document_type", P("document_types")),
            in_set("sign", [1, -1]),
            in_set("currency", P("currencies"), WARNING),
            regex("supplier_org_number", ORG10), regex("buyer_org_number", ORG10, WARNING),
            plausible_date("issue_date"),
            a_ge_b("due_date", "issue_date", WARNING),
            amount("tax_exclusive_amount", limit="max_document_amount_sek"),
            amount("tax_inclusive_amount", limit="max_document_amount_sek"),
            amount("payable_amount", WARNING, limit="max_document_amount_sek"),
            between("tax_amount", 0, P("max_document_amount_sek")),
            a_ge_b("tax_inclusive_amount", "tax_exclusive_amount"),
        ],
    ),
    RawSuite(
        table="invoice_lines",
        columns={"batch_id": "int", "supplier_org_number": "text", "invoice_number": "text", "line_id": "text",
                 "quantity": "num", "unit_code": "text", "net_amount": "num", "item_name": "text",
                 "seller_item_id": "text", "classification": "text", "tax_category": "text",
                 "tax_percent": "num", "price_amount": "num", "period_start": "date", "period_end": "date",
                 "note": "text", "person_key": "text", "birth_year": "int", "sex": "text",
                 "service_code": "text", "performer": "text", "properties": "json"},
        scan_text=("item_name", "note", "service_code", "performer", "seller_item_id"),
        expectations=[
            *not_null("invoice_number", "line_id", "net_amount"),
            *_key_cols("person_key"),
            in_set("sex", P("sexes")),
            between("birth_year", P("birth_year_min"), P("birth_year_max"), WARNING),
            amount("net_amount", signed=True),
            between("tax_percent", 0, 100),
            in_set("tax_category", P("tax_categories"), WARNING),
            plausible_date("period_start"), plausible_date("period_end"),
            a_ge_b("period_end", "period_start"),
        ],
    ),
    RawSuite(
        table="invoice_specifications",
        columns={"batch_id": "int", "line_no": "int", "invoice_number": "text", "supplier_org_number": "text",
                 "invoice_line_id": "text", "service_date": "date", "person_key": "text", "birth_year": "int",
                 "sex": "text", "service_code": "text", "service_name": "text", "performer_competence": "text",
                 "amount_net": "num"},
        scan_text=("service_code", "service_name", "performer_competence", "invoice_line_id"),
        expectations=[
            *not_null("invoice_number", "supplier_org_number", "service_date", "person_key", "amount_net"),
            regex("supplier_org_number", ORG10), *_key_cols("person_key"),
            in_set("sex", P("sexes")),
            between("birth_year", P("birth_year_min"), P("birth_year_max"), WARNING),
            plausible_date("service_date"),
            amount("amount_net", signed=True),
            *not_null("service_code", "performer_competence", severity=WARNING),
        ],
    ),
    RawSuite(
        table="payments",
        columns={"batch_id": "int", "line_no": "int", "invoice_number": "text", "supplier_org_number": "text",
                 "paid_date": "date", "amount": "num"},
        scan_text=("invoice_number",),
        expectations=[
            *not_null("invoice_number", "supplier_org_number", "paid_date", "amount"),
            regex("supplier_org_number", ORG10),
            plausible_date("paid_date"),
            amount("amount", signed=True, limit="max_document_amount_sek"),
        ],
    ),
    RawSuite(
        table="fk_statistics",
        columns={"batch_id": "int", "response_id": "int", "source_file": "text", "sheet": "text",
                 "row_no": "int", "period_month": "date", "region_level": "text", "region_code": "text",
                 "region_name": "text", "age_band": "text", "sex": "text", "measure": "text", "value": "num",
                 "is_suppressed": "bool"},
        scan_text=("region_name", "age_band"),
        expectations=[
            *not_null("period_month", "region_level", "region_code", "age_band", "sex", "measure"),
            in_set("region_level", P("region_levels")),
            regex("region_code", r"^[0-9]{2}(?:[0-9]{2})?$"),
            in_set("sex", P("sexes_with_total")),
            between("period_month", P("earliest_statistics_date"), P("latest_date")),
            between("value", 0, P("max_statistic_value")),
        ],
    ),
    RawSuite(
        table="kolada_values",
        columns={"batch_id": "int", "response_id": "int", "kpi": "text", "municipality_id": "text",
                 "period_year": "int", "gender": "text", "value": "num", "count": "int", "status": "text"},
        scan_text=("status",),
        expectations=[
            *not_null("kpi", "municipality_id", "period_year", "gender"),
            regex("municipality_id", r"^[0-9]{4}$"),
            in_set("gender", P("sexes_with_total")),
            between("period_year", P("earliest_statistics_year"), P("latest_year")),
            between("value", 0, None, WARNING),
        ],
    ),
]

SUITES_BY_TABLE = {s.table: s for s in SUITES}
