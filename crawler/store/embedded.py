"""The embedded document database: pymongo's collection API on SQLite files, queried in SQL.

Why not litemongo (the former default): it keeps each document as a BSON blob and answers
queries in Python (mongomock), with hash indexes it rebuilds in memory by decoding every
document when a store is opened. Opening therefore takes time linear in the collection (11 s at
100k reports), every aggregation decodes every document (``scrapy stats`` ran out of 3 GB at
100k) and sorted reads materialise the result set. Here the database does the work:

- A collection is one SQLite file in the database's directory (named as the collection, as
  litemongo named them), so that a damaged file costs one collection, a reader can open each
  file read-only and ``scrapy store-check`` checks and salvages file by file. It holds one
  table ``(rowid, key, doc, packed)``: ``key`` is the encoded ``_id``
  (unique), ``doc`` the document as JSON text, ``packed`` its large fields (declared per
  collection: report sections/tables/cells/checks, page bodies) as zlib-compressed BSON. The JSON
  keeps a ``{"$packed": 1}`` placeholder where a packed field was, so documents come back with
  their keys in order.
- Filters, sorts, counts and aggregation pipelines are translated to SQL over
  ``json_extract(doc, path)``; ``create_index`` makes SQLite expression indexes on those same
  expressions, so an indexed lookup or an indexed sort never reads the collection. Opening costs
  a connection, whatever the size.
- Cursors stream rows from their own read connection (a snapshot in WAL mode), so a caller can
  update documents while iterating, as with MongoDB.

What is supported is what a document store for this project needs, and each unsupported thing
raises :class:`pymongo.errors.OperationFailure` naming it instead of answering wrongly:

- filters: equality (scalars, datetimes, ObjectIds, documents), ``$eq $ne $gt $gte $lt $lte $in
  $nin $exists $regex $elemMatch $and $or $nor`` (a boolean equals only a boolean, a number
  only a number); ``a.0`` addresses an array element. Unlike
  MongoDB, equality on an array field does not match its elements (use ``$elemMatch``).
- projections (inclusion or exclusion), sort, skip, limit, ``count_documents``;
- updates ``$set $unset $inc $setOnInsert`` with upsert; ``insert_one/many``, ``bulk_write``
  (one transaction), ``delete_one/many``;
- aggregation: ``$match``, ``$unwind`` (a path string), ``$group`` with ``$sum $min $max $avg``,
  then ``$match`` on the groups, ``$sort``, ``$limit`` or ``$count`` (the number of groups,
  counted in SQL), ``$count``; ``$facet`` after ``$match``. A pipeline is one ``SELECT … GROUP
  BY`` (a ``$facet``: the matching documents copied once into a temporary table, then one
  SELECT per sub-pipeline over it). Group keys are told apart as MongoDB does (1 and 1.0 one
  key, true and 1 two, a missing field and null one), reading the key from an index where
  the collection has one; ``$sum`` and ``$avg`` add numbers only.

Datetimes are kept naive UTC, as pymongo returns them with ``tz_aware=False``. Integers
beyond 64 bits are refused (``OverflowError``), as MongoDB refuses them.

A client opened ``readonly`` writes nothing: each file is opened ``mode=ro`` (or ``immutable``
when SQLite cannot even make its shared-memory file, on a directory nobody may write), and a
collection without a file is an empty one in memory.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
import json
import re
import sqlite3
import threading
import zlib
from pathlib import Path

import bson
from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure
from pymongo.operations import DeleteMany, DeleteOne, InsertOne, UpdateMany, UpdateOne
from pymongo.results import (
    BulkWriteResult,
    DeleteResult,
    InsertManyResult,
    InsertOneResult,
    UpdateResult,
)

PLACEHOLDER = {"$packed": 1}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Rows fetched per round trip by a cursor.
BATCH = 500


# --- values <-> JSON --------------------------------------------------------------------------

def _to_json(value):
    """JSON-able form of a document value: datetimes, ObjectIds and bytes become tagged objects
    (``$date``, ``$oid``, ``$binary``), as in MongoDB's extended JSON."""
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$date": _iso(value)}
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"$binary": base64.b64encode(value).decode("ascii")}
    if type(value) is int and not -(1 << 63) <= value < (1 << 63):
        raise OverflowError(f"MongoDB can only handle up to 8-byte ints: {value}")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    raise OperationFailure(f"cannot store a value of type {type(value).__name__}: {value!r}")


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    # Fixed width, so that SQL compares the strings as it would the datetimes.
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _hook(obj: dict):
    if len(obj) == 1:
        if "$date" in obj:
            return dt.datetime.fromisoformat(obj["$date"])
        if "$oid" in obj:
            return ObjectId(obj["$oid"])
        if "$binary" in obj:
            return base64.b64decode(obj["$binary"])
    return obj


def _loads(text: str):
    return json.loads(text, object_hook=_hook)


def _dumps(value) -> str:
    return json.dumps(_to_json(value), ensure_ascii=False, separators=(",", ":"))


def _encode_key(value) -> str:
    """The unique ``key`` column: ``_id`` values MongoDB tells apart get different keys."""
    if isinstance(value, ObjectId):
        return "o:" + str(value)
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, bool):
        return "b:" + str(value)
    if isinstance(value, int | float):
        return "n:" + repr(float(value))
    return "j:" + _dumps(value)


