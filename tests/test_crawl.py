"""End to end: ``scrapy crawl reports`` (Scrapy's real engine, in a subprocess) against the
offline demo portal on 127.0.0.1, into an embedded store. No mocked responses."""

from __future__ import annotations

import csv
import json
import signal
import time

import pytest
from conftest import DEMO_SITES, EXPECTED, FAST, ROOT, label_for, path_of, scrapy, stored

pytestmark = pytest.mark.slow
SITES = DEMO_SITES


def crawl(portal, data_dir, *args, extra=(), wait=True):
    proc = scrapy("crawl", "reports", *FAST, "-s", "LOG_LEVEL=INFO", *extra, *args,
                  data_dir=data_dir, portal=portal, wait=wait)
    if wait:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def full_crawl(portal, tmp_path_factory):
    data = tmp_path_factory.mktemp("full")
    before = dict(portal.hits)
    crawl(portal, data, "-a", f"site={SITES}")
    hits = {k: v - before.get(k, 0) for k, v in portal.hits.items()}
    return data, hits


def test_every_report_found_once_and_read_right(portal, full_crawl):
    data, _ = full_crawl
    reports, pages, _ = stored(data)
    assert sorted(path_of(portal, u) for u in reports) == sorted(EXPECTED)
    for url, doc in reports.items():
        stem = EXPECTED[path_of(portal, url)]
        label = label_for(ROOT / "fixtures" / "labels" / f"{stem}.json")
        assert doc["tables"] == label["tables"], url
        assert (doc["organ"], doc["year"], doc["template"]) == (
            label["organ"], label["year"], label["template"])
        assert doc["region"]["code"] is not None and doc["site"].startswith("demo-")
    report_pages = [p for p in pages if p["report_url"] is None]
    assert len(report_pages) == len(EXPECTED)


def test_report_published_only_as_a_pdf_is_read_from_it(portal, full_crawl):
    """A report page with no tables that links the report as a PDF: one record, read from the
    PDF and filed under the page's URL; both pages stored; reparse derives the same."""
    data, _ = full_crawl
    reports, pages, _ = stored(data)
    (pdf,) = [p for p in pages if p["url"].endswith(".pdf")]
    assert pdf["content_type"] == "application/pdf"
    page_url = portal.base_url + "/plain/xxgk/nb/202402/t20240201_3.html"
    assert pdf["report_url"] == page_url
    doc = reports[page_url]
    assert doc["attachment_url"] == pdf["url"] and doc["source"]["kind"] == "pdf"
    assert doc["attachments"] == [{"url": pdf["url"], "sha256": pdf["sha256"],
                                   "content_type": "application/pdf"}]
    assert doc["tables"] == label_for(ROOT / "fixtures" / "labels" / "r005.json")["tables"]
    # Its own table 四 totals are wrong at the source: those checks fail, and only those.
    assert {c["rule"] for c in doc["checks"] if not c["ok"]} == {"review_litigation.group_sum"}
    others = [d for u, d in reports.items() if u != page_url]
    assert all(d["attachment_url"] is None for d in others)


def test_lookalikes_never_fetched_or_stored(portal, full_crawl):
    data, hits = full_crawl
    reports, _, _ = stored(data)
    lookalikes = ["/trs/zfxxgk/zfxxgknb/202503/t20250311_97801.html",  # 解读
                  "/trs/zfxxgk/zfxxgknb/202312/t20231201_80001.html",  # 通知
                  "/trs/zfxxgk/zfxxgknb/202001/t20200110_80570.html",  # 网站工作年度报表
                  "/hanweb/art/2025/3/1/art_1001_501.html",            # 法治政府建设年度报告
                  "/gkmlpt/gkmlpt/content/2/2001/post_9.html",         # 解读
                  "/jpaas/art/2024/1/27/art_77_86551.html"]            # 公布情况
    for path in lookalikes:
        assert hits.get(path, 0) == 0, path
        assert portal.base_url + path not in reports


def test_each_cms_paged_to_the_end(full_crawl):
    _, hits = full_crawl
    assert hits.get("/trs/zfxxgk/zfxxgknb/index_1.html") == 1
    assert hits.get("/trs/zfxxgk/zfxxgknb/index_2.html") == 1
    assert hits.get("/hanweb/module/web/jpage/dataproxy.jsp", 0) == 2  # pages 2 and 3
    assert hits.get("/gkmlpt/gkmlpt/api/all/2001", 0) == 3             # 3 articles, 1 a page
    assert hits.get("/api-gateway/jpaas-publish-server/front/page/build/unit", 0) == 3
    assert hits.get("/plain/xxgk/nb/list_2.html") == 1
    assert hits.get("/plain/xxgk/nb/2019/index.html") == 1             # a year sub-column


