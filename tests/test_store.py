"""The store and its commands, on the embedded store (and on a real MongoDB when MONGO_URI is
set). Commands are driven as users run them: ``scrapy <command>`` in the project."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from conftest import REALDOCS, ROOT, SEEDS, label_for, scrapy, store_target

from crawler.analysis.checks import failing_query
from crawler.store import MAX_BODY, BodyTooLarge, Store
from crawler.store.breaker import Breaker
from parsers import parse_page

KINDS = ["embedded", "mongodb"]


@pytest.fixture(params=KINDS)
def store(request, tmp_path):
    with store_target(request.param, tmp_path / "data").open() as s:
        yield s


def test_embedded_store_is_embedded_whatever_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MONGO_URI", "mongodb://127.0.0.1:1/nowhere")
    with Store(None, tmp_path / "data") as s:
        assert s.embedded and (tmp_path / "data").is_dir()


def test_same_page_twice_moves_only_last_seen(store):
    body = REALDOCS[1].read_bytes()
    record = parse_page(body, url="https://www.example.gov.cn/a.html")
    sha = store.save_page(record["url"], body)
    assert store.save_report(record, page_sha256=sha) == "new"
    first = store.reports.find_one({"url": record["url"]})
    assert store.save_page(record["url"], body) == sha
    assert store.save_report(record, page_sha256=sha) == "unchanged"
    again = store.reports.find_one({"url": record["url"]})
    assert store.pages.count_documents({}) == 1 and store.reports.count_documents({}) == 1
    assert again["first_seen"] == first["first_seen"] and again["history"] == []
    assert store.page_body(sha) == body


def test_changed_page_keeps_both_versions_and_history(store):
    url = "https://www.example.gov.cn/a.html"
    old_body, new_body = SEEDS[0].read_bytes(), SEEDS[3].read_bytes()
    sha1 = store.save_page(url, old_body)
    store.save_report(parse_page(old_body, url=url), page_sha256=sha1)
    sha2 = store.save_page(url, new_body)
    assert store.save_report(parse_page(new_body, url=url), page_sha256=sha2) == "changed"
    doc = store.reports.find_one({"url": url})
    assert doc["history"] == [sha1] and doc["page_sha256"] == sha2
    assert doc["tables"] == label_for(SEEDS[3])["tables"]
    assert store.pages.count_documents({"url": url}) == 2


def test_oversized_body_refused_with_reason(store):
    with pytest.raises(BodyTooLarge, match="exceeds"):
        store.save_page("https://www.example.gov.cn/big.pdf", b"\0" * (MAX_BODY + 1))
    assert store.pages.count_documents({}) == 0


@pytest.fixture(scope="module", params=KINDS)
def imported(request, tmp_path_factory):
    """The bundled reports imported with ``scrapy import-files`` into a store of each kind."""
    target = store_target(request.param, tmp_path_factory.mktemp("data"))
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "realdocs"),
                  target=target)
    assert proc.returncode == 0, proc.stderr
    assert f"new {len(SEEDS + REALDOCS)}" in proc.stdout
    return target


@pytest.mark.slow
def test_import_files_is_idempotent(imported):
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"), target=imported)
    assert "new 0, changed 0, unchanged 5" in proc.stdout


@pytest.mark.slow
def test_export_jsonl_and_filters(imported, tmp_path):
    out = tmp_path / "all.jsonl"
    assert scrapy("export", "-o", str(out), target=imported).returncode == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(SEEDS + REALDOCS)
    for record in records:
        stem = record["url"].rsplit("/", 1)[1].rsplit(".", 1)[0]
        assert record["tables"] == label_for(ROOT / "fixtures" / "labels" / f"{stem}.json")["tables"]
    out2 = tmp_path / "2019.jsonl"
    scrapy("export", "-o", str(out2), "--template", "2019", target=imported)
    assert {json.loads(x)["organ"] for x in out2.read_text(encoding="utf-8").splitlines()} == {
        "陇西县财政局", "平潭综合实验区金井片区管理局"}
    out3 = tmp_path / "failed.jsonl"
    scrapy("export", "-o", str(out3), "--failed-checks", target=imported)
    failing = [json.loads(x)["url"].rsplit("/", 1)[1] for x in out3.read_text(encoding="utf-8").splitlines()]
    assert len(failing) == 4 and "r005.pdf" in failing


@pytest.mark.slow
def test_export_csv_wide_and_long_read_back(imported, tmp_path):
    wide, long = tmp_path / "wide.csv", tmp_path / "long.csv"
    assert scrapy("export", "-o", str(wide), target=imported).returncode == 0
    assert scrapy("export", "-o", str(long), "--format", "csv-long", target=imported).returncode == 0
    assert wide.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 with a BOM
    rows = list(csv.DictReader(wide.open(encoding="utf-8-sig")))
    lasa = next(r for r in rows if r["organ"] == "拉萨市财政局")
    assert lasa["applications.granted.total"] == "22"
    assert lasa["applications.granted.commercial_enterprise"] == ""
    assert lasa["failed_checks"] == "5"
    cells = list(csv.DictReader(long.open(encoding="utf-8-sig")))
    fee = next(c for c in cells if c["organ"] == "陇西县财政局" and c["row"] == "administrative_fees"
               and c["column"] == "change")
    assert (fee["value"], fee["raw"]) == ("-3", "减 3")


@pytest.mark.slow
def test_formula_cells_are_neutralised(tmp_path):
    data = tmp_path / "data"
    page = ("<html><body><h1>=HYPERLINK(\"http://x\")县2023年政府信息公开工作年度报告</h1>"
            "<p>二、主动公开政府信息情况</p><table><tr><td>规章</td><td>-</td><td>0</td><td>0</td>"
            "</tr></table></body></html>").encode()
    src = tmp_path / "evil.html"
    src.write_bytes(page)
    scrapy("import-files", str(src), data_dir=data)
    wide, long = tmp_path / "wide.csv", tmp_path / "long.csv"
    scrapy("export", "-o", str(wide), data_dir=data)
    scrapy("export", "-o", str(long), "--format", "csv-long", data_dir=data)
    (row,) = csv.DictReader(wide.open(encoding="utf-8-sig"))
    assert row["title"].startswith("'=HYPERLINK")
    raw = [r["raw"] for r in csv.DictReader(long.open(encoding="utf-8-sig"))]
    assert raw == ["'-", "0", "0"]


@pytest.mark.slow
def test_reparse_updates_changed_records(imported):
    with imported.open() as store:
        url = next(d["url"] for d in store.reports.find({}, {"url": 1}) if d["url"].endswith("r002.html"))
        store.reports.update_one({"url": url}, {"$set": {"tables": {}, "parser_version": "0.9"}})
    proc = scrapy("reparse", "--below-version", "1.0", target=imported)
    assert proc.returncode == 0 and "changed 1, unchanged 0, failed 0" in proc.stdout
    bad = scrapy("reparse", "--below-version", "banana", target=imported)
    assert bad.returncode == 2 and "not a version" in bad.stderr and "Traceback" not in bad.stderr
    with imported.open() as store:
        assert store.reports.find_one({"url": url})["tables"] == label_for(REALDOCS[1])["tables"]
    proc = scrapy("reparse", target=imported)
    assert f"changed 0, unchanged {len(SEEDS + REALDOCS)}" in proc.stdout


@pytest.mark.slow
def test_stats(imported):
    proc = scrapy("stats", target=imported)
    assert proc.returncode == 0
    n = len(SEEDS + REALDOCS)
    assert f"{n} reports ({n} distinct), {n} pages" in proc.stdout
    assert "applications.row_sum" in proc.stdout and "上海市" in proc.stdout


class Outage:
    """A collection proxy whose writes and reads fail while ``down`` is set."""

    def __init__(self, collection, fail_times=None):
        self.collection, self.down, self.fail_times = collection, False, fail_times

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            from pymongo.errors import AutoReconnect

            if self.down or (self.fail_times is not None and self.fail_times > 0):
                if self.fail_times:
                    self.fail_times -= 1
                raise AutoReconnect("connection refused (simulated outage)")
            return attr(*args, **kwargs)
        return call


def test_transient_failure_is_retried(tmp_path):
    with Store(None, tmp_path / "data", backoff=0.01) as store:
        store.pages = Outage(store.pages, fail_times=2)
        body = SEEDS[0].read_bytes()
        assert store.save("https://www.example.gov.cn/a.html", body,
                          parse_page(body, url="https://www.example.gov.cn/a.html")) == "new"
        assert not store.journal.path.exists()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_outage_mid_run_is_journaled_then_replayed(kind, tmp_path):
    target = store_target(kind, tmp_path / "data")
    docs = [(f"https://www.example.gov.cn/{p.stem}.html", p.read_bytes()) for p in SEEDS + REALDOCS
            if p.suffix != ".csv"]
    # No cooldown: every item asks the database (the breaker has its own test).
    with target.open(backoff=0.001, retries=2, breaker=Breaker(0, 0)) as store:
        outage = store.pages = Outage(store.pages)
        statuses = []
        for i, (url, body) in enumerate(docs):
            outage.down = 3 <= i < 7  # the database goes away mid-run, then comes back
            statuses.append(store.save(url, body, parse_page(body, url=url)))
        assert statuses.count("journaled") == 4 and statuses.count("new") == len(docs) - 4
        assert len(store.journal.entries()) == 4
        assert store.reports.count_documents({}) == len(docs) - 4
    # Later, from the command line: nothing was lost.
    proc = scrapy("replay-journal", target=target)
    assert proc.returncode == 0 and "new 4" in proc.stdout, proc.stdout + proc.stderr
    with target.open() as store:
        assert store.reports.count_documents({}) == len(docs)
        assert not store.journal.path.exists()
        for url, body in docs:
            doc = store.reports.find_one({"url": url})
            assert store.page_body(doc["page_sha256"]) == body


@pytest.mark.slow
def test_export_xlsx_and_parquet_read_back(imported, tmp_path):
    import openpyxl
    import pyarrow.parquet as pq

    xlsx, parquet, jsonl = tmp_path / "r.xlsx", tmp_path / "r.parquet", tmp_path / "r.jsonl"
    for out in (xlsx, parquet, jsonl):
        proc = scrapy("export", "-o", str(out), target=imported)
        assert proc.returncode == 0, proc.stderr
    records = {json.loads(x)["url"]: json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()}
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert wb.sheetnames[:4] == ["reports", "active_disclosure", "applications", "review_litigation"]
    rows = list(wb["applications"].iter_rows(values_only=True))
    header = rows[0]
    for row in rows[1:]:
        item = dict(zip(header, tuple(row) + (None,) * (len(header) - len(row)), strict=True))
        expected = records[item["url"]]["tables"]["applications"][item["row"]]
        assert {k: item[k] for k in expected} == expected
    assert len(list(wb["reports"].iter_rows())) == 1 + len(records)
    table = pq.read_table(parquet).to_pylist()
    assert len(table) == len(records)
    for row in table:
        rec = records[row["url"]]
        for tname, trows in rec["tables"].items():
            for rname, cols in trows.items():
                for col, value in cols.items():
                    assert row[f"{tname}__{rname}__{col}"] == value  # names need no quoting


def test_crawl_runs_are_recorded(store):
    crawl = store.start_crawl("reports", {"region": "54", "years": "2023"})
    store.finish_crawl(crawl, {"pages": 3, "reports_new": 2, "challenge:ruishu": 1}, "finished")
    doc = store.crawls.find_one({"_id": crawl})
    assert doc["arguments"] == {"region": "54", "years": "2023"}
    assert doc["finish_reason"] == "finished" and doc["counts"]["reports_new"] == 2
    assert doc["finished_at"] >= doc["started_at"]


@pytest.mark.slow
def test_import_a_page_whose_report_is_a_pdf_beside_it(tmp_path):
    """A page saved from a portal with its PDF beside it: one record, read from the PDF, under
    the page's URL; the PDF is not imported again on its own; reparse derives the same."""
    import shutil

    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(ROOT / "fixtures" / "realdocs" / "r005.pdf", saved / "hz2023nb.pdf")
    (saved / "t20240118_1.html").write_text(
        "<html><head><title>洪泽区人民政府2023年政府信息公开工作年度报告</title></head><body>"
        "<h1>洪泽区人民政府2023年政府信息公开工作年度报告</h1>"
        '<p>附件：<a href="hz2023nb.pdf">洪泽区人民政府2023年政府信息公开工作年度报告.pdf</a></p>'
        "</body></html>", encoding="utf-8")
    data = tmp_path / "data"
    proc = scrapy("import-files", str(saved), data_dir=data)
    assert proc.returncode == 0 and "new 1," in proc.stdout, proc.stdout + proc.stderr
    with Store(None, data) as store:
        (doc,) = store.iter_reports()
        assert doc["url"].endswith("t20240118_1.html")
        assert doc["attachment_url"].endswith("hz2023nb.pdf")
        r005 = [p for p in REALDOCS if p.name == "r005.pdf"][0]
        assert doc["tables"] == label_for(r005)["tables"]
        assert store.count_pages() == 2
    again = scrapy("reparse", data_dir=data)
    assert "changed 0, unchanged 1, failed 0" in again.stdout, again.stdout + again.stderr


