"""The figures of the HTML report, as pure functions over light report rows.

A row is a report projected to :data:`FIELDS` (no sections, no cells). Copies of one report
on several portals (equal ``report_key``) count once in coverage and totals; the lists of
failing checks show every copy, since each portal's page is its own source.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from parsers.templates import PROVINCES

from . import timeliness
from .checks import CROSSYEAR_FIELD, failing
from .duplicates import report_key

#: (label, dotted paths summed) of the headline totals.
HEADLINES = [
    ("applications received", ["tables.applications.new_received.total"]),
    ("granted in full", ["tables.applications.granted.total"]),
    ("administrative reviews", ["tables.review_litigation.review.total"]),
    ("lawsuits", ["tables.review_litigation.litigation_direct.total",
                  "tables.review_litigation.litigation_after_review.total"]),
]
FIELDS = ["url", "site", "organ", "year", "title", "published_at", "region", "template",
          "report_key", "content_sha256", *(p for _, paths in HEADLINES for p in paths)]
#: The checks, fetched only for the reports that fail one (a report has forty-odd checks).
CHECK_FIELDS = ["url", "checks", CROSSYEAR_FIELD]
UNKNOWN = "(unknown)"


def _get(doc: dict, path: str):
    if path in doc:  # a light row (:func:`light`) keeps the headline figures by their path
        return doc[path]
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def light(row: dict) -> dict:
    """``row`` as the report holds it in memory, one per stored report: the headline figures
    under their dotted paths instead of the nested ``tables``, and of the checks only the
    failing ones (all the report shows; a report has forty-odd checks)."""
    out = {k: v for k, v in row.items() if k not in ("tables", "checks", CROSSYEAR_FIELD)}
    for _, paths in HEADLINES:
        for path in paths:
            value = _get(row, path)
            if value is not None:
                out[path] = value
    for key in ("checks", CROSSYEAR_FIELD):
        if row.get(key):
            out[key] = [c for c in row[key] if not c.get("ok")]
    return out


def province(row: dict) -> str:
    region = row.get("region") or {}
    code = region.get("code") or ""
    return region.get("province") or PROVINCES.get(code[:2]) or UNKNOWN


def distinct(rows: Iterable[dict]) -> list[dict]:
    """One row per report: the first copy (by url) of each ``report_key``."""
    seen: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r.get("url") or ""):
        seen.setdefault(row.get("report_key") or report_key(row), row)
    return list(seen.values())


def coverage(rows: list[dict]) -> tuple[list[str], list[int], dict[tuple, int]]:
    """Provinces, years and distinct reports per (province, year)."""
    counts = Counter((province(r), r.get("year")) for r in distinct(rows) if r.get("year"))
    provinces = sorted({p for p, _ in counts}, key=lambda p: (p == UNKNOWN, p))
    years = sorted({y for _, y in counts})
    return provinces, years, dict(counts)


def site_years(rows: list[dict]) -> tuple[list[str], list[int], dict[tuple, int]]:
    """Reports per (site, year), every copy counted (a portal's own coverage)."""
    counts = Counter((r.get("site") or UNKNOWN, r.get("year")) for r in rows if r.get("year"))
    return (sorted({s for s, _ in counts}), sorted({y for _, y in counts}), dict(counts))


def totals(rows: list[dict], by_province: bool = False) -> dict[tuple, dict[str, float]]:
    """Headline sums per year (or per (province, year)) over distinct reports, with the number
    of reports that gave a figure."""
    out: dict[tuple, dict[str, float]] = defaultdict(lambda: {name: 0 for name, _ in HEADLINES}
                                                     | {"reports": 0})
    for r in distinct(rows):
        if not r.get("year"):
            continue
        key = (province(r), r["year"]) if by_province else (r["year"],)
        bucket = out[key]
        bucket["reports"] += 1
        for name, paths in HEADLINES:
            bucket[name] += sum(v for v in (_get(r, p) for p in paths)
                                if isinstance(v, int | float))
    return dict(out)


def failing_by_site(rows: list[dict]) -> dict[str, dict[str, list[tuple[dict, list[dict]]]]]:
    """site -> organ -> [(row, failing checks)], for reports with a failing check."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in sorted(rows, key=lambda r: (r.get("site") or "", r.get("organ") or "",
                                         r.get("year") or 0, r.get("url") or "")):
        bad = failing(r)
        if bad:
            out[r.get("site") or UNKNOWN][r.get("organ") or UNKNOWN].append((r, bad))
    return {s: dict(o) for s, o in out.items()}


def failing_rules(rows: list[dict]) -> Counter:
    """Failing checks per rule and, separately, reports failing each rule."""
    return Counter(c["rule"] for r in rows for c in failing(r))


def timeliness_table(rows: list[dict], today: dt.date) -> tuple[list[dict], list[dict]]:
    """Per distinct report its timeliness (:func:`timeliness.assess`), and the missing reports."""
    assessed = [timeliness.assess(r) for r in distinct(rows)]
    return assessed, timeliness.missing(rows, today)
