"""A record's checks, its own (the parser's ``checks``) and the cross-year ones
(``crossyear_checks``, see :mod:`.crossyear`), and the table cells each check is about.

The cells are read from the check's ``where`` (SCHEMA.md): they are what the review page
highlights.
"""

from __future__ import annotations

from parsers import templates as T

#: The record field cross-year checks are stored in (beside the parser's own ``checks``).
CROSSYEAR_FIELD = "crossyear_checks"
_BALANCE_ROWS = ("new_received", "carried_over", "total_processed", "carried_forward")


def all_checks(record: dict) -> list[dict]:
    return list(record.get("checks") or []) + list(record.get(CROSSYEAR_FIELD) or [])


def failing(record: dict) -> list[dict]:
    return [c for c in all_checks(record) if not c.get("ok")]


def failing_query() -> dict:
    """A store query for reports with at least one failing check of either kind: the store
    keeps the rules of a report's own failing checks in ``failed_rules`` (the embedded store
    keeps ``checks`` compressed, out of queries)."""
    return {"$or": [{"failed_rules.0": {"$exists": True}},
                    {CROSSYEAR_FIELD: {"$elemMatch": {"ok": False}}}]}


def cells_of(check: dict) -> set[str]:
    """The ``table.row.column`` keys of the cells a check compares."""
    where = str(check.get("where") or "").split(" (", 1)[0].strip()
    parts = where.split(".")
    rule = check.get("rule", "")
    if rule == "applications.row_sum" and len(parts) == 2:
        return {f"applications.{parts[1]}.{c}" for c in T.APPLICATION_COLUMNS}
    if rule == "applications.balance" and len(parts) == 3:
        return {f"applications.{r}.{parts[2]}" for r in _BALANCE_ROWS}
    if rule == "review_litigation.group_sum" and len(parts) == 2:
        return {f"review_litigation.{parts[1]}.{c}" for c in T.REVIEW_COLUMNS}
    if len(parts) == 3:  # a single cell: results_sum's total, the cross-year checks
        return {where}
    return set()
