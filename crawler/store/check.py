"""Integrity check and salvage of the embedded store (``scrapy store-check``).

Each collection is one SQLite file under ``DATA_DIR/govreports`` (:mod:`crawler.store.embedded`).
:func:`check` runs SQLite's ``integrity_check`` on each. :func:`salvage` rebuilds a damaged one
from what still reads: the documents are copied row by row into a fresh file, rows that cannot
be read or decoded are counted as lost, and the damaged file is moved to
``DATA_DIR/damaged/<time>/`` (never deleted) before the fresh one takes its place. Indexes are
created again by the next process that writes. A file of the former engine (litemongo's BSON
``documents``) is salvaged into the current format.

Run it with no crawl or command writing to the store.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bson

from crawler.store import embedded
from crawler.store.database import DATABASE, PACKED

_SIDECARS = ("-wal", "-shm", "-journal")


@dataclass
class Finding:
    name: str
    path: Path
    problem: str | None  # None: the file is sound


def collection_files(data_dir: Path) -> list[Path]:
    folder = Path(data_dir) / DATABASE
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(_SIDECARS))


def check(data_dir: Path) -> list[Finding]:
    """One finding per collection file: None, or what SQLite found wrong."""
    findings = []
    for path in collection_files(data_dir):
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            try:
                rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            finally:
                conn.close()
            problem = None if rows == ["ok"] else "; ".join(rows[:3])
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        findings.append(Finding(path.name, path, problem))
    return findings


def _source(conn: sqlite3.Connection, name: str) -> tuple[str, str, Callable]:
    """(table, columns, decoder of a row) of a collection file: the current format's table
    named as the collection, or litemongo's ``documents``."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError:
        tables = set()
    if name not in tables and "documents" in tables:
        return "documents", "doc, NULL", lambda doc, _: bson.decode(doc)
    return name, "doc, packed", embedded.Collection._decode


def _readable_docs(conn: sqlite3.Connection, name: str) -> tuple[list[dict], int]:
    """(documents that read and decode, documents lost) of one collection file, row by row
    past damage."""
    table, columns, decode = _source(conn, name)
    try:
        rows = conn.execute(f"SELECT {columns} FROM {table} ORDER BY rowid").fetchall()
        lost = 0
    except sqlite3.DatabaseError:
        try:
            last = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
        except sqlite3.DatabaseError:
            return [], 0  # not even the table's extent reads: nothing to save, count unknown
        rows, lost = [], 0
        for rowid in range(1, last + 1):
            try:
                row = conn.execute(f"SELECT {columns} FROM {table} WHERE rowid = ?",
                                   (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                lost += 1
                continue
            if row is not None:
                rows.append(row)
    docs = []
    for doc, packed in rows:
        try:
            docs.append(decode(doc, packed))
        except Exception:  # noqa: BLE001 - any decoding failure: a lost document
            lost += 1
    return docs, lost


def salvage(path: Path, data_dir: Path) -> tuple[int, int, Path]:
    """Rebuild a damaged collection file from what reads. Returns (documents kept, documents
    known lost, where the damaged file was moved)."""
    docs, lost = [], 0
    try:
        src = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        src = None
    if src is not None:
        try:
            docs, lost = _readable_docs(src, path.name)
        finally:
            src.close()
    work = path.parent.with_name(path.parent.name + ".salvaging")
    shutil.rmtree(work, ignore_errors=True)
    client = embedded.Client(work, DATABASE, packed=PACKED)
    try:
        coll = client[DATABASE][path.name]
        coll.open()
        coll.insert_many(docs)  # in a fresh file _ids cannot clash: they were unique keys
    finally:
        client.close()
    aside = Path(data_dir) / "damaged" / dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    aside.mkdir(parents=True, exist_ok=True)
    for suffix in ("", *_SIDECARS):
        part = path.with_name(path.name + suffix)
        if part.exists():
            os.replace(part, aside / part.name)
    os.replace(work / path.name, path)
    shutil.rmtree(work, ignore_errors=True)
    return len(docs), lost, aside / path.name
