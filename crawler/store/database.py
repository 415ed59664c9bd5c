"""The store: raw pages and parsed records in MongoDB. The only module that touches the database.

``MONGO_URI`` names the database: ``mongodb://`` and ``mongodb+srv://``
URIs go to a real MongoDB through pymongo. Without it the store is embedded:
:mod:`crawler.store.embedded` keeps the same pymongo API in one SQLite file per collection under
``DATA_DIR/govreports/`` (``DATA_DIR`` defaults to ``./data``), queried in SQL, so one code path
serves a laptop and a cluster. A collection file written by the former embedded engine
(litemongo, same place and name) is converted the first time a writer opens the store; the
original is kept under ``DATA_DIR/litemongo/``.

Collections:

- ``pages``: one document per distinct fetched body (unique ``sha256``): url, final_url,
  fetched_at, status, headers that matter, encoding, size and the body (``compression``
  "zlib" on MongoDB; the embedded store compresses it with the other large fields).
- ``reports``: the parsed record (SCHEMA.md) plus url (unique), site, page_sha256,
  parsed_at, first_seen, last_seen, ``history`` (earlier page hashes), ``failed_rules`` (the
  rule of each failing check: what stats and ``export --failed-checks`` query, so that the
  embedded store can keep ``checks`` compressed with the other large fields) and ``failing``
  (the rules of the failing checks, own and cross-year, sorted and joined by spaces, "" when
  none; indexed alone and after ``site``, so that the failing reports are found without
  reading the others, :meth:`Store.failing`, and counted per site and rule from the index:
  :meth:`Store.failing_counts`). A store written before ``failing`` gets it when a writer
  first opens it (:meth:`Store.ensure_indexes`); until then readers find the failing reports
  as before, reading every report.
- ``crawls``: one document per crawl run.
- ``years_seen``: pages fetched as reports and dropped for a statistics year outside the years a
  crawl asked for (url, final_url, year), so that later crawls for the same years do not fetch
  them again.

Writing (pages and reports as a crawl stores them, the journal and its replay) is
:class:`crawler.store.writes.Writes`, a part of :class:`Store`.

Opening checks the store and says in one line what is wrong (:class:`StoreError`): a malformed
or unreachable ``MONGO_URI`` (within the 5 s server selection), a ``DATA_DIR`` that is a file or
cannot be created, a damaged collection file (:class:`DamagedCollection`: the other collections
stay usable; ``scrapy store-check`` salvages). Readers (``readonly=True``) create nothing: no
indexes, and an embedded store on a directory they cannot write is opened read-only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import zlib
from collections import Counter
from pathlib import Path

import bson
from pymongo import UpdateOne
from pymongo.errors import ConfigurationError, ConnectionFailure

from crawler.analysis.checks import CROSSYEAR_FIELD, failing_query
from crawler.analysis.duplicates import report_key
from crawler.store.breaker import Breaker
from crawler.store.journal import Journal
from crawler.store.writes import (  # noqa: F401 (re-exported: the store's names in one place)
    KEPT_HEADERS,
    MAX_BODY,
    REFUSED,
    TRANSIENT,
    BodyTooLarge,
    Writes,
    _failed_rules,
    _failing,
    failing_key,
    sha256,
    utcnow,
)

logger = logging.getLogger(__name__)

DATABASE = "govreports"
#: Fields the embedded store keeps compressed: the large ones, never queried.
PACKED = {"reports": ("sections", "tables", "checks", "cells"), "pages": ("body",)}
#: Store fields of a report that are not part of what it hands out.
INTERNAL = ("_id", "failed_rules", "failing")
#: Where a writer keeps the collection files of the former embedded engine it converted.
LITEMONGO_BACKUP = "litemongo"


class StoreError(Exception):
    """The store cannot be used as configured; the message says why in one line."""


class StoreUnreachable(StoreError):
    """The database does not answer."""


class DamagedCollection(StoreError):
    """A collection's file is damaged: it cannot be read until ``scrapy store-check``."""


