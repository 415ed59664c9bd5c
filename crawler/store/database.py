"""The store: raw pages and parsed records in MongoDB. The only module that touches the database.

``MONGO_URI`` names the database: ``mongodb://`` and ``mongodb+srv://``
URIs go to a real MongoDB through pymongo. Without it the store is embedded:
:mod:`crawler.store.embedded` keeps the same pymongo API in one SQLite file,
``DATA_DIR/govreports.sqlite3`` (``DATA_DIR`` defaults to ``./data``), so one code path serves a
laptop and a cluster. A store written by the former embedded engine (litemongo, a
``DATA_DIR/govreports/`` directory) is copied into the new file the first time it is opened.

Collections:

- ``pages``: one document per distinct fetched body (unique ``sha256``): url, final_url,
  fetched_at, status, headers that matter, encoding, size and the body (``compression``
  "zlib" on MongoDB; the embedded store compresses it with the other large fields).
- ``reports``: the parsed record (SCHEMA.md) plus url (unique), site, page_sha256,
  parsed_at, first_seen, last_seen, ``history`` (earlier page hashes) and ``failed_rules`` (the
  rule of each failing check: what stats and ``export --failed-checks`` query, so that the
  embedded store can keep ``checks`` compressed with the other large fields).
- ``crawls``: one document per crawl run.
- ``years_seen``: pages fetched as reports and dropped for a statistics year outside the years a
  crawl asked for (url, final_url, year), so that later crawls for the same years do not fetch
  them again.

Storing the same page twice changes only ``last_seen``; a changed page keeps both bodies and
re-derives the report.

Writes are batched: :meth:`Store.save_many` stores many pages and reports with one read and one
bulk write per collection. Writes never lose data: :meth:`Store.save` retries with exponential backoff while the database
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

import bson
from pymongo import InsertOne, UpdateOne
from pymongo.errors import ConnectionFailure

from crawler.store.journal import Journal

logger = logging.getLogger(__name__)

DATABASE = "govreports"
#: Bodies above this size are refused (a MongoDB document holds at most 16 MiB).
MAX_BODY = 15 * 1024 * 1024
KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length", "server")
#: The embedded store's file under DATA_DIR.
EMBEDDED_FILE = f"{DATABASE}.sqlite3"
#: Fields the embedded store keeps compressed: the large ones, never queried.
PACKED = {"reports": ("sections", "tables", "checks", "cells"), "pages": ("body",)}
#: Store fields of a report that are not part of what it hands out.
INTERNAL = ("_id", "failed_rules")


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
            from crawler.store import embedded

            path = local.resolve()
            path.mkdir(parents=True, exist_ok=True)
            if not (path / EMBEDDED_FILE).exists() and (path / DATABASE).is_dir():
                _migrate_litemongo(path / DATABASE, path / EMBEDDED_FILE)
            # Switching a new file to WAL takes a lock that a process opening it together
            # (a scheduler's crawls, a crawl's workers) may hold a moment: retried.
            self.client = self._retry(lambda: embedded.Client(path / EMBEDDED_FILE, DATABASE,
                                                              packed=PACKED))
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
        _check_size(url, body)
        digest = sha256(body)
        now = fetched_at or utcnow()
        if self.pages.find_one({"sha256": digest}, {"_id": 1}) is not None:
            self.pages.update_one({"sha256": digest}, {"$set": {"last_seen": now}})
            return digest
        self.pages.insert_one(_page_doc(url, body, digest, final_url=final_url, status=status,
                                        headers=headers, encoding=encoding, fetched_at=now,
                                        report_url=report_url, compress=not self.embedded))
        return digest

    def page(self, digest: str) -> dict | None:
        """A stored page with its body decompressed, or None."""
        page = self.pages.find_one({"sha256": digest})
        if page is not None and page.get("compression") == "zlib":
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
        old = self.reports.find_one({"url": record["url"]}, _REPORT_STATE)
        status, op = _report_write(record, old, page_sha256, requested_url, seen_at or utcnow())
        if isinstance(op, InsertOne):
            self.reports.insert_one(op._doc)
        else:
            self.reports.update_one(op._filter, op._doc)
        return status

    def iter_reports(self, query: dict | None = None, batch: int = 200):
        """Reports matching ``query`` in url order, streamed ``batch`` at a time.

        The unique index on url gives the order, so neither database sorts or holds the result:
        the first report comes at once and memory holds one batch.
        """
        for doc in self.reports.find(query or {}, sort=[("url", 1)], batch_size=batch):
            for key in INTERNAL:
                doc.pop(key, None)
            yield doc

    def replace_record(self, url: str, record: dict) -> None:
        """Write a re-derived record for an existing report (re-parsing: no new page)."""
        self.reports.update_one({"url": url}, {"$set": dict(
            record, parsed_at=utcnow(), failed_rules=_failed_rules(record))})

    def report(self, url: str) -> dict | None:
        """The stored report of ``url`` (without the database's ``_id``), or None."""
        doc = self.reports.find_one({"url": url})
        if doc is not None:
            for key in INTERNAL:
                doc.pop(key, None)
        return doc

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
        pipeline = [{"$match": query or {}}, {"$unwind": "$failed_rules"},
                    {"$group": {"_id": "$failed_rules", "n": {"$sum": 1}}}]
        return sorted((d["_id"], d["n"]) for d in self.reports.aggregate(pipeline))

    def site_summaries(self) -> list[dict]:
        """Per stored report: site, year, organ, template and whether a check fails."""
        out = []
        for doc in self.reports.find({}, {"site": 1, "year": 1, "organ": 1, "template": 1,
                                          "failed_rules": 1}):
            out.append({"site": doc.get("site"), "year": doc.get("year"),
                        "organ": doc.get("organ"), "template": doc.get("template"),
                        "failed": bool(doc.get("failed_rules"))})
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

    # --- resilient, batched writes ----------------------------------------------------------

    def save(self, url: str, body: bytes, record: dict, *, final_url: str | None = None,
             status: int = 200, headers: dict | None = None, encoding: str | None = None,
             fetched_at: dt.datetime | None = None) -> str:
        """Store a page (``url`` as requested, ``final_url`` after redirects) and its record
        (see :mod:`crawler.derive`); returns new/changed/unchanged, or ``"journaled"`` when the
        database stayed unreachable through every retry and the item went to the journal.

        Raises :class:`BodyTooLarge` for bodies over :data:`MAX_BODY`, before writing anything.
        """
        _check_size(url, body)
        return self.save_many([dict(url=url, body=body, record=record, final_url=final_url,
                                    status=status, headers=headers, encoding=encoding,
                                    fetched_at=fetched_at)])[0]

    def save_many(self, entries: list[dict]) -> list[str]:
        """Store many fetched pages, each with its record or (attachments) without one.

        Each entry has the keyword arguments of :meth:`save` plus ``url``, ``body``, ``record``
        (None for a page alone) and ``report_url``. Returns one status per entry:
        new/changed/unchanged for reports, ``"page"`` for a page alone, ``"refused"`` for a body
        over :data:`MAX_BODY`, ``"journaled"`` when the database stayed unreachable.
        One read and one bulk write per collection, whatever the number of entries.
        """
        statuses: list = [None] * len(entries)
        todo = []
        for i, e in enumerate(entries):
            if len(e["body"]) > MAX_BODY:
                logger.error("refused %s: body of %d bytes exceeds %d", e["url"], len(e["body"]),
                             MAX_BODY)
                statuses[i] = "refused"
            else:
                e["fetched_at"] = e.get("fetched_at") or utcnow()
                todo.append(i)
        if not todo:
            return statuses
        try:
            done = self._retry(lambda: self._write_many([entries[i] for i in todo]))
        except TRANSIENT as exc:
            for i in todo:
                e = entries[i]
                logger.error("store unreachable (%s): %s journaled to %s", exc, e["url"],
                             self.journal.path)
                self.journal.append({
                    "kind": "save", "url": e["url"],
                    "body_b64": base64.b64encode(e["body"]).decode("ascii"),
                    "record": e.get("record"), "final_url": e.get("final_url"),
                    "status": e.get("status", 200), "headers": e.get("headers") or {},
                    "encoding": e.get("encoding"), "report_url": e.get("report_url"),
                    "fetched_at": e["fetched_at"].isoformat(),
                    "error": f"{type(exc).__name__}: {exc}"})
            done = ["journaled"] * len(todo)
        for i, status in zip(todo, done, strict=True):
            statuses[i] = status
        return statuses

    def _write_many(self, entries: list[dict]) -> list[str]:
        digests = [sha256(e["body"]) for e in entries]
        seen = {d["sha256"] for d in self.pages.find({"sha256": {"$in": sorted(set(digests))}},
                                                     {"sha256": 1})}
        ops = []
        for e, digest in zip(entries, digests, strict=True):
            if digest in seen:
                ops.append(UpdateOne({"sha256": digest}, {"$set": {"last_seen": e["fetched_at"]}}))
            else:
                seen.add(digest)
                ops.append(InsertOne(_page_doc(
                    e["url"], e["body"], digest, final_url=e.get("final_url"),
                    status=e.get("status", 200), headers=e.get("headers"),
                    encoding=e.get("encoding"), fetched_at=e["fetched_at"],
                    report_url=e.get("report_url"), compress=not self.embedded)))
        self.pages.bulk_write(ops, ordered=True)
        reports = [(e, d) for e, d in zip(entries, digests, strict=True) if e.get("record")]
        state = {d["url"]: d for d in self.reports.find(
            {"url": {"$in": sorted({e["record"]["url"] for e, _ in reports})}}, _REPORT_STATE)}
        ops, by_entry = [], {}
        for e, digest in reports:
            url = e["record"]["url"]
            status, op = _report_write(e["record"], state.get(url), digest, e["url"],
                                       e["fetched_at"])
            ops.append(op)
            by_entry[id(e)] = status
            # A url twice in one batch: the second sees the first.
            history = (state.get(url) or {}).get("history") or []
            if status == "changed":
                history = [*history, state[url].get("page_sha256")]
            state[url] = {"url": url, "page_sha256": digest, "history": history}
        if ops:
            self.reports.bulk_write(ops, ordered=True)
        return [by_entry.get(id(e), "page") for e in entries]

    def _retry(self, fn):
        """Call ``fn`` until it does not fail transiently. It blocks between tries, so code on
        an event loop calls the store from a thread or a worker process (the pipeline does)."""
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
        counts = {"new": 0, "changed": 0, "unchanged": 0, "page": 0, "failed": 0}
        remaining = []
        for entry in self.journal.entries():
            if entry.get("kind") != "save":
                remaining.append(entry)
                counts["failed"] += 1
                continue
            try:
                status = self._retry(lambda e=entry: self._write_many([dict(
                    url=e["url"], body=base64.b64decode(e["body_b64"]), record=e.get("record"),
                    final_url=e.get("final_url"), status=e.get("status", 200),
                    headers=e.get("headers"), encoding=e.get("encoding"),
                    report_url=e.get("report_url"),
                    fetched_at=dt.datetime.fromisoformat(e["fetched_at"]))]))[0]
                counts[status] += 1
            except TRANSIENT:
                remaining.append(entry)
                counts["failed"] += 1
        self.journal.rewrite(remaining)
        if not counts["page"]:
            del counts["page"]
        return counts


# What a report write needs to know about the stored report.
_REPORT_STATE = {"url": 1, "page_sha256": 1, "history": 1}


def _check_size(url: str, body: bytes) -> None:
    if len(body) > MAX_BODY:
        logger.error("refused %s: body of %d bytes exceeds %d", url, len(body), MAX_BODY)
        raise BodyTooLarge(f"{url}: body of {len(body)} bytes exceeds {MAX_BODY}")


def _page_doc(url, body, digest, *, final_url, status, headers, encoding, fetched_at,
              report_url, compress: bool) -> dict:
    """A page document. The embedded store compresses the body itself (a packed field), so it
    is compressed here only for MongoDB: never twice."""
    kept = {k: v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS}
    return {
        "sha256": digest, "url": url, "final_url": final_url or url, "status": status,
        "headers": {k.lower(): v for k, v in kept.items()}, "encoding": encoding,
        "content_type": kept.get("content-type") or kept.get("Content-Type"),
        "size": len(body), "compression": "zlib" if compress else None,
        "body": zlib.compress(body, 6) if compress else body,
        "fetched_at": fetched_at, "last_seen": fetched_at, "report_url": report_url,
    }


def _failed_rules(record: dict) -> list[str]:
    return [c["rule"] for c in record.get("checks") or [] if not c.get("ok")]


def _report_write(record: dict, old: dict | None, page_sha256: str, requested_url, now):
    """(status, write operation) of storing ``record`` over the stored state ``old``."""
    url = record["url"]
    doc = dict(record, page_sha256=page_sha256, parsed_at=now, last_seen=now,
               failed_rules=_failed_rules(record))
    if requested_url and requested_url != url:
        doc["requested_url"] = requested_url
    if old is None:
        doc.update(first_seen=now, history=[])
        return "new", InsertOne(doc)
    if old.get("page_sha256") == page_sha256:
        return "unchanged", UpdateOne({"url": url}, {"$set": {"last_seen": now}})
    doc["history"] = list(old.get("history") or []) + [old.get("page_sha256")]
    return "changed", UpdateOne({"url": url}, {"$set": doc})


def _migrate_litemongo(old: Path, new: Path) -> None:
    """Copy a store written by litemongo (one SQLite file of BSON documents per collection) into
    the embedded file, through a temporary file so that an interrupted copy is not a store."""
    from crawler.store import embedded

    tmp = new.with_name(new.name + ".migrating")
    for leftover in tmp.parent.glob(tmp.name + "*"):
        leftover.unlink()
    logger.warning("copying the litemongo store %s into %s", old, new)
    client = embedded.Client(tmp, DATABASE, packed=PACKED)
    try:
        for path in sorted(old.iterdir()):
            if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
                continue
            src = sqlite3.connect(path)
            try:
                rows = src.execute("SELECT doc FROM documents ORDER BY ROWID")
            except sqlite3.OperationalError:  # not a collection file
                src.close()
                continue
            coll = client[DATABASE][path.name]
            while chunk := rows.fetchmany(500):
                docs = [bson.decode(r[0]) for r in chunk]
                if path.name == "reports":
                    for d in docs:
                        d["failed_rules"] = _failed_rules(d)
                coll.insert_many(docs)
            src.close()
    finally:
        client.close()
    os.replace(tmp, new)
