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
import os
import time
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DontCloseSpider

from crawler import cms, distributed, picking
from crawler import sites as registry
from crawler.items import PageItem
from crawler.storage import store_for
from parsers.decode import decode

logger = logging.getLogger(__name__)

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".zip", ".rar", ".ofd")
HEADERS_KEPT = ("content-type", "last-modified", "etag", "content-length")


def _years(spec):
    try:
        return picking.parse_years(spec)
    except ValueError as exc:
        raise ValueError(f"-a years: {exc}") from exc


def _flag(value) -> bool:
    return str(value or "").lower() in ("1", "true", "yes")


def adhoc_site(url: str) -> registry.Site:
    """A site made up for one start URL: its host is allowed for that crawl, whatever it is."""
    host = urlsplit(url).netloc.lower()
    if not host:
        raise ValueError(f"-a start_url: not a URL: {url!r}")
    return registry.Site(id=f"adhoc-{host.replace(':', '-')}", name=host, region=None,
                         level="other", home=url, columns=(url,), columns_are_hints=False,
                         hosts=(host,))


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, site=None, region=None, years=None, start_url=None, refresh=None, **kw):
        super().__init__(**kw)
        self.arguments = {k: v for k, v in dict(site=site, region=region, years=years,
                                                  start_url=start_url, refresh=refresh).items() if v}
        self.years = _years(years)
        self.refresh = _flag(refresh)
        self.site_ids = [s.strip() for s in site.split(",")] if site else None
        self.region = region
        self.start_url = start_url
        self.stored: set[str] | None = None
        self.sites_by_id: dict[str, registry.Site] = {}

    # --- arguments, settings, targets -------------------------------------------------------

    @classmethod
    def validate_arguments(cls, settings, site=None, region=None, years=None, start_url=None,
                           refresh=None, **_):
        """Raise ValueError with a message a user can act on (``scrapy crawl`` shows it)."""
        _years(years)
        url = distributed.redis_url(settings)
        if url and not (os.environ.get("MONGO_URI") or settings.get("MONGO_URI")) \
                and not settings.getbool("EMBEDDED_STORE_SHARED"):
            raise ValueError(
                "REDIS_URL is set, but the store is the embedded one, which workers on other "
                "machines cannot reach: set MONGO_URI=mongodb://host/db for all workers (or "
                "-s EMBEDDED_STORE_SHARED=1 when every worker runs on this machine)")
        if url and not (site or region or start_url):
            return  # a worker: its work comes from `scrapy enqueue`
        cls._resolve(settings, site, region, start_url)

    @staticmethod
    def _resolve(settings, site, region, start_url) -> list[registry.Site]:
        if start_url:
            return [adhoc_site(start_url)]
        if not site and not region:
            raise ValueError("give -a site=ID[,ID], -a region=CODE or -a start_url=URL")
        sites = registry.load(settings.get("SITES_REGISTRY"), settings.get("SITES_BASE_URL"))
        try:
            chosen = registry.select(sites, [s.strip() for s in site.split(",")] if site else None,
                                     region)
        except KeyError as exc:
            raise ValueError(str(exc).strip("'\"")) from exc
        if not chosen:
            raise ValueError(f"no site in the registry has a region code starting {region!r}")
        return chosen

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
        spider.idle_timeout = settings.getfloat("REDIS_IDLE_TIMEOUT", 60)
        spider.specs_per_idle = settings.getint("REDIS_SPECS_PER_IDLE", 2)
        spider._idle_since = None
        if spider.start_queue is not None and not spider.arguments:
            spider.targets = []
        else:
            spider.targets = cls._resolve(settings, spider.site_ids and ",".join(spider.site_ids),
                                          spider.region, spider.start_url)
        registry_sites = [] if spider.start_url else registry.load(
            settings.get("SITES_REGISTRY"), settings.get("SITES_BASE_URL"))
        spider.sites_by_id = {s.id: s for s in registry_sites + spider.targets}
        spider.allowed_hosts = frozenset(h for s in spider.sites_by_id.values() for h in s.hosts)
        if spider.start_queue is not None:
            crawler.signals.connect(spider._on_idle, signal=scrapy.signals.spider_idle)
        return spider

    def _is_stored(self, url: str) -> bool:
        if self.stored is None:
            store = store_for(self.crawler)
            self.stored = {d["url"] for d in store.reports.find({}, {"url": 1})}
        return url in self.stored

    async def start(self):
        for site in self.targets:
            for request in self._site_requests(site, self.years, self.refresh):
                yield request

    def _site_requests(self, site, years, refresh):
        if not site.obey_robots:
            logger.warning("site %s: robots.txt not obeyed (registry override)", site.id)
        common = {"years": years, "refresh": refresh}
        for url in site.columns or (site.home,):
            yield self._request(url, site, self.parse_page, cms_name=site.cms, meta=common)
        if site.columns and site.columns_are_hints:
            yield self._request(site.home, site, self.parse_page, cms_name=site.cms, meta=common)

    # --- distributed: work from `scrapy enqueue` ---------------------------------------------

    def _spec_requests(self, spec: dict):
        years, refresh = _years(spec.get("years")), _flag(spec.get("refresh"))
        if spec.get("url"):
            site = adhoc_site(spec["url"])
            self.sites_by_id[site.id] = site
            self.allowed_hosts = self.allowed_hosts | set(site.hosts)
        else:
            site = self.sites_by_id.get(spec.get("site"))
            if site is None:
                logger.error("enqueued site %r is not in this worker's registry", spec.get("site"))
                return
        self.targets.append(site)
        yield from self._site_requests(site, years, refresh)

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
        meta = {"site": site.id, "download_slot": site.id, "allowed_hosts": site.hosts,
                "cms": cms_name, "walk_depth": depth, **extra.pop("meta", {})}
        if not site.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, meta=meta, errback=self.on_error, **extra)

    def _follow(self, response, url, callback, **kw):
        """A request that carries on the years and refresh of the page it was found on."""
        meta = {"years": response.meta.get("years"), "refresh": response.meta.get("refresh"),
                **kw.pop("meta", {})}
        return self._request(url, self._site(response), callback, meta=meta, **kw)

    def _site(self, response) -> registry.Site:
        """The site a response belongs to. In a distributed crawl a worker also gets requests
        of ad hoc sites another worker started: those are rebuilt from the request."""
        site_id = response.meta["site"]
        site = self.sites_by_id.get(site_id)
        if site is None:
            hosts = tuple(response.meta.get("allowed_hosts") or (urlsplit(response.url).netloc,))
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
        depth = response.meta.get("walk_depth", 0)
        years = response.meta.get("years")
        listing = cms.listing(page, response.meta.get("cms"))
        reports, stale = 0, 0
        for entry in listing.entries:
            if not picking.is_report_title(entry.title):
                continue
            reports += 1
            year = picking.title_year(entry.title)
            if years and year and not years[0] <= year <= years[1]:
                stale += year < years[0]
                continue
            if not response.meta.get("refresh") and self._is_stored(entry.url):
                stale += 1
                self.crawler.stats.inc_value("reports/skipped_stored")
                continue
            yield self._follow(response, entry.url, self.parse_report, meta={"title": entry.title})
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
        return {k: response.headers.get(k, b"").decode("latin-1") for k in HEADERS_KEPT
                if response.headers.get(k)}

    def parse_report(self, response):
        site = self._site(response)
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response), site=site.id,
                       region=site.region, kind="report", years=response.meta.get("years"))
        if not isinstance(response, scrapy.http.TextResponse):
            return
        page = self._page(response)
        for link in cms.links(page.selector, page):
            path = urlsplit(link.url).path.lower()
            if path.endswith(ATTACHMENT_SUFFIXES) or "downfile.jsp" in path:
                yield self._follow(response, link.url, self.parse_attachment,
                                   meta={"report_url": response.url})

    def parse_attachment(self, response):
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response),
                       site=response.meta["site"], kind="attachment",
                       report_url=response.meta["report_url"])