def _sql_value(value):
    """A filter operand as SQL compares it with ``json_extract``."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _json_path(field: str) -> str:
    parts = []
    for part in field.split("."):
        if part.isdigit():
            parts.append(f"[{part}]")
        else:
            parts.append("." + json.dumps(part))
    return "$" + "".join(parts)


# --- filters -> SQL ---------------------------------------------------------------------------

class _Sql:
    """Translates a filter into a WHERE clause over one JSON expression root."""

    def __init__(self, coll: Collection, root: str = "doc", unwound: tuple[str, str] | None = None):
        self.coll, self.root, self.unwound = coll, root, unwound
        self.params: list = []

    def expr(self, field: str, tag: str | None = None) -> str:
        root, path = self.root, field
        if self.unwound and (field == self.unwound[0] or field.startswith(self.unwound[0] + ".")):
            root, path = self.unwound[1], field[len(self.unwound[0]) + 1:]
        elif root == "doc":
            self.coll._check_queryable(field)
        if tag:
            path = f"{path}.{tag}" if path else tag
        if not path:
            return root
        return f"json_extract({root}, '{_json_path(path)}')"

    def where(self, filt: dict | None) -> str:
        if not filt:
            return "1"
        return " AND ".join(self._clause(k, v) for k, v in filt.items()) or "1"

    def _clause(self, field: str, cond) -> str:
        if field in ("$and", "$or", "$nor"):
            parts = [f"({self.where(f)})" for f in cond]
            if field == "$and":
                return " AND ".join(parts) or "1"
            joined = " OR ".join(parts) or "0"
            return f"({joined})" if field == "$or" else f"NOT ({joined})"
        if field.startswith("$"):
            raise OperationFailure(f"embedded store: unsupported query operator {field}")
        if field == "_id" and self.root == "doc":
            return self._id_clause(cond)
        if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
            return " AND ".join(self._op(field, op, arg, cond) for op, arg in cond.items()
                                if op != "$options")
        return self._eq(field, cond)

    def _id_clause(self, cond) -> str:
        if isinstance(cond, dict) and set(cond) == {"$in"}:
            keys = [_encode_key(v) for v in cond["$in"]]
            self.params += keys
            return f"key IN ({','.join('?' * len(keys))})" if keys else "0"
        if isinstance(cond, dict) and any(k.startswith("$") for k in cond):
            raise OperationFailure("embedded store: _id supports equality and $in only")
        self.params.append(_encode_key(cond))
        return "key = ?"

    def _eq(self, field: str, value) -> str:
        if value is None:  # null matches a null or a missing field, as in MongoDB
            return f"{self.expr(field)} IS NULL"
        if isinstance(value, dict | list):
            self.params.append(_dumps(value))
            # json_extract gives objects and arrays as JSON text: compared as documents.
            return f"json({self.expr(field)}) = json(?)"
        if isinstance(value, bool):  # json_extract gives true as 1: the JSON type tells
            return f"{_typed(self.expr(field))} = '{'true' if value else 'false'}'"
        if isinstance(value, int | float) and value in (0, 1):  # ... and 1 is not true
            expr = self.expr(field)
            self.params.append(value)
            return f"({expr} = ? AND {_typed(expr)} IN ('integer', 'real'))"
        if isinstance(value, dt.datetime | ObjectId):
            tag = "$date" if isinstance(value, dt.datetime) else "$oid"
            self.params.append(_sql_value(value))
            return f"{self.expr(field, tag)} = ?"
        self.params.append(_sql_value(value))
        return f"{self.expr(field)} = ?"

    def _op(self, field: str, op: str, arg, cond: dict) -> str:
        comparisons = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
        if op == "$eq":
            return self._eq(field, arg)
        if op == "$ne":
            # A missing or null field is "not equal" too: NOT NULL must not drop it.
            return f"NOT coalesce({self._eq(field, arg)}, 0)" if arg is not None \
                else f"{self.expr(field)} IS NOT NULL"
        if op in comparisons:
            tag = "$date" if isinstance(arg, dt.datetime) else None
            self.params.append(_sql_value(arg))
            return f"{self.expr(field, tag)} {comparisons[op]} ?"
        if op in ("$in", "$nin"):
            if arg and all(isinstance(v, str) or isinstance(v, int | float) and not isinstance(
                    v, bool) and v not in (0, 1) for v in arg):
                # IN over the indexed expression: an index lookup (0 and 1 need their type)
                self.params += list(arg)
                clause = f"{self.expr(field)} IN ({','.join('?' * len(arg))})"
            else:
                parts = [self._eq(field, v) for v in arg]
                clause = f"({' OR '.join(parts)})" if parts else "0"
            return clause if op == "$in" else f"NOT coalesce({clause}, 0)"
        if op == "$exists":
            return f"{_typed(self.expr(field))} IS {'NOT ' if arg else ''}NULL"
        if op == "$regex":
            pattern = arg.pattern if isinstance(arg, re.Pattern) else str(arg)
            options = cond.get("$options", "")
            self.params.append(("(?i)" if "i" in options else "") + pattern)
            return f"regexp(?, {self.expr(field)})"
        if op == "$elemMatch":
            alias = f"e{len(self.params)}"
            inner = _Sql(self.coll, f"{alias}.value")
            inner.params = self.params
            source = f"json_each({self.expr(field)})"
            return f"EXISTS (SELECT 1 FROM {source} AS {alias} WHERE {inner.where(arg)})"
        raise OperationFailure(f"embedded store: unsupported query operator {op}")


def _typed(expr: str) -> str:
    """``json_type`` of what ``expr`` extracts: NULL only where the field is missing."""
    if expr.startswith("json_extract("):
        return "json_type(" + expr[len("json_extract("):]
    if expr.endswith(".value"):  # an element of json_each: its type is a column
        return expr[:-len("value")] + "type"
    return f"json_type({expr})"


def _regexp(pattern, value) -> bool:
    return value is not None and isinstance(value, str) and re.search(pattern, value) is not None


# --- documents ----------------------------------------------------------------------------------

def _project(doc: dict, projection) -> dict:
    if not projection:
        return doc
    if isinstance(projection, list | tuple):
        projection = dict.fromkeys(projection, 1)
    include = {k for k, v in projection.items() if v and k != "_id"}
    if include:
        out = {"_id": doc["_id"]} if projection.get("_id", 1) and "_id" in doc else {}
        for field in include:
            _copy_path(doc, out, field.split("."))
        return out
    out = dict(doc)
    for field, keep in projection.items():
        if not keep:
            _drop_path(out, field.split("."))
    return out


def _copy_path(src: dict, dst: dict, parts: list[str]) -> None:
    if parts[0] not in src:
        return
    if len(parts) == 1:
        dst[parts[0]] = src[parts[0]]
    elif isinstance(src[parts[0]], dict):
        _copy_path(src[parts[0]], dst.setdefault(parts[0], {}), parts[1:])


def _drop_path(doc: dict, parts: list[str]) -> None:
    if len(parts) == 1:
        doc.pop(parts[0], None)
    elif isinstance(doc.get(parts[0]), dict):
        doc[parts[0]] = dict(doc[parts[0]])
        _drop_path(doc[parts[0]], parts[1:])


def _apply_update(doc: dict, update: dict, inserting: bool) -> set[str]:
    """Apply update operators in place; returns the top-level fields touched."""
    touched = set()
    for op, fields in update.items():
        if op == "$setOnInsert" and not inserting:
            continue
        if op not in ("$set", "$unset", "$inc", "$setOnInsert"):
            raise OperationFailure(f"embedded store: unsupported update operator {op}")
        for field, value in fields.items():
            parts = field.split(".")
            touched.add(parts[0])
            target = doc
            for part in parts[:-1]:
                target = target.setdefault(part, {})
                if not isinstance(target, dict):
                    raise OperationFailure(f"cannot update {field}: {part} is not a document")
            last = parts[-1]
            if op == "$unset":
                target.pop(last, None)
            elif op == "$inc":
                target[last] = target.get(last, 0) + value
            else:
                target[last] = value
    return touched


class Collection:
    """A subset of :class:`pymongo.collection.Collection` (see the module docstring)."""

    def __init__(self, database: Database, name: str, packed: tuple[str, ...] = ()):
        if not _NAME.match(name):
            raise OperationFailure(f"embedded store: invalid collection name {name!r}")
        self.database, self.name, self.packed = database, name, frozenset(packed)
        self.full_name = f"{database.name}.{name}"
        self.path = database.client.path / name
        self._created = False
        self._connection: sqlite3.Connection | None = None
        self._memory = False  # a read-only client's collection without a file

    def open(self) -> None:
        """Connect to the collection's file and read its schema: a damaged file raises
        :class:`sqlite3.DatabaseError` here, without a document being read."""
        with self.database.client._lock:
            if self._connection is None:
                client = self.database.client
                if client.readonly and not self.path.exists():
                    self._connection, self._memory = client._memory(), True
                else:
                    self._connection = client._connect(self.path)
            self._connection.execute("SELECT count(*) FROM sqlite_master").fetchone()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            self.open()
        return self._connection

    def _reader(self) -> sqlite3.Connection | None:
        """A connection of its own for a streaming cursor (None: read on the collection's)."""
        return None if self._memory else self.database.client._reader(self.path)

    def _ensure(self) -> None:
        if self._created:
            return
        conn = self._conn
        with self.database.client._lock:
            exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                  (self.name,)).fetchone()
            if not exists and self.database.client.readonly and not self._memory:
                # A file without the table, opened read-only: an empty collection.
                conn.close()
                self._connection, self._memory = self.database.client._memory(), True
                conn = self._connection
            if not exists:
                with conn:
                    conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.name} (rowid INTEGER PRIMARY KEY, "
                        "key TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, packed BLOB)")
        self._created = True

    def close(self) -> None:
        with self.database.client._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _check_queryable(self, field: str) -> None:
        if field.split(".")[0] in self.packed:
            raise OperationFailure(
                f"embedded store: {self.name}.{field.split('.')[0]} is stored compressed and "
                "cannot be queried, sorted or grouped on")

    # --- encoding -------------------------------------------------------------------------

    def _encode(self, doc: dict) -> tuple[str, str, bytes | None]:
        plain, packed = {}, {}
        for k, v in doc.items():
            if k in self.packed:
                packed[k] = v
                plain[k] = PLACEHOLDER
            else:
                plain[k] = v
        blob = zlib.compress(bson.encode(packed), 6) if packed else None
        return _encode_key(doc["_id"]), _dumps(plain), blob

    @staticmethod
    def _decode(text: str, blob: bytes | None) -> dict:
        doc = _loads(text)
        if blob is not None:
            packed = bson.decode(zlib.decompress(blob))
            for k, v in packed.items():
                doc[k] = v
        return doc

    def _needs_packed(self, projection) -> bool:
        if not self.packed:
            return False
        if not projection:
            return True
        if isinstance(projection, list | tuple):
            projection = dict.fromkeys(projection, 1)
        include = {k.split(".")[0] for k, v in projection.items() if v and k != "_id"}
        if include:
            return bool(include & self.packed)
        excluded = {k for k, v in projection.items() if not v}
        return not self.packed <= excluded

    # --- indexes --------------------------------------------------------------------------

    def create_index(self, keys, unique: bool = False, name: str | None = None, **_) -> str:
        if isinstance(keys, str):
            keys = [(keys, 1)]
        exprs, parts = [], []
        for field, direction in keys:
            self._check_queryable(field)
            order = "DESC" if direction == -1 else "ASC"
            exprs.append(f"json_extract(doc, '{_json_path(field)}') {order}")
            parts.append(f"{field}_{direction}")
        name = name or "_".join(parts)
        ident = re.sub(r"[^A-Za-z0-9_]", "_", f"{self.name}__{name}")
        self._ensure()
        try:
            with self.database.client._lock, self._conn:
                self._conn.execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS "
                                   f"{ident} ON {self.name} ({', '.join(exprs)})")
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"cannot create unique index {name}: {exc}") from exc
        return name

    # --- writes ---------------------------------------------------------------------------

    def _insert(self, doc: dict) -> object:
        if "_id" not in doc:
            doc["_id"] = ObjectId()
        try:
            self._conn.execute(f"INSERT INTO {self.name} (key, doc, packed) VALUES (?, ?, ?)",
                               self._encode(doc))
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"E11000 duplicate key in {self.full_name}: {exc}") from exc
        return doc["_id"]

    def insert_one(self, document: dict) -> InsertOneResult:
        self._ensure()
        with self.database.client._lock, self._conn:
            return InsertOneResult(self._insert(document), True)

    def insert_many(self, documents, ordered: bool = True) -> InsertManyResult:
        self._ensure()
        with self.database.client._lock, self._conn:
            return InsertManyResult([self._insert(d) for d in documents], True)

    def _update(self, filt, update, upsert: bool, many: bool) -> UpdateResult:
        if not update or not all(k.startswith("$") for k in update):
            raise OperationFailure("embedded store: an update needs operators ($set, ...)")
        sql = _Sql(self)
        where = sql.where(filt)
        limit = "" if many else " LIMIT 1"
        rows = self._conn.execute(f"SELECT rowid, doc FROM {self.name} WHERE {where}{limit}",
                                  sql.params).fetchall()
        for rowid, text in rows:
            doc = _loads(text)
            touched = _apply_update(doc, update, inserting=False)
            if "_id" in touched:
                raise OperationFailure("cannot change _id")
            if touched & self.packed:
                blob = self._conn.execute(f"SELECT packed FROM {self.name} WHERE rowid = ?",
                                          (rowid,)).fetchone()[0]
                doc = self._decode(text, blob)
                _apply_update(doc, update, inserting=False)
                _, text, blob = self._encode(doc)
                self._write(rowid, text, blob, packed=True)
            else:
                self._write(rowid, _dumps(doc), None, packed=False)
        if rows or not upsert:
            return UpdateResult({"n": len(rows), "nModified": len(rows),
                                 "updatedExisting": bool(rows)}, True)
        doc = {k: v for k, v in (filt or {}).items()
               if not k.startswith("$") and not (isinstance(v, dict) and any(
                   str(x).startswith("$") for x in v))}
        _apply_update(doc, update, inserting=True)
        new_id = self._insert(doc)
        return UpdateResult({"n": 1, "nModified": 0, "upserted": new_id}, True)

    def _write(self, rowid: int, text: str, blob, packed: bool) -> None:
        try:
            if packed:
                self._conn.execute(f"UPDATE {self.name} SET doc = ?, packed = ? WHERE rowid = ?",
                                   (text, blob, rowid))
            else:
                self._conn.execute(f"UPDATE {self.name} SET doc = ? WHERE rowid = ?",
                                   (text, rowid))
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(f"E11000 duplicate key in {self.full_name}: {exc}") from exc

    def update_one(self, filter, update, upsert: bool = False) -> UpdateResult:  # noqa: A002
        self._ensure()
        with self.database.client._lock, self._conn:
            return self._update(filter, update, upsert, many=False)

    def update_many(self, filter, update, upsert: bool = False) -> UpdateResult:  # noqa: A002
        self._ensure()
        with self.database.client._lock, self._conn:
            return self._update(filter, update, upsert, many=True)

    def _delete(self, filt, many: bool) -> int:
        sql = _Sql(self)
        where = sql.where(filt)
        if not many:
            where = f"rowid = (SELECT rowid FROM {self.name} WHERE {where} LIMIT 1)"
        return self._conn.execute(f"DELETE FROM {self.name} WHERE {where}", sql.params).rowcount

    def delete_one(self, filter) -> DeleteResult:  # noqa: A002
        self._ensure()
        with self.database.client._lock, self._conn:
            return DeleteResult({"n": self._delete(filter, many=False)}, True)

    def delete_many(self, filter) -> DeleteResult:  # noqa: A002
        self._ensure()
        with self.database.client._lock, self._conn:
            return DeleteResult({"n": self._delete(filter, many=True)}, True)

    def bulk_write(self, requests, ordered: bool = True) -> BulkWriteResult:
        """pymongo's InsertOne/UpdateOne/UpdateMany/DeleteOne/DeleteMany in one transaction:
        all of them are written or, on an error, none."""
        self._ensure()
        counts = {"nInserted": 0, "nMatched": 0, "nModified": 0, "nUpserted": 0, "nRemoved": 0,
                  "upserted": [], "writeErrors": [], "writeConcernErrors": []}
        with self.database.client._lock, self._conn:
            for i, op in enumerate(requests):
                try:
                    if isinstance(op, InsertOne):
                        self._insert(op._doc)
                        counts["nInserted"] += 1
                    elif isinstance(op, UpdateOne | UpdateMany):
                        res = self._update(op._filter, op._doc, op._upsert,
                                           many=isinstance(op, UpdateMany))
                        if res.upserted_id is not None:
                            counts["nUpserted"] += 1
                            counts["upserted"].append({"index": i, "_id": res.upserted_id})
                        else:
                            counts["nMatched"] += res.matched_count
                            counts["nModified"] += res.modified_count
                    elif isinstance(op, DeleteOne | DeleteMany):
                        counts["nRemoved"] += self._delete(op._filter,
                                                           many=isinstance(op, DeleteMany))
                    else:
                        raise OperationFailure(f"embedded store: unsupported bulk operation {op!r}")
                except DuplicateKeyError as exc:
                    counts["writeErrors"].append({"index": i, "code": 11000, "errmsg": str(exc),
                                                  "op": op})
                    raise BulkWriteError(counts) from exc
        return BulkWriteResult(counts, True)

    # --- reads ----------------------------------------------------------------------------

    def find(self, filter=None, projection=None, *, sort=None, skip: int = 0,  # noqa: A002
             limit: int = 0, batch_size: int = BATCH) -> Cursor:
        return Cursor(self, filter, projection, sort, skip, limit, batch_size)

    def find_one(self, filter=None, projection=None, *, sort=None) -> dict | None:  # noqa: A002
        if filter is not None and not isinstance(filter, dict):
            filter = {"_id": filter}
        return self.find(filter, projection, sort=sort, limit=1).first()

    def count_documents(self, filter) -> int:  # noqa: A002
        self._ensure()
        sql = _Sql(self)
        where = sql.where(filter)
        with self.database.client._lock:
            return self._conn.execute(f"SELECT count(*) FROM {self.name} WHERE {where}",
                                      sql.params).fetchone()[0]

    def estimated_document_count(self) -> int:
        return self.count_documents({})

    def aggregate(self, pipeline: list[dict]) -> list[dict]:
        self._ensure()
        return _Aggregation(self, pipeline).run()

    def drop(self) -> None:
        with self.database.client._lock, self._conn:
            self._conn.execute(f"DROP TABLE IF EXISTS {self.name}")
        self._created = False


