"""The store: raw pages and parsed records in MongoDB. The only module that touches the database.

``MONGO_URI`` (setting or environment) names the database: ``mongodb://`` and ``mongodb+srv://``
URIs go to a real MongoDB through pymongo. Without it the store is embedded: litemongo keeps
the same pymongo API in SQLite files under ``DATA_DIR`` (default ``./data``), so one code path
serves a laptop and a cluster.

Collections:

- ``pages``: one document per distinct fetched body (unique ``sha256``): url, final_url,
  fetched_at, status, headers that matter, encoding, size and the body compressed with zlib.
- ``reports``: the parsed record (SCHEMA.md) plus url (unique), site, page_sha256,
  parsed_at, first_seen, last_seen and ``history`` (earlier page hashes).
- ``crawls``: one document per crawl run.

Storing the same page twice changes only ``last_seen``; a changed page keeps both bodies and
re-derives the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import zlib
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE = "govreports"
#: Bodies above this size are refused (a MongoDB document holds at most 16 MiB).
MAX_BODY = 15 * 1024 * 1024
KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length", "server")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class BodyTooLarge(ValueError):
    """The page body cannot be stored in one document."""


class Store:
    """Pages, reports and crawls in one MongoDB database (real or embedded)."""

    def __init__(self, uri: str | None = None, data_dir: str | os.PathLike | None = None):
        uri = uri if uri is not None else os.environ.get("MONGO_URI") or None
        self.uri = uri
        if uri and uri.startswith(("mongodb://", "mongodb+srv://")):
            import pymongo

            self.client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=False)
            self.embedded = False
            name = pymongo.uri_parser.parse_uri(uri).get("database") or DATABASE
        elif uri:
            raise ValueError(f"MONGO_URI must start with mongodb:// or mongodb+srv://, got {uri!r}")
        else:
            import litemongo

            path = Path(data_dir or os.environ.get("DATA_DIR") or "data").resolve()
            path.mkdir(parents=True, exist_ok=True)
            self.client = litemongo.MongoClient(str(path), DATABASE)
            self.embedded = True
            self.data_dir = path
            name = DATABASE
        self.db = self.client[name]
        self.pages = self.db["pages"]
        self.reports = self.db["reports"]
        self.crawls = self.db["crawls"]
        self.ensure_indexes()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        return f"embedded store at {self.data_dir}" if self.embedded else "MongoDB at MONGO_URI"

    def ensure_indexes(self) -> None:
        self.pages.create_index("sha256", unique=True)
        self.pages.create_index("url")
        self.reports.create_index("url", unique=True)
        self.reports.create_index([("region.code", 1), ("year", 1)])
        self.reports.create_index([("organ", 1), ("year", 1)])
        self.reports.create_index("year")
        self.reports.create_index("template")

    # --- pages --------------------------------------------------------------------------

    def save_page(self, url: str, body: bytes, *, final_url: str | None = None, status: int = 200,
                  headers: dict | None = None, encoding: str | None = None,
                  fetched_at: dt.datetime | None = None, report_url: str | None = None) -> str:
        """Store a fetched body once (by content hash) and return its sha256.

        Raises :class:`BodyTooLarge` for bodies over :data:`MAX_BODY`, before writing anything.
        """
        if len(body) > MAX_BODY:
            raise BodyTooLarge(f"{url}: body of {len(body)} bytes exceeds {MAX_BODY}")
        digest = sha256(body)
        now = fetched_at or utcnow()
        kept = {k: v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS}
        if self.pages.find_one({"sha256": digest}, {"_id": 1}) is not None:
            self.pages.update_one({"sha256": digest}, {"$set": {"last_seen": now}})
            return digest
        self.pages.insert_one({
            "sha256": digest, "url": url, "final_url": final_url or url, "status": status,
            "headers": {k.lower(): v for k, v in kept.items()}, "encoding": encoding,
            "content_type": kept.get("content-type") or kept.get("Content-Type"),
            "size": len(body), "compression": "zlib", "body": zlib.compress(body, 6),
            "fetched_at": now, "last_seen": now, "report_url": report_url,
        })
        return digest

    def page_body(self, digest: str) -> bytes | None:
        page = self.pages.find_one({"sha256": digest}, {"body": 1})
        return zlib.decompress(page["body"]) if page else None

    # --- reports ------------------------------------------------------------------------

    def save_report(self, record: dict, *, page_sha256: str, site: str | None = None,
                    seen_at: dt.datetime | None = None) -> str:
        """Upsert a report by url. Returns ``"new"``, ``"changed"`` or ``"unchanged"``.

        The same page again only moves ``last_seen``; a new page body for the url replaces the
        record and appends the previous page hash to ``history``.
        """
        now = seen_at or utcnow()
        url = record["url"]
        old = self.reports.find_one({"url": url}, {"page_sha256": 1, "parser_version": 1,
                                                   "history": 1})
        doc = dict(record, site=site, page_sha256=page_sha256, parsed_at=now, last_seen=now)
        if old is None:
            doc.update(first_seen=now, history=[])
            self.reports.insert_one(doc)
            return "new"
        if old.get("page_sha256") == page_sha256:
            self.reports.update_one({"url": url}, {"$set": {"last_seen": now}})
            return "unchanged"
        doc["history"] = list(old.get("history") or []) + [old.get("page_sha256")]
        self.reports.update_one({"url": url}, {"$set": doc})
        return "changed"

    def replace_record(self, url: str, record: dict) -> None:
        """Write a re-derived record for an existing report (re-parsing: no new page)."""
        self.reports.update_one({"url": url}, {"$set": dict(record, parsed_at=utcnow())})
