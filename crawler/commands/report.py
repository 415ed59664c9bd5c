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
from crawler.analysis.checks import failing, failing_query
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
            rows = [summary.light(r) for r in store.report_rows(query, summary.FIELDS)]
            failing_only = {"$and": [query, failing_query()]}
            checks = {r["url"]: summary.light(r)
                      for r in store.report_rows(failing_only, summary.CHECK_FIELDS)}
            for row in rows:
                row.update(checks.get(row["url"], {}))
            crawls = recent_crawls(store)
            href = None
            written = 0
            if not opts.no_review:
                review_dir.mkdir(parents=True, exist_ok=True)
                known = {r["url"] for r in rows if failing(r)}  # the ones with a review page

                def href(url, _known=known):
                    return (f"{review_dir.name}/{review.slug(url)}" if url in _known else url)

                back = f"../{out.name}"
                for record in store.iter_reports(failing_only):
                    page = store.page(record.get("page_sha256")) if record.get("page_sha256") else None
                    html = review.render(record, page, back=back,
                                         review_href=lambda u: review.slug(u) if u in known else u)
                    (review_dir / review.slug(record["url"])).write_text(html, encoding="utf-8")
                    written += 1
            # Written a section at a time, under a temporary name: a report that fails midway
            # leaves the previous one in place.
            part = out.with_name(out.name + ".part")
            with part.open("w", encoding="utf-8") as page:
                for chunk in report.chunks(rows, today=today, review_href=href,
                                           filters=filters.describe(opts),
                                           source=store.describe(), crawls=crawls):
                    page.write(chunk)
            os.replace(part, out)
        print(f"report of {len(rows)} reports: {out}"
              + (f" (+ {written} review pages in {review_dir})" if written else ""),
              file=sys.stderr)