def _order_by(coll: Collection, sort) -> str:
    if not sort:
        return "rowid"
    if isinstance(sort, str):
        sort = [(sort, 1)]
    parts = []
    for field, direction in sort:
        sql = _Sql(coll)
        expr = "key" if field == "_id" else sql.expr(field)
        parts.append(f"{expr} {'DESC' if direction == -1 else 'ASC'}")
    return ", ".join(parts + ["rowid"])


class Cursor:
    """Streams a find's documents: rows come ``batch_size`` at a time from a read connection of
    its own, so the collection may be written while the cursor is open."""

    def __init__(self, coll, filt, projection, sort, skip, limit, batch_size):
        self.coll, self.filt, self.projection = coll, filt, projection
        self._sort, self._skip, self._limit, self._batch = sort, skip, limit, batch_size
        self._rows = None

    def sort(self, key, direction: int = 1) -> Cursor:
        self._sort = [(key, direction)] if isinstance(key, str) else key
        return self

    def limit(self, n: int) -> Cursor:
        self._limit = n
        return self

    def skip(self, n: int) -> Cursor:
        self._skip = n
        return self

    def batch_size(self, n: int) -> Cursor:
        self._batch = n
        return self

    def _query(self) -> tuple[str, list]:
        coll = self.coll
        coll._ensure()
        sql = _Sql(coll)
        where = sql.where(self.filt)
        columns = "doc, packed" if coll._needs_packed(self.projection) else "doc, NULL"
        query = (f"SELECT {columns} FROM {coll.name} WHERE {where} "
                 f"ORDER BY {_order_by(coll, self._sort)}")
        if self._limit or self._skip:
            query += f" LIMIT {int(self._limit) or -1} OFFSET {int(self._skip)}"
        return query, sql.params

    def first(self) -> dict | None:
        """The first document, read on the collection's own connection (no new connection)."""
        query, params = self._query()
        with self.coll.database.client._lock:
            row = self.coll._conn.execute(query, params).fetchone()
        return None if row is None else _project(self.coll._decode(*row), self.projection)

    def __iter__(self):
        coll = self.coll
        query, params = self._query()
        conn = coll._reader()
        if conn is None:  # an empty collection in memory: read at once
            with coll.database.client._lock:
                rows = coll._conn.execute(query, params).fetchall()
            for text, blob in rows:
                yield _project(coll._decode(text, blob), self.projection)
            return
        try:
            cur = conn.execute(query, params)
            while True:
                rows = cur.fetchmany(self._batch)
                if not rows:
                    break
                for text, blob in rows:
                    yield _project(coll._decode(text, blob), self.projection)
        finally:
            conn.close()

    def to_list(self) -> list[dict]:
        return list(self)


