"""The store: raw pages and parsed records in MongoDB. The only module that touches the database.

``MONGO_URI`` names the database: ``mongodb://`` and ``mongodb+srv://``
URIs go to a real MongoDB through pymongo. Without it the store is embedded: litemongo keeps
the same pymongo API in SQLite files under ``DATA_DIR`` (default ``./data``), so one code path
serves a laptop and a cluster.

Collections:

- ``pages``: one document per distinct fetched body (unique ``sha256``): url, final_url,
  fetched_at, status, headers that matter, encoding, size and the body compressed with zlib.
- ``reports``: the parsed record (SCHEMA.md) plus url (unique), site, page_sha256,
  parsed_at, first_seen, last_seen and ``history`` (earlier page hashes).
- ``crawls``: one document per crawl run.
- ``years_seen``: pages fetched as reports and dropped for a statistics year outside the years a
  crawl asked for (url, final_url, year), so that later crawls for the same years do not fetch
  them again.

Storing the same page twice changes only ``last_seen``; a changed page keeps both bodies and
re-derives the report.

Writes never lose data: :meth:`Store.save` retries with exponential backoff while the database
is unreachable, and if it stays down appends the item to an append-only, fsynced JSONL journal
(:class:`~crawler.store.journal.Journal`); :meth:`Store.replay_journal` (``scrapy replay-journal``) applies it later.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
import sqlite3
import time
import zlib
from pathlib import Path

from pymongo.errors import ConnectionFailure

from crawler.store.journal import Journal

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


#: Errors that mean "the database is not there right now", worth a retry and then the journal.
TRANSIENT = (ConnectionFailure, sqlite3.OperationalError, OSError)


class Store:
    """Pages, reports and crawls in one MongoDB database (real or embedded)."""

    def __init__(self, uri: str | None = None, data_dir: str | os.PathLike | None = None, *,
                 journal: str | os.PathLike | None = None, retries: int = 4,
                 backoff: float = 0.2):
        """``uri`` names a MongoDB (``mongodb://``, ``mongodb+srv://``); None means the embedded
        store under ``data_dir`` (default ``./data``). Nothing here reads the environment: the
        Scrapy settings do (:meth:`from_settings`), so an embedded store asked for is embedded
        whatever ``MONGO_URI`` says."""
        self.uri = uri or None
        self.retries, self.backoff = retries, backoff
        local = Path(data_dir or "data")
        self.journal = Journal(journal or local / "journal.jsonl")
        if self.uri and self.uri.startswith(("mongodb://", "mongodb+srv://")):
            import pymongo

            self.client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=5000,
                                              tz_aware=False)
            self.embedded = False
            name = pymongo.uri_parser.parse_uri(self.uri).get("database") or DATABASE
        elif self.uri:
            raise ValueError(f"MONGO_URI must start with mongodb:// or mongodb+srv://, got {uri!r}")
        else:
            import litemongo

            path = local.resolve()
            # Created here, race-free: litemongo checks then creates, which two worker processes
            # starting together can trip over.
            (path / DATABASE).mkdir(parents=True, exist_ok=True)
            self.client = litemongo.MongoClient(str(path), DATABASE)
            self.embedded = True
            self.data_dir = path
            name = DATABASE
        self.db = self.client[name]
        self.pages = self.db["pages"]
        self.reports = self.db["reports"]
        self.crawls = self.db["crawls"]
        self.schedule = self.db["schedule"]
        self.years_seen = self.db["years_seen"]
        # Processes opening one embedded store together (a scheduler's crawls, workers on one
        # machine) can meet SQLite's "database is locked" while files and indexes are created.
        self._retry(self.ensure_indexes)

    @classmethod
    def from_settings(cls, settings, data_dir: str | os.PathLike | None = None) -> Store:
        """The store Scrapy settings name: ``MONGO_URI``, else the embedded store in
        ``data_dir`` or ``DATA_DIR``; the journal at ``JOURNAL_PATH`` when set. (settings.py
        reads these from the environment; ``-s`` on the command line wins over it.)"""
        return cls(settings.get("MONGO_URI"), data_dir or settings.get("DATA_DIR"),
                   journal=settings.get("JOURNAL_PATH"))

    @classmethod
    def for_crawler(cls, crawler) -> Store:
        """The one store of a crawler process, shared by the spider (what is stored already),
        the pipeline (what to store) and the crawl bookkeeping extension."""
        store = getattr(crawler, "_govreports_store", None)
        if store is None:
            store = crawler._govreports_store = cls.from_settings(crawler.settings)
        return store

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
        self.crawls.create_index("started_at")
        self.years_seen.create_index("url", unique=True)

    # --- pages --------------------------------------------------------------------------

    def save_page(self, url: str, body: bytes, *, final_url: str | None = None, status: int = 200,
                  headers: dict | None = None, encoding: str | None = None,
                  fetched_at: dt.datetime | None = None, report_url: str | None = None) -> str:
        """Store a fetched body once (by content hash) and return its sha256.

        Raises :class:`BodyTooLarge` for bodies over :data:`MAX_BODY`, before writing anything.
        """
        if len(body) > MAX_BODY:
            logger.error("refused %s: body of %d bytes exceeds %d", url, len(body), MAX_BODY)
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

    def page(self, digest: str) -> dict | None:
        """A stored page with its body decompressed, or None."""
        page = self.pages.find_one({"sha256": digest})
        if page is not None:
            page["body"] = zlib.decompress(page["body"])
        return page

    def page_body(self, digest: str) -> bytes | None:
        page = self.page(digest)
        return page["body"] if page else None

    # --- reports ------------------------------------------------------------------------

    def save_report(self, record: dict, *, page_sha256: str, requested_url: str | None = None,
                    seen_at: dt.datetime | None = None) -> str:
        """Upsert a report by url (the record's, the final URL). Returns ``"new"``,
        ``"changed"`` or ``"unchanged"``. ``requested_url`` is the link the crawl followed,
        kept beside the final URL so that a report behind a redirect is known as stored.

        The same page again only moves ``last_seen``; a new page body for the url replaces the
        record and appends the previous page hash to ``history``.
        """
        now = seen_at or utcnow()
        url = record["url"]
        old = self.reports.find_one({"url": url}, {"page_sha256": 1, "parser_version": 1,
                                                   "history": 1})
        doc = dict(record, page_sha256=page_sha256, parsed_at=now, last_seen=now)
        if requested_url and requested_url != url:
            doc["requested_url"] = requested_url
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

    def iter_reports(self, query: dict | None = None, batch: int = 200):
        """Reports matching ``query`` in url order, fetched ``batch`` at a time by ``_id``.

        Memory holds the (url, _id) keys and one batch of records, never the collection: the
        embedded engine materialises a whole result set to sort it, and so would a real
        MongoDB sort without an index on the filtered set.
        """
        keys = sorted((d["url"], d["_id"]) for d in self.reports.find(query or {}, {"url": 1}))
        for i in range(0, len(keys), batch):
            ids = [k[1] for k in keys[i:i + batch]]
            found = {d["_id"]: d for d in self.reports.find({"_id": {"$in": ids}})}
            for _id in ids:
                doc = found.get(_id)
                if doc is not None:
                    doc.pop("_id", None)
                    yield doc

    def replace_record(self, url: str, record: dict) -> None:
        """Write a re-derived record for an existing report (re-parsing: no new page)."""
        self.reports.update_one({"url": url}, {"$set": dict(record, parsed_at=utcnow())})

    def report(self, url: str) -> dict | None:
        """The stored report of ``url`` (without the database's ``_id``), or None."""
        return self.reports.find_one({"url": url}, {"_id": 0})

    def stored_urls(self) -> set[str]:
        """Every report URL stored, requested and final: what an incremental crawl skips."""
        urls = set()
        for doc in self.reports.find({}, {"url": 1, "requested_url": 1}):
            urls.add(doc["url"])
            if doc.get("requested_url"):
                urls.add(doc["requested_url"])
        return urls

    def remember_year(self, url: str, year: int, final_url: str | None = None) -> None:
        """A page fetched as a report and not stored (its statistics year was outside the years
        asked for): remember its year under the requested and the final URL."""
        now = utcnow()
        self._retry(lambda: self.years_seen.update_one(
            {"url": url}, {"$set": {"url": url, "final_url": final_url or url, "year": year,
                                    "seen_at": now}}, upsert=True))

    def known_years(self) -> dict[str, int]:
        """The statistics year of every remembered page, by requested and final URL."""
        out = {}
        for doc in self.years_seen.find({}, {"url": 1, "final_url": 1, "year": 1}):
            out[doc["url"]] = doc["year"]
            if doc.get("final_url"):
                out[doc["final_url"]] = doc["year"]
        return out

    def count_reports(self, query: dict | None = None) -> int:
        return self.reports.count_documents(query or {})

    def count_pages(self) -> int:
        return self.pages.count_documents({})

    def mark_parsed(self, url: str, parser_version: str) -> None:
        """Re-parsing gave the same record: only the parser version moves on."""
        self.reports.update_one({"url": url}, {"$set": {"parser_version": parser_version}})

    def counts_by(self, field: str, query: dict | None = None) -> list[tuple]:
        """(value, number of reports) per distinct value of ``field`` (dotted), in value order."""
        pipeline = [{"$match": query or {}}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]
        out = [(d["_id"], d["n"]) for d in self.reports.aggregate(pipeline)]
        return sorted(out, key=lambda x: str(x[0]))

    def failing_rules(self, query: dict | None = None) -> list[tuple[str, int]]:
        """(check rule, number of failing checks) over the reports matching ``query``."""
        pipeline = [{"$match": query or {}}, {"$unwind": "$checks"},
                    {"$match": {"checks.ok": False}},
                    {"$group": {"_id": "$checks.rule", "n": {"$sum": 1}}}]
        return sorted((d["_id"], d["n"]) for d in self.reports.aggregate(pipeline))

    def site_summaries(self) -> list[dict]:
        """Per stored report: site, year, organ, template and whether a check fails."""
        out = []
        for doc in self.reports.find({}, {"site": 1, "year": 1, "organ": 1, "template": 1,
                                          "checks.ok": 1}):
            out.append({"site": doc.get("site"), "year": doc.get("year"),
                        "organ": doc.get("organ"), "template": doc.get("template"),
                        "failed": any(not c.get("ok") for c in doc.get("checks") or [])})
        return out

    # --- crawls ----------------------------------------------------------------------------

    def start_crawl(self, spider: str, arguments: dict | None = None) -> object:
        """Record the start of a crawl run; returns its id for :meth:`finish_crawl`."""
        doc = {"spider": spider, "arguments": arguments or {}, "started_at": utcnow(),
               "finished_at": None, "finish_reason": None, "counts": {}}
        return self.crawls.insert_one(doc).inserted_id

    def finish_crawl(self, crawl_id, counts: dict, reason: str) -> None:
        """Close a crawl run with its counts (pages, reports new/changed/unchanged, failed
        checks, errors by kind) and Scrapy's finish reason."""
        self.crawls.update_one({"_id": crawl_id}, {"$set": {
            "finished_at": utcnow(), "finish_reason": reason, "counts": counts}})

    def last_crawl(self) -> dict | None:
        """The crawl run started last, or None."""
        return self.crawls.find_one(sort=[("started_at", -1)])

    def crawl(self, crawl_id) -> dict | None:
        return self.crawls.find_one({"_id": crawl_id})

    # --- schedule state ----------------------------------------------------------------------

    def schedule_state(self, site_id: str | None = None):
        """One site's schedule document (``{}`` if none), or, without ``site_id``, all of them
        by site id."""
        if site_id is None:
            return {d["_id"]: d for d in self.schedule.find({})}
        return self.schedule.find_one({"_id": site_id}) or {}

    def running_schedules(self) -> list[dict]:
        """Schedule documents of sites whose crawl is recorded as running."""
        return list(self.schedule.find({"running": {"$ne": None}}))

    def set_schedule_state(self, site_id: str, **fields) -> None:
        self.schedule.update_one({"_id": site_id}, {"$set": fields}, upsert=True)

    # --- resilient writes -----------------------------------------------------------------

    def save(self, url: str, body: bytes, record: dict, *, final_url: str | None = None,
             status: int = 200, headers: dict | None = None, encoding: str | None = None,
             fetched_at: dt.datetime | None = None) -> str:
        """Store a page (``url`` as requested, ``final_url`` after redirects) and its record
        (see :mod:`crawler.derive`); returns new/changed/unchanged, or ``"journaled"`` when the
        database stayed unreachable through every retry and the item went to the journal.
        """
        fetched_at = fetched_at or utcnow()

        def write():
            sha = self.save_page(url, body, final_url=final_url, status=status, headers=headers,
                                 encoding=encoding, fetched_at=fetched_at)
            return self.save_report(record, page_sha256=sha, requested_url=url,
                                    seen_at=fetched_at)

        try:
            return self._retry(write)
        except TRANSIENT as exc:
            logger.error("store unreachable (%s): %s journaled to %s", exc, url, self.journal.path)
            self.journal.append({
                "kind": "save", "url": url, "body_b64": base64.b64encode(body).decode("ascii"),
                "record": record, "final_url": final_url, "status": status,
                "headers": headers or {}, "encoding": encoding,
                "fetched_at": fetched_at.isoformat(), "error": f"{type(exc).__name__}: {exc}"})
            return "journaled"

    def _retry(self, fn):
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except TRANSIENT as exc:
                if attempt == self.retries:
                    raise
                logger.warning("store write failed (%s), retry %d in %.1fs", exc, attempt + 1, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def replay_journal(self) -> dict[str, int]:
        """Apply journaled items; the ones that still fail stay in the journal."""
        counts = {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
        remaining = []
        for entry in self.journal.entries():
            if entry.get("kind") != "save":
                remaining.append(entry)
                counts["failed"] += 1
                continue
            try:
                status = self._retry(lambda e=entry: self.save_report(
                    e["record"], requested_url=e["url"],
                    seen_at=dt.datetime.fromisoformat(e["fetched_at"]),
                    page_sha256=self.save_page(
                        e["url"], base64.b64decode(e["body_b64"]), final_url=e.get("final_url"),
                        status=e.get("status", 200), headers=e.get("headers"),
                        encoding=e.get("encoding"),
                        fetched_at=dt.datetime.fromisoformat(e["fetched_at"]))))
                counts[status] += 1
            except TRANSIENT:
                remaining.append(entry)
                counts["failed"] += 1
        self.journal.rewrite(remaining)
        return counts
