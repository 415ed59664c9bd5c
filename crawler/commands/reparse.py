"""``scrapy reparse``: derive the records again from the stored raw pages (no network).

The records are derived as the crawl derived them (:func:`crawler.derive.derive_record`, with
the origin stored on each report), so with an unchanged parser nothing changes.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import sys

from packaging.version import InvalidVersion, Version
from scrapy.exceptions import UsageError

from crawler.analysis import crossyear
from crawler.derive import Attachment, Origin, derive_record
from crawler.store.command import StoreCommand
from parsers import PARSER_VERSION

# Keys that describe the parse run rather than the page: not a change of the record.
_VOLATILE = {"parsed_at", "parser_version"}


def _version(v) -> Version:
    try:
        return Version(str(v))
    except InvalidVersion:
        return Version("0")


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

    def handle(self, args, opts):
        below = None
        if opts.below_version:
            try:
                below = Version(opts.below_version)
            except InvalidVersion as exc:
                raise UsageError(f"--below-version: not a version: {opts.below_version!r}",
                                 print_help=False) from exc
        query: dict = {}
        if opts.since:
            try:
                query["last_seen"] = {"$gte": dt.datetime.fromisoformat(opts.since)}
            except ValueError as exc:
                raise UsageError(f"--since: not a date: {opts.since!r}", print_help=False) from exc
        organs: set = set()
        counts = {"changed": 0, "unchanged": 0, "failed": 0}
        tty = sys.stderr.isatty()
        with self.open_store(opts) as store:
            total = store.count_reports(query)
            for n, old in enumerate(store.iter_reports(query), 1):
                url = old["url"]
                if opts.url and not fnmatch.fnmatch(url, opts.url):
                    continue
                if below and _version(old.get("parser_version", "0")) >= below:
                    continue
                page = store.page(old["page_sha256"])
                if page is None:
                    counts["failed"] += 1
                    print(f"{url}: page {old['page_sha256'][:12]} missing", file=sys.stderr)
                    continue
                files = [Attachment(ref["url"], store.page_body(ref["sha256"]),
                                    ref.get("content_type"))
                         for ref in old.get("attachments") or ()]
                if any(f.body is None for f in files):
                    counts["failed"] += 1
                    print(f"{url}: an attached file's page is missing", file=sys.stderr)
                    continue
                record = derive_record(page["body"], url, page.get("content_type"),
                                       Origin.of_report(old), files)
                if any(old.get(k) != v for k, v in record.items() if k not in _VOLATILE):
                    store.replace_record(url, record)
                    organs.update({old.get("organ"), record["organ"]})
                    counts["changed"] += 1
                else:
                    store.mark_parsed(url, PARSER_VERSION)
                    counts["unchanged"] += 1
                if tty:
                    width = 30
                    done = int(width * n / max(total, 1))
                    print(f"\r[{'#' * done}{'.' * (width - done)}] {n}/{total}", end="",
                          file=sys.stderr)
            crossyear.refresh(store, organs)
        if tty:
            print(file=sys.stderr)
        print(", ".join(f"{k} {v}" for k, v in counts.items()))
        if counts["failed"]:
            self.exitcode = 1
