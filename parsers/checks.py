"""The arithmetic checks of SCHEMA.md, run on every record.

A failing check is data about the report (the page's own arithmetic is wrong), never an error
of the parser. A check runs only where its inputs are present; blank cells count as 0 and the
check's ``where`` says which ones were.
"""

from __future__ import annotations

import functools
import operator

from . import templates as T

_APPLICANTS = T.APPLICATION_COLUMNS[:-1]
_applicant_values = operator.itemgetter(*_APPLICANTS)


def _total_name(_: int) -> str:
    return "total"


def _sum(row_values, names) -> tuple[int | float, list[str]]:
    """The sum of values (None counts as 0) and the names of the None ones. ``names`` is called
    with a value's index only for a None: most cells are numbers, and naming is the cost."""
    total = 0
    if None not in row_values:  # the usual case: nothing to name
        for value in row_values:
            total += value
        return total, []
    nulls = []
    for i, value in enumerate(row_values):
        if value is None:
            nulls.append(names(i))
        else:
            total += value
    return total, nulls


def _plain_sum(values):
    """The sum of values none of which is None, added in order as :func:`_sum` does; None if
    one is. Counts are ints: sum() adds them in C (a None stops it)."""
    try:
        total = sum(values)
    except TypeError:
        return None
    if type(total) is not int:  # a float among them: sum() may round differently than + does
        total = functools.reduce(operator.add, values, 0)
    return total


def _check(rule: str, where: str, expected, actual, nulls: list[str]) -> dict:
    if nulls:
        where = f"{where} (blank as 0: {', '.join(nulls)})"
    return {"rule": rule, "where": where, "expected": expected, "actual": actual,
            "ok": abs(expected - actual) < 1e-9}


def _columns(rows: list[dict], names: list[str]) -> list[tuple]:
    """The values of ``rows`` column by column (``row.get(name)`` each), transposed in C when
    every row holds every column (the usual table: a missing one raises KeyError)."""
    try:
        return list(zip(*map(operator.itemgetter(*names), rows), strict=True))
    except KeyError:
        return [tuple(row.get(name) for row in rows) for name in names]


def run_checks(tables: dict) -> list[dict]:
    """The checks of a record's ``tables``. Public (re-parse, imports): rows may hold keys
    other than the template's columns; they are checked on the columns they do hold."""
    out: list[dict] = []
    apps = tables.get("applications") or {}
    for key, row in apps.items():
        if "total" not in row:
            continue
        values = None
        if len(row) == len(T.APPLICATION_COLUMNS):  # as many keys as the template's columns
            try:  # every applicant column (and total): exactly the template's, the usual row
                values = _applicant_values(row)
            except KeyError:  # other keys (a caller's row, not the parser's): the general path
                pass
        if values is not None:
            present = _APPLICANTS
            total = row["total"]
            parts = _plain_sum(values) if total is not None else None
            if parts is not None:  # no blank: nothing to name
                out.append({"rule": "applications.row_sum", "where": f"applications.{key}",
                            "expected": parts, "actual": 0 + total,
                            "ok": abs(parts - total) < 1e-9})
                continue
        else:
            present = [c for c in _APPLICANTS if c in row]
            if not present:
                continue
            values = [row[c] for c in present]
        parts, nulls = _sum(values, present.__getitem__)
        total, tnull = _sum((row["total"],), _total_name)
        out.append(_check("applications.row_sum", f"applications.{key}", parts, total, nulls + tnull))

    balance_rows = ("new_received", "carried_over", "total_processed", "carried_forward")
    if all(r in apps for r in balance_rows):
        columns = _columns([apps[r] for r in balance_rows], T.APPLICATION_COLUMNS)
        for col, column in zip(T.APPLICATION_COLUMNS, columns, strict=True):
            if None not in column:  # the usual column: nothing to name
                lhs, rhs = 0 + column[0] + column[1], 0 + column[2] + column[3]
                out.append({"rule": "applications.balance", "where": f"applications.*.{col}",
                            "expected": lhs, "actual": rhs, "ok": abs(lhs - rhs) < 1e-9})
                continue
            lhs, n1 = _sum(column[:2], lambda i, col=col: f"{balance_rows[i]}.{col}")
            rhs, n2 = _sum(column[2:], lambda i, col=col: f"{balance_rows[2 + i]}.{col}")
            out.append(_check("applications.balance", f"applications.*.{col}", lhs, rhs, n1 + n2))

    results = [r for r in T.APPLICATION_RESULT_ROWS if r in apps]
    if "total_processed" in apps and results:
        columns = _columns([apps[r] for r in results], T.APPLICATION_COLUMNS)
        processed = apps["total_processed"]
        for col, column in zip(T.APPLICATION_COLUMNS, columns, strict=True):
            total = processed.get(col)
            parts = _plain_sum(column) if total is not None else None
            if parts is not None:  # the usual column: no blank
                out.append({"rule": "applications.results_sum",
                            "where": f"applications.total_processed.{col}",
                            "expected": parts, "actual": 0 + total, "ok": abs(parts - total) < 1e-9})
                continue
            parts, nulls = _sum(column, lambda i, col=col: f"{results[i]}.{col}")
            total, tnull = _sum((processed.get(col),), lambda _, col=col: f"total_processed.{col}")
            out.append(_check("applications.results_sum", f"applications.total_processed.{col}",
                              parts, total, nulls + tnull))

    for group, row in (tables.get("review_litigation") or {}).items():
        if "total" not in row:
            continue
        parts, nulls = _sum([row.get(c) for c in T.REVIEW_COLUMNS[:-1]], T.REVIEW_COLUMNS.__getitem__)
        total, tnull = _sum((row["total"],), _total_name)
        out.append(_check("review_litigation.group_sum", f"review_litigation.{group}",
                          parts, total, nulls + tnull))
    return out
