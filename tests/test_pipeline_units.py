"""The crawl's machinery without the engine: the record derivation, the pipeline and the
middlewares on fake items, requests and responses built from the real fixtures."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, LONGXI, REALDOCS, label_for, next_year
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler import meta as M
from crawler import pagework
from crawler.crawlspec import CrawlSpec
from crawler.derive import Origin, derive_record
from crawler.extensions import CrawlRecorder
from crawler.items import PageItem
from crawler.middlewares import ChallengeMiddleware, HostPolicyMiddleware
from crawler.spiders.reports import ReportsSpider
from crawler.store import Store

GKMLPT_PAGE = FIXTURES / "sites" / "gkmlpt" / "gkmlpt" / "content" / "2" / "2001" / "post_1.html"


def test_region_from_the_site_only_where_the_page_names_none():
    body = REALDOCS[0].read_bytes()  # its organ names its province, not its code
    own = derive_record(body, "https://www.example.gov.cn/a.html", "text/plain")
    record = derive_record(body, "https://www.example.gov.cn/a.html", "text/plain",
                           Origin("site-x", "310101"))
    assert own["region"]["province"] == record["region"]["province"] == "上海市"
    # The organ's name gives the province's code; the site's finer code stands within it.
    assert own["region"]["code"] == "310000" and record["region"]["code"] == "310101"
    assert (record["site"], record["site_region"]) == ("site-x", "310101")
    bare = b"<html><body><p>\xe6\x97\xa0</p></body></html>"
    enriched = derive_record(bare, "https://x.gov.cn/b.html", "text/html", Origin("s", "440000"))
    assert enriched["region"]["code"] == "440000" and enriched["region"]["province"] == "广东省"
    assert Origin.of_report(enriched) == Origin("s", "440000")


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(ReportsSpider, {"DATA_DIR": str(tmp_path), "MONGO_URI": None,
                                          "ITEM_PIPELINES": {}, "EXTENSIONS": {}})
    crawler.spider = crawler._create_spider(start_url="https://www.example.gov.cn/nb/")
    yield crawler
    Store.for_crawler(crawler).close()


def page_item(path, **kw):
    body = path.read_bytes()
    url = f"https://www.example.gov.cn/{path.name}"
    return PageItem(url=url, final_url=url, body=body, status=200,
                    headers={"content-type": "text/html"}, **kw)


def page(path, **kw) -> dict:
    """A fetched page as the pipeline hands it to its workers."""
    item = page_item(path, **kw)
    return {"url": item.url, "final_url": item.final_url, "body": item.body,
            "status": item.status, "headers": item.headers, "site": item.site,
            "region": item.region, "kind": item.kind, "report_url": item.report_url,
            "years": item.years}


def target(crawler):
    store = Store.for_crawler(crawler)
    return (None, str(store.data_dir), str(store.journal.path), 2.0, 60.0)


def test_pipeline_work_returns_the_record_and_stores_the_page(crawler):
    """What the pipeline's workers do with a batch (the engine drives it in test_crawl)."""
    item = page(REALDOCS[1], site="site-x", region="540100")
    (result,) = pagework.store_pages(target(crawler), [item])
    record = result["record"]
    assert result["status"] == "new"
    assert record["tables"] == label_for(REALDOCS[1])["tables"]
    assert all(not isinstance(v, bytes) for v in record.values())  # feeds get no bytes
    store = Store.for_crawler(crawler)
    stored = store.report(record["url"])
    assert stored["tables"] == record["tables"] and stored["site_region"] == "540100"
    assert store.page_body(stored["page_sha256"]) == item["body"]
    again, other = pagework.store_pages(target(crawler), [item, page(REALDOCS[2])])
    assert (again["status"], other["status"]) == ("unchanged", "new")


