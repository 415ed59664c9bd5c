"""The ``reports`` spider: find every annual report on a site and hand its page to the pipeline.

    scrapy crawl reports -a site=xizang
    scrapy crawl reports -a region=54 -a years=2022-2024
    scrapy crawl reports -a start_url=https://www.example.gov.cn/zfxxgk/zfxxgknb/ -a refresh=1

Discovery starts at a site's report column URLs when the registry knows them, else at its
home page: links to the 政府信息公开 pages, then to the 年报 column, then year and organ
sub-columns inside it. List pages are read by the module of their CMS (:mod:`crawler.cms`),
which also pages through the column. Links whose titles are reports (:mod:`crawler.picking`)
of the years asked for are fetched, unless already stored (``refresh=1`` fetches them again);
paging stops at a page whose every entry is older than the years asked for, or stored.
Attachments of report pages (PDF, Word, WPS, Excel) are fetched and stored as pages.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy

from crawler import cms, picking
from crawler import sites as registry
from crawler.items import PageItem
from crawler.storage import store_for
from parsers.decode import decode

logger = logging.getLogger(__name__)

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".zip", ".rar", ".ofd")
HEADERS_KEPT = ("content-type", "last-modified", "etag", "content-length")


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, site=None, region=None, years=None, start_url=None, refresh=None, **kw):
        super().__init__(**kw)
        self.arguments = {k: v for k, v in dict(site=site, region=region, years=years,
                                                  start_url=start_url, refresh=refresh).items() if v}
        try:
            self.years = picking.parse_years(years)
        except ValueError as exc:
            raise ValueError(f"-a years: {exc}") from exc
        self.refresh = str(refresh or "").lower() in ("1", "true", "yes")
        self.site_ids = [s.strip() for s in site.split(",")] if site else None
        self.region = region
        self.start_url = start_url
        self.stored: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.targets = spider._targets(crawler.settings)
        spider.allowed_hosts = frozenset(h for s in spider.targets for h in s.hosts)
        return spider

    def _targets(self, settings) -> list[registry.Site]:
        if self.start_url:
            host = urlsplit(self.start_url).netloc.lower()
            if not host:
                raise ValueError(f"-a start_url: not a URL: {self.start_url!r}")
            return [registry.Site(id=f"adhoc-{host.replace(':', '-')}", name=host, region=None,
                                  level="other", home=self.start_url, columns=(self.start_url,),
                                  columns_are_hints=False, hosts=(host,))]
        sites = registry.load(settings.get("SITES_REGISTRY"), settings.get("SITES_BASE_URL"))
        if not self.site_ids and not self.region:
            raise ValueError("give -a site=ID[,ID], -a region=CODE or -a start_url=URL")
        chosen = registry.select(sites, self.site_ids, self.region)
        if not chosen:
            raise ValueError(f"no site in the registry matches {self.arguments}")
        return chosen

    async def start(self):
        if not self.refresh:
            store = store_for(self.crawler)
            self.stored = {d["url"] for d in store.reports.find({}, {"url": 1})}
        for site in self.targets:
            if not site.obey_robots:
                logger.warning("site %s: robots.txt not obeyed (registry override)", site.id)
            for url in site.columns or (site.home,):
                yield self._request(url, site, self.parse_page, cms_name=site.cms, depth=0)
            if site.columns and site.columns_are_hints:
                yield self._request(site.home, site, self.parse_page, cms_name=site.cms, depth=0)

    # --- requests ---------------------------------------------------------------------------

    def _request(self, url, site, callback, *, cms_name=None, depth=0, **extra):
        meta = {"site": site.id, "download_slot": site.id, "allowed_hosts": site.hosts,
                "cms": cms_name, "walk_depth": depth, **extra.pop("meta", {})}
        if not site.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, meta=meta, errback=self.on_error, **extra)

    def _site(self, response) -> registry.Site:
        return next(s for s in self.targets if s.id == response.meta["site"])

    def on_error(self, failure):
        self.crawler.stats.inc_value(f"errors/{failure.type.__name__}")
        logger.info("failed %s: %s", failure.request.url, failure.getErrorMessage())

    # --- list, column and home pages --------------------------------------------------------

    def _page(self, response) -> cms.Page:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if "json" in content_type or "xml" in content_type:
            return cms.Page(response.url, response.text, content_type)
        return cms.Page(response.url, decode(response.body, content_type).text, content_type)

    def parse_page(self, response):
        site = self._site(response)
        page = self._page(response)
        depth = response.meta.get("walk_depth", 0)
        listing = cms.listing(page, response.meta.get("cms"))
        reports, stale = 0, 0
        for entry in listing.entries:
            if not picking.is_report_title(entry.title):
                continue
            reports += 1
            year = picking.title_year(entry.title)
            if self.years and year and not self.years[0] <= year <= self.years[1]:
                stale += year < self.years[0]
                continue
            if entry.url in self.stored:
                stale += 1
                self.crawler.stats.inc_value("reports/skipped_stored")
                continue
            yield self._request(entry.url, site, self.parse_report, meta={"title": entry.title})
        # Stop paging when every report on this page is too old or already stored.
        if not (reports and stale == reports):
            for more in listing.pages:
                yield self._request(more.url, site, self.parse_page, cms_name=more.cms, depth=depth,
                                    method=more.method, body=more.body, headers=more.headers,
                                    meta=more.meta)
        if "json" in page.content_type or "xml" in page.content_type:
            return  # an API page of a CMS: nothing to discover beyond its entries
        yield from self._discover(page, site, depth, found_reports=reports > 0)

    def _discover(self, page, site, depth, found_reports):
        """Column links (年报), sub-columns (years, organs) and, from a home page, the
        information-disclosure pages that lead to the column."""
        if depth >= 4:
            return
        column_path = urlsplit(page.url).path.rsplit("/", 1)[0] + "/"
        for link in cms.links(page.selector, page):
            path = urlsplit(link.url).path
            if picking.is_column_link(link.title):
                yield self._request(link.url, site, self.parse_page, depth=depth + 1)
            elif (picking.is_subcolumn_link(link.title) and path.startswith(column_path)
                  and path != urlsplit(page.url).path and (found_reports or depth > 0)):
                yield self._request(link.url, site, self.parse_page, depth=depth + 1)
            elif depth == 0 and not found_reports and picking.is_disclosure_link(link.title, link.url):
                yield self._request(link.url, site, self.parse_page, depth=depth + 1)

    # --- report pages and their attachments -------------------------------------------------

    def _headers(self, response) -> dict:
        return {k: response.headers.get(k, b"").decode("latin-1") for k in HEADERS_KEPT
                if response.headers.get(k)}

    def parse_report(self, response):
        site = self._site(response)
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response), site=site.id,
                       region=site.region, kind="report", years=self.years)
        if not isinstance(response, scrapy.http.TextResponse):
            return
        page = self._page(response)
        for link in cms.links(page.selector, page):
            path = urlsplit(link.url).path.lower()
            if path.endswith(ATTACHMENT_SUFFIXES) or "downfile.jsp" in path:
                yield self._request(link.url, site, self.parse_attachment,
                                    meta={"report_url": response.url})

    def parse_attachment(self, response):
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response),
                       site=response.meta["site"], kind="attachment",
                       report_url=response.meta["report_url"])
