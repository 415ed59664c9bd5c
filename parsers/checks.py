"""The arithmetic checks of SCHEMA.md, run on every record.

A failing check is data about the report (the page's own arithmetic is wrong), never an error
of the parser. A check runs only where its inputs are present; blank cells count as 0 and the
check's ``where`` says which ones were.
"""

from __future__ import annotations

from . import templates as T

_APPLICANTS = T.APPLICATION_COLUMNS[:-1]


def _sum(row_values, names) -> tuple[int | float, list[str]]:
    """The sum of values (None counts as 0) and the names of the None ones. ``names`` is called
    with a value's index only for a None: most cells are numbers, and naming is the cost."""
    total, nulls = 0, []
    for i, value in enumerate(row_values):
        if value is None:
            nulls.append(names(i))
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
        present = [c for c in _APPLICANTS if c in row]
        parts, nulls = _sum([row[c] for c in present], present.__getitem__)
        total, tnull = _sum([row["total"]], lambda _: "total")
        out.append(_check("applications.row_sum", f"applications.{key}", parts, total, nulls + tnull))

    balance_rows = ("new_received", "carried_over", "total_processed", "carried_forward")
    if all(r in apps for r in balance_rows):
        for col in T.APPLICATION_COLUMNS:
            lhs, n1 = _sum([apps[r].get(col) for r in balance_rows[:2]],
                           lambda i, col=col: f"{balance_rows[i]}.{col}")
            rhs, n2 = _sum([apps[r].get(col) for r in balance_rows[2:]],
                           lambda i, col=col: f"{balance_rows[2 + i]}.{col}")
            out.append(_check("applications.balance", f"applications.*.{col}", lhs, rhs, n1 + n2))

    results = [r for r in T.APPLICATION_RESULT_ROWS if r in apps]
    if "total_processed" in apps and results:
        rows = [apps[r] for r in results]
        for col in T.APPLICATION_COLUMNS:
            parts, nulls = _sum([row.get(col) for row in rows],
                                lambda i, col=col: f"{results[i]}.{col}")
            total, tnull = _sum([apps["total_processed"].get(col)],
                                lambda _, col=col: f"total_processed.{col}")
            out.append(_check("applications.results_sum", f"applications.total_processed.{col}",
                              parts, total, nulls + tnull))

    for group, row in (tables.get("review_litigation") or {}).items():
        if "total" not in row:
            continue
        parts, nulls = _sum([row.get(c) for c in T.REVIEW_COLUMNS[:-1]], T.REVIEW_COLUMNS.__getitem__)
        total, tnull = _sum([row["total"]], lambda _: "total")
        out.append(_check("review_litigation.group_sum", f"review_litigation.{group}",
                          parts, total, nulls + tnull))
    return out
