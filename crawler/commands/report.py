"""``scrapy report -o report.html``: the HTML report of the stored reports, with a review page
per report that fails a check (``report_review/<hash>.html`` beside it), so every failing
check opens against its source in two clicks. Takes the filters of ``export``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.analysis import report, review, summary
from crawler.analysis.checks import failing
from crawler.analysis.duplicates import report_key
from crawler.commands import filters
from crawler.commands.stats import recent_crawls
from crawler.store.command import StoreCommand


class Command(StoreCommand):
    readonly = True
    def syntax(self):
        return "-o report.html [filters]"

    def short_desc(self):
        return "Write an HTML report: coverage, timeliness, failing checks, totals"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", default="report.html", help="the HTML file")
        parser.add_argument("--today", help="judge deadlines as of this date (default: today)")
        parser.add_argument("--no-review", action="store_true",
                            help="link failing reports to their source URL, write no review pages")
        filters.add_options(parser)

    def handle(self, args, opts):
        try:
            today = dt.date.fromisoformat(opts.today) if opts.today else dt.date.today()
        except ValueError as exc:
            raise UsageError(f"--today: not a date: {opts.today!r}", print_help=False) from exc
        out = Path(opts.output)
        review_dir = out.with_name(out.stem + "_review")
        query = filters.query(opts)
        with self.open_store(opts) as store:
            figures = _figures(store, query, today)
            crawls = recent_crawls(store)

            def failing_rows(sites):
                """A site's failing reports with their checks, found through the index."""
                in_site = {"site": {"$in": sorted(sites, key=str)}}
                return (summary.light(r) for r in store.report_rows(
                    store.failing({"$and": [query, in_site]} if query else in_site),
                    summary.FAILING_FIELDS))

            href = None
            written = 0
            if not opts.no_review:
                review_dir.mkdir(parents=True, exist_ok=True)

                def href(url):
                    return f"{review_dir.name}/{review.slug(url)}"

                back = f"../{out.name}"
                for record in store.iter_reports(store.failing(query), ordered=False):
                    linked = _failing_among(store, query, record)
                    html = review.render(record, _page(store, record), back=back,
                                         review_href=lambda u, _l=linked: (
                                             review.slug(u) if u in _l else u))
                    (review_dir / review.slug(record["url"])).write_text(html, encoding="utf-8")
                    written += 1
            # Written a section at a time, under a temporary name: a report that fails midway
            # leaves the previous one in place.
            part = out.with_name(out.name + ".part")
            try:
                with part.open("w", encoding="utf-8") as page:
                    for chunk in report.chunks(figures, failing_rows, review_href=href,
                                               filters=filters.describe(opts),
                                               source=store.describe(), crawls=crawls):
                        page.write(chunk)
            finally:
                figures.close()
            os.replace(part, out)
        print(f"report of {figures.stored} reports: {out}"
              + (f" (+ {written} review pages in {review_dir})" if written else ""),
              file=sys.stderr)


def _figures(store, query: dict, today: dt.date) -> summary.Figures:
    """The report's figures in one pass over the reports, in (organ, year, url) order from
    their index: memory holds counts and the lists the report shows, not the reports."""
    figures = summary.Figures(today, store.latest_year(query))
    firsts = store.first_copies(query)  # the copies of a report on several portals
    unkeyed: dict[str, str] = {}  # reports stored without a report_key (none are written so)
    for doc in store.report_rows(query, summary.PASS_FIELDS, sort=summary.ORDER):
        row = summary.light(doc)
        url = row.get("url") or ""
        if row.get("report_key"):
            first = firsts.get(row["report_key"], url) == url
        else:
            first = unkeyed.setdefault(report_key(row), url) == url
        figures.add(row, first)
    return figures.finish()


def _failing_among(store, query: dict, record: dict) -> set[str]:
    """The reports a failing record's cross-year checks name that have a review page too
    (they match the filters and fail a check)."""
    others = sorted({c["other_url"] for c in failing(record) if c.get("other_url")})
    if not others:
        return set()
    named = {"url": {"$in": others}}
    return {r["url"] for r in store.report_rows(
        store.failing({"$and": [query, named]} if query else named), ["url"])}


def _page(store, record: dict) -> dict | None:
    return store.page(record["page_sha256"]) if record.get("page_sha256") else None