COLLECTIONS = ("pages", "reports", "crawls", "schedule", "years_seen")
INDEXES = {
    "pages": [("sha256", {"unique": True}), ("url", {})],
    # (organ, year, url) gives the report's pass its order; (site, failing) a site's failing
    # reports and stats' counts of them; failing alone all of them and the reports written
    # before the field existed (``failing`` null: see ensure_indexes).
    "reports": [("url", {"unique": True}), ([("region.code", 1), ("year", 1)], {}),
                ([("organ", 1), ("year", 1), ("url", 1)], {}), ("year", {}), ("template", {}),
                ("report_key", {}), ([("site", 1), ("failing", 1)], {}),
                ([("region.province", 1), ("year", 1)], {}), ("failing", {})],
    "crawls": [("started_at", {})],
    "years_seen": [("url", {"unique": True})],
}


class _Damaged:
    """Stands in for a damaged collection: any use raises :class:`DamagedCollection`."""

    def __init__(self, name: str, error: str):
        self._message = (f"the store's {name!r} collection is damaged ({error}): run "
                         f"`scrapy store-check --salvage` (see README, Damaged stores)")

    def __getattr__(self, attr):
        raise DamagedCollection(self._message)


def _redact(uri: str) -> str:
    """A MongoDB URI without its password, for messages."""
    import re

    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", uri)


