"""The store's write path: pages and reports as a crawl stores them, never losing one.

Storing the same page twice changes only ``last_seen``; a changed page keeps both bodies and
re-derives the report.

Writes are batched: :meth:`Writes.save_many` stores many pages and reports with one read and
one bulk write per collection (the crawl's worker processes use it). Writes never lose data:
:meth:`Writes.save` retries with exponential backoff while the database is unreachable
(``retries``; a crawl asks for none, it must not sleep), and if it stays down appends the item
to an append-only, fsynced JSONL journal (:class:`~crawler.store.journal.Journal`) and opens a
circuit breaker (:class:`~crawler.store.breaker.Breaker`): for a while the next items go
straight to the journal. :meth:`Writes.replay_journal` (``scrapy replay-journal``) applies it
later; an entry the database refuses for good goes to the quarantine file with the reason.
Items the database refuses at once (a value BSON cannot hold) are quarantined too.

:class:`Writes` is a part of :class:`crawler.store.database.Store` (its base class), which opens
the database and sets what these methods use: the ``pages``, ``reports`` and ``crawls``
collections, ``embedded``, ``journal``, ``breaker``, ``retries``, ``backoff`` and
:meth:`~crawler.store.database.Store.ensure_indexes`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import sqlite3
import time
import zlib

import bson
from pymongo import InsertOne, UpdateOne
from pymongo.errors import (
    ConnectionFailure,
    DocumentTooLarge,
    OperationFailure,
    WriteError,
)

from crawler.analysis.checks import CROSSYEAR_FIELD
from crawler.analysis.duplicates import report_key
from crawler.store.journal import JournalFull

logger = logging.getLogger("crawler.store.database")  # one logger for the store, as before

#: Bodies above this size are refused (a MongoDB document holds at most 16 MiB).
MAX_BODY = 15 * 1024 * 1024
KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length", "server")
#: Errors that mean "the database is not there right now", worth a retry and then the journal.
TRANSIENT = (ConnectionFailure, sqlite3.OperationalError, OSError)
#: Errors that mean "the database will never take this document": quarantined, not retried.
REFUSED = (bson.errors.InvalidDocument, OverflowError, DocumentTooLarge, WriteError, KeyError,
           TypeError, ValueError, OperationFailure)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class BodyTooLarge(ValueError):
    """The page body cannot be stored in one document."""


class Writes:
    """The writing methods of :class:`~crawler.store.database.Store`."""

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


    def save(self, url: str, body: bytes, record: dict, *, final_url: str | None = None,
             status: int = 200, headers: dict | None = None, encoding: str | None = None,
             fetched_at: dt.datetime | None = None) -> str:
        """Store a page (``url`` as requested, ``final_url`` after redirects) and its record
        (see :mod:`crawler.derive`); returns new/changed/unchanged, ``"journaled"`` when the
        database is unreachable (or the breaker is open) and the item went to the journal, or
        ``"quarantined"`` when the database refused the item for good (kept with the reason in
        the quarantine file). Raises :class:`BodyTooLarge` (nothing written) and
        :class:`~crawler.store.journal.JournalFull` (the item could go nowhere).
        """
        if len(body) > MAX_BODY:
            self.save_page(url, body)  # raises BodyTooLarge with the reason, logged
        entry = {"kind": "save", "url": url, "record": record, "final_url": final_url,
                 "status": status, "headers": headers or {}, "encoding": encoding,
                 "fetched_at": (fetched_at or utcnow()).isoformat()}
        return self._write(entry, body)

    def save_attachment(self, url: str, body: bytes, *, report_url: str | None,
                        final_url: str | None = None, status: int = 200,
                        headers: dict | None = None) -> str:
        """Store an attachment of a report page as a page, through the same breaker and journal
        as :meth:`save`: ``"stored"``, ``"journaled"`` or ``"quarantined"``."""
        if len(body) > MAX_BODY:
            self.save_page(url, body)
        entry = {"kind": "page", "url": url, "report_url": report_url, "final_url": final_url,
                 "status": status, "headers": headers or {}, "fetched_at": utcnow().isoformat()}
        return self._write(entry, body)

    def record_crawl(self, crawl_id, doc: dict) -> str:
        """Write a crawl run's document (upserted by its id) through the breaker and journal:
        ``"stored"`` or ``"journaled"``."""
        from bson import json_util

        return self._write({"kind": "crawl", "id": json_util.dumps(crawl_id),
                            "doc": json_util.dumps(doc)}, None)

    def save_many(self, entries: list[dict]) -> list[str]:
        """Store many fetched pages, each with its record or (attachments) without one, through
        the breaker and the journal as :meth:`save` and :meth:`save_attachment` do.

        Each entry has the keyword arguments of :meth:`save` plus ``url``, ``body``, ``record``
        (None for a page alone) and ``report_url``. Returns one status per entry:
        new/changed/unchanged for reports, ``"stored"`` for a page alone, ``"too_large"`` for a
        body over :data:`MAX_BODY` (nothing written), ``"journaled"``, ``"quarantined"`` (the
        database refused that entry for good) or ``"journal_full"`` (the database was
        unreachable and the journal could not take the entry: it is nowhere, fetch it again).
        One read and one bulk write per collection, whatever the number of entries; if the
        database refuses the batch, the entries are written one by one so that only the
        refused one is quarantined.
        """
        statuses: list = [None] * len(entries)
        todo = []
        for i, e in enumerate(entries):
            if len(e["body"]) > MAX_BODY:
                logger.error("refused %s: body of %d bytes exceeds %d", e["url"], len(e["body"]),
                             MAX_BODY)
                statuses[i] = "too_large"
            else:
                e["fetched_at"] = e.get("fetched_at") or utcnow()
                todo.append(i)
        if not todo:
            return statuses
        batch = [entries[i] for i in todo]
        if self.breaker.is_open:
            done = [self._journal_entry(e, self.breaker.reason) for e in batch]
        else:
            try:
                done = self._retry(lambda: self._write_many(batch))
            except TRANSIENT as exc:
                reason = f"{type(exc).__name__}: {exc}"
                wait = self.breaker.failed(reason)
                logger.error("store unreachable (%s): %d items journaled to %s; the database "
                             "is not asked again for %.0f s", reason, len(batch),
                             self.journal.path, wait)
                done = [self._journal_entry(e, reason) for e in batch]
            except REFUSED as exc:
                logger.warning("store refused a batch (%s): writing its entries one by one",
                               f"{type(exc).__name__}: {exc}"[:300])
                done = [self._write_entry(e) for e in batch]
            else:
                if self.breaker.reason is not None:
                    self.breaker.succeeded()
                    logger.info("store reachable again; journaled items wait for `scrapy "
                                "replay-journal` (%s)", self.journal.path)
        for i, status in zip(todo, done, strict=True):
            statuses[i] = status
        return statuses

    def _journal_entry(self, e: dict, reason: str | None) -> str:
        try:
            return self._journal(*_entry(e), reason)
        except JournalFull as exc:
            logger.critical("journal full (%s): %s is not stored", exc, e["url"])
            return "journal_full"

    def _write_entry(self, e: dict) -> str:
        try:
            return self._write(*_entry(e))
        except JournalFull as exc:
            logger.critical("journal full (%s): %s is not stored", exc, e["url"])
            return "journal_full"

    def _write_many(self, entries: list[dict]) -> list[str]:
        if self._indexes_pending:
            self.ensure_indexes()
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
            state[url] = {"url": url, "page_sha256": digest, "history": history,
                          CROSSYEAR_FIELD: (state.get(url) or {}).get(CROSSYEAR_FIELD)}
        if ops:
            self.reports.bulk_write(ops, ordered=True)
        return [by_entry.get(id(e), "stored") for e in entries]

    def _apply(self, entry: dict, body: bytes | None) -> str:
        """Write one journal-shaped entry to the database; its status."""
        if self._indexes_pending:
            self.ensure_indexes()
        kind = entry["kind"]
        if kind not in ("crawl", "page", "save"):
            raise ValueError(f"unknown journal entry kind {kind!r}")
        if kind == "crawl":
            from bson import json_util

            self.crawls.update_one({"_id": json_util.loads(entry["id"])},
                                   {"$set": json_util.loads(entry["doc"])}, upsert=True)
            return "stored"
        fetched_at = dt.datetime.fromisoformat(entry["fetched_at"])
        if kind == "page":
            self.save_page(entry["url"], body, final_url=entry.get("final_url"),
                           status=entry.get("status", 200), headers=entry.get("headers"),
                           fetched_at=fetched_at, report_url=entry.get("report_url"))
            return "stored"
        sha = self.save_page(entry["url"], body, final_url=entry.get("final_url"),
                             status=entry.get("status", 200), headers=entry.get("headers"),
                             encoding=entry.get("encoding"), fetched_at=fetched_at)
        return self.save_report(entry["record"], page_sha256=sha, requested_url=entry["url"],
                                seen_at=fetched_at)

    def _write(self, entry: dict, body: bytes | None) -> str:
        if self.breaker.is_open:
            return self._journal(entry, body, self.breaker.reason)
        try:
            status = self._retry(lambda: self._apply(entry, body))
        except TRANSIENT as exc:
            reason = f"{type(exc).__name__}: {exc}"
            wait = self.breaker.failed(reason)
            logger.error("store unreachable (%s): %s journaled to %s; the database is not "
                         "asked again for %.0f s", reason, entry.get("url", "crawl run"),
                         self.journal.path, wait)
            return self._journal(entry, body, reason)
        except REFUSED as exc:
            reason = f"{type(exc).__name__}: {exc}"[:500]
            logger.error("store refused %s (%s): kept in %s", entry.get("url"), reason,
                         self.journal.quarantine_path)
            self.journal.quarantine(_with_body(entry, body), reason)
            return "quarantined"
        if self.breaker.reason is not None:
            self.breaker.succeeded()
            logger.info("store reachable again; journaled items wait for `scrapy "
                        "replay-journal` (%s)", self.journal.path)
        return status

    def _journal(self, entry: dict, body: bytes | None, reason: str | None) -> str:
        self.journal.append(dict(_with_body(entry, body), error=reason))
        return "journaled"

    def _retry(self, fn, retries: int | None = None):
        retries = self.retries if retries is None else retries
        delay = self.backoff
        for attempt in range(retries + 1):
            try:
                return fn()
            except TRANSIENT as exc:
                if attempt == retries:
                    raise
                logger.warning("store write failed (%s), retry %d in %.1fs", exc, attempt + 1, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def replay_journal(self) -> dict[str, int]:
        """Apply the journaled items. Those the database refuses for good (and unreadable
        lines) move to the quarantine file with the reason; when the database is unreachable
        the rest stays in the journal. Counts: new/changed/unchanged/stored (pages and crawl
        runs), quarantined, and failed (still waiting)."""
        counts = {"new": 0, "changed": 0, "unchanged": 0, "stored": 0, "quarantined": 0,
                  "failed": 0}
        files, entries = self.journal.claim()
        remaining = []
        try:
            for i, entry in enumerate(entries):
                try:
                    body = base64.b64decode(entry["body_b64"]) if "body_b64" in entry else None
                    if entry.get("kind") == "unreadable":
                        raise ValueError("a line cut short (a crash while it was written)")
                    if len(body or b"") > MAX_BODY:
                        raise BodyTooLarge(f"body of {len(body)} bytes exceeds {MAX_BODY}")
                    status = self._retry(lambda e=entry, b=body: self._apply(e, b))
                except TRANSIENT as exc:
                    logger.error("store unreachable (%s): %d entries stay journaled", exc,
                                 len(entries) - i)
                    remaining += entries[i:]
                    counts["failed"] += len(entries) - i
                    break
                except REFUSED as exc:
                    self.journal.quarantine(entry, f"{type(exc).__name__}: {exc}"[:500])
                    counts["quarantined"] += 1
                    continue
                counts[status] += 1
        finally:
            self.journal.release(files, remaining)
        return counts


def _with_body(entry: dict, body: bytes | None) -> dict:
    if body is None:
        return entry
    return dict(entry, body_b64=base64.b64encode(body).decode("ascii"))



# What a report write needs to know about the stored report (its cross-year checks, which a
# new page's record leaves in place, are part of ``failing``).
_REPORT_STATE = {"url": 1, "page_sha256": 1, "history": 1, CROSSYEAR_FIELD: 1}


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


def _failing(record: dict, stored: dict | None = None) -> str:
    """The rules of a report's failing checks, its own and its cross-year ones, sorted and
    joined by spaces ("" when every check passes; a rule is a dotted name): the indexed
    ``failing`` field. The failing reports are found by it (``> ""``) without reading the
    others, and counted per site and rule from its index alone. The cross-year checks are the
    record's when it has them, else those of the ``stored`` report: a record written over it
    (a new page, a re-parse) leaves them in place."""
    crossyear = record[CROSSYEAR_FIELD] if CROSSYEAR_FIELD in record else \
        (stored or {}).get(CROSSYEAR_FIELD)
    return failing_key([c["rule"] for c in record.get("checks") or [] if not c.get("ok")],
                       crossyear)


def failing_key(own_rules: list[str], crossyear: list[dict] | None) -> str:
    """:func:`_failing` from the rules of the own failing checks and the cross-year checks."""
    rules = [*own_rules, *(c["rule"] for c in crossyear or [] if not c.get("ok"))]
    return " ".join(sorted(rules))


def _report_write(record: dict, old: dict | None, page_sha256: str, requested_url, now):
    """(status, write operation) of storing ``record`` over the stored state ``old``."""
    url = record["url"]
    doc = dict(record, page_sha256=page_sha256, parsed_at=now, last_seen=now,
               failed_rules=_failed_rules(record), failing=_failing(record, old),
               report_key=report_key(record))
    if requested_url and requested_url != url:
        doc["requested_url"] = requested_url
    if old is None:
        doc.update(first_seen=now, history=[])
        return "new", InsertOne(doc)
    if old.get("page_sha256") == page_sha256:
        return "unchanged", UpdateOne({"url": url}, {"$set": {"last_seen": now}})
    doc["history"] = list(old.get("history") or []) + [old.get("page_sha256")]
    return "changed", UpdateOne({"url": url}, {"$set": doc})


def _entry(e: dict) -> tuple[dict, bytes]:
    """A :meth:`Store.save_many` entry as the journal keeps it: ``save`` with its record,
    ``page`` without."""
    common = {"url": e["url"], "final_url": e.get("final_url"), "status": e.get("status", 200),
              "headers": e.get("headers") or {}, "fetched_at": e["fetched_at"].isoformat()}
    if e.get("record") is None:
        return dict(common, kind="page", report_url=e.get("report_url")), e["body"]
    return dict(common, kind="save", record=e["record"], encoding=e.get("encoding")), e["body"]
