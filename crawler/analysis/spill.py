"""A list that grows with the store, kept on disk and read back in order.

The report lists every late, undated and missing publisher: at national scale (300k reports)
hundreds of thousands of lines, which the report writes out and never needs all at once. A
:class:`Spill` keeps them in a private temporary SQLite database (SQLite holds a few megabytes
of it in memory and the rest in a file it deletes on close), sorted by SQLite when read.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator


def _encode(value):
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"not JSON: {type(value).__name__}")


def _decode(obj: dict):
    if set(obj) == {"$date"}:
        return dt.date.fromisoformat(obj["$date"])
    return obj


class Spill:
    """Dicts of JSON values and dates, added with a sort key (a tuple of ``width`` numbers or
    strings) and read back in key order (equal keys in the order they came)."""

    def __init__(self, width: int = 1):
        self.width = width
        self._db = sqlite3.connect("")  # "": a temporary database on disk, gone on close
        columns = ", ".join(f"k{i}" for i in range(width))
        self._db.execute(f"CREATE TABLE spill ({columns}, v TEXT)")
        self._insert = f"INSERT INTO spill VALUES ({', '.join('?' * (width + 1))})"
        self._order = columns
        self._pending: list[tuple] = []
        self._n = 0

    def add(self, key: tuple, value: dict) -> None:
        self._pending.append((*key, json.dumps(value, default=_encode, ensure_ascii=False)))
        self._n += 1
        if len(self._pending) >= 1000:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany(self._insert, self._pending)
        self._pending = []

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __iter__(self) -> Iterator[dict]:
        self._flush()
        for (text,) in self._db.execute(f"SELECT v FROM spill ORDER BY {self._order}, rowid"):
            yield json.loads(text, object_hook=_decode)

    def close(self) -> None:
        self._db.close()
