"""Integrity check and salvage of the embedded store (``scrapy store-check``).

Each collection is one SQLite file under ``DATA_DIR/govreports``. :func:`check` runs SQLite's
``integrity_check`` on each. :func:`salvage` rebuilds a damaged one from what still reads: the
documents (and index definitions) are copied row by row into a fresh file, rows that cannot be
read or decoded are counted as lost, and the damaged file is moved to
``DATA_DIR/damaged/<time>/`` (never deleted) before the fresh one takes its place. Indexes whose
definitions were lost are created again by the next process that writes.

Run it with no crawl or command writing to the store.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import bson

from crawler.store.database import DATABASE

_SIDECARS = ("-wal", "-shm", "-journal")
_TABLES = ("documents", "indexes")


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


def _readable_rows(conn: sqlite3.Connection, table: str) -> tuple[list[tuple], int]:
    """(rows that read and decode, rows lost) of one table, row by row past damage."""
    try:
        return _decoded(conn.execute(f"SELECT _id, doc FROM {table} ORDER BY rowid").fetchall())
    except sqlite3.DatabaseError:
        pass
    try:
        last = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        return [], 0  # not even the table's extent reads: nothing to save, count unknown
    rows, lost = [], 0
    for rowid in range(1, last + 1):
        try:
            row = conn.execute(f"SELECT _id, doc FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            lost += 1
            continue
        if row is not None:
            rows.append(row)
    kept, bad = _decoded(rows)
    return kept, lost + bad


def _decoded(rows: list[tuple]) -> tuple[list[tuple], int]:
    kept = []
    for key, doc in rows:
        try:
            bson.decode(doc)
        except Exception:  # noqa: BLE001 - any decoding failure: a lost document
            continue
        kept.append((key, doc))
    return kept, len(rows) - len(kept)


def salvage(path: Path, data_dir: Path) -> tuple[int, int, Path]:
    """Rebuild a damaged collection file from what reads. Returns (documents kept, documents
    known lost, where the damaged file was moved)."""
    tables, lost, info = {}, 0, []
    try:
        src = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        src = None
    if src is not None:
        try:
            for table in _TABLES:
                tables[table], n = _readable_rows(src, table)
                lost += n if table == "documents" else 0
            try:
                info = src.execute("SELECT key, value FROM info").fetchall()
            except sqlite3.DatabaseError:
                info = []
        finally:
            src.close()
    docs = tables.get("documents", [])
    if not any(k == "key_format" for k, _ in info):
        # litemongo's typed keys start with a type letter and a colon ("s:", "o:").
        typed = all(isinstance(k, str) and k[1:2] == ":" for k, _ in docs)
        info.append(("key_format", 2 if typed else 1))
    fresh = path.with_name(path.name + ".salvaged")
    fresh.unlink(missing_ok=True)
    out = sqlite3.connect(fresh)
    with out:
        out.execute("PRAGMA journal_mode=WAL")
        out.execute("CREATE TABLE info(key PRIMARY KEY, value)")
        out.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)", info)
        for table in _TABLES:
            out.execute(f"CREATE TABLE {table}(_id PRIMARY KEY, doc)")
            out.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", tables.get(table, []))
    out.close()
    aside = Path(data_dir) / "damaged" / dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    aside.mkdir(parents=True, exist_ok=True)
    for suffix in ("", *_SIDECARS):
        part = path.with_name(path.name + suffix)
        if part.exists():
            os.replace(part, aside / part.name)
    os.replace(fresh, path)
    return len(docs), lost, aside / path.name