def test_pipeline_work_skips_reports_outside_the_years_and_stores_attachments(crawler):
    year = label_for(REALDOCS[1])["year"]
    outside, attachment = pagework.store_pages(target(crawler), [
        page(REALDOCS[1], years=(year + 1, year + 2)),
        page(REALDOCS[2], kind="attachment", report_url="https://www.example.gov.cn/r.html")])
    assert outside["status"] == "outside_years" and attachment["status"] == "stored"
    assert attachment["attachments"] == {"stored": 1}
    store = Store.for_crawler(crawler)
    assert store.count_pages() == 1 and store.count_reports() == 0
    assert store.known_years()[page(REALDOCS[1])["url"]] == year


def test_crawl_recorder_keeps_every_stat(crawler):
    recorder = CrawlRecorder.from_crawler(crawler)
    recorder.spider_opened(crawler.spider)
    crawler.stats.set_value("downloader/exception_type_count/twisted.x.DNSLookupError", 2)
    crawler.stats.set_value("challenge/site-x:ruishu", 1)
    store = Store.for_crawler(crawler)
    crawl_id = recorder.crawl_id
    recorder.spider_closed(crawler.spider, "finished")
    with Store(None, crawler.settings["DATA_DIR"]) as again:
        doc = again.crawl(crawl_id)
    assert doc["finish_reason"] == "finished"
    assert doc["counts"]["downloader/exception_type_count/twisted_x_DNSLookupError"] == 2
    assert doc["counts"]["challenge/site-x:ruishu"] == 1
    assert store is not None


def test_host_policy(crawler):
    policy = HostPolicyMiddleware.from_crawler(crawler)
    ok = Request("https://www.lasa.gov.cn/a.html")
    assert policy.process_request(ok) is None
    listed = Request("http://127.0.0.1:8000/a.html", meta={M.ALLOWED_HOSTS: ("127.0.0.1:8000",)})
    assert policy.process_request(listed) is None
    with pytest.raises(IgnoreRequest):
        policy.process_request(Request("https://www.example.com/a.html"))


def test_challenge_pages_are_dropped_and_counted(crawler):
    middleware = ChallengeMiddleware.from_crawler(crawler)
    request = Request("https://www.x.gov.cn/a.html", meta={M.SITE: "site-x"})
    blocked = HtmlResponse(request.url, status=412, request=request, body=(
        b'<html><head><meta content="' + b"a" * 300 + b'"><script r="m"></script></head></html>'))
    with pytest.raises(IgnoreRequest, match="challenge:ruishu"):
        middleware.process_response(request, blocked)
    assert crawler.stats.get_value("challenge/site-x:ruishu") == 1
    fine = HtmlResponse(request.url, status=200, request=request, body=GKMLPT_PAGE.read_bytes())
    assert middleware.process_response(request, fine) is fine


@pytest.mark.parametrize("arguments,message", [
    ({"years": "20x4", "site": "a"}, "years must be"),
    ({"years": "2025-2020", "site": "a"}, "backwards"),
    ({"start_url": "ftp://x.gov.cn/"}, r"http\(s\) URL"),
    ({"site": "a", "nonsense": "1"}, "unknown spider argument"),
])
def test_crawl_spec_refuses_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        CrawlSpec.parse(**arguments)


def test_crawl_spec_round_trips_through_its_arguments():
    spec = CrawlSpec.parse(site="a, b", years="2022-2024", refresh="yes")
    assert spec.arguments() == {"site": "a,b", "years": "2022-2024", "refresh": "1"}
    assert CrawlSpec.parse(**spec.arguments()) == spec
    assert CrawlSpec.parse().is_empty


class _DyingPool:
    """A worker pool whose workers die on every batch holding ``poison`` (as a page that
    crashes the parser would make them) and store the others as the real workers do."""

    def __init__(self, crawler, poison: str):
        self.crawler, self.poison, self.calls = crawler, poison, []

    def run(self, fn, target, pages):
        from concurrent.futures.process import BrokenProcessPool

        from twisted.internet import defer

        self.calls.append([p["url"] for p in pages])
        if any(p["url"] == self.poison for p in pages):
            return defer.fail(BrokenProcessPool("a worker died"))
        return defer.succeed(fn(target, pages))

    def close(self):
        pass