def test_counts_in_the_database(store):
    """Distinct reports ($group then $count) and the failing reports' counts (one $facet), as
    MongoDB's pipelines and the embedded engine's SQL answer them, against the records counted
    one by one: copies of one report on two portals, reports without a site, cross-year checks."""
    from parsers import parse_page

    pages = [p for p in SEEDS + REALDOCS if p.suffix in (".txt", ".html")]
    records = []
    for i, p in enumerate(pages):
        record = parse_page(p.read_bytes(), url=f"https://www.example.gov.cn/{p.name}")
        records.append(dict(record, site=f"site{i % 3}" if i % 4 else None))
    copy = dict(records[0], url="https://other.example.gov.cn/copy.html", site="other")
    for r in [*records, copy]:
        store.save(r["url"], r["url"].encode(), r)
    crossyear = [{"rule": "crossyear.carried_over", "ok": False}, {"rule": "crossyear.x", "ok": True}]
    store.set_report_fields(records[1]["url"], {"crossyear_checks": crossyear})
    stored = [*records, copy]
    assert store.count_distinct("report_key") == len(stored) - 1
    assert store.count_distinct("site") == len({r["site"] for r in stored})
    assert store.count_distinct("report_key", {"site": "nowhere"}) == 0

    def bad(r):
        own = [c["rule"] for c in r["checks"] if not c["ok"]]
        return own + (["crossyear.carried_over"] if r is records[1] else [])

    failing = [r for r in stored if bad(r)]
    got = store.failing_summary({"$or": [{"failed_rules.0": {"$exists": True}},
                                         {"crossyear_checks": {"$elemMatch": {"ok": False}}}]},
                                "crossyear_checks")
    assert got["reports"] == len(failing) > 1
    assert dict(got["by_site"]) == Counter(r["site"] for r in failing)
    assert dict(got["rules"]) == Counter(rule for r in stored for rule in bad(r))
    assert store.failing_summary({"site": "nowhere"}, "crossyear_checks") == {
        "reports": 0, "by_site": [], "rules": []}


