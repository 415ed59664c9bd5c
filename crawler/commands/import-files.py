"""``scrapy import-files DIR...``: parse local report files into the store as if crawled.

Each file's record is derived as a crawl derives it (:mod:`crawler.derive`), under the URL
``file://<absolute path>``. A file that cannot be read, parsed or stored is reported and the
others are imported; the failures are listed at the end and the exit status is 2."""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler import sites as registry
from crawler.derive import Origin, derive_record
from crawler.store import BodyTooLarge
from crawler.store.command import StoreCommand

SUFFIXES = {".html", ".htm", ".shtml", ".txt", ".md"}
CONTENT_TYPES = {".txt": "text/plain", ".md": "text/plain"}


class Command(StoreCommand):
    takes_arguments = True

    def syntax(self):
        return "DIR_OR_FILE [...]"

    def short_desc(self):
        return "Parse local HTML/text report files into the store (url file://...)"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--site", help="site id to record on the reports")
        parser.add_argument("--region", help="the site's 6-digit region code, for reports "
                                             "that name none (as a crawl takes it from the registry)")

    def origin(self, opts) -> Origin:
        """The site the files stand for: its region from ``--region``, else from the registry
        when ``--site`` names a registry site (as a crawl of that site would record)."""
        region = opts.region
        if opts.site and not region:
            sites = {s.id: s for s in registry.load(self.settings.get("SITES_REGISTRY"),
                                                    self.settings.get("SITES_BASE_URL"))}
            region = sites[opts.site].region if opts.site in sites else None
        return Origin(opts.site, region)

    def handle(self, args, opts):
        if not args:
            raise UsageError("give at least one directory or file")
        files, failures = [], []
        for arg in args:
            path = Path(arg)
            if path.is_dir():
                files += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
            elif path.is_file():
                files.append(path)
            else:
                failures.append((arg, "no such file or directory"))
        origin = self.origin(opts)
        counts = {"new": 0, "changed": 0, "unchanged": 0, "journaled": 0, "quarantined": 0,
                  "failed": 0}
        with self.open_store(opts) as store:
            for path in files:
                url = path.resolve().as_uri()
                content_type = CONTENT_TYPES.get(path.suffix.lower(), "text/html")
                try:
                    body = path.read_bytes()
                    record = derive_record(body, url, content_type, origin)
                    status = store.save(url, body, record, headers={"content-type": content_type},
                                        encoding=record["source"]["encoding"])
                except (OSError, BodyTooLarge) as exc:
                    failures.append((path, exc.strerror if isinstance(exc, OSError)
                                     and exc.strerror else str(exc)))
                    continue
                except Exception as exc:  # noqa: BLE001 - a parser bug on one file: go on
                    failures.append((path, f"{type(exc).__name__}: {exc}"[:300]))
                    continue
                counts[status] += 1
                if status == "quarantined":
                    failures.append((path, f"refused by the database, kept in "
                                           f"{store.journal.quarantine_path}"))
            counts["failed"] = len(failures) - counts["quarantined"]
            print(f"{len(files)} files into the {store.describe()}: "
                  + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if failures:
            print(f"{len(failures)} failed:", file=sys.stderr)
            for path, reason in failures:
                print(f"  {path}: {reason}", file=sys.stderr)
            self.exitcode = 2
