"""The figures of the HTML report, gathered one report row at a time (:class:`Figures`).

A row is a report projected to :data:`FIELDS` (no sections, no cells). Copies of one report
on several portals (equal ``report_key``) count once in coverage and totals; the lists of
failing checks show every copy, since each portal's page is its own source.

At national scale (300k reports) the rows are not held: ``scrapy report`` streams them from the
store in (organ, year, url) order into :class:`Figures`, which keeps counts, the lists the
report shows (late, undated and missing publishers) and one organ's years at a time. The
functions over lists of rows below are the same figures for rows in memory.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from parsers.templates import PROVINCES

from . import timeliness
from .checks import CROSSYEAR_FIELD, failing
from .duplicates import report_key
from .spill import Spill

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
#: What the store's pass over every report reads: :data:`FIELDS`, and which checks fail
#: without the checks themselves (the rules of the own failing ones, the cross-year checks).
PASS_FIELDS = [*FIELDS, "failed_rules", CROSSYEAR_FIELD]
#: What the list of a site's failing checks reads of each of its failing reports (the checks
#: are read only for these: a report has forty-odd).
FAILING_FIELDS = ["url", "site", "organ", "year", "checks", CROSSYEAR_FIELD]
#: The order of the store's pass: an organ's reports together (its missing years), each
#: year's first url first.
ORDER = [("organ", 1), ("year", 1), ("url", 1)]
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
    """``row`` as the report reads it: the headline figures under their dotted paths instead
    of the nested ``tables``, and of the checks only the failing ones (all the report shows; a
    report has forty-odd checks)."""
    out = {k: v for k, v in row.items()
           if k not in ("tables", "checks", CROSSYEAR_FIELD, "failed_rules")}
    for _, paths in HEADLINES:
        for path in paths:
            value = _get(row, path)
            if value is not None:
                out[path] = value
    for key in ("checks", CROSSYEAR_FIELD):
        if row.get(key):
            out[key] = [c for c in row[key] if not c.get("ok")]
    if "checks" not in row and row.get("failed_rules"):
        # The store's pass (:data:`PASS_FIELDS`) reads the rules of the failing checks, not
        # the checks: what the counts need.
        out["checks"] = [{"rule": rule, "ok": False} for rule in row["failed_rules"]]
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


class Figures:
    """The report's figures, gathered by :meth:`add` one row at a time and read once
    :meth:`finish` has run.

    Rows come in :data:`ORDER` (an organ's rows one after another: its missing years are
    found when it ends), each told whether it is the first copy of its report (the first by
    url of its ``report_key``: see :func:`distinct`). ``latest`` is the latest statistics year
    of any row with an organ. Memory: counts per year, province and site, and the rows the
    report lists (late, undated, missing), not one entry per report.
    """

    def __init__(self, today: dt.date, latest: int):
        self.today, self.latest = today, latest
        self.stored = self.distinct = self.organs = 0
        self.failing = self.crossyear_failing = 0
        self.sites: set = set()
        self.years: set = set()
        self.rules: Counter = Counter()
        #: site as shown (UNKNOWN for none) -> the stored values of its failing reports' site
        self.failing_sites: dict[str, set] = {}
        self.coverage_counts: Counter = Counter()
        self.site_year_counts: Counter = Counter()
        self.statuses: Counter = Counter()  # (year, status) over distinct reports
        self.year_totals: dict = defaultdict(_bucket)
        self.province_totals: dict = defaultdict(_bucket)
        # The lists the report shows, on disk (they grow with the store): late reports by days
        # late, then by url (the order the distinct reports come in), undated ones by url,
        # missing ones as found (by organ, then year).
        self.late = Spill(width=2)
        self.odd = Spill(width=1)  # undated, or dated before the year ended
        self.missing = Spill(width=1)
        self._organ = None
        self._organ_years: dict[int, str] = {}
        self._organ_distinct = False

    @classmethod
    def of(cls, rows: list[dict], today: dt.date | None = None) -> Figures:
        """The figures of rows in memory, in any order."""
        latest = max((r["year"] for r in rows if r.get("organ") and r.get("year")), default=0)
        firsts = {id(r) for r in distinct(rows)}
        out = cls(today or dt.date.today(), latest)
        for r in sorted(rows, key=_order):
            out.add(r, id(r) in firsts)
        return out.finish()

    def add(self, row: dict, first: bool) -> None:
        """One row (a light row: :func:`light`, or a record), ``first`` if it is the first
        copy of its report."""
        self.stored += 1
        site, year, organ = row.get("site"), row.get("year"), row.get("organ")
        self.sites.add(site)
        if year:
            self.site_year_counts[(site or UNKNOWN, year)] += 1
        bad = failing(row)
        if bad:
            self.failing += 1
            self.rules.update(c["rule"] for c in bad)
            self.failing_sites.setdefault(site or UNKNOWN, set()).add(site)
        self.crossyear_failing += sum(1 for c in row.get(CROSSYEAR_FIELD) or [] if not c["ok"])
        if organ != self._organ:
            self._end_organ()
            self._organ = organ
        if organ and year:
            self._organ_years.setdefault(year, row.get("url"))
        if first:
            self._add_distinct(row, bool(bad))

    def _add_distinct(self, row: dict, bad: bool) -> None:
        self.distinct += 1
        self._organ_distinct = self._organ_distinct or bool(row.get("organ"))
        a = timeliness.assess(row)
        if a["year"]:
            self.statuses[(a["year"], a["status"])] += 1
        if a["status"] == "late":
            self.late.add((-a["days_late"], a["url"] or ""), a)
        elif a["status"] in ("undated", "early"):
            self.odd.add((a["url"] or "",), dict(a, failing=bad))
        year = row.get("year")
        if not year:
            return
        self.years.add(year)
        where = province(row)
        self.coverage_counts[(where, year)] += 1
        for bucket in (self.year_totals[(year,)], self.province_totals[(where, year)]):
            bucket["reports"] += 1
            for name, paths in HEADLINES:
                bucket[name] += sum(v for v in (_get(row, p) for p in paths)
                                    if isinstance(v, int | float))

    def _end_organ(self) -> None:
        if self._organ_distinct:
            self.organs += 1
        if self._organ and self._organ_years:
            for m in timeliness.missing_of(self._organ, self._organ_years, self.latest,
                                           self.today):
                self.missing.add((len(self.missing),), m)
        self._organ_years, self._organ_distinct = {}, False

    def finish(self) -> Figures:
        """Close the last organ: the figures are complete."""
        self._end_organ()
        self._organ = None
        return self

    def close(self) -> None:
        """Drop the lists' temporary files."""
        for spill in (self.late, self.odd, self.missing):
            spill.close()

    def coverage(self) -> tuple[list[str], list[int], dict[tuple, int]]:
        """Provinces, years and distinct reports per (province, year)."""
        counts = self.coverage_counts
        provinces = sorted({p for p, _ in counts}, key=lambda p: (p == UNKNOWN, p))
        return provinces, sorted({y for _, y in counts}), dict(counts)

    def site_years(self) -> tuple[list[str], list[int], dict[tuple, int]]:
        """Reports per (site, year), every copy counted (a portal's own coverage)."""
        counts = self.site_year_counts
        return (sorted({s for s, _ in counts}), sorted({y for _, y in counts}), dict(counts))

    def totals(self, by_province: bool = False) -> dict[tuple, dict[str, float]]:
        """Headline sums per year (or per (province, year)) over distinct reports, with the
        number of reports that gave a figure."""
        return dict(self.province_totals if by_province else self.year_totals)


def _bucket() -> dict:
    return {name: 0 for name, _ in HEADLINES} | {"reports": 0}


def _order(row: dict) -> tuple:
    """:data:`ORDER` for rows in memory (a missing organ or year first, as the stores sort)."""
    year = row.get("year")
    return (row.get("organ") or "", year is not None, year or 0, row.get("url") or "")


def coverage(rows: list[dict]) -> tuple[list[str], list[int], dict[tuple, int]]:
    """Provinces, years and distinct reports per (province, year)."""
    return Figures.of(rows).coverage()


def site_years(rows: list[dict]) -> tuple[list[str], list[int], dict[tuple, int]]:
    """Reports per (site, year), every copy counted (a portal's own coverage)."""
    return Figures.of(rows).site_years()


def totals(rows: list[dict], by_province: bool = False) -> dict[tuple, dict[str, float]]:
    """Headline sums per year (or per (province, year)) over distinct reports, with the number
    of reports that gave a figure."""
    return Figures.of(rows).totals(by_province)


def failing_by_site(rows) -> dict[str, dict[str, list[tuple[dict, list[dict]]]]]:
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
    return Figures.of(rows).rules
