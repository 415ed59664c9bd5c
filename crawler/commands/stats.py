"""``scrapy stats``: what the store holds, counted in the database (aggregations).

Reports by year, province, template and site; distinct reports (copies on several portals
once); coverage per province and year; reports with failing checks per site and failing checks
per rule (own and cross-year); reports without tables; recent crawls with their outcome,
failing reports and challenges. Takes the filters of ``export``; ``--json`` for machines.
Tables are aligned for Chinese text.
"""

from __future__ import annotations

import json
import sys

from crawler.analysis import textable
from crawler.analysis.crawls import describe
from crawler.commands import filters
from crawler.store.command import StoreCommand
from crawler.store.database import StoreError


def recent_crawls(store) -> list[dict]:
    """The recent crawls, or none when the ``crawls`` collection cannot be read: the counts
    of the reports stand without them."""
    try:
        return [describe(c) for c in store.recent_crawls(10)]
    except StoreError as exc:
        print(f"warning: {exc}", file=sys.stderr)
        return []


def _sorted(pairs):
    return sorted(pairs, key=lambda kv: (kv[0] is None, str(kv[0])))


class Command(StoreCommand):
    readonly = True

    def short_desc(self):
        return "Reports by year, region, template, site; failing checks; coverage; crawls"

    def add_options(self, parser):
        super().add_options(parser)
        filters.add_options(parser)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def gather(self, store, query: dict) -> dict:
        def by(field):
            return _sorted((k.get("v"), n) for k, n in store.count_by({"v": f"${field}"}, query))

        # The failing reports counted per site and rule from an index: no report is read.
        checks = store.failing_counts(query)
        coverage = store.count_by({"province": "$region.province", "year": "$year"}, query)
        return {
            "store": store.describe(),
            "filters": query and str(query),
            "reports": store.count_reports(query),
            "distinct_reports": store.count_distinct("report_key", query),
            "pages": store.count_pages(),
            "by_year": by("year"), "by_province": by("region.province"),
            "by_template": by("template"), "by_site": by("site"),
            "coverage": sorted(([k.get("province"), k.get("year"), n] for k, n in coverage),
                               key=lambda r: (str(r[0]), r[1] or 0)),
            "reports_failing_checks": checks["reports"],
            "reports_failing_checks_by_site": _sorted(checks["by_site"]),
            "failing_checks_by_rule": checks["rules"],
            # The parser gives template "unknown" exactly when it found no table (a query on
            # the template, not on the tables the embedded store keeps compressed).
            "reports_without_tables": store.count_reports(
                {"$and": [query, {"template": "unknown"}]} if query else {"template": "unknown"}),
            "crawls": recent_crawls(store),
        }

    def handle(self, args, opts):
        with self.open_store(opts) as store:
            stats = self.gather(store, filters.query(opts))
        if opts.json:
            print(json.dumps(stats, ensure_ascii=False, default=str, indent=1))
            return
        print(f"{stats['reports']} reports ({stats['distinct_reports']} distinct), "
              f"{stats['pages']} pages in the {stats['store']}"
              + (f"; {filters.describe(opts)}" if stats["filters"] else ""))
        for title, key in (("by year", "by_year"), ("by province", "by_province"),
                           ("by template", "by_template"), ("by site", "by_site")):
            print(title)
            print(textable.render(["", "reports"], [list(kv) for kv in stats[key]]))
        print("coverage (reports per province and year)")
        print(textable.render(["province", "year", "reports"], stats["coverage"]))
        print(f"reports with failing checks: {stats['reports_failing_checks']}")
        print(textable.render(["site", "reports"],
                              [list(kv) for kv in stats["reports_failing_checks_by_site"]]))
        print("failing checks by rule")
        print(textable.render(["rule", "checks"], [list(kv) for kv in stats["failing_checks_by_rule"]]))
        print(f"reports without tables: {stats['reports_without_tables']}")
        print("recent crawls")
        print(textable.render(
            ["started", "status", "sites", "pages", "new", "failing checks", "challenges"],
            [[str(c["started_at"]), c["status"], c["sites"], c["pages"], c["new"],
              c["failed_checks"], c["challenges"]] for c in stats["crawls"]]))
