"""The arithmetic checks of SCHEMA.md, run on every record.

A failing check is data about the report (the page's own arithmetic is wrong), never an error
of the parser. A check runs only where its inputs are present; blank cells count as 0 and the
check's ``where`` says which ones were.
"""

from __future__ import annotations

from . import templates as T

_APPLICANTS = T.APPLICATION_COLUMNS[:-1]


def _sum(cells: list[tuple[str, int | float | None]]) -> tuple[int | float, list[str]]:
    total, nulls = 0, []
    for name, value in cells:
        if value is None:
            nulls.append(name)
        else:
            total += value
    return total, nulls


def _check(rule: str, where: str, expected, actual, nulls: list[str]) -> dict:
    if nulls:
        where = f"{where} (blank as 0: {', '.join(nulls)})"
    return {"rule": rule, "where": where, "expected": expected, "actual": actual,
            "ok": abs(expected - actual) < 1e-9}


def run_checks(tables: dict) -> list[dict]:
    out: list[dict] = []
    apps = tables.get("applications") or {}
    for key, row in apps.items():
        if "total" not in row or not any(c in row for c in _APPLICANTS):
            continue
        parts, nulls = _sum([(c, row.get(c)) for c in _APPLICANTS if c in row])
        total, tnull = _sum([("total", row["total"])])
        out.append(_check("applications.row_sum", f"applications.{key}", parts, total, nulls + tnull))

    balance_rows = ("new_received", "carried_over", "total_processed", "carried_forward")
    if all(r in apps for r in balance_rows):
        for col in T.APPLICATION_COLUMNS:
            lhs, n1 = _sum([(f"{r}.{col}", apps[r].get(col)) for r in balance_rows[:2]])
            rhs, n2 = _sum([(f"{r}.{col}", apps[r].get(col)) for r in balance_rows[2:]])
            out.append(_check("applications.balance", f"applications.*.{col}", lhs, rhs, n1 + n2))

    results = [r for r in T.APPLICATION_RESULT_ROWS if r in apps]
    if "total_processed" in apps and results:
        for col in T.APPLICATION_COLUMNS:
            parts, nulls = _sum([(f"{r}.{col}", apps[r].get(col)) for r in results])
            total, tnull = _sum([(f"total_processed.{col}", apps["total_processed"].get(col))])
            out.append(_check("applications.results_sum", f"applications.total_processed.{col}",
                              parts, total, nulls + tnull))

    for group, row in (tables.get("review_litigation") or {}).items():
        if "total" not in row:
            continue
        parts, nulls = _sum([(c, row.get(c)) for c in T.REVIEW_COLUMNS[:-1]])
        total, tnull = _sum([("total", row["total"])])
        out.append(_check("review_litigation.group_sum", f"review_litigation.{group}",
                          parts, total, nulls + tnull))
    return out