def test_a_page_that_kills_its_worker_fails_alone_and_the_rest_of_its_batch_is_stored(crawler):
    from scrapy.exceptions import DropItem
    from twisted.internet import defer

    from crawler.pipelines import StorePipeline

    pipeline = StorePipeline(crawler)
    pipeline.open_spider()
    poison = "https://www.example.gov.cn/poison.html"
    pipeline.pool = _DyingPool(crawler, poison)
    batch = [page(REALDOCS[1]), dict(page(REALDOCS[2]), url=poison), page(REALDOCS[3])]
    results = []
    defer.Deferred.fromCoroutine(pipeline._store(batch)).addCallback(results.append)
    (statuses,) = [[r["status"] for r in rs] for rs in results]
    assert statuses == ["new", "worker_died", "new"]
    # The batch, then each page alone; the poison page three times alone, then given up.
    assert pipeline.pool.calls[0] == [p["url"] for p in batch]
    assert pipeline.pool.calls.count([poison]) == 3
    assert crawler.stats.get_value("pipeline/batches_broken") == 4
    assert Store.for_crawler(crawler).count_reports() == 2
    # The item of the poison page is dropped with the reason, never lost silently.
    item = page_item(REALDOCS[2])
    item.url = poison
    pipeline.batcher.submit = lambda pages: defer.succeed([{"status": "worker_died",
                                                            "record": None, "attachments": {}}])
    failures = []
    d = defer.Deferred.fromCoroutine(pipeline.process_item(item))
    pipeline.batcher.close()
    d.addErrback(failures.append)
    assert failures and failures[0].check(DropItem)
    assert "the pipeline worker died on it" in str(failures[0].value)
    assert crawler.stats.get_value("pages/worker_died") == 1


class _SharedFatePool(_DyingPool):
    """Batches stay out until :meth:`step`; a worker dying then breaks every batch out, as a
    process pool does (the innocent ones fail with the one that held the poison page)."""

    def __init__(self, crawler, poison: str):
        super().__init__(crawler, poison)
        self.out: list = []

    def run(self, fn, target, pages):
        from twisted.internet import defer

        self.calls.append([p["url"] for p in pages])
        d = defer.Deferred()
        self.out.append((d, fn, target, pages))
        return d

    def step(self) -> None:
        from concurrent.futures.process import BrokenProcessPool

        out, self.out = self.out, []
        dies = any(p["url"] == self.poison for _, _, _, pages in out for p in pages)
        for d, fn, target, pages in out:
            if dies:
                d.errback(BrokenProcessPool("a worker died"))
            else:
                d.callback(fn(target, pages))


def test_a_page_that_kills_its_worker_does_not_take_an_innocent_page_of_another_batch(crawler):
    """Two batches out at once, one holding a page that kills its worker: both break, their
    pages are tried again alone, and only the killer is given up."""
    from twisted.internet import defer

    from crawler.pipelines import StorePipeline

    pipeline = StorePipeline(crawler)
    pipeline.open_spider()
    poison = "https://www.example.gov.cn/poison.html"
    pool = pipeline.pool = _SharedFatePool(crawler, poison)
    first = [dict(page(REALDOCS[1]), url=poison), page(REALDOCS[2])]
    second = [page(REALDOCS[3]), page(REALDOCS[4])]
    results = {}
    for name, batch in (("first", first), ("second", second)):
        defer.Deferred.fromCoroutine(pipeline._store(batch)).addCallback(
            lambda rs, name=name: results.setdefault(name, [r["status"] for r in rs]))
    for _ in range(50):
        if not pool.out:
            break
        pool.step()
    assert not pool.out
    assert results == {"first": ["worker_died", "new"], "second": ["new", "new"]}
    assert pool.calls.count([poison]) == 3
    assert Store.for_crawler(crawler).count_reports() == 3


