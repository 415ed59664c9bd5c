"""``scrapy reparse``: re-run the parser on stored raw pages (no network)."""

from __future__ import annotations

import datetime as dt
import fnmatch
import sys

from scrapy.exceptions import UsageError

from crawler.storecommand import StoreCommand
from parsers import PARSER_VERSION, parse_page

# Keys that describe the parse run rather than the page: not a change of the record.
_VOLATILE = {"parsed_at", "parser_version"}


def _version(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in str(v).split("."))


class Command(StoreCommand):
    def syntax(self):
        return "[--since DATE] [--below-version V] [--url GLOB]"

    def short_desc(self):
        return "Re-parse stored pages and update changed records"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--since", help="only reports seen on or after DATE (YYYY-MM-DD)")
        parser.add_argument("--below-version", help="only records parsed by a parser older than V")
        parser.add_argument("--url", help="only URLs matching this glob")

    def run(self, args, opts):
        query: dict = {}
        if opts.since:
            try:
                query["last_seen"] = {"$gte": dt.datetime.fromisoformat(opts.since)}
            except ValueError as exc:
                raise UsageError(f"--since: not a date: {opts.since!r}") from exc
        counts = {"changed": 0, "unchanged": 0, "failed": 0}
        tty = sys.stderr.isatty()
        with self.open_store(opts) as store:
            total = store.reports.count_documents(query)
            for n, old in enumerate(store.iter_reports(query), 1):
                url = old["url"]
                if opts.url and not fnmatch.fnmatch(url, opts.url):
                    continue
                if opts.below_version and _version(old.get("parser_version", "0")) >= _version(
                        opts.below_version):
                    continue
                page = store.page(old["page_sha256"])
                if page is None:
                    counts["failed"] += 1
                    print(f"{url}: page {old['page_sha256'][:12]} missing", file=sys.stderr)
                    continue
                record = parse_page(page["body"], url=url, content_type=page.get("content_type"))
                if any(old.get(k) != v for k, v in record.items() if k not in _VOLATILE):
                    store.replace_record(url, record)
                    counts["changed"] += 1
                else:
                    store.reports.update_one({"url": url},
                                             {"$set": {"parser_version": PARSER_VERSION}})
                    counts["unchanged"] += 1
                if tty:
                    width = 30
                    done = int(width * n / max(total, 1))
                    print(f"\r[{'#' * done}{'.' * (width - done)}] {n}/{total}", end="",
                          file=sys.stderr)
        if tty:
            print(file=sys.stderr)
        print(", ".join(f"{k} {v}" for k, v in counts.items()))
        if counts["failed"]:
            self.exitcode = 1
