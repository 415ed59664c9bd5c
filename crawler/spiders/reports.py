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
import time
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DontCloseSpider

from crawler import cms, distributed, picking
from crawler import meta as M
from crawler import sites as registry
from crawler.crawlspec import CrawlSpec, adhoc_site
from crawler.items import PageItem
from crawler.store import KEPT_HEADERS, Store
from parsers.decode import decode

logger = logging.getLogger(__name__)

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".zip", ".rar", ".ofd")


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, **arguments):
        # Scrapy passes its own keyword arguments besides the user's -a ones.
        own = {k: arguments.pop(k) for k in ("name", "start_urls") if k in arguments}
        super().__init__(**own)
        self.spec = CrawlSpec.parse(**arguments)
        self.arguments = self.spec.arguments()
        self.stored: set[str] | None = None
        self.sites_by_id: dict[str, registry.Site] = {}

    # --- arguments, settings, targets -------------------------------------------------------

    @classmethod
    def validate_arguments(cls, settings, **arguments):
        """Raise ValueError with a message a user can act on (``scrapy crawl`` shows it)."""
        spec = CrawlSpec.parse(**arguments)
        url = distributed.redis_url(settings)
        if url and not settings.get("MONGO_URI") and not settings.getbool("EMBEDDED_STORE_SHARED"):
            raise ValueError(
                "REDIS_URL is set, but the store is the embedded one, which workers on other "
                "machines cannot reach: set MONGO_URI=mongodb://host/db for all workers (or "
                "-s EMBEDDED_STORE_SHARED=1 when every worker runs on this machine)")
        if url and spec.is_empty:
            return  # a worker: its work comes from `scrapy enqueue`
        spec.sites(settings)

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        url = distributed.redis_url(settings)
        if url:
            settings.setdict(distributed.scrapy_redis_settings(url), priority="spider")
            middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
            middlewares["crawler.distributed.SitePolitenessMiddleware"] = 700
            settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        url = distributed.redis_url(settings)
        spider.start_queue = distributed.StartQueue(distributed.connect(url)) if url else None
        spider.idle_timeout = settings.getfloat("REDIS_IDLE_TIMEOUT")
        spider.specs_per_idle = settings.getint("REDIS_SPECS_PER_IDLE")
        spider._idle_since = None
        if spider.start_queue is not None and spider.spec.is_empty:
            spider.targets = []
        else:
            spider.targets = spider.spec.sites(settings)
        registry_sites = [] if spider.spec.start_url else registry.load(
            settings.get("SITES_REGISTRY"), settings.get("SITES_BASE_URL"))
        spider.sites_by_id = {s.id: s for s in registry_sites + spider.targets}
        spider.allowed_hosts = frozenset(h for s in spider.sites_by_id.values() for h in s.hosts)
        if spider.start_queue is not None:
            crawler.signals.connect(spider._on_idle, signal=scrapy.signals.spider_idle)
        return spider

    def _is_stored(self, url: str) -> bool:
        if self.stored is None:
            self.stored = Store.for_crawler(self.crawler).stored_urls()
        return url in self.stored

    async def start(self):
        for site in self.targets:
            for request in self._site_requests(site, self.spec):
                yield request

    def _site_requests(self, site, spec: CrawlSpec):
        if not site.obey_robots:
            logger.warning("site %s: robots.txt not obeyed (registry override)", site.id)
        common = {M.YEARS: spec.years, M.REFRESH: spec.refresh}
        for url in site.columns or (site.home,):
            yield self._request(url, site, self.parse_page, cms_name=site.cms, meta=common)
        if site.columns and site.columns_are_hints:
            yield self._request(site.home, site, self.parse_page, cms_name=site.cms, meta=common)

    # --- distributed: work from `scrapy enqueue` ---------------------------------------------

    def _spec_requests(self, arguments: dict):
        """Requests for one enqueued spec (the arguments of :class:`CrawlSpec`, one site or
        one start URL)."""
        try:
            spec = CrawlSpec.parse(**arguments)
        except (TypeError, ValueError) as exc:
            logger.error("enqueued spec %r refused: %s", arguments, exc)
            return
        if spec.start_url:
            site = adhoc_site(spec.start_url)
            self.sites_by_id[site.id] = site
            self.allowed_hosts = self.allowed_hosts | set(site.hosts)
        else:
            site = self.sites_by_id.get((spec.site_ids or ("",))[0])
            if site is None:
                logger.error("enqueued site %r is not in this worker's registry", spec.site_ids)
                return
        self.targets.append(site)
        yield from self._site_requests(site, spec)

    def _on_idle(self):
        # A few specs at a time, so that workers going idle together share the sites out.
        taken = 0
        while taken < self.specs_per_idle:
            spec = self.start_queue.pop()
            if spec is None:
                break
            taken += 1
            for request in self._spec_requests(spec):
                self.crawler.engine.crawl(request)
        if taken:
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        self._idle_since = self._idle_since or now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider

    # --- requests ---------------------------------------------------------------------------

    def _request(self, url, site, callback, *, cms_name=None, depth=0, **extra):
        meta = {M.SITE: site.id, M.DOWNLOAD_SLOT: site.id, M.ALLOWED_HOSTS: site.hosts,
                M.CMS: cms_name, M.WALK_DEPTH: depth, **extra.pop("meta", {})}
        if not site.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, meta=meta, errback=self.on_error, **extra)

    def _follow(self, response, url, callback, **kw):
        """A request that carries on the years and refresh of the page it was found on."""
        meta = {M.YEARS: response.meta.get(M.YEARS), M.REFRESH: response.meta.get(M.REFRESH),
                **kw.pop("meta", {})}
        return self._request(url, self._site(response), callback, meta=meta, **kw)

    def _site(self, response) -> registry.Site:
        """The site a response belongs to. In a distributed crawl a worker also gets requests
        of ad hoc sites another worker started: those are rebuilt from the request."""
        site_id = response.meta[M.SITE]
        site = self.sites_by_id.get(site_id)
        if site is None:
            hosts = tuple(response.meta.get(M.ALLOWED_HOSTS) or (urlsplit(response.url).netloc,))
            site = registry.Site(id=site_id, name=hosts[0], region=None, level="other",
                                 home=response.url, columns_are_hints=False, hosts=hosts)
            self.sites_by_id[site_id] = site
        return site

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
        page = self._page(response)
        depth = response.meta.get(M.WALK_DEPTH, 0)
        years = response.meta.get(M.YEARS)
        listing = cms.listing(page, response.meta.get(M.CMS))
        reports, stale = 0, 0
        for entry in listing.entries:
            if not picking.is_report_title(entry.title):
                continue
            reports += 1
            year = picking.title_year(entry.title)
            if years and year and not years[0] <= year <= years[1]:
                stale += year < years[0]
                continue
            if not response.meta.get(M.REFRESH) and self._is_stored(entry.url):
                stale += 1
                self.crawler.stats.inc_value("reports/skipped_stored")
                continue
            yield self._follow(response, entry.url, self.parse_report, meta={M.TITLE: entry.title})
        # Stop paging when every report on this page is too old or already stored.
        if not (reports and stale == reports):
            for more in listing.pages:
                yield self._follow(response, more.url, self.parse_page, cms_name=more.cms,
                                   depth=depth, method=more.method, body=more.body,
                                   headers=more.headers, meta=more.meta)
        if "json" in page.content_type or "xml" in page.content_type:
            return  # an API page of a CMS: nothing to discover beyond its entries
        yield from self._discover(response, page, depth, found_reports=reports > 0)

    def _discover(self, response, page, depth, found_reports):
        """Column links (年报), sub-columns (years, organs) and, from a home page, the
        information-disclosure pages that lead to the column."""
        if depth >= 4:
            return
        column_path = urlsplit(page.url).path.rsplit("/", 1)[0] + "/"
        for link in cms.links(page.selector, page):
            path = urlsplit(link.url).path
            if picking.is_column_link(link.title):
                yield self._follow(response, link.url, self.parse_page, depth=depth + 1)
            elif (picking.is_subcolumn_link(link.title) and path.startswith(column_path)
                  and path != urlsplit(page.url).path and (found_reports or depth > 0)):
                yield self._follow(response, link.url, self.parse_page, depth=depth + 1)
            elif depth == 0 and not found_reports and picking.is_disclosure_link(link.title, link.url):
                yield self._follow(response, link.url, self.parse_page, depth=depth + 1)

    # --- report pages and their attachments -------------------------------------------------

    def _headers(self, response) -> dict:
        return {k: response.headers.get(k, b"").decode("latin-1") for k in KEPT_HEADERS
                if response.headers.get(k)}

    def parse_report(self, response):
        site = self._site(response)
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response), site=site.id,
                       region=site.region, kind="report", years=response.meta.get(M.YEARS))
        if not isinstance(response, scrapy.http.TextResponse):
            return
        page = self._page(response)
        for link in cms.links(page.selector, page):
            path = urlsplit(link.url).path.lower()
            if path.endswith(ATTACHMENT_SUFFIXES) or "downfile.jsp" in path:
                yield self._follow(response, link.url, self.parse_attachment,
                                   meta={M.REPORT_URL: response.url})

    def parse_attachment(self, response):
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response),
                       site=response.meta[M.SITE], kind="attachment",
                       report_url=response.meta[M.REPORT_URL])