def _value(value, kind):
    """A value json_extract gave, with its json_type, as the document held it."""
    if kind in ("object", "array"):
        return _loads(value)
    if kind in ("true", "false"):
        return kind == "true"
    return value


def _matches(doc: dict, cond: dict) -> bool:
    """A filter on a group's output (a ``$match`` after ``$group``): equality and comparisons
    on its top-level fields."""
    ops = {"$eq": lambda a, b: a == b, "$ne": lambda a, b: a != b,
           "$gt": lambda a, b: a is not None and a > b, "$gte": lambda a, b: a is not None and a >= b,
           "$lt": lambda a, b: a is not None and a < b, "$lte": lambda a, b: a is not None and a <= b,
           "$in": lambda a, b: a in b, "$nin": lambda a, b: a not in b}
    for field, test in cond.items():
        value = doc.get(field)
        if isinstance(test, dict) and test and all(k.startswith("$") for k in test):
            for op, arg in test.items():
                if op not in ops:
                    raise OperationFailure(f"embedded store: {op} in a $match after $group is "
                                           "not supported")
                if not ops[op](value, arg):
                    return False
        elif value != test:
            return False
    return True


def _group_class(expr: str) -> str:
    """What, beside its SQL value, tells a group key apart as MongoDB does: ``json_extract``
    gives ``true`` as 1 and ``false`` as 0, and an object or array as its JSON text, which
    SQL would group with the number or the string of the same value; MongoDB groups 1 and 1.0
    together, and a missing field with null. The JSON type is read only where the SQL value is
    ambiguous (0, 1, text starting with ``{`` or ``[``): elsewhere the expression alone
    decides, so that a key an index holds is grouped from the index without reading documents.
    """
    return (f"CASE WHEN {expr} IS NULL THEN NULL "
            f"WHEN typeof({expr}) = 'integer' AND {expr} IN (0, 1) "
            f"OR typeof({expr}) = 'text' AND substr({expr}, 1, 1) IN ('{{', '[') "
            f"THEN (CASE {_typed(expr)} WHEN 'integer' THEN 'number' ELSE {_typed(expr)} END) "
            f"WHEN typeof({expr}) IN ('integer', 'real') THEN 'number' ELSE 'text' END")


