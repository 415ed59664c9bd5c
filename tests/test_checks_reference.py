"""The arithmetic checks give what the straightforward checker gave, on any table.

The checker reads full rows and columns in C (itemgetter, zip) and skips naming blanks when
there are none; hypothesis builds application and review tables with missing columns, blank
cells, floats and rows, and compares every check with the previous checker (kept here).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import templates as T
from parsers.checks import run_checks

_APPLICANTS = T.APPLICATION_COLUMNS[:-1]


def _reference_sum(row_values, names) -> tuple[int | float, list[str]]:
    """The previous _sum."""
    total, nulls = 0, []
    for i, value in enumerate(row_values):
        if value is None:
            nulls.append(names(i))
        else:
            total += value
    return total, nulls


def _reference_check(rule: str, where: str, expected, actual, nulls: list[str]) -> dict:
    if nulls:
        where = f"{where} (blank as 0: {', '.join(nulls)})"
    return {"rule": rule, "where": where, "expected": expected, "actual": actual,
            "ok": abs(expected - actual) < 1e-9}


def reference_run_checks(tables: dict) -> list[dict]:
    out: list[dict] = []
    apps = tables.get("applications") or {}
    for key, row in apps.items():
        if "total" not in row or not any(c in row for c in _APPLICANTS):
            continue
        present = [c for c in _APPLICANTS if c in row]
        parts, nulls = _reference_sum([row[c] for c in present], present.__getitem__)
        total, tnull = _reference_sum([row["total"]], lambda _: "total")
        out.append(_reference_check("applications.row_sum", f"applications.{key}", parts, total, nulls + tnull))

    balance_rows = ("new_received", "carried_over", "total_processed", "carried_forward")
    if all(r in apps for r in balance_rows):
        for col in T.APPLICATION_COLUMNS:
            lhs, n1 = _reference_sum([apps[r].get(col) for r in balance_rows[:2]],
                           lambda i, col=col: f"{balance_rows[i]}.{col}")
            rhs, n2 = _reference_sum([apps[r].get(col) for r in balance_rows[2:]],
                           lambda i, col=col: f"{balance_rows[2 + i]}.{col}")
            out.append(_reference_check("applications.balance", f"applications.*.{col}", lhs, rhs, n1 + n2))

    results = [r for r in T.APPLICATION_RESULT_ROWS if r in apps]
    if "total_processed" in apps and results:
        rows = [apps[r] for r in results]
        for col in T.APPLICATION_COLUMNS:
            parts, nulls = _reference_sum([row.get(col) for row in rows],
                                lambda i, col=col: f"{results[i]}.{col}")
            total, tnull = _reference_sum([apps["total_processed"].get(col)],
                                lambda _, col=col: f"total_processed.{col}")
            out.append(_reference_check("applications.results_sum", f"applications.total_processed.{col}",
                              parts, total, nulls + tnull))

    for group, row in (tables.get("review_litigation") or {}).items():
        if "total" not in row:
            continue
        parts, nulls = _reference_sum([row.get(c) for c in T.REVIEW_COLUMNS[:-1]], T.REVIEW_COLUMNS.__getitem__)
        total, tnull = _reference_sum([row["total"]], lambda _: "total")
        out.append(_reference_check("review_litigation.group_sum", f"review_litigation.{group}",
                          parts, total, nulls + tnull))
    return out


VALUE = st.one_of(st.none(), st.integers(-5, 500), st.sampled_from([0.5, 1.25, -0.0, 3.0]))


def _row(columns):
    return st.fixed_dictionaries({}, optional={c: VALUE for c in columns})


def _full_row(columns):
    return st.fixed_dictionaries({c: VALUE for c in columns})


APPS = st.dictionaries(st.sampled_from([k for k, _ in T.APPLICATION_ROWS]),
                       st.one_of(_full_row(T.APPLICATION_COLUMNS), _row(T.APPLICATION_COLUMNS)),
                       max_size=len(T.APPLICATION_ROWS))
REVIEW = st.dictionaries(st.sampled_from([g for g, _ in T.REVIEW_GROUPS]),
                         st.one_of(_full_row(T.REVIEW_COLUMNS), _row(T.REVIEW_COLUMNS)), max_size=3)


@settings(max_examples=400, deadline=None)
@given(APPS, REVIEW)
def test_checks_match_the_reference_checker(apps, review):
    tables = {"applications": apps, "review_litigation": review}
    assert run_checks(tables) == reference_run_checks(tables)


def test_every_rule_runs_on_a_full_table():
    row = dict.fromkeys(T.APPLICATION_COLUMNS, 1)
    apps = {key: dict(row) for key, _ in T.APPLICATION_ROWS}
    apps["granted"]["other_org"] = None
    tables = {"applications": apps, "review_litigation": {"review": dict.fromkeys(T.REVIEW_COLUMNS, 0)}}
    checks = run_checks(tables)
    assert {c["rule"] for c in checks} == {"applications.row_sum", "applications.balance",
                                           "applications.results_sum", "review_litigation.group_sum"}
    assert checks == reference_run_checks(tables)
    assert any("blank as 0: other_org" in c["where"] for c in checks)


#: Row and column keys as other callers of run_checks (re-parse, imports) may hand them: the
#: template's, and anything else.
ANY_KEY = st.one_of(st.sampled_from(T.APPLICATION_COLUMNS), st.text(max_size=6))


@st.composite
def _seven_keys(draw):
    """A row of as many keys as the template has columns, ``total`` among them, some of the
    others not the template's: the size the checker's fast path looks at."""
    keys = {"total"}
    while len(keys) < len(T.APPLICATION_COLUMNS):
        keys.add(draw(ANY_KEY))
    return {k: draw(VALUE) for k in keys}


ODD_ROW = st.one_of(_seven_keys(), st.dictionaries(ANY_KEY, VALUE, max_size=9))
ODD_APPS = st.dictionaries(st.one_of(st.sampled_from([k for k, _ in T.APPLICATION_ROWS]),
                                     st.text(max_size=6)),
                           st.one_of(ODD_ROW, _full_row(T.APPLICATION_COLUMNS)),
                           max_size=len(T.APPLICATION_ROWS))


@settings(max_examples=400, deadline=None)
@given(ODD_APPS)
def test_rows_with_other_keys_give_what_the_reference_gives(apps):
    """run_checks is public: a row whose keys are not the template's columns (as many of them
    as the template has, or any number) is checked as the general path checks it."""
    tables = {"applications": apps}
    assert run_checks(tables) == reference_run_checks(tables)
