"""``scrapy import-files DIR...``: parse local report files into the store as if crawled.

Each file's record is derived as a crawl derives it (:mod:`crawler.derive`), under the URL
``file://<absolute path>``. Reports published as files (PDF, Word, Excel) are imported too; a
page that links such files beside it (``<a href="report.pdf">``, as saved from a portal) is
imported with them as its attachments, as a crawl would fetch them, and the files are not
imported a second time on their own. A file that cannot be read, parsed or stored is reported and the
others are imported; the failures are listed at the end and the exit status is 2."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.exceptions import UsageError

from crawler import sites as registry
from crawler.analysis import crossyear
from crawler.derive import Attachment, Origin, derive_record
from crawler.store import BodyTooLarge
from crawler.store.command import StoreCommand
from parsers.attachments import attachment_links

PAGES = {".html", ".htm", ".shtml", ".txt", ".md"}
FILES = {".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et"}
SUFFIXES = PAGES | FILES
#: What a server would say; the parser reads the format from the bytes whatever this says.
CONTENT_TYPES = {".txt": "text/plain", ".md": "text/plain", ".pdf": "application/pdf",
                 ".doc": "application/msword", ".wps": "application/msword",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 ".xls": "application/vnd.ms-excel", ".et": "application/vnd.ms-excel",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "text/html")


def linked_files(path: Path, body: bytes) -> list[Path]:
    """The report-format files an HTML page links that exist beside it on disk."""
    if path.suffix.lower() not in PAGES or path.suffix.lower() in (".txt", ".md"):
        return []
    out = []
    for link in attachment_links(body, path.resolve().as_uri(), content_type(path)):
        if link.url.startswith("file://"):
            target = Path(urllib.request.url2pathname(urlsplit(link.url).path))
            if target.is_file() and target not in out:
                out.append(target)
    return out


class Command(StoreCommand):
    takes_arguments = True

    def syntax(self):
        return "DIR_OR_FILE [...]"

    def short_desc(self):
        return "Parse local report files (HTML, text, PDF, Word, Excel) into the store (url file://...)"

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

    @staticmethod
    def attached(files: list[Path]) -> dict:
        """Which pages link which files beside them (``pages``: page -> files), and the set of
        files so linked (``files``), among the files to import."""
        pages: dict[Path, list[Path]] = {}
        for path in files:
            try:
                linked = linked_files(path, path.read_bytes())
            except OSError:
                continue  # reported when the file itself is read
            if linked:
                pages[path.resolve()] = [p.resolve() for p in linked]
        return {"pages": pages, "files": {p for ps in pages.values() for p in ps}}

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
        files = list(dict.fromkeys(files))
        organs: set[str] = set()
        counts = {"new": 0, "changed": 0, "unchanged": 0, "journaled": 0, "quarantined": 0,
                  "failed": 0}
        attached = self.attached(files)
        with self.open_store(opts) as store:
            for path in files:
                if path.resolve() in attached["files"]:
                    continue  # imported with the page that links it
                url = path.resolve().as_uri()
                try:
                    body = path.read_bytes()
                    linked = [Attachment(p.as_uri(), p.read_bytes(), content_type(p))
                              for p in attached["pages"].get(path.resolve(), ())]
                    for file in linked:
                        store.save_attachment(file.url, file.body, report_url=url,
                                              headers={"content-type": file.content_type})
                    record = derive_record(body, url, content_type(path), origin, linked)
                    status = store.save(url, body, record,
                                        headers={"content-type": content_type(path)},
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
                if status in ("new", "changed"):
                    organs.add(record["organ"])
            counts["failed"] = len(failures) - counts["quarantined"]
            crossyear.refresh(store, organs)
            print(f"{len(files)} files into the {store.describe()}: "
                  + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if failures:
            print(f"{len(failures)} failed:", file=sys.stderr)
            for path, reason in failures:
                print(f"  {path}: {reason}", file=sys.stderr)
            self.exitcode = 2