def _numeric(expr: str) -> str:
    """``expr`` where it is a number (not a boolean), else NULL: what ``$sum`` and ``$avg``
    add up (MongoDB ignores strings, booleans, documents and arrays there)."""
    return (f"CASE WHEN typeof({expr}) = 'real' OR typeof({expr}) = 'integer' AND "
            f"({expr} NOT IN (0, 1) OR {_typed(expr)} = 'integer') THEN {expr} END")


def _count_name(name) -> str:
    if not isinstance(name, str) or not name or name.startswith("$") or "." in name:
        raise OperationFailure("the $count field must be a non-empty string, not starting "
                               "with $ and without a '.'")
    return name


def _fields_named(pipeline: list) -> set[str]:
    """The top-level document fields a pipeline reads (before its ``$group``: what comes
    after reads the groups)."""
    out: set[str] = set()

    def filt(f):
        for k, v in (f or {}).items():
            if k in ("$and", "$or", "$nor"):
                for sub in v:
                    filt(sub)
            elif not k.startswith("$"):
                out.add(k.split(".")[0])

    def path(value):
        if isinstance(value, str) and value.startswith("$"):
            out.add(value[1:].split(".")[0])
        elif isinstance(value, dict):
            for v in value.values():
                path(v)

    for stage in pipeline:
        if not isinstance(stage, dict) or len(stage) != 1:
            continue  # refused with its reason when the stage runs
        (op, arg), = stage.items()
        if op == "$match":
            filt(arg)
        elif op == "$unwind":
            path(arg)
        elif op == "$group":
            path(arg)
            break
    return out