class _DiesAfterCommitPool(_DyingPool):
    """A worker pool whose first worker stores its batch, then dies before it answers (killed
    between the commit and the reply); the new workers answer."""

    def run(self, fn, target, pages):
        from concurrent.futures.process import BrokenProcessPool

        from twisted.internet import defer

        self.calls.append([p["url"] for p in pages])
        results = fn(target, pages)  # committed
        if len(self.calls) == 1:
            return defer.fail(BrokenProcessPool("a worker died after its write"))
        return defer.succeed(results)


def test_reports_stored_again_after_a_worker_died_get_their_cross_year_checks(crawler, tmp_path):
    """A worker that dies after its batch committed: the batch is stored again page by page and
    comes back "unchanged"; the organs of those reports still get their cross-year checks
    recomputed when the spider closes."""
    from twisted.internet import defer

    from crawler.pipelines import StorePipeline

    def item(path, url):
        return PageItem(url=url, final_url=url, body=path.read_bytes(), status=200,
                        headers={"content-type": "text/plain"})

    last_year = item(LONGXI, "https://www.example.gov.cn/longxi-2022.txt")
    this_year_file = tmp_path / "longxi-2023.txt"
    this_year_file.write_text(next_year(LONGXI.read_text(encoding="utf-8")), encoding="utf-8")
    this_year = item(this_year_file, "https://www.example.gov.cn/longxi-2023.txt")
    # Last year's report, stored by an earlier crawl.
    earlier = StorePipeline(crawler)
    earlier.open_spider()
    earlier.pool = _DyingPool(crawler, poison="")
    stored_before = defer.Deferred.fromCoroutine(earlier.process_item(last_year))
    earlier.batcher.close()
    assert stored_before.result["year"] == 2022

    pipeline = StorePipeline(crawler)
    pipeline.open_spider()
    pool = pipeline.pool = _DiesAfterCommitPool(crawler, poison="")
    record = defer.Deferred.fromCoroutine(pipeline.process_item(this_year))
    pipeline.batcher.close()
    assert record.result["year"] == 2023
    assert pool.calls == [[this_year.url], [this_year.url]]  # the batch, then the page alone
    stats = crawler.stats
    assert stats.get_value("pipeline/batches_broken") == 1
    assert stats.get_value("reports/unchanged") == 1 and stats.get_value("reports/new") == 1
    defer.Deferred.fromCoroutine(pipeline.close_spider())
    checks = {c["where"].split(" ")[0]: c for c in
              Store.for_crawler(crawler).report(this_year.url)["crossyear_checks"]}
    carried = checks["applications.carried_over.total"]
    assert (carried["expected"], carried["actual"], carried["ok"]) == (0, 2, False)
    assert carried["other_url"] == last_year.url


def test_batches_follow_the_workers_not_a_clock():
    from twisted.internet import defer, task

    from crawler.offload import Batcher

    clock, sent = task.Clock(), []

    def submit(entries):
        sent.append((entries, defer.Deferred()))
        return sent[-1][1]

    batcher = Batcher(submit, size=3, slots=1, reactor=clock)
    first = batcher.add("a")
    clock.advance(0)  # the next turn of the reactor, no waiting: the slot was free
    assert [e for e, _ in sent] == [["a"]]
    later = [batcher.add(x) for x in "bcde"]  # the slot is busy: these wait, together
    clock.advance(10)
    assert len(sent) == 1 and batcher.pending == 4
    results = []
    first.addCallback(results.append)
    sent[0][1].callback(["A"])
    clock.advance(0)
    assert results == ["A"] and [e for e, _ in sent[1:]] == [["b", "c", "d"]]  # size caps it
    sent[1][1].callback(["B", "C", "D"])
    clock.advance(0)
    assert [e for e, _ in sent[2:]] == [["e"]]
    sent[2][1].callback(["E"])
    assert [d.result for d in later] == ["B", "C", "D", "E"]
    assert (batcher.batches, batcher.largest, batcher.inflight) == (3, 3, 0)