class Store(Writes):
    """Pages, reports and crawls in one MongoDB database (real or embedded)."""

    def __init__(self, uri: str | None = None, data_dir: str | os.PathLike | None = None, *,
                 journal: str | os.PathLike | None = None, retries: int = 4,
                 backoff: float = 0.2, readonly: bool = False, require_database: bool = True,
                 breaker: Breaker | None = None):
        """``uri`` names a MongoDB (``mongodb://``, ``mongodb+srv://``); None means the embedded
        store under ``data_dir`` (default ``./data``). Nothing here reads the environment: the
        Scrapy settings do (:meth:`from_settings`), so an embedded store asked for is embedded
        whatever ``MONGO_URI`` says.

        ``readonly``: a reader's store (export, stats): nothing is created. ``require_database``
        False (a crawl): an unreachable MongoDB is logged in one line and the breaker opened, so
        items go to the journal; True: :class:`StoreUnreachable`. Raises :class:`StoreError`
        with a one-line reason for a store that cannot be opened."""
        self.uri = uri or None
        self.retries, self.backoff, self.readonly = retries, backoff, readonly
        self.breaker = breaker or Breaker()
        self.damaged: dict[str, str] = {}
        local = Path(data_dir or "data")
        self.journal = Journal(journal or local / "journal.jsonl")
        if self.uri and self.uri.startswith(("mongodb://", "mongodb+srv://")):
            self._open_mongodb(require_database)
        elif self.uri:
            raise ValueError(f"MONGO_URI must start with mongodb:// or mongodb+srv://, got {uri!r}")
        else:
            self._open_embedded(local)
        if not readonly:
            _check_journal(self.journal.path)
        for name in COLLECTIONS:
            setattr(self, name, self.db[name])
        if self.embedded:
            self._find_damage()
        self._indexes_pending = not readonly
        self._failing_known: bool | None = None  # see failing()
        if not readonly and not self.breaker.is_open:
            # Processes opening one embedded store together (a scheduler's crawls, workers on one
            # machine) can meet SQLite's "database is locked" while files and indexes are created.
            self._retry(self.ensure_indexes, retries=4)

    def _open_mongodb(self, require_database: bool) -> None:
        import pymongo

        try:
            self.client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=5000,
                                              tz_aware=False)
            name = pymongo.uri_parser.parse_uri(self.uri).get("database") or DATABASE
        except (ConfigurationError, ValueError) as exc:
            raise StoreError(f"MONGO_URI {_redact(self.uri)!r} is not a valid MongoDB URI: "
                             f"{exc}") from exc
        self.embedded = False
        self.db = self.client[name]
        try:
            self.client.admin.command("ping")
        except ConnectionFailure as exc:
            reason = str(exc).split(",")[0].split(" (configured timeouts")[0]
            message = f"the database at {_redact(self.uri)} is unreachable ({reason})"
            if require_database:
                self.client.close()
                raise StoreUnreachable(message) from exc
            self.breaker.failed(message)
            logger.error("%s: items are journaled to %s until it answers", message,
                         self.journal.path)

    def _open_embedded(self, local: Path) -> None:
        from crawler.store import embedded

        path = local.resolve()
        if path.exists() and not path.is_dir():
            raise StoreError(f"DATA_DIR {path} is a file, not a directory")
        folder = path / DATABASE
        readonly = self.readonly and not _writable(path)
        if not readonly:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"DATA_DIR {path} cannot be created: "
                                 f"{exc.strerror or exc}") from exc
            if not self.readonly and not _writable(folder):
                raise StoreError(f"DATA_DIR {path} is not writable (a read-only directory "
                                 f"serves export and stats only)")
        self.embedded = True
        self.data_dir = path
        self._convert_litemongo(folder, readonly)
        self.client = embedded.Client(folder, DATABASE, packed=PACKED, readonly=readonly)
        self.db = self.client[DATABASE]

    def _convert_litemongo(self, folder: Path, readonly: bool) -> None:
        """Convert the collection files the former engine (litemongo) wrote, once."""
        for name in COLLECTIONS:
            file = folder / name
            try:
                old = file.exists() and _is_litemongo(file)
            except sqlite3.DatabaseError:
                continue  # damaged: named by _find_damage, salvaged by store-check
            if not old:
                continue
            if readonly:
                raise StoreError(f"the store at {self.data_dir} was written by litemongo and "
                                 f"a read-only directory cannot be converted: open it once "
                                 f"with a writing command (e.g. `scrapy replay-journal`)")
            self._retry(lambda f=file: _migrate_litemongo(f, self.data_dir / LITEMONGO_BACKUP),
                        retries=4)

    def _find_damage(self) -> None:
        """Open each collection file: a damaged one is named and replaced by a stand-in that
        refuses every use, so that the others stay usable."""
        for name in COLLECTIONS:
            try:
                # Opening reads the file's header and schema, which is where a damaged file
                # shows; no document is read. A file another process is switching to WAL may
                # be locked a moment: retried.
                self._retry(getattr(self, name).open, retries=4)
            except sqlite3.OperationalError:
                pass  # busy or locked: not damage, the operation will say
            except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                self.damaged[name] = str(exc)
                setattr(self, name, _Damaged(name, str(exc)))
                logger.error("store: collection %r (%s) is damaged: %s", name,
                             self.data_dir / DATABASE / name, exc)

    @classmethod
    def from_settings(cls, settings, data_dir: str | os.PathLike | None = None,
                      **kwargs) -> Store:
        """The store Scrapy settings name: ``MONGO_URI``, else the embedded store in
        ``data_dir`` or ``DATA_DIR``; the journal at ``JOURNAL_PATH`` when set; the breaker's
        ``STORE_BREAKER_COOLDOWN`` and ``STORE_BREAKER_MAX``. (settings.py reads these from the
        environment; ``-s`` on the command line wins over it.)"""
        breaker = Breaker(settings.getfloat("STORE_BREAKER_COOLDOWN", 2.0),
                          settings.getfloat("STORE_BREAKER_MAX", 60.0))
        return cls(settings.get("MONGO_URI"), data_dir or settings.get("DATA_DIR"),
                   journal=settings.get("JOURNAL_PATH"), breaker=breaker, **kwargs)

    @classmethod
    def preflight(cls, settings) -> None:
        """Raise :class:`StoreError` (one line) if a crawl could not store as configured: an
        embedded store is opened and closed (a file for DATA_DIR, a read-only directory, a
        damaged ``pages`` or ``reports``); for MongoDB the URI is only parsed, since a crawl
        starts and journals while the database is down."""
        if settings.get("MONGO_URI"):
            uri = settings.get("MONGO_URI")
            if not uri.startswith(("mongodb://", "mongodb+srv://")):
                raise StoreError(f"MONGO_URI must start with mongodb:// or mongodb+srv://, "
                                 f"got {_redact(uri)!r}")
            if uri.startswith("mongodb://"):  # +srv would look the name up in DNS
                import pymongo

                try:
                    pymongo.uri_parser.parse_uri(uri)
                except (ConfigurationError, ValueError) as exc:
                    raise StoreError(f"MONGO_URI {_redact(uri)!r} is not a valid MongoDB "
                                     f"URI: {exc}") from exc
            _check_journal(Path(settings.get("JOURNAL_PATH")
                                or Path(settings.get("DATA_DIR") or "data") / "journal.jsonl"))
            return
        with cls.from_settings(settings) as store:
            vital = sorted(set(store.damaged) & {"pages", "reports"})
            if vital:
                raise DamagedCollection(store.damaged_message(vital[0]))

    def damaged_message(self, name: str) -> str:
        return _Damaged(name, self.damaged[name])._message

    @classmethod
    def for_crawler(cls, crawler) -> Store:
        """The one store of a crawler process, shared by the spider (what is stored already),
        the pipeline (what to store) and the crawl bookkeeping extension. A crawl never sleeps
        on a failed write (no retries: the breaker and the journal take over) and starts even
        when the database does not answer."""
        store = getattr(crawler, "_govreports_store", None)
        if store is None:
            store = crawler._govreports_store = cls.from_settings(
                crawler.settings, retries=0, require_database=False)
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
        """Create the indexes (of every collection that is not damaged), and give the reports
        stored before ``failing`` existed theirs (once: afterwards the index finds none
        without it)."""
        for name, indexes in INDEXES.items():
            if name not in self.damaged:
                for keys, options in indexes:
                    getattr(self, name).create_index(keys, **options)
        if "reports" not in self.damaged:
            self._add_failing()
        self._indexes_pending = False

    def _add_failing(self) -> int:
        """Set ``failing`` on the reports that have none (written before it existed), 500 at
        a time, from their ``failed_rules`` and cross-year checks: the large fields are read
        only for a report that lacks ``failed_rules`` too. Returns how many were set."""
        done, ops = 0, []
        for doc in self.reports.find({"failing": None}, {"failed_rules": 1, CROSSYEAR_FIELD: 1}):
            fields = {}
            if not isinstance(doc.get("failed_rules"), list):
                full = self.reports.find_one({"_id": doc["_id"]}, {"checks": 1}) or {}
                fields["failed_rules"] = _failed_rules(full)
            fields["failing"] = failing_key(fields.get("failed_rules", doc.get("failed_rules")),
                                            doc.get(CROSSYEAR_FIELD))
            ops.append(UpdateOne({"_id": doc["_id"]}, {"$set": fields}))
            if len(ops) == 500:
                if not done:
                    logger.warning("adding `failing` to the reports stored before it existed "
                                   "(once)")
                self.reports.bulk_write(ops, ordered=False)
                done, ops = done + len(ops), []
        if ops:
            self.reports.bulk_write(ops, ordered=False)
            done += len(ops)
        if done:
            logger.warning("`failing` added to %d stored reports", done)
        self._failing_known = True
        return done

    # --- pages --------------------------------------------------------------------------

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

    def iter_reports(self, query: dict | None = None, batch: int = 200, ordered: bool = True):
        """Reports matching ``query`` in url order, streamed ``batch`` at a time.

        The unique index on url gives the order, so neither database sorts or holds the result:
        the first report comes at once and memory holds one batch. ``ordered=False``: in the
        order the database finds them, through the index that serves ``query`` if one does
        (the url index would have every report read to test the filter).
        """
        sort = [("url", 1)] if ordered else None
        for doc in self.reports.find(query or {}, sort=sort, batch_size=batch):
            for key in INTERNAL:
                doc.pop(key, None)
            yield doc

    def replace_record(self, url: str, record: dict) -> None:
        """Write a re-derived record for an existing report (re-parsing: no new page)."""
        stored = self.reports.find_one({"url": url}, {CROSSYEAR_FIELD: 1})
        self.reports.update_one({"url": url}, {"$set": dict(
            record, parsed_at=utcnow(), failed_rules=_failed_rules(record),
            failing=_failing(record, stored), report_key=report_key(record))})

    # --- queries for analysis (crawler.analysis) ------------------------------------------

    def report_rows(self, query: dict | None = None, fields: list[str] | None = None,
                    sort: list[tuple[str, int]] | None = None):
        """The given fields (dotted paths) of the reports matching ``query``, unordered or in
        ``sort`` order, streamed (an index serves the sorts the commands ask for).

        A projection: the sections and cells of the records are never fetched."""
        projection = dict.fromkeys(fields, 1) if fields else None
        for doc in self.reports.find(query or {}, projection, sort=sort):
            doc.pop("_id", None)
            yield doc

    def first_copies(self, query: dict | None = None) -> dict[str, str]:
        """``report_key`` -> the first url (in url order) of each key that several reports
        matching ``query`` share (copies of one report on several portals). The keys are
        counted in the database (over the ``report_key`` index); only the copies are read."""
        several = [d["_id"] for d in self.reports.aggregate([
            {"$match": query or {}}, {"$group": {"_id": "$report_key", "n": {"$sum": 1}}},
            {"$match": {"n": {"$gt": 1}}}]) if d["_id"] is not None]
        out: dict[str, str] = {}
        for i in range(0, len(several), 500):
            keys = {"report_key": {"$in": several[i:i + 500]}}
            for doc in self.reports.find({"$and": [query, keys]} if query else keys,
                                         {"url": 1, "report_key": 1}):
                key, url = doc["report_key"], doc.get("url") or ""
                if key not in out or url < out[key]:
                    out[key] = url
        return out

    def latest_year(self, query: dict | None = None) -> int:
        """The latest statistics year of a report matching ``query`` that names its organ (0
        if none does): the years from their index, then, from the latest down, one lookup
        each until a year has such a report (the first one looked at, as a rule)."""
        years = sorted((k["v"] for k, _ in self.count_by({"v": "$year"}, query)
                        if type(k.get("v")) is int and k["v"]), reverse=True)
        for year in years:
            named = {"year": year, "organ": {"$nin": [None, ""]}}
            if self.reports.find_one({"$and": [query, named]} if query else named, {"_id": 1}):
                return year
        return 0

    def count_by(self, keys: dict[str, str], query: dict | None = None,
                 unwind: str | None = None, then: dict | None = None) -> list[tuple[dict, int]]:
        """Reports (or, with ``unwind``, array elements matching ``then``) counted by
        ``{name: "$field"}``, in the database."""
        pipeline: list[dict] = [{"$match": query or {}}]
        if unwind:
            pipeline.append({"$unwind": f"${unwind}"})
        if then:
            pipeline.append({"$match": then})
        pipeline.append({"$group": {"_id": keys, "n": {"$sum": 1}}})
        return [(d["_id"], d["n"]) for d in self.reports.aggregate(pipeline)]

    def count_distinct(self, field: str, query: dict | None = None) -> int:
        """The number of distinct values of ``field`` (a dotted path) over the reports matching
        ``query``, as ``$group`` tells them apart (a missing field and null are one value),
        counted in the database: ``$group`` then ``$count``, nothing per report handed back."""
        pipeline = [{"$match": query or {}}, {"$group": {"_id": f"${field}"}}, {"$count": "n"}]
        return next(iter(self.reports.aggregate(pipeline)), {}).get("n", 0)

    def failing(self, query: dict | None = None) -> dict:
        """A query for the reports matching ``query`` that fail a check (own or cross-year):
        ``failing > ""``, which its index serves, once every report has ``failing``. A store
        written before it existed that no writer has opened since (which adds it) gets the
        former query (:func:`~crawler.analysis.checks.failing_query`), which reads every
        report: whether any report lacks ``failing`` is one index lookup."""
        failing = {"failing": {"$gt": ""}} if self._knows_failing() else failing_query()
        return {"$and": [query, failing]} if query else failing

    def _knows_failing(self) -> bool:
        if self._failing_known is None:
            self._failing_known = self.reports.find_one({"failing": None}, {"_id": 1}) is None
        return self._failing_known

    def failing_counts(self, query: dict | None = None) -> dict:
        """:meth:`failing_summary` of the reports matching ``query``, counted from the index on
        (site, failing): the reports are grouped by site and by their failing rules, no report
        is read (with filters, only those they select). On a store written before ``failing``
        existed, :meth:`failing_summary`."""
        if not self._knows_failing():
            return self.failing_summary(self.failing(query), CROSSYEAR_FIELD)
        reports, by_site, rules = 0, Counter(), Counter()
        for key, n in self.count_by({"site": "$site", "rules": "$failing"}, self.failing(query)):
            reports += n
            by_site[key.get("site")] += n
            for rule in key["rules"].split(" "):
                rules[rule] += n
        return {"reports": reports, "by_site": list(by_site.items()),
                "rules": sorted(rules.items())}

    def failing_summary(self, failing: dict, crossyear_field: str) -> dict:
        """Over the reports matching ``failing`` (a query for reports with a failing check, as
        :meth:`failing` gives it): ``reports`` (their number), ``by_site`` ([(site, reports)])
        and ``rules`` ([(rule, failing checks)], own and cross-year from ``crossyear_field``,
        sorted). One aggregation (``$facet``): the reports ``failing`` selects are read once
        (in file order) and each count runs over them."""
        own = [{"$unwind": "$failed_rules"},
               {"$group": {"_id": "$failed_rules", "n": {"$sum": 1}}}]
        crossyear = [{"$unwind": f"${crossyear_field}"},
                     {"$match": {f"{crossyear_field}.ok": False}},
                     {"$group": {"_id": f"${crossyear_field}.rule", "n": {"$sum": 1}}}]
        (got,) = self.reports.aggregate([{"$match": failing}, {"$facet": {
            "reports": [{"$count": "n"}],
            "by_site": [{"$group": {"_id": "$site", "n": {"$sum": 1}}}],
            "own": own, "crossyear": crossyear}}])
        return {"reports": got["reports"][0]["n"] if got["reports"] else 0,
                "by_site": [(d["_id"], d["n"]) for d in got["by_site"]],
                "rules": sorted((d["_id"], d["n"]) for d in got["own"] + got["crossyear"])}

    def reports_by_organ(self, fields: list[str], organs: list[str] | None = None):
        """Lists of reports (projected to ``fields``), one list per organ. Without ``organs``:
        every organ that has several reports or already carries cross-year checks."""
        if organs is None:
            several = self.reports.aggregate([{"$group": {"_id": "$organ", "n": {"$sum": 1}}},
                                              {"$match": {"n": {"$gt": 1}}}])
            organs = {d["_id"] for d in several if d["_id"]}
            organs |= {d["organ"] for d in self.reports.find(
                {"crossyear_checks.0": {"$exists": True}}, {"organ": 1}) if d.get("organ")}
        for organ in sorted(organs):
            yield list(self.report_rows({"organ": organ}, fields))

    def find_report(self, url: str) -> dict | None:
        """The stored report of ``url``, else the one report whose url ends with it."""
        doc = self.reports.find_one({"url": url})
        if doc is None and url:
            found = list(self.reports.find({"url": {"$regex": re.escape(url) + "$"}}).limit(2))
            doc = found[0] if len(found) == 1 else None
        if doc is not None:
            doc.pop("_id", None)
        return doc

    def recent_crawls(self, limit: int = 20) -> list[dict]:
        """The latest crawl documents, newest first."""
        return list(self.crawls.find({}).sort("started_at", -1).limit(limit))

    def crawl_since(self, site_id: str, since: dt.datetime) -> dict | None:
        """The latest crawl of one site (``-a site=ID``) started at or after ``since``."""
        return self.crawls.find_one({"arguments.site": site_id, "started_at": {"$gte": since}},
                                    sort=[("started_at", -1)])

    def set_report_fields(self, url: str, fields: dict) -> None:
        """Set derived fields of a report (e.g. its cross-year checks, which count in its
        ``failing``)."""
        if CROSSYEAR_FIELD in fields:
            stored = self.reports.find_one({"url": url}, {"failed_rules": 1}) or {}
            fields = dict(fields, failing=failing_key(stored.get("failed_rules") or [],
                                                      fields[CROSSYEAR_FIELD]))
        self.reports.update_one({"url": url}, {"$set": fields})

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

    def failing_rules(self, query: dict | None = None, field: str = "checks"
                      ) -> list[tuple[str, int]]:
        """(check rule, number of failing checks) over the reports matching ``query``, from
        their ``checks`` (or another list of checks: ``crossyear_checks``), in the database.

        The rules of a report's own failing checks are kept in ``failed_rules`` (the embedded
        store keeps ``checks`` compressed): one ``$unwind`` of short strings."""
        if field == "checks":
            pipeline = [{"$match": query or {}}, {"$unwind": "$failed_rules"},
                        {"$group": {"_id": "$failed_rules", "n": {"$sum": 1}}}]
        else:
            pipeline = [{"$match": query or {}}, {"$unwind": f"${field}"},
                        {"$match": {f"{field}.ok": False}},
                        {"$group": {"_id": f"${field}.rule", "n": {"$sum": 1}}}]
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