#: Names of the temporary tables of $facet stages.
_FACETS = itertools.count()


class _Aggregation:
    """An aggregation pipeline as one SELECT (a ``$facet``: one SELECT into a temporary table,
    then one per sub-pipeline over it).

    Supported shapes: ``$match``* [``$unwind``] ``$match``* then one of ``$count``;
    ``$group`` followed by ``$match`` on the groups, then ``$sort``/``$limit`` or ``$count``
    (the number of groups, counted in SQL); or ``$facet`` after the ``$match`` stages."""

    ACCUMULATORS = {"$sum": "sum", "$min": "min", "$max": "max", "$avg": "avg"}

    def __init__(self, coll: Collection, pipeline: list[dict], table: str | None = None):
        self.coll, self.pipeline = coll, pipeline
        self.table = table or coll.name

    def run(self) -> list[dict]:
        sql = _Sql(self.coll)
        source, wheres, unwound = self.table, [], None
        group = sort = limit = count = facet = None
        after: list[dict] = []  # $match stages after $group: applied to the groups
        for stage in self.pipeline:
            if not isinstance(stage, dict) or len(stage) != 1:
                raise OperationFailure("a pipeline stage is a document with one field")
            (op, arg), = stage.items()
            if count is not None or facet is not None:
                raise OperationFailure(f"embedded store: {op} after $count or $facet is not "
                                       "supported")
            if group is not None:
                if op == "$match" and sort is None and limit is None:
                    after.append(arg)
                    continue
                if op == "$count" and sort is None and limit is None:
                    count = _count_name(arg)
                    continue
                if op not in ("$sort", "$limit"):
                    raise OperationFailure(f"embedded store: {op} after $group is not supported")
            elif op in ("$sort", "$limit"):
                raise OperationFailure(f"embedded store: {op} before $group is not supported")
            if op == "$match":
                wheres.append(f"({sql.where(arg)})")
            elif op == "$unwind" and isinstance(arg, str) and unwound is None:
                field = arg.lstrip("$")
                source += f", json_each({sql.expr(field)}) AS u"
                unwound = sql.unwound = (field, "u.value")
            elif op == "$group":
                group = arg
            elif op == "$sort":
                sort = arg
            elif op == "$limit":
                limit = int(arg)
            elif op == "$count":
                count = _count_name(arg)
            elif op == "$facet" and unwound is None:
                facet = arg
            else:
                raise OperationFailure(f"embedded store: unsupported aggregation stage {op}")
        where = " AND ".join(wheres) or "1"
        if facet is not None:
            return [self._facet(facet, where, sql.params)]
        if group is None:
            if count is None:
                raise OperationFailure("embedded store: an aggregation needs $group, $count "
                                       "or $facet")
            n = self._query(f"SELECT count(*) FROM {source} WHERE {where}", sql.params)[0][0]
            return [{count: n}] if n else []
        key = group["_id"]
        if isinstance(key, str) and key.startswith("$"):
            fields = {None: key}
        elif isinstance(key, dict) and key and all(
                isinstance(v, str) and v.startswith("$") for v in key.values()):
            fields = dict(key)  # {name: "$path"}: a document of values per group
        elif not isinstance(key, dict | list):  # a constant: one group of everything
            fields = {}
        else:
            raise OperationFailure("embedded store: $group _id must be a field path, a document "
                                   "of field paths or a constant")
        exprs = [sql.expr(path[1:]) for path in fields.values()]
        classes = [_group_class(e) for e in exprs]
        if count is not None and not after:
            # The number of groups, counted in SQL: one GROUP BY (over an index where the keys
            # have one), nothing handed to Python.
            inner = (f"SELECT 1 FROM {source} WHERE {where} GROUP BY "
                     f"{', '.join(e for pair in zip(exprs, classes, strict=True) for e in pair)}" if exprs
                     else f"SELECT 1 FROM {source} WHERE {where} LIMIT 1")
            n = self._query(f"SELECT count(*) FROM ({inner})", sql.params)[0][0]
            return [{count: n}] if n else []
        # Grouped by the values alone (in index order where an index holds them: no sort, no
        # document read), each group with the least and greatest class of its values; should
        # a group mix values SQL calls equal and MongoDB does not (true and 1), grouped again
        # by value and class. The class of a group's key tells how to decode it.
        plain = [x for e, c in zip(exprs, classes, strict=True) for x in (e, f"min({c})",
                                                                         f"max({c})")]
        exact = [x for pair in zip(exprs, classes, strict=True) for x in pair]
        names = []
        for name, spec in group.items():
            if name == "_id":
                continue
            if not isinstance(spec, dict) or len(spec) != 1:
                raise OperationFailure(f"the group field {name!r} must be an accumulator object")
            (acc, operand), = spec.items()
            if acc not in self.ACCUMULATORS:
                raise OperationFailure(f"embedded store: unsupported accumulator {acc}")
            if isinstance(operand, str) and operand.startswith("$"):
                value = sql.expr(operand[1:])
                if acc in ("$sum", "$avg"):
                    value = _numeric(value)
            elif isinstance(operand, int | float) and not isinstance(operand, bool):
                value = repr(operand)
            elif acc in ("$sum", "$avg"):  # a constant that is not a number adds nothing
                value = "NULL"
            else:
                raise OperationFailure(f"embedded store: {acc} of a constant is not supported")
            call = f"{self.ACCUMULATORS[acc]}({value})"
            # SQL's sum of no numbers is NULL, MongoDB's is 0.
            names.append((name, f"coalesce({call}, 0)" if acc == "$sum" else call))
        accumulators = [call for _, call in names]
        for by_class in (False, True):
            select = (exact if by_class else plain) + accumulators
            query = f"SELECT {', '.join(select) or 1} FROM {source} WHERE {where}"
            if exprs:
                query += f" GROUP BY {', '.join(exact if by_class else exprs)}"
            else:  # a constant _id: one group, if any document matches
                query += " HAVING count(*) > 0"
            width = (2 if by_class else 3) * len(exprs)
            out, n, again = [], 0, False
            with self._rows(query, sql.params) as rows:
                for row in rows:
                    if not by_class and any(row[i + 1] != row[i + 2]
                                            for i in range(0, width, 3)):
                        again = True
                        break
                    step = 2 if by_class else 3
                    values = [_value(row[i], row[i + 1]) for i in range(0, width, step)]
                    if not fields:
                        group_key = key
                    elif None in fields:
                        group_key = values[0]
                    else:
                        group_key = dict(zip(fields, values, strict=True))
                    doc = {"_id": group_key}
                    doc.update(zip((name for name, _ in names), row[width:], strict=True))
                    if all(_matches(doc, cond) for cond in after):
                        if count is not None:  # groups counted as they stream by, not kept
                            n += 1
                        else:
                            out.append(doc)
            if not again:
                break
        if count is not None:
            return [{count: n}] if n else []
        if sort:
            for field, direction in reversed(list(sort.items())):
                out.sort(key=lambda d, f=field: (d.get(f) is not None, d.get(f)),
                         reverse=direction == -1)
        return out[:limit] if limit else out

    def _facet(self, facets, where: str, params: list) -> dict:
        """``$facet``: the matching documents are read once, into a temporary table, and each
        sub-pipeline runs over that table (so several counts over a filter that no index
        serves cost one pass over the collection)."""
        if not isinstance(facets, dict) or not facets:
            raise OperationFailure("$facet takes a document of sub-pipelines")
        for name, sub in facets.items():
            if not isinstance(sub, list) or any(
                    isinstance(s, dict) and "$facet" in s for s in sub):
                raise OperationFailure(f"$facet {name!r}: a sub-pipeline is a list of stages "
                                       "without $facet")
        table = f"temp.facet{next(_FACETS)}"
        conn = self.coll._conn
        # Only the top-level fields the sub-pipelines name are copied (present ones only, so
        # that a missing field stays missing); booleans, which json_each gives as 1 and 0,
        # copied as booleans.
        names = sorted(set().union(*(_fields_named(sub) for sub in facets.values())))
        kept = ("(SELECT json_group_object(key, CASE type WHEN 'true' THEN json('true') "
                "WHEN 'false' THEN json('false') ELSE value END) FROM json_each(doc) "
                f"WHERE key IN ({', '.join('?' * len(names))}))")
        with self.coll.database.client._lock:
            # The matching rows found first (through an index where one serves the filter),
            # then read in rowid order: in file order, not the index's, so that a cold cache
            # reads the file forward instead of seeking for every document.
            conn.execute(f"CREATE TABLE {table} AS SELECT key, {kept} AS doc "
                         f"FROM {self.table} WHERE rowid IN "
                         f"(SELECT rowid FROM {self.table} WHERE {where})", [*names, *params])
            try:
                return {name: _Aggregation(self.coll, sub, table).run()
                        for name, sub in facets.items()}
            finally:
                conn.execute(f"DROP TABLE {table}")

    def _query(self, query: str, params: list) -> list:
        with self.coll.database.client._lock:
            return self.coll._conn.execute(query, params).fetchall()

    @contextlib.contextmanager
    def _rows(self, query: str, params: list):
        """``with self._rows(query, params) as rows``: the rows of ``query``, a batch at a time
        (groups are not all held at once), under the client's lock until the ``with`` block
        ends, however it ends. A context manager, not a bare generator: a generator left
        suspended by an error in its consumer keeps the lock until it is collected (as late as
        the traceback holding the consumer's frame lives), and every other thread using the
        client waits. The lock is held for the whole statement, not per batch, because the
        other threads write on this same connection: SQLite leaves undefined what a statement
        reads once its own connection has written under it."""
        with self.coll.database.client._lock:
            cur = self.coll._conn.execute(query, params)
            try:
                yield itertools.chain.from_iterable(iter(lambda: cur.fetchmany(BATCH), []))
            finally:
                cur.close()


