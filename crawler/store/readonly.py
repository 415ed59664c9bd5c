"""The embedded store opened read-only, for readers on a directory they cannot write.

litemongo opens every collection file read-write in WAL mode, which needs to create the
``-wal`` and ``-shm`` files beside it: on a read-only ``DATA_DIR`` (a mounted snapshot, another
user's store) that fails even for a read. Here each collection is opened ``mode=ro``, and
``immutable`` when SQLite cannot even make its shared-memory file (nothing can be writing to a
directory nobody may write); a collection without a file is an empty one in memory. Nothing is
created on disk.
"""

from __future__ import annotations

import pathlib
import sqlite3

from litemongo import sqlite_store


def _connect(path: pathlib.Path) -> sqlite3.Connection:
    if not path.exists():
        return sqlite3.connect(":memory:")
    last = None
    for mode in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
            return conn
        except sqlite3.OperationalError as exc:  # "unable to open": no -shm can be made
            conn.close()
            last = exc
    raise last


class _Collection(sqlite_store.CollectionStore):
    def open(self):
        # litemongo's open(), minus the journal-mode change and with a read-only connection.
        self._connection = _connect(self._path)
        self._cur = self._connection.cursor()
        key_format = self._init_info()
        self._documents = sqlite_store.TableDict(
            self.DOCUMENTS, self._connection, self._cur, codec_options=self._codec_options,
            key_format=key_format)
        self.indexes = sqlite_store.IndexDict(
            self.INDEXES, self._connection, self._cur, codec_options=self._codec_options,
            key_format=key_format)
        self._is_force_created = False
        self._ttl_indexes = {}
        self._query_index = None
        self._data_version = None


class _Database(sqlite_store.DatabaseStore):
    def __init__(self, path: pathlib.Path, codec_options=None):
        # No mkdir: a missing database is an empty one.
        self._dirpath = path.absolute()
        self._codec_options = codec_options or sqlite_store.bson.DEFAULT_CODEC_OPTIONS
        self._collections = {}

    def __getitem__(self, col_name):
        if col_name not in self._collections:
            self._collections[col_name] = _Collection(self._dirpath / col_name,
                                                      codec_options=self._codec_options)
        return self._collections[col_name]

    def _all_collection_names(self) -> list:
        if not self._dirpath.is_dir():
            return list(self._collections)
        return super()._all_collection_names()


class ReadOnlyServerStore(sqlite_store.ServerStore):
    """litemongo's SQLite server store, read-only (pass it to ``litemongo.MongoClient``)."""

    def __init__(self, dirpath):
        self._dirpath = pathlib.Path(dirpath).absolute()
        self._databases = {}

    def __getitem__(self, db_name):
        if db_name not in self._databases:
            self._databases[db_name] = _Database(self._dirpath / db_name)
        return self._databases[db_name]
