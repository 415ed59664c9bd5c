"""The ``reports`` spider's steps, one module each, on frozen demo pages and real failures:
which entries are fetched, paging within the budget, the way to the 年报 column, report pages
and their files, and the per-site start summary. The crawls in test_crawl*.py prove the wiring.
"""

from __future__ import annotations

import pytest
from conftest import DEMO
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError
from twisted.python.failure import Failure

from crawler import cms, discovery, entries, paging, report_pages, responses
from crawler import meta as M
from crawler.reachability import StartOutcomes, failure_kind
from crawler.spiders.reports import ReportsSpider
from crawler.store import Store

BASE = "http://127.0.0.1:8321"


def frozen(path: str, **meta) -> HtmlResponse:
    """A demo portal page as the spider gets it (``path`` below fixtures/sites)."""
    url = f"{BASE}/{path}"
    return HtmlResponse(url, body=(DEMO / path).read_bytes(), request=Request(url, meta=meta),
                        headers={"Content-Type": "text/html"})


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(ReportsSpider, {"DATA_DIR": str(tmp_path), "MONGO_URI": None,
                                          "ITEM_PIPELINES": {}, "EXTENSIONS": {}})
    crawler.spider = crawler._create_spider(start_url=f"{BASE}/plain/xxgk/nb/index.html")
    yield crawler
    Store.for_crawler(crawler).close()


# --- which entries are fetched ------------------------------------------------------------

PLAIN_COLUMN = "plain/xxgk/nb/index.html"


@pytest.mark.parametrize("years,fetched,stale,all_stale", [
    (None, ["市財政局2024", "洪泽区人民政府2023", "某镇2023", "陇西县2023"], 0, False),
    ((2024, 2024), ["市財政局2024"], 3, False),
    ((2025, 2026), [], 4, True),  # the column pages no further
    ((2019, 2022), [], 0, False),  # newer than asked: paging goes on to older pages
])
def test_entries_of_a_column_for_the_years_asked(crawler, years, fetched, stale, all_stale):
    listing = cms.listing(responses.page_of(frozen(PLAIN_COLUMN)))
    picked = entries.pick(listing.entries, years, False, entries.EarlierCrawls(crawler),
                          crawler.stats)
    assert [e.title.split("年政府")[0] for e, cover in picked.fetch] == fetched
    assert not any(cover for _, cover in picked.fetch)
    # The 通知 about compiling the report is not one: four reports listed, whatever the years.
    assert (picked.reports, picked.stale, picked.all_stale) == (4, stale, all_stale)


def test_a_cover_letter_is_fetched_as_one(crawler):
    letter = cms.Entry(f"{BASE}/l.html", "关于报送《某县2023年政府信息公开工作情况》的函")
    picked = entries.pick([letter], None, False, entries.EarlierCrawls(crawler), crawler.stats)
    assert picked.fetch == [(letter, True)] and picked.reports == 1


# --- paging within the budget -------------------------------------------------------------

TRS_COLUMN = "trs/zfxxgk/zfxxgknb/index.html"


def test_further_pages_carry_their_place_in_the_listing(crawler):
    response = frozen(TRS_COLUMN, **{M.SECTION: "/trs/zfxxgk/", M.IN_YEAR: False})
    listing = cms.listing(responses.page_of(response), "trs")
    more = paging.next_pages(listing.pages, response, 500, crawler.stats)
    assert [p.url for p in more] == [f"{BASE}/trs/zfxxgk/zfxxgknb/index_1.html"]
    assert more[0].meta == {M.PAGING: True, M.LISTING_PAGE: 2, M.SECTION: "/trs/zfxxgk/",
                            M.IN_YEAR: False, M.SUBSITE_DEPTH: 0}
    assert listing.pages[0].meta == {}  # the CMS module's value is left as it was


def test_paging_stops_at_the_budget(crawler):
    response = frozen(TRS_COLUMN, **{M.LISTING_PAGE: 3})
    listing = cms.listing(responses.page_of(response), "trs")
    assert paging.next_pages(listing.pages, response, 3, crawler.stats) == []
    assert crawler.stats.get_value("budget/listing_pages_stopped") == 1
    assert len(paging.next_pages(listing.pages, response, 0, crawler.stats)) == 1  # 0: no bound


@pytest.mark.parametrize("budget,page,pages", [(0, 1, paging.UNBOUNDED_RENDERED_PAGES),
                                               (5, 2, 3), (2, 5, 1)])
def test_rendered_listing_reads_what_is_left_of_the_budget(budget, page, pages):
    assert paging.rendered_pages(frozen(TRS_COLUMN, **{M.LISTING_PAGE: page}), budget) == pages


# --- the way to the column ----------------------------------------------------------------

def leads(path, depth, found_reports, crawler, **meta):
    page = responses.page_of(frozen(path, **meta))
    return list(discovery.leads(page, meta, depth, found_reports, 4, crawler.stats))