class Database:
    def __init__(self, client: Client, name: str):
        self.client, self.name = client, name
        self._collections: dict[str, Collection] = {}

    def __getitem__(self, name: str) -> Collection:
        if name not in self._collections:
            self._collections[name] = Collection(self, name, self.client.packed.get(name, ()))
        return self._collections[name]

    get_collection = __getitem__

    def list_collection_names(self) -> list[str]:
        """The collections with a file (and those opened in memory by a read-only client)."""
        names = set(self._collections)
        if self.client.path.is_dir():
            names |= {p.name for p in self.client.path.iterdir()
                      if p.is_file() and _NAME.match(p.name)}
        return sorted(names)


class Client:
    """One database: a directory holding one SQLite file per collection.

    ``packed`` names, per collection, the top-level fields kept compressed (never queried).
    ``timeout`` is how long a write waits for another process's transaction to end.
    ``readonly``: nothing is written or created (see the module docstring).
    """

    def __init__(self, path: str | Path, database: str, *, packed: dict | None = None,
                 timeout: float = 30.0, readonly: bool = False):
        self.path, self.packed, self.timeout = Path(path), dict(packed or {}), timeout
        self.readonly = readonly
        self._lock = threading.RLock()
        self._name = database
        self._db = Database(self, database)
        if not readonly:
            self.path.mkdir(parents=True, exist_ok=True)

    def _connect(self, path: Path) -> sqlite3.Connection:
        if self.readonly:
            return self._reader(path)
        conn = sqlite3.connect(path, timeout=self.timeout, check_same_thread=False,
                               isolation_level="DEFERRED")
        try:
            # WAL: readers never block the writer and commits cost no fsync of the database
            # file; with synchronous=NORMAL a power cut can lose the last commits, never
            # corrupt the file.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:
            conn.close()
            raise
        conn.create_function("regexp", 2, _regexp, deterministic=True)
        return conn

    def _reader(self, path: Path) -> sqlite3.Connection:
        if not self.readonly:
            conn = sqlite3.connect(path, timeout=self.timeout, check_same_thread=False)
        else:
            conn = _read_only(path, self.timeout)
        conn.create_function("regexp", 2, _regexp, deterministic=True)
        return conn

    def _memory(self) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.create_function("regexp", 2, _regexp, deterministic=True)
        return conn

    def __getitem__(self, name: str) -> Database:
        if name != self._name:
            raise OperationFailure(f"embedded store holds database {self._name!r}, not {name!r}")
        return self._db

    get_database = __getitem__

    def drop_database(self, name: str) -> None:
        for coll in self._db.list_collection_names():
            self._db[coll].drop()

    def close(self) -> None:
        with self._lock:
            for coll in self._db._collections.values():
                coll.close()


def _read_only(path: Path, timeout: float = 30.0) -> sqlite3.Connection:
    """``path`` opened read-only: ``mode=ro``, or ``immutable`` where SQLite cannot make the
    shared-memory file a WAL database needs (a directory nobody may write: nothing can be
    writing to it either)."""
    last = None
    for mode in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, timeout=timeout,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
            return conn
        except sqlite3.OperationalError as exc:  # "unable to open": no -shm can be made
            conn.close()
            last = exc
    raise last