def _check_journal(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"JOURNAL_PATH {path} is a directory: it names the journal file")
    if path.exists() and not os.access(path, os.W_OK) or not _writable(path.parent):
        raise StoreError(f"JOURNAL_PATH {path} is not writable")


def _writable(path: Path) -> bool:
    """Can this process create files in ``path`` (or, if it does not exist, its parent)?"""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def _is_litemongo(path: Path) -> bool:
    """Was this collection file written by litemongo (a ``documents`` table of BSON)?"""
    from crawler.store.embedded import _read_only

    conn = _read_only(path, timeout=5.0)  # immutable where a read-only directory needs it
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    return "documents" in tables and path.name not in tables


def _migrate_litemongo(path: Path, backup: Path) -> None:
    """Convert one collection file written by litemongo (BSON documents, indexes rebuilt in
    memory at every open) into the embedded engine's format, in place.

    The old file is first made whole (its WAL folded in) and copied to ``backup``; the new one
    is built beside it and then renamed over it, so an interruption leaves either the old file
    (converted again next time) or the new one, never half of each."""
    import shutil

    from crawler.store import embedded

    old = sqlite3.connect(path)
    try:
        old.execute("PRAGMA journal_mode=DELETE")  # folds in and removes the -wal
    finally:
        old.close()
    logger.warning("converting %s from litemongo; the original is kept in %s", path, backup)
    backup.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, backup / (path.name + ".copying"))
    os.replace(backup / (path.name + ".copying"), backup / path.name)
    work = path.parent.with_name(path.parent.name + ".converting")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    client = embedded.Client(work, DATABASE, packed=PACKED)
    src = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        rows = src.execute("SELECT doc FROM documents ORDER BY ROWID")
        coll = client[DATABASE][path.name]
        coll.open()
        while chunk := rows.fetchmany(500):
            docs = [bson.decode(r[0]) for r in chunk]
            if path.name == "reports":
                for d in docs:
                    d["failed_rules"] = _failed_rules(d)
                    d["failing"] = _failing(d)
                    d.setdefault("report_key", report_key(d))
            coll.insert_many(docs)
    finally:
        src.close()
        client.close()
    os.replace(work / path.name, path)
    shutil.rmtree(work, ignore_errors=True)