def test_from_the_home_page_to_the_column_through_the_disclosure_section(crawler):
    assert leads("trs/index.html", 0, False, crawler) == [
        discovery.Lead(f"{BASE}/trs/zfxxgk/index.html", 1, {M.SECTION: "/trs/zfxxgk/"})]
    assert leads("trs/zfxxgk/index.html", 1, False, crawler, **{M.SECTION: "/trs/zfxxgk/"}) == [
        discovery.Lead(f"{BASE}/trs/zfxxgk/zfxxgknb/index.html", 2, {M.SECTION: "/trs/zfxxgk/"})]
    assert leads("trs/index.html", discovery.MAX_WALK_DEPTH, False, crawler) == []


def test_year_subcolumns_are_followed_one_level_deep(crawler):
    year = discovery.Lead(f"{BASE}/plain/xxgk/nb/2019/index.html", 2,
                          {M.IN_YEAR: True, M.SECTION: "/plain/xxgk/"})
    assert year in leads(PLAIN_COLUMN, 1, True, crawler, **{M.SECTION: "/plain/xxgk/"})
    inside = leads(PLAIN_COLUMN, 1, True, crawler, **{M.SECTION: "/plain/xxgk/", M.IN_YEAR: True})
    assert year.url not in [lead.url for lead in inside]
    assert crawler.stats.get_value("bounds/nested_year_links_skipped") == 1


@pytest.mark.parametrize("path,levels,parent", [("/a/b/c/index.html", 1, "/a/b/c/"),
                                                ("/a/b/c/index.html", 2, "/a/b/"),
                                                ("/a/index.html", 3, "/a/")])
def test_parent_dir(path, levels, parent):
    assert discovery.parent_dir(path, levels) == parent


# --- report pages and their files ---------------------------------------------------------

REPORT_WITH_PDF = "plain/xxgk/nb/202402/t20240201_3.html"


def test_a_report_page_its_files_and_a_column_named_like_a_report(crawler):
    page = responses.page_of(frozen(REPORT_WITH_PDF))
    assert [f.url for f in report_pages.file_links(page)] == [f"{BASE}/plain/files/mzj2023nb.pdf"]
    assert not report_pages.is_listing(page)
    assert report_pages.is_listing(responses.page_of(frozen(PLAIN_COLUMN)))
    assert report_pages.attachments_to_fetch(page, 0, crawler.stats) == []
    assert crawler.stats.get_value("attachments/over_limit") == 1
    assert report_pages.attachments_to_fetch(None, 5, crawler.stats) == []  # not a text page


def test_a_cover_letter_sends_the_file_titled_as_the_report():
    files = [cms.Entry(f"{BASE}/a.doc", "附件1：联系人"),
             cms.Entry(f"{BASE}/b.pdf", "某县2023年政府信息公开工作情况")]
    assert report_pages.cover_report(files).url == f"{BASE}/b.pdf"
    assert report_pages.cover_report(files[:1]).url == f"{BASE}/a.doc"


def test_a_pdf_keeps_its_headers_and_bytes():
    pdf = DEMO / "plain/files/mzj2023nb.pdf"
    url = f"{BASE}/plain/files/mzj2023nb.pdf"
    response = Response(url, body=pdf.read_bytes(), request=Request(url),
                        headers={"Content-Type": "application/pdf", "X-Other": "no"})
    got = report_pages.fetched_file(response)
    assert got.body == pdf.read_bytes() and got.headers == {"content-type": "application/pdf"}


# --- the per-site start summary -----------------------------------------------------------

def failed(exc, site="s", start=True):
    failure = Failure(exc)
    failure.request = Request(f"{BASE}/{site}/", meta={M.SITE: site, M.START: start})
    return failure


@pytest.mark.parametrize("exc,kind", [
    (DNSLookupError(), "DNS"), (ConnectionRefusedError(), "connection refused"),
    (TCPTimedOutError(), "timeout"), (IgnoreRequest("offsite"), "offsite"),
    (HttpError(Response(BASE, status=404), "404"), "HTTP 404"), (ValueError("x"), "ValueError"),
])
def test_failure_kinds(exc, kind):
    assert failure_kind(failed(exc)) == kind


def test_a_site_is_unreachable_when_no_start_request_answered(crawler):
    starts = StartOutcomes()
    for site in ("a", "b"):
        starts.expect(site)
    starts.failed(failed(DNSLookupError(), "a"))
    starts.failed(failed(TCPTimedOutError(), "b"))
    starts.failed(failed(DNSLookupError(), "b", start=False))  # not a start request: not counted
    starts.reached(frozen(TRS_COLUMN, **{M.SITE: "b", M.START: True}))
    crawler.stats.set_value("reports/found/b", 2)
    assert starts.summarise(crawler.stats) == ["a: 0 reports, start URL unreachable: DNS",
                                               "b: 2 reports"]
    assert crawler.stats.get_value("sites/unreachable") == 1
    assert crawler.stats.get_value("sites/all_unreachable") is None
    starts.expect("b")  # its start requests sent again: its record starts afresh
    starts.failed(failed(TCPTimedOutError(), "b"))
    assert starts.summarise(crawler.stats)[1] == "b: 2 reports, start URL unreachable: timeout"
    assert crawler.stats.get_value("sites/all_unreachable") == 1