def _failing_rules(doc: dict) -> str:
    bad = doc["checks"] + (doc.get("crossyear_checks") or [])
    return " ".join(sorted(c["rule"] for c in bad if not c["ok"]))


def test_failing_kept_as_reports_are_written(store):
    """Every write keeps ``failing`` (the rules of the own and cross-year failing checks) in
    step, and the failing reports are found and counted by it: a new report, cross-year
    checks set, a new page for the url (its cross-year checks stay), a re-derived record, in a
    batch and one by one."""
    pages = [p for p in SEEDS + REALDOCS if p.suffix in (".txt", ".html")]
    records = [dict(parse_page(p.read_bytes(), url=f"https://www.example.gov.cn/{p.name}"),
                    site=f"site{i % 3}" if i % 4 else None) for i, p in enumerate(pages)]
    store.save_many([{"url": r["url"], "body": r["url"].encode(), "record": r}
                     for r in records])
    passing = next(r for r in records if not _failing_rules(r))
    crossyear = [{"rule": "crossyear.carried_over", "ok": False}, {"rule": "crossyear.x", "ok": True}]
    store.set_report_fields(passing["url"], {"crossyear_checks": crossyear})
    store.save(records[0]["url"], b"a new page", records[0])
    store.set_report_fields(records[0]["url"], {"crossyear_checks": crossyear})
    store.save(records[0]["url"], b"a newer page", records[0])
    store.replace_record(records[1]["url"], dict(records[2], url=records[1]["url"]))
    docs = list(store.reports.find({}))
    assert all(d["failing"] == _failing_rules(d) for d in docs)
    assert store.reports.find_one({"url": passing["url"]})["failing"] == "crossyear.carried_over"
    assert store.failing() == {"failing": {"$gt": ""}}
    failing = [d for d in docs if _failing_rules(d)]
    got = store.failing_counts()
    assert got == store.failing_summary(failing_query(), "crossyear_checks")
    assert got["reports"] == len(failing) and 1 < len(failing) < len(docs)
    assert dict(got["by_site"]) == Counter(d.get("site") for d in failing)
    assert store.failing_counts({"site": "nowhere"}) == {"reports": 0, "by_site": [], "rules": []}
    assert store.count_reports(store.failing({"url": passing["url"]})) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_store_written_before_failing(kind, tmp_path):
    """A store whose reports lack ``failing`` (written before it existed): ``stats`` and
    ``report``, which open it read-only, find the failing reports as before; the first writer
    to open it adds it (once), and the figures stay the same."""
    target = store_target(kind, tmp_path / "data")
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"), target=target)
    assert proc.returncode == 0, proc.stderr

    def figures():
        stats = json.loads(scrapy("stats", "--json", target=target).stdout)
        proc = scrapy("report", "-o", str(tmp_path / "r.html"), "--today", "2026-06-01",
                      target=target)
        assert proc.returncode == 0, proc.stderr
        page = (tmp_path / "r.html").read_text(encoding="utf-8").split("</p>", 1)[1]
        return {k: v for k, v in stats.items() if k != "crawls"}, page

    before = figures()
    assert before[0]["reports_failing_checks"] > 0
    with target.open() as store:
        keys = {d["url"]: d["failing"] for d in store.reports.find({})}
        store.reports.update_many({}, {"$unset": {"failing": ""}})
    assert figures() == before
    with target.open(readonly=True) as store:
        assert store.failing() == failing_query()  # a reader writes nothing: as before
    with target.open() as store:  # a writer
        assert store.failing() == {"failing": {"$gt": ""}}
        assert {d["url"]: d["failing"] for d in store.reports.find({})} == keys
        assert store._add_failing() == 0  # once
    assert figures() == before


def test_stats_counts_the_failing_reports_from_the_index(tmp_path):
    """On the embedded store, stats counts the failing reports per site and rule from the
    index on (site, failing), in its order: one scan of the index, no sort."""
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Store(None, tmp_path, readonly=True) as store:
        conn = store.reports._conn
        statements = []
        conn.set_trace_callback(statements.append)
        try:
            got = store.failing_counts()
        finally:
            conn.set_trace_callback(None)
        plans = [str(conn.execute("EXPLAIN QUERY PLAN " + s).fetchall()) for s in statements
                 if s.startswith("SELECT") and "GROUP BY" in s]
    assert got["reports"] > 0 and len(plans) == 1
    assert "USING INDEX reports__site_1_failing_1" in plans[0] and "TEMP B-TREE" not in plans[0]
