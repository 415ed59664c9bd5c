"""The embedded document database (crawler.store.embedded): pymongo's answers, computed in SQL.

Documents are stored reports of the real fixtures plus small hand-made ones where an operator
needs a particular shape. Each test states what pymongo on a real MongoDB returns.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import bson
import pytest
from bson import ObjectId
from conftest import REALDOCS, SEEDS
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from crawler.store import Store
from crawler.store import embedded as docdb
from crawler.store.database import LITEMONGO_BACKUP, PACKED
from parsers import parse_page


@pytest.fixture
def db(tmp_path):
    client = docdb.Client(tmp_path / "t", "t", packed={"big": ("blob", "text")})
    yield client["t"]
    client.close()


@pytest.fixture(scope="module")
def records():
    return [parse_page(p.read_bytes(), url=f"https://www.example.gov.cn/{p.name}")
            for p in SEEDS + REALDOCS if p.suffix in (".txt", ".html")]


def test_documents_come_back_as_stored(db):
    when = dt.datetime(2025, 3, 1, 12, 30, 5, 123000)
    doc = {"a": 1, "blob": b"\x00\xff" * 10, "when": when, "nested": {"x": [1, "2", None]},
           "text": "公开" * 100, "f": 1.5, "t": True, "n": None}
    coll = db["big"]
    oid = coll.insert_one(dict(doc)).inserted_id
    got = coll.find_one({"_id": oid})
    assert isinstance(oid, ObjectId) and got == dict(doc, _id=oid)
    assert list(got) == ["a", "blob", "when", "nested", "text", "f", "t", "n", "_id"]


def test_filters(db):
    coll = db["c"]
    t0 = dt.datetime(2025, 1, 1)
    coll.insert_many([
        {"_id": "a", "year": 2023, "region": {"code": "540100"}, "seen": t0, "tags": ["x"]},
        {"_id": "b", "year": 2024, "region": {"code": "310000"}, "seen": t0 + dt.timedelta(days=2),
         "checks": [{"rule": "r1", "ok": True}, {"rule": "r2", "ok": False}]},
        {"_id": "c", "year": None, "region": {}, "seen": t0 + dt.timedelta(days=9), "tables": {}},
    ])

    def ids(filt):
        return sorted(d["_id"] for d in coll.find(filt, {"_id": 1}))

    assert ids({"year": 2023}) == ["a"]
    assert ids({"year": None}) == ["c"]
    assert ids({"year": {"$gte": 2024}}) == ["b"]
    assert ids({"year": {"$in": [2023, 2024]}}) == ["a", "b"]
    assert ids({"year": {"$nin": [2023]}}) == ["b", "c"]
    assert ids({"year": {"$ne": None}}) == ["a", "b"]
    assert ids({"region.code": {"$regex": "^54"}}) == ["a"]
    assert ids({"region.code": {"$exists": False}}) == ["c"]
    assert ids({"seen": {"$gt": t0 + dt.timedelta(days=1)}}) == ["b", "c"]
    assert ids({"seen": t0}) == ["a"]
    assert ids({"checks": {"$elemMatch": {"ok": False}}}) == ["b"]
    assert ids({"tags.0": {"$exists": True}}) == ["a"]
    assert ids({"tables": {}}) == ["c"]
    assert ids({"$or": [{"year": 2023}, {"_id": "c"}]}) == ["a", "c"]
    assert ids({"_id": {"$in": ["b", "c", "z"]}}) == ["b", "c"]
    assert coll.count_documents({"year": {"$lt": 2024}}) == 1
    with pytest.raises(OperationFailure, match=r"\$where"):
        coll.find_one({"$where": "1"})


def test_packed_fields_are_not_queryable(db):
    db["big"].insert_one({"blob": b"x", "k": 1})
    with pytest.raises(OperationFailure, match="stored compressed"):
        db["big"].find_one({"blob": b"x"})
    assert db["big"].find_one({"k": 1}, {"k": 1, "_id": 0}) == {"k": 1}


def test_projection_sort_skip_limit(db):
    coll = db["c"]
    coll.insert_many([{"n": i % 3, "m": i, "sub": {"a": i, "b": -i}} for i in range(10)])
    docs = list(coll.find({}, {"m": 1, "sub.a": 1, "_id": 0}, sort=[("n", -1), ("m", 1)],
                          skip=1, limit=3))
    assert docs == [{"m": 5, "sub": {"a": 5}}, {"m": 8, "sub": {"a": 8}},
                    {"m": 1, "sub": {"a": 1}}]
    assert "sub" not in coll.find_one({"m": 3}, {"sub": 0})
    assert [d["m"] for d in coll.find().sort("m", -1).limit(2)] == [9, 8]


def test_updates_and_upserts(db):
    coll = db["big"]
    coll.insert_one({"_id": 1, "k": "a", "text": "old", "n": 1})
    assert coll.update_one({"k": "a"}, {"$set": {"text": "new", "d.e": 2}, "$inc": {"n": 2}}
                           ).modified_count == 1
    assert coll.find_one({"_id": 1}) == {"_id": 1, "k": "a", "text": "new", "n": 3, "d": {"e": 2}}
    res = coll.update_one({"k": "b"}, {"$set": {"n": 1}, "$setOnInsert": {"text": "t"}},
                          upsert=True)
    assert res.upserted_id is not None
    assert coll.find_one({"k": "b"}, {"_id": 0}) == {"k": "b", "n": 1, "text": "t"}
    assert coll.update_many({}, {"$unset": {"n": ""}}).matched_count == 2
    assert coll.count_documents({"n": {"$exists": True}}) == 0
    assert coll.delete_one({"k": "a"}).deleted_count == 1 and coll.count_documents({}) == 1


def test_unique_index_and_bulk_write_is_all_or_nothing(db):
    coll = db["c"]
    coll.create_index("url", unique=True)
    coll.insert_one({"url": "u1"})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"url": "u1"})
    with pytest.raises(BulkWriteError):
        coll.bulk_write([InsertOne({"url": "u2"}), UpdateOne({"url": "u1"}, {"$set": {"x": 1}}),
                         InsertOne({"url": "u1"})])
    assert coll.count_documents({}) == 1 and "x" not in coll.find_one({"url": "u1"})
    res = coll.bulk_write([InsertOne({"url": "u2"}), UpdateOne({"url": "u1"}, {"$set": {"x": 1}})])
    assert (res.inserted_count, res.modified_count) == (1, 1)


def test_indexed_lookups_and_sorts_use_the_index(db):
    coll = db["c"]
    coll.create_index("url", unique=True)
    plan = coll._conn.execute(
        "EXPLAIN QUERY PLAN SELECT doc FROM c WHERE json_extract(doc, '$.\"url\"') = 'x' "
        "ORDER BY json_extract(doc, '$.\"url\"') ASC, rowid").fetchall()
    assert "USING INDEX" in str(plan) and "TEMP B-TREE" not in str(plan)
    query, _ = coll.find({"url": "x"}, sort=[("url", 1)])._query()
    assert "json_extract(doc, '$.\"url\"')" in query


def test_cursor_streams_while_the_collection_is_written(db):
    coll = db["c"]
    coll.insert_many([{"i": i} for i in range(1200)])
    seen = 0
    for doc in coll.find({}, batch_size=100):
        coll.update_one({"_id": doc["_id"]}, {"$set": {"seen": True}})
        seen += 1
    assert seen == 1200 and coll.count_documents({"seen": True}) == 1200


def _in_another_thread(client, op):
    """Whether another thread finds the client's lock free at once, and what ``op`` gives
    there (None if it had not finished within 30 s: it waited for a lock)."""
    out = {}

    def run():
        out["free"] = client._lock.acquire(blocking=False)
        if out["free"]:
            client._lock.release()
        out["result"] = op()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)  # a bound on a wait that should not happen, not a measurement
    return out.get("free"), out.get("result")


#: Ways an iteration over the client's rows ends in an error half-way: a document whose value
#: cannot be decoded (a ``$date`` that is no date, as another program may have written it), a
#: ``$match`` on the groups the store refuses, and a caller's own error in a ``find`` loop.
MID_ITERATION = {
    "decode": (lambda c: c.aggregate([{"$group": {"_id": "$k", "n": {"$sum": 1}}}]), ValueError),
    "group_match": (lambda c: c.aggregate([{"$group": {"_id": "$k", "n": {"$sum": 1}}},
                                           {"$match": {"n": {"$mod": [2, 0]}}}]),
                    OperationFailure),
    "find_consumer": (lambda c: [1 / 0 for doc in c.find({}, batch_size=100) if doc["k"] == 700],
                      ZeroDivisionError),
}


@pytest.mark.parametrize("case", sorted(MID_ITERATION))
def test_an_error_mid_iteration_releases_the_client(db, case):
    """However an iteration ends, the client's lock is free: another operation on the same
    client, from this thread or another, proceeds at once, while the error (and the traceback
    that holds the iteration's frames) is still alive."""
    coll = db["c"]
    coll.insert_many([{"k": i} for i in range(1200)])  # more rows than one fetch
    coll.insert_one({"k": {"$date": "not a date"}})
    call, error = MID_ITERATION[case]
    with pytest.raises(error) as caught:
        call(coll)
    assert coll.count_documents({}) == 1201  # this thread goes on too
    free, result = _in_another_thread(db.client, lambda: (coll.insert_one({"k": -1}),
                                                          coll.count_documents({}))[1])
    assert free, "the client's lock is still held by the failed iteration"
    assert result == 1202
    assert caught.traceback  # alive until here


def test_aggregation_pipelines(tmp_path, records):
    with Store(None, tmp_path) as store:
        for r in records:
            store.save(r["url"], r["url"].encode(), r)
        got = {d["_id"]: d["n"] for d in store.reports.aggregate(
            [{"$group": {"_id": "$template", "n": {"$sum": 1}}}])}
        want: dict = {}
        for r in records:
            want[r["template"]] = want.get(r["template"], 0) + 1
        assert got == want
        rules = store.reports.aggregate([
            {"$match": {"year": {"$ne": None}}}, {"$unwind": "$failed_rules"},
            {"$group": {"_id": "$failed_rules", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}])
        want = {}
        for r in records:
            if r["year"] is not None:
                for c in r["checks"]:
                    if not c["ok"]:
                        want[c["rule"]] = want.get(c["rule"], 0) + 1
        assert {d["_id"]: d["n"] for d in rules} == want
        assert [d["n"] for d in rules] == sorted(want.values(), reverse=True)
        years = store.reports.aggregate([{"$group": {"_id": None, "lo": {"$min": "$year"},
                                                     "hi": {"$max": "$year"},
                                                     "sum": {"$sum": "$year"}}}])
        known = [r["year"] for r in records if r["year"]]
        assert years == [{"_id": None, "lo": min(known), "hi": max(known), "sum": sum(known)}]
        assert store.reports.aggregate([{"$match": {"template": "2021"}}, {"$count": "n"}]) == [
            {"n": sum(r["template"] == "2021" for r in records)}]


def test_group_by_several_fields_and_match_the_groups(tmp_path, records):
    """stats' coverage (a document of fields per group) and the cross-year checks' organs with
    several reports (a $match on the groups)."""
    organs = [f"organ{min(i, 2)}" for i in range(len(records))]  # 1, 1 and the rest
    with Store(None, tmp_path) as store:
        for r, organ in zip(records, organs, strict=True):
            store.save(r["url"], r["url"].encode(), dict(r, organ=organ))
        want: dict = {}
        for r in records:
            key = (r["region"]["province"], r["year"])
            want[key] = want.get(key, 0) + 1
        got = store.count_by({"province": "$region.province", "year": "$year"})
        assert {(k["province"], k["year"]): n for k, n in got} == want
        several = store.reports.aggregate([{"$group": {"_id": "$organ", "n": {"$sum": 1}}},
                                           {"$match": {"n": {"$gt": 1}}}])
        assert several == [{"_id": "organ2", "n": len(records) - 2}]
        (group,) = store.reports_by_organ(["url", "tables.applications"])
        assert sorted(d["url"] for d in group) == sorted(r["url"] for r in records[2:])


def test_a_read_only_client_writes_nothing(tmp_path, records):
    with Store(None, tmp_path) as store:
        store.save(records[0]["url"], b"page", records[0])
    def files():  # SQLite's shared-memory index of a WAL file (-shm) is no data of ours
        return sorted(p.name for p in (tmp_path / "govreports").iterdir()
                      if not p.name.endswith(("-shm", "-wal")))

    before = files()
    client = docdb.Client(tmp_path / "govreports", "govreports", packed=PACKED, readonly=True)
    try:
        reports = client["govreports"]["reports"]
        assert [d["url"] for d in reports.find({}, {"url": 1})] == [records[0]["url"]]
        assert list(client["govreports"]["crawls"].find({})) == []  # no file: empty
        with pytest.raises(sqlite3.OperationalError):
            reports.insert_one({"url": "x"})
    finally:
        client.close()
    assert files() == before


def test_litemongo_store_is_converted_on_first_open(tmp_path, records):
    """A DATA_DIR written by the former engine: one SQLite file of BSON documents per
    collection under govreports/ (litemongo's layout), converted in place, the original kept."""
    old = tmp_path / "govreports"
    old.mkdir()
    conn = sqlite3.connect(old / "reports")
    conn.execute("CREATE TABLE documents(_id PRIMARY KEY, doc)")
    for i, r in enumerate(records):
        doc = dict(r, _id=ObjectId(), page_sha256=f"{i:064x}", history=[])
        conn.execute("INSERT INTO documents VALUES (?, ?)", (f"o:{doc['_id']}", bson.encode(doc)))
    conn.commit()
    conn.close()
    original = (old / "reports").read_bytes()
    with Store(None, tmp_path, readonly=True) as store:  # a reader on a writable directory
        assert store.reports.count_documents({}) == len(records)
    with Store(None, tmp_path) as store:
        assert (tmp_path / LITEMONGO_BACKUP / "reports").read_bytes() == original
        assert not list(tmp_path.glob("*.converting"))
        assert store.reports.count_documents({}) == len(records)
        stored = {d["url"]: d for d in store.iter_reports()}
        for r in records:
            assert {k: stored[r["url"]][k] for k in r} == r
        failing = sum(not c["ok"] for r in records for c in r["checks"])
        assert sum(n for _, n in store.failing_rules()) == failing
    assert set(PACKED["reports"]) <= set(records[0])


# --- aggregations in SQL: group keys, counts of groups, $facet ----------------------------------

#: Values of one field, each a group of its own in MongoDB, except where the comment says.
MIXED = [
    ("missing", None), (None, None),  # a missing field and null: one group, _id None
    (1, "number"), (1.0, "number"),  # 1 and 1.0: one group (numbers compare by value)
    (True, "bool"), (False, "bool"), (0, "zero"),  # booleans are not 1 and 0
    ("1", "string"), ([1], "array"), ("[1]", "string"), ({"a": 1}, "doc"),
    ('{"a":1}', "string"), (dt.datetime(2025, 1, 1), "date"), ("x", "string"),
]


def _key(value):
    """A group key as MongoDB tells them apart (Python's == says True == 1 == 1.0)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return (type(value).__name__, repr(value))


def _groups(docs):
    out: dict = {}
    for d in docs:
        k = _key(d["_id"])
        assert k not in out, f"two groups for {d['_id']!r}"
        out[k] = d["n"]
    return out


def _mixed(coll):
    coll.insert_many([{"i": i} if v == "missing" else {"i": i, "k": v, "tags": [v, v]}
                      for i, (v, _) in enumerate(MIXED)])


@pytest.mark.parametrize("indexed", [False, True], ids=["scan", "index"])
def test_group_keys_are_told_apart_as_mongodb_does(db, indexed):
    coll = db["c"]
    _mixed(coll)
    if indexed:  # the keys then come from the index: the answers must not change
        coll.create_index("k")
    want = {("NoneType", "None"): 2, ("number", 1.0): 2, ("bool", True): 1, ("bool", False): 1,
            ("number", 0.0): 1, ("str", "'1'"): 1, ("list", "[1]"): 1, ("str", "'[1]'"): 1,
            ("dict", "{'a': 1}"): 1, ("str", '\'{"a":1}\''): 1,
            ("datetime", repr(dt.datetime(2025, 1, 1))): 1, ("str", "'x'"): 1}
    got = coll.aggregate([{"$group": {"_id": "$k", "n": {"$sum": 1}}}])
    assert _groups(got) == want
    assert coll.aggregate([{"$group": {"_id": "$k"}}, {"$count": "groups"}]) == [
        {"groups": len(want)}]
    # The same inside arrays ($unwind): each element a key, a missing array no element.
    got = coll.aggregate([{"$unwind": "$tags"}, {"$group": {"_id": "$tags", "n": {"$sum": 1}}}])
    assert _groups(got) == {k: 2 * n for k, n in want.items() if k != ("NoneType", "None")} | {
        ("NoneType", "None"): 2}
    # Keys of several fields: a document per group.
    got = coll.aggregate([{"$group": {"_id": {"k": "$k", "none": "$nothing"},
                                      "n": {"$sum": 1}}}])
    assert len(got) == len(want) and all(d["_id"]["none"] is None for d in got)
    assert {_key(d["_id"]["k"]): d["n"] for d in got} == want


def test_counts_of_groups(db):
    coll = db["c"]
    coll.insert_many([{"k": k, "y": y} for k, y in
                      [("a", 1), ("a", 2), ("b", 1), (None, 1), ("c", None)]] + [{"y": 3}])
    def count(*stages):
        return coll.aggregate([*stages, {"$count": "n"}])

    assert count({"$group": {"_id": "$k"}}) == [{"n": 4}]  # a, b, c, null (+ missing)
    assert count({"$match": {"y": 1}}, {"$group": {"_id": "$k"}}) == [{"n": 3}]
    assert count({"$match": {"y": 9}}, {"$group": {"_id": "$k"}}) == []  # nothing: no document
    assert count({"$group": {"_id": None}}) == [{"n": 1}]  # a constant key: one group
    assert count({"$match": {"y": 9}}, {"$group": {"_id": None}}) == []
    assert count({"$group": {"_id": {"k": "$k", "y": "$y"}}}) == [{"n": 6}]
    # A $match on the groups, then their number.
    assert count({"$group": {"_id": "$k", "n": {"$sum": 1}}}, {"$match": {"n": {"$gt": 1}}}) == [
        {"n": 2}]  # a twice, null twice
    assert coll.aggregate([{"$group": {"_id": None, "lo": {"$min": "$y"}}}]) == [
        {"_id": None, "lo": 1}]
    assert coll.aggregate([{"$match": {"y": 9}}, {"$group": {"_id": None, "lo": {"$min": "$y"}}}]
                          ) == []  # no document: no group, as MongoDB
    for bad in ("", "$n", "a.b", 3):
        with pytest.raises(OperationFailure, match=r"\$count"):
            count_stage = {"$count": bad}
            coll.aggregate([{"$group": {"_id": "$k"}}, count_stage])
    with pytest.raises(OperationFailure, match=r"\$limit before \$group"):
        coll.aggregate([{"$limit": 1}, {"$group": {"_id": "$k"}}])


def test_distinct_count_is_one_group_query_over_the_index(db):
    coll = db["c"]
    coll.create_index("k")
    coll.insert_many([{"k": f"key{i % 50}", "big": "x" * 100} for i in range(500)])
    statements = []
    coll._conn.set_trace_callback(statements.append)
    try:
        assert coll.aggregate([{"$group": {"_id": "$k"}}, {"$count": "n"}]) == [{"n": 50}]
    finally:
        coll._conn.set_trace_callback(None)
    (query,) = statements
    plan = str(coll._conn.execute(f"EXPLAIN QUERY PLAN {query}").fetchall())
    assert "USING INDEX c__k_1" in plan  # the keys read from the index, not the documents


def test_sum_and_avg_add_numbers_only(db):
    coll = db["c"]
    coll.insert_many([{"v": v} for v in (1, 2.5, "3", True, False, None, [4], {"v": 5})] + [{}])
    got = coll.aggregate([{"$group": {"_id": None, "s": {"$sum": "$v"}, "a": {"$avg": "$v"},
                                      "n": {"$sum": 1}, "z": {"$sum": "x"}}}])
    assert got == [{"_id": None, "s": 3.5, "a": 1.75, "n": 9, "z": 0}]
    got = coll.aggregate([{"$match": {"v": "3"}},
                          {"$group": {"_id": None, "s": {"$sum": "$v"}, "a": {"$avg": "$v"}}}])
    assert got == [{"_id": None, "s": 0, "a": None}]


def test_booleans_are_not_numbers_in_filters(db):
    coll = db["c"]
    coll.insert_many([{"_id": n, "v": v} for n, v in
                      [("t", True), ("f", False), ("one", 1), ("zero", 0), ("real", 1.0)]])

    def ids(filt):
        return sorted(d["_id"] for d in coll.find(filt, {"_id": 1}))

    assert ids({"v": True}) == ["t"]
    assert ids({"v": False}) == ["f"]
    assert ids({"v": 1}) == ["one", "real"]
    assert ids({"v": 0}) == ["zero"]
    assert ids({"v": {"$ne": False}}) == ["one", "real", "t", "zero"]
    assert ids({"v": {"$in": [0, True]}}) == ["t", "zero"]
    assert ids({"v": {"$nin": [1]}}) == ["f", "t", "zero"]


def test_facet_reads_once_and_runs_each_sub_pipeline(db):
    coll = db["c"]
    coll.insert_many([{"site": f"s{i % 3}", "rules": ["r1", "r2"][: i % 3],
                       "cy": [{"rule": "c1", "ok": i % 2 == 0}, {"rule": "c2", "ok": True}]}
                      for i in range(12)])
    statements = []
    coll._conn.set_trace_callback(statements.append)
    try:
        (got,) = coll.aggregate([{"$match": {"rules.0": {"$exists": True}}}, {"$facet": {
            "n": [{"$count": "n"}],
            "sites": [{"$group": {"_id": "$site", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}],
            "rules": [{"$unwind": "$rules"}, {"$group": {"_id": "$rules", "n": {"$sum": 1}}},
                      {"$sort": {"_id": 1}}],
            "cy": [{"$unwind": "$cy"}, {"$match": {"cy.ok": False}},
                   {"$group": {"_id": "$cy.rule", "n": {"$sum": 1}}}],
            "none": [{"$match": {"site": "s9"}}, {"$count": "n"}],
        }}])
    finally:
        coll._conn.set_trace_callback(None)
    assert got == {"n": [{"n": 8}],
                   "sites": [{"_id": "s1", "n": 4}, {"_id": "s2", "n": 4}],
                   "rules": [{"_id": "r1", "n": 8}, {"_id": "r2", "n": 4}],
                   "cy": [{"_id": "c1", "n": 4}],  # i odd among i % 3 != 0: 1, 5, 7, 11
                   "none": []}
    assert sum(" FROM c " in s for s in statements) == 1  # the collection is read once
    assert not coll._conn.execute("SELECT name FROM temp.sqlite_master").fetchall()  # dropped
    (empty,) = coll.aggregate([{"$match": {"site": "s9"}}, {"$facet": {"n": [{"$count": "n"}]}}])
    assert empty == {"n": []}
    # Only the fields named are copied: a missing one stays missing, null stays null.
    coll.insert_many([{"site": "s7", "opt": None, "flag": False}, {"site": "s7", "flag": True}])
    (got,) = coll.aggregate([{"$match": {"site": "s7"}}, {"$facet": {
        "missing": [{"$match": {"opt": {"$exists": False}}}, {"$count": "n"}],
        "null": [{"$match": {"opt": None}}, {"$count": "n"}],
        "flags": [{"$group": {"_id": "$flag", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]}}])
    assert got == {"missing": [{"n": 1}], "null": [{"n": 2}],
                   "flags": [{"_id": False, "n": 1}, {"_id": True, "n": 1}]}
    for bad in ([{"$facet": {}}], [{"$facet": {"a": [{"$facet": {"b": []}}]}}],
                [{"$facet": {"a": []}}, {"$match": {}}]):
        with pytest.raises(OperationFailure):
            coll.aggregate(bad)


def test_a_read_only_client_counts_and_facets(tmp_path, records):
    """stats opens the store read-only: its $facet needs a temporary table, not a write."""
    with Store(None, tmp_path) as store:
        for r in records:
            store.save(r["url"], r["url"].encode(), r)
        writer = store.failing_summary({"failed_rules.0": {"$exists": True}}, "crossyear_checks")
    with Store(None, tmp_path, readonly=True) as store:
        assert store.failing_summary({"failed_rules.0": {"$exists": True}},
                                     "crossyear_checks") == writer
        assert store.count_distinct("report_key") == len({r["url"] for r in records})
    failing = [r for r in records if any(not c["ok"] for c in r["checks"])]
    assert writer["reports"] == len(failing) > 0
    want: dict = {}
    for r in failing:
        for c in r["checks"]:
            if not c["ok"]:
                want[c["rule"]] = want.get(c["rule"], 0) + 1
    assert writer["rules"] == sorted(want.items())