def test_faults_retried_counted_and_never_stored(portal, full_crawl):
    data, hits = full_crawl
    reports, _, crawls = stored(data)
    counts = crawls[-1]["counts"]
    assert crawls[-1]["finish_reason"] == "finished"
    assert counts["challenge:ruishu"] == 1 and counts["challenge/demo-plain:ruishu"] == 1
    assert portal.base_url + "/plain/xxgk/nb/202402/t20240203_5.html" not in reports
    # 500 once, then the page: retried and stored.
    assert hits["/plain/xxgk/nb/202502/t20250205_2.html"] == 2
    # A truncated body is an error, retried, and not stored.
    assert portal.base_url + "/plain/xxgk/nb/202402/t20240202_4.html" not in reports
    assert counts.get("errors/ResponseDataLossError") == 1
    assert counts["reports/new"] == len(EXPECTED)


def test_second_run_adds_nothing_and_refetches_no_report(portal, full_crawl):
    data, _ = full_crawl
    before = dict(portal.hits)
    crawl(portal, data, "-a", f"site={SITES}")
    reports, _, crawls = stored(data)
    assert len(reports) == len(EXPECTED)
    assert "reports/new" not in crawls[-1]["counts"]
    fetched = {k for k, v in portal.hits.items() if v != before.get(k, 0)}
    assert not fetched & set(EXPECTED)
    assert crawls[-1]["counts"]["reports/skipped_stored"] >= 5
    # Paging stops at a page whose reports are all stored: later pages are not fetched again.
    assert "/trs/zfxxgk/zfxxgknb/index_1.html" not in fetched
    assert "/gkmlpt/gkmlpt/api/all/2001" in fetched


def test_years_filter_on_the_statistics_year(portal, tmp_path):
    crawl(portal, tmp_path, "-a", f"site={SITES}", "-a", "years=2024-2025")
    reports, _, _ = stored(tmp_path)
    want = {p for p, stem in EXPECTED.items() if stem and 2024 <= label_for(
        ROOT / "fixtures" / "labels" / f"{stem}.json")["year"] <= 2025}
    assert {path_of(portal, u) for u in reports} == want


def test_region_and_ad_hoc_start_url(portal, tmp_path):
    crawl(portal, tmp_path / "a", "-a", "region=54")
    reports, _, _ = stored(tmp_path / "a")
    assert {path_of(portal, u) for u in reports} == {p for p in EXPECTED if p.startswith("/hanweb/")}
    crawl(portal, tmp_path / "b", "-a", f"start_url={portal.base_url}/trs/zfxxgk/zfxxgknb/index.html")
    reports, _, _ = stored(tmp_path / "b")
    assert {path_of(portal, u) for u in reports} == {p for p in EXPECTED if p.startswith("/trs/")}


def test_bad_arguments_are_a_clear_error(portal, tmp_path):
    for bad, message in ((("-a", "years=20x4"), "years must be YYYY or YYYY-YYYY"),
                         (("-a", "start_url=ftp://x.gov.cn/"), "must be an http(s) URL"),
                         (("-a", "site=demo-trs", "-a", "bogus=1"), "unknown spider argument")):
        proc = scrapy("crawl", "reports", *bad, data_dir=tmp_path, portal=portal)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr


def test_killed_crawl_resumes_from_jobdir_without_loss(portal, tmp_path):
    data, jobdir = tmp_path / "data", tmp_path / "job"
    slow = ["-s", f"JOBDIR={jobdir}", "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.3"]
    proc = crawl(portal, data, "-a", f"site={SITES}", extra=slow, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill it once some, not all, reports are stored
        time.sleep(0.5)
        try:
            n = len(stored(data)[0])
        except Exception:  # the store is being created by the crawl
            n = 0
        if n >= 2:
            break
    proc.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops cleanly and keeps its queue
    out, _ = proc.communicate(timeout=120)
    first = stored(data)[0]
    assert 2 <= len(first) < len(EXPECTED), out[-2000:]
    crawl(portal, data, "-a", f"site={SITES}", extra=slow)
    reports, _, crawls = stored(data)
    assert sorted(path_of(portal, u) for u in reports) == sorted(EXPECTED)
    assert crawls[0]["finish_reason"] == "shutdown" and crawls[-1]["finish_reason"] == "finished"


def test_make_demo_entry_point(tmp_path):
    """``make demo`` runs ``python -m demo``: crawl, export, summary, the next commands."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, DATA_DIR=str(tmp_path), DEMO_PORT="0")
    env.pop("MONGO_URI", None)
    first = subprocess.run([sys.executable, "-m", "demo"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"{len(EXPECTED)} reports in the store ({len(EXPECTED)} new this run)" in first.stdout
    assert "challenge:ruishu 1" in first.stdout
    assert f"scrapy stats --data-dir {tmp_path}" in first.stdout
    rows = (tmp_path / "reports.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + len(EXPECTED)
    # The next command the demo prints works on its store.
    stats = scrapy("stats", "--data-dir", str(tmp_path))
    assert f"{len(EXPECTED)} reports" in stats.stdout, stats.stderr


def test_non_government_hosts_refused(full_crawl):
    _, _, crawls = stored(full_crawl[0])
    assert crawls[0]["counts"]["offsite/refused"] == 1  # the clone on www.example.com


def test_https_falls_back_to_http_and_refresh_refetches(portal, tmp_path):
    # The portal speaks plain http: the https handshake fails and the crawl retries over http.
    start = portal.base_url.replace("http://", "https://") + "/trs/zfxxgk/zfxxgknb/index.html"
    crawl(portal, tmp_path, "-a", f"start_url={start}")
    reports, _, crawls = stored(tmp_path)
    assert {path_of(portal, u) for u in reports} == {p for p in EXPECTED if p.startswith("/trs/")}
    assert crawls[-1]["counts"]["scheme_fallback/https_to_http"] >= 1
    before = dict(portal.hits)
    crawl(portal, tmp_path, "-a", f"start_url={start}", "-a", "refresh=1")
    refetched = {k for k, v in portal.hits.items() if v != before.get(k, 0)}
    assert {p for p in EXPECTED if p.startswith("/trs/")} <= refetched
    assert stored(tmp_path)[2][-1]["counts"]["reports/unchanged"] == 3


def test_reparse_after_a_crawl_changes_nothing(portal, full_crawl):
    """A record does not depend on the command that derived it: the crawl's records come back
    the same from ``scrapy reparse`` (regions from the site registry included)."""
    data, _ = full_crawl
    before, _, _ = stored(data)
    # The gkmlpt site's pages name no region themselves; their organs' names place them
    # (拉萨市财政局: Lhasa), the site's registry region kept beside.
    assert any(d["region"]["code"] == "540100" and d["site_region"] == "440000"
               for d in before.values())
    proc = scrapy("reparse", data_dir=data)
    assert proc.returncode == 0 and f"changed 0, unchanged {len(EXPECTED)}" in proc.stdout, (
        proc.stdout + proc.stderr)
    after, _, _ = stored(data)
    volatile = {"parsed_at", "parser_version", "last_seen"}
    for url, doc in before.items():
        assert {k: v for k, v in after[url].items() if k not in volatile} == {
            k: v for k, v in doc.items() if k not in volatile}, url


def test_feed_exports_write_records(portal, tmp_path):
    """``scrapy crawl reports -O out.jsonl`` / ``-O out.csv``: the records, beside the store."""
    jsonl, wide = tmp_path / "out.jsonl", tmp_path / "out.csv"
    crawl(portal, tmp_path / "data", "-a", "site=demo-trs", "-O", str(jsonl), "-O", str(wide))
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    reports, _, _ = stored(tmp_path / "data")
    assert sorted(r["url"] for r in records) == sorted(reports) and len(records) == 3
    for record in records:
        stem = EXPECTED[path_of(portal, record["url"])]
        assert record["tables"] == label_for(ROOT / "fixtures" / "labels" / f"{stem}.json")["tables"]
        assert record["site"] == "demo-trs"
    rows = list(csv.DictReader(wide.open(encoding="utf-8")))
    assert sorted(r["url"] for r in rows) == sorted(reports)
    by_url = {r["url"]: r for r in records}
    for row in rows:
        granted = by_url[row["url"]]["tables"]["applications"]["granted"]["total"]
        assert row["applications.granted.total"] == str(granted)
