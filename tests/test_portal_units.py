"""Issue 8's small parts on frozen pages (the demo portal's generated pages, real page shapes
in markup of our own): script-drawn list detection, TRS inline pagers, capped announced page
counts, department sub-site discovery, cover letters, host policy, paging depth, budgets."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from types import SimpleNamespace

import pytest
from conftest import ROOT
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler import cms, hosts, picking, rendering, subsites
from crawler import sites as registry
from crawler.cms import hanweb, jpaas, trs
from crawler.middlewares import HostPolicyMiddleware, PagingDepthMiddleware, SiteBudgetMiddleware

SITES = ROOT / "fixtures" / "sites"
BASE = "http://127.0.0.1:8321"


def frozen(path: str) -> cms.Page:
    """A page of the demo portal as the spider sees it, read from fixtures/sites."""
    return cms.Page(BASE + path, (SITES / path.lstrip("/")).read_text(encoding="utf-8"))


FJ = "/fjcity/zwgk/zfxxgk"


# --- script-drawn lists -------------------------------------------------------------------

def test_script_drawn_column_shows_its_signs():
    found = rendering.signs(frozen(f"{FJ}/zfxxgknb/index.html"))
    assert "empty-container:ms-controller" in found and "empty-container:ms-include-src" in found
    assert "record-count:6>2" in found and "list-script" in found


@pytest.mark.parametrize("path", [
    "/trs/zfxxgk/zfxxgknb/index.html",                   # createPageHTML: links in the HTML
    "/plain/xxgk/nb/index.html",                         # 下一页 links
    f"{FJ}/dfbmptlj/szbm/gaj/zfxxgknb/index.html",       # inline TRS pager
])
def test_static_lists_are_not_rendered(path):
    assert rendering.signs(frozen(path)) == []
    assert rendering.should_render("auto", frozen(path)) == (False, [])


def test_report_pages_are_never_rendered():
    report = frozen("/trs/zfxxgk/zfxxgknb/202401/t20240126_86550.html")
    assert rendering.holds_report_text(report)
    assert rendering.should_render("always", report) == (False, [])


def test_render_modes():
    column = frozen(f"{FJ}/zfxxgknb/index.html")
    assert rendering.should_render("never", column)[0] is False
    assert rendering.should_render("auto", column)[0] is True
    assert rendering.should_render("always", frozen("/plain/xxgk/nb/index.html"))[0] is True


def test_javascript_pager_is_a_sign():
    page = cms.Page(BASE + "/x/index.html", '<ul id="l"><li><a href="a.htm">一条</a></li></ul>'
                    '<div><a href="javascript:;" onclick="go(2)">下一页</a></div>')
    assert rendering.signs(page) == ["javascript-pager"]


# --- paging: inline TRS pagers, announced counts turned into one request at a time ----------

def test_trs_inline_pager():
    first = frozen(f"{FJ}/dfbmptlj/szbm/gaj/zfxxgknb/index.html")
    assert trs.detect(first)
    assert trs.next_page_url(first) == BASE + f"{FJ}/dfbmptlj/szbm/gaj/zfxxgknb/index_1.html"
    assert trs.next_page_url(frozen(f"{FJ}/dfbmptlj/szbm/gaj/zfxxgknb/index_1.html")) is None


def test_announced_page_counts_make_one_request():
    million = cms.listing(frozen("/hostile/million/index.html"))
    assert [p.url for p in million.pages] == [BASE + "/hostile/million/index_1.html"]
    inline = cms.listing(frozen("/hostile/inline/index.html"))
    assert [p.url for p in inline.pages] == [BASE + "/hostile/inline/index_1.html"]
    proxy = cms.Page(BASE + "/module/web/jpage/dataproxy.jsp?page=7&columnid=1",
                     "<datastore><totalrecord>99999999</totalrecord><totalpage>9999999</totalpage>"
                     "<recordset></recordset></datastore>", "text/xml")
    assert [p.url for p in hanweb.follow(proxy).pages] == [
        BASE + "/module/web/jpage/dataproxy.jsp?page=8&columnid=1"]
    api = (BASE + jpaas.API + '?webId=1&paramJson={"pageNo":3,"pageSize":15}')
    body = '{"success":true,"data":{"html":"<div class=\\"pagination\\" rows=\\"15\\" count=\\"150000000\\"></div>"}}'
    pages = jpaas.follow(cms.Page(api, body, "application/json")).pages
    assert len(pages) == 1 and '"pageNo":4' in pages[0].url.replace("%22", '"').replace("%3A", ":").replace("%2C", ",")


# --- department sub-sites -------------------------------------------------------------------

def test_department_list_from_script_array_and_template():
    page = frozen(f"{FJ}/dfbmptlj/index.html")
    depts = [f"{FJ}/dfbmptlj/szbm/gaj/", f"{FJ}/dfbmptlj/szbm/czj/", f"{FJ}/dfbmptlj/xqbm/hx/sfj/"]
    assert subsites.script_urls(page) == [BASE + d for d in depts]
    assert subsites.templated_urls(page) == [
        BASE + f"{FJ}/dfbmptlj/szbm/gaj/zfxxgknb/", BASE + f"{FJ}/dfbmptlj/szbm/czj/zfxxgknb/",
        BASE + f"{FJ}/dfbmptlj/xqbm/hx/zfxxgknb/"]


def test_template_fill():
    assert subsites.fill("/a/{{paths[1]}}/{{ paths[2] }}/nb/", "/x/y/") == "/a/x/y/nb/"
    assert subsites.fill("/a/{{paths[9]}}/", "/x/y/") is None
    assert subsites.fill("{{url}}zfxxgknb/", "/x/y/") == "/x/y/zfxxgknb/"


@pytest.mark.parametrize("title,ok", [
    ("地方部门平台链接", True), ("部门信息公开", True), ("演示市公安局", True), ("乡镇街道", True),
    ("政府信息公开指南", False), ("政府信息公开年报", False), ("市政府2023年政府信息公开工作年度报告", False),
])
def test_subsite_links(title, ok):
    assert picking.is_subsite_link(title) is ok


# --- cover letters, calendar links ----------------------------------------------------------

@pytest.mark.parametrize("title,ok", [
    ("关于报送《平潭综合实验区公安局2017年政府信息公开工作情况》的函", True),
    ("关于报送《演示县2023年政府信息公开工作年度报告》的函", True),
    ("关于报送《演示县2018年政府信息公开公报》的函", True),
    ("关于报送2023年政府信息公开工作年度报告的通知", False),
    ("关于报送《2023年部门决算》的函", False),
])
def test_cover_letters(title, ok):
    assert picking.is_cover_letter(title) is ok


def test_year_links():
    assert picking.is_year_link("2023年") and picking.is_year_link("2023n")
    assert not picking.is_year_link("部门") and not picking.is_year_link("2023年政府信息公开年报")


# --- host policy ----------------------------------------------------------------------------

@pytest.mark.parametrize("url,allowed,ok", [
    ("https://www.xizang.gov.cn/zwgk/", (), True),
    ("http://x.gov.cn:1@127.0.0.1:8000/", ("x.gov.cn",), False),      # userinfo spoof
    ("http://x.gov.cn:1@127.0.0.1:8000/", ("127.0.0.1",), False),     # credentials: refused
    ("http://127.0.0.1:8000/a", (), False),                           # IP literal, unlisted
    ("http://1.25.240.11:8082/sites/wltqq/", ("1.25.240.11:8082",), True),
    ("http://1.25.240.11:8082/sites/wltqq/", ("1.25.240.11",), True),
    ("http://[::1]:8000/", (), False),
    ("http://127.0.0.1:8321/trs/", ("127.0.0.1",), True),
    ("http://www.example.com/x.gov.cn/", (), False),
    ("http://gov.cn.example.com/", (), False),
    ("http://x.gov.cn:notaport/", (), False),
])
def test_host_policy(url, allowed, ok):
    assert (hosts.refusal(url, allowed) is None) is ok


def test_host_policy_middleware_refuses_by_hostname():
    stats = SimpleNamespace(n=0, inc_value=lambda key: setattr(stats, "n", stats.n + 1))
    mw = HostPolicyMiddleware(SimpleNamespace(stats=stats, spider=SimpleNamespace(allowed_hosts=())))
    spoof = Request("http://x.gov.cn:1@127.0.0.1:8000/", meta={"allowed_hosts": ("x.gov.cn",)})
    with pytest.raises(IgnoreRequest, match="credentials"):
        mw.process_request(spoof)
    assert mw.process_request(Request("http://x.gov.cn/", meta={"allowed_hosts": ()})) is None
    assert stats.n == 1


def test_registry_render_field_checked(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text('[[site]]\nid = "a"\nname = "a"\nregion = "540000"\nlevel = "city"\n'
                   'home = "https://a.gov.cn/"\nrender = "sometimes"\n', encoding="utf-8")
    assert any("render" in p for p in registry.check(registry.load(bad)))
    assert registry.load(SITES / "registry-more.toml")[1].render == "never"


# --- paging depth and budgets (spider middlewares) ------------------------------------------

def _crawler(**settings):
    crawler = SimpleNamespace(settings=Settings(settings), spider=None)
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def test_paging_does_not_count_against_depth_limit():
    mw = PagingDepthMiddleware.from_crawler(_crawler(DEPTH_LIMIT=3, DEPTH_PRIORITY=0))
    response = HtmlResponse("http://a.gov.cn/list_3.html", request=Request(
        "http://a.gov.cn/list_3.html", meta={"depth": 3}))
    next_page = Request("http://a.gov.cn/list_4.html", meta={"paging": True})
    deeper = Request("http://a.gov.cn/sub/index.html")
    assert mw.get_processed_request(next_page, response) is next_page
    assert next_page.meta["depth"] == 3
    assert mw.get_processed_request(deeper, response) is None


def test_site_request_budget():
    crawler = _crawler(SITE_REQUEST_BUDGET=5)
    mw = SiteBudgetMiddleware.from_crawler(crawler)

    async def flood():
        for k in range(1000):
            yield Request(f"http://a.gov.cn/{k}.html", meta={"site": "a"})
        yield Request("http://b.gov.cn/1.html", meta={"site": "b"})

    async def run():
        return [r async for r in mw.process_spider_output(None, flood())]

    out = asyncio.run(run())
    assert [r.meta["site"] for r in out] == ["a"] * 5 + ["b"]
    assert crawler.stats.get_value("budget/site_requests_dropped") == 995


# --- offline public-suffix lookups ----------------------------------------------------------

def test_public_suffix_lookup_never_goes_to_the_network():
    code = ("import scrapy.utils.project as p; p.get_project_settings();"
            "from scrapy.downloadermiddlewares import cookies;"
            "print(repr(cookies._split_domain.suffix_list_urls));"
            "print(cookies._is_public_domain('gov.cn'), cookies._is_public_domain('www.xizang.gov.cn'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.split("\n")[:2] == ["()", "True False"], out.stderr[-2000:]
    assert "Traceback" not in out.stderr


# --- the rendered walk, and where the render mode comes from ---------------------------------

class FakeBrowserPage:
    """A drawn list of ``pages`` pages behind a next control, as a Playwright page shows it."""

    def __init__(self, pages):
        self.pages, self.current, self.clicks = pages, 0, 0

    async def content(self):
        return self.pages[self.current]

    async def evaluate(self, script, *args):
        if "outerHTML" in script and "click" not in script:
            return self.pages[self.current]
        if self.current + 1 < len(self.pages):
            self.current += 1
            self.clicks += 1
            return True
        return False

    async def wait_for_function(self, *args, **kwargs):
        return None

    async def wait_for_load_state(self, *args, **kwargs):
        return None


def _drawn(*titles):
    return "<dl>" + "".join(f'<dd><a href="/r/{k}.htm">{t}</a></dd>' for k, t in enumerate(titles)) + "</dl>"


def test_walk_clicks_to_the_last_page_and_stops_at_old_records():
    pages = [_drawn("甲2025年政府信息公开工作年度报告"), _drawn("乙2024年政府信息公开工作年度报告"),
             _drawn("丙2019年政府信息公开工作年度报告"), _drawn("丁2018年政府信息公开工作年度报告")]
    seen = []

    def on_page(page):
        titles = [e.title for e in cms.links(page.selector, page)]
        seen.append(titles)
        return all(picking.title_year(t) >= 2024 for t in titles)

    browser = FakeBrowserPage(pages)
    read = asyncio.run(rendering.walk(browser, BASE + "/col/", on_page, max_pages=50, timeout=1))
    assert read == 3 and browser.clicks == 2  # the 2019 page is the last one read
    browser = FakeBrowserPage(pages)
    read = asyncio.run(rendering.walk(browser, BASE + "/col/", lambda p: True, max_pages=50, timeout=1))
    assert read == 4 and browser.clicks == 3  # the last page: no next control
    browser = FakeBrowserPage(pages)
    assert asyncio.run(rendering.walk(browser, BASE + "/col/", lambda p: True, max_pages=2, timeout=1)) == 2


def test_render_mode_from_argument_else_registry():
    from crawler import meta as M
    from crawler.crawlspec import CrawlSpec
    from crawler.spiders.reports import ReportsSpider

    never = registry.Site(id="a", name="a", region="540000", level="city", home="https://a.gov.cn/",
                          render="never")
    plain = registry.Site(id="b", name="b", region="540000", level="city", home="https://b.gov.cn/")
    spider = ReportsSpider(site="a")
    mode = lambda site, spec: [r.meta[M.RENDER] for r in spider._site_requests(site, spec)]  # noqa: E731
    assert mode(never, CrawlSpec.parse(site="a")) == ["never"]
    assert mode(never, CrawlSpec.parse(site="a", render="always")) == ["always"]
    assert mode(plain, CrawlSpec.parse(site="b")) == ["auto"]
    with pytest.raises(ValueError, match="render must be one of"):
        CrawlSpec.parse(site="a", render="sometimes")


def test_browser_skips_images_media_fonts():
    kind = lambda t: SimpleNamespace(resource_type=t)  # noqa: E731
    assert rendering.skip_resource(kind("image")) and rendering.skip_resource(kind("font"))
    assert not rendering.skip_resource(kind("script")) and not rendering.skip_resource(kind("fetch"))
