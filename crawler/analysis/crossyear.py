"""Cross-year checks: an organ's report against its own report for the year before.

Two rules, both printed in the templates' logic but spanning two reports:

- ``crossyear.carried_over``: this year's 二、上年结转政府信息公开申请数量 equals last year's
  四、结转下年度继续办理, column by column.
- ``crossyear.items_carried`` (template 2019, both years): this year's 上一年项目数量 equals last
  year's 上一年项目数量 plus its 本年增/减, for each row that has both.

A check is ``{rule, where, expected, actual, ok, other_url, other_year}``: ``where`` names this
report's cell (and, in brackets, the other report's), ``expected`` is what last year's report
implies and ``actual`` what this one says. They are stored on the report under
``crossyear_checks`` (the parser's own ``checks`` stay as parsed, so re-parsing compares like
with like) and recomputed by :func:`refresh` whenever an organ's reports change.
"""

from __future__ import annotations

from collections.abc import Iterable

from parsers import templates as T

from .checks import CROSSYEAR_FIELD

#: The record fields :func:`link` reads (a store projection).
FIELDS = ["url", "organ", "year", "site", "template", "tables.applications.carried_over",
          "tables.applications.carried_forward", "tables.active_disclosure", CROSSYEAR_FIELD]


def _check(rule, where, expected, actual, other, nulls) -> dict:
    if nulls:
        where = f"{where}; blank as 0: {', '.join(nulls)}"
    return {"rule": rule, "where": where, "expected": expected, "actual": actual,
            "ok": abs(expected - actual) < 1e-9, "other_url": other.get("url"),
            "other_year": other.get("year")}


def compare(current: dict, previous: dict) -> list[dict]:
    """The cross-year checks of ``current`` against ``previous`` (the same organ, a year before)."""
    out: list[dict] = []
    year = previous.get("year")
    apps = (current.get("tables") or {}).get("applications") or {}
    prev_apps = (previous.get("tables") or {}).get("applications") or {}
    now_row, prev_row = apps.get("carried_over"), prev_apps.get("carried_forward")
    if now_row and prev_row:
        for col in T.APPLICATION_COLUMNS:
            if col not in now_row or col not in prev_row:
                continue
            a, e = now_row[col], prev_row[col]
            if a is None and e is None:
                continue
            nulls = [n for n, v in ((f"{year} carried_forward", e), ("carried_over", a)) if v is None]
            out.append(_check("crossyear.carried_over",
                              f"applications.carried_over.{col} (vs {year} "
                              f"applications.carried_forward.{col})",
                              e or 0, a or 0, previous, nulls))
    if current.get("template") == "2019" and previous.get("template") == "2019":
        active = (current.get("tables") or {}).get("active_disclosure") or {}
        prev_active = (previous.get("tables") or {}).get("active_disclosure") or {}
        for row, cols in active.items():
            prev = prev_active.get(row) or {}
            if "last_year_items" not in cols or not {"last_year_items", "change"} <= set(prev):
                continue
            a, p_items, p_change = cols["last_year_items"], prev["last_year_items"], prev["change"]
            if a is None and p_items is None:
                continue
            nulls = [n for n, v in (("last_year_items", a), (f"{year} last_year_items", p_items),
                                    (f"{year} change", p_change)) if v is None]
            out.append(_check("crossyear.items_carried",
                              f"active_disclosure.{row}.last_year_items (vs {year} "
                              f"last_year_items + change)",
                              (p_items or 0) + (p_change or 0), a or 0, previous, nulls))
    return out


def _previous(record: dict, candidates: list[dict]) -> dict | None:
    """Last year's report of the organ: the one on the same portal if there is one."""
    if not candidates:
        return None
    same_site = [c for c in candidates if c.get("site") == record.get("site")]
    return sorted(same_site or candidates, key=lambda c: c.get("url") or "")[0]


def link(records: Iterable[dict]) -> dict[str, list[dict]]:
    """url -> cross-year checks, for every record whose organ has a report a year earlier.

    Records without an organ or a year get no checks (``[]``): nothing ties them to another.
    """
    by_organ_year: dict[tuple, list[dict]] = {}
    records = list(records)
    for r in records:
        if r.get("organ") and r.get("year"):
            by_organ_year.setdefault((r["organ"], r["year"]), []).append(r)
    out = {}
    for r in records:
        prev = None
        if r.get("organ") and r.get("year"):
            prev = _previous(r, by_organ_year.get((r["organ"], r["year"] - 1), []))
        out[r["url"]] = compare(r, prev) if prev else []
    return out


def refresh(store, organs: Iterable[str] | None = None) -> int:
    """Recompute the cross-year checks of the given organs' reports (all when None) and store
    the ones that changed. Returns how many reports were updated."""
    organs = None if organs is None else sorted({o for o in organs if o})
    if organs == []:
        return 0
    groups = store.reports_by_organ(FIELDS, organs)
    changed = 0
    for records in groups:
        for url, checks in link(records).items():
            old = next(r.get(CROSSYEAR_FIELD) for r in records if r["url"] == url)
            if (old or []) != checks:
                store.set_report_fields(url, {CROSSYEAR_FIELD: checks})
                changed += 1
    return changed
