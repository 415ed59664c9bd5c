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

Also: listings drawn by script are rendered in Chromium (:mod:`crawler.rendering`, argument
``render=auto|never|always``); department sub-sites below the disclosure section are found in
script arrays and templates (:mod:`crawler.subsites`); a cover letter (关于报送《…》的函) is
stored as a page and its attachment as the report; a listing's pages are followed one at a time
within LISTING_PAGE_BUDGET; a site whose start URLs all fail gets a summary line, and a crawl
whose every site failed exits nonzero (``crawler.commands.crawl``).

Settings read: REDIS_IDLE_TIMEOUT, REDIS_SPECS_PER_IDLE, LISTING_PAGE_BUDGET, SUBSITE_DEPTH,
RENDER_BROWSER, RENDER_TIMEOUT.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DontCloseSpider,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from crawler import cms, distributed, picking, reliable_queue, rendering, subsites
from crawler import meta as M
from crawler import sites as registry
from crawler.crawlspec import CrawlSpec, adhoc_site
from crawler.items import FetchedFile, PageItem
from crawler.store import KEPT_HEADERS, Store
from crawler.store.database import TRANSIENT
from parsers.decode import decode

logger = logging.getLogger(__name__)

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".zip", ".rar", ".ofd")


def failure_kind(failure) -> str:
    """A short name for why a request failed, for the crawl's summary."""
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "DNS"
    if failure.check(DownloadConnectionRefusedError, TxConnectionRefused, ConnectionRefusedError):
        return "connection refused"
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(IgnoreRequest):
        return str(failure.value) or "refused"
    return failure.type.__name__


def _parent(path: str, levels: int) -> str:
    """The directory ``levels`` up from a page's path (``/a/b/c/index.html``, 1 -> ``/a/b/c/``)."""
    parts = path.rsplit("/", 1)[0].split("/")
    keep = parts[: max(len(parts) - (levels - 1), 2)]
    return "/".join(keep).rstrip("/") + "/"


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, **arguments):
        # Scrapy passes its own keyword arguments besides the user's -a ones.
        own = {k: arguments.pop(k) for k in ("name", "start_urls") if k in arguments}
        super().__init__(**own)
        self.spec = CrawlSpec.parse(**arguments)
        self.arguments = self.spec.arguments()
        self.stored: set[str] | None = None
        self.known_years: dict[str, int] | None = None
        self.sites_by_id: dict[str, registry.Site] = {}
        #: Per site: why its failed start requests failed, and whether one of them worked.
        self.starts: dict[str, dict] = {}
        self.summary: list[str] = []

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
            spider_mw = dict(settings.getdict("SPIDER_MIDDLEWARES"))
            spider_mw["crawler.reliable_queue.QueueSpiderMiddleware"] = 900
            settings.set("SPIDER_MIDDLEWARES", spider_mw, priority="spider")
        if rendering.browser_available(settings.get("RENDER_BROWSER")):
            settings.setdict(rendering.playwright_settings(settings), priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        url = distributed.redis_url(settings)
        spider.start_queue = reliable_queue.worker_for(crawler) if url else None
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
        spider.listing_budget = settings.getint("LISTING_PAGE_BUDGET")
        spider.subsite_depth = settings.getint("SUBSITE_DEPTH")
        spider.render_timeout = settings.getfloat("RENDER_TIMEOUT")
        spider.can_render = rendering.browser_available(settings.get("RENDER_BROWSER"))
        spider._told_no_browser = False
        return spider

    def _known_year(self, url: str) -> int | None:
        """The statistics year of a page an earlier crawl dropped as outside its years."""
        if self.known_years is None:
            self.known_years = Store.for_crawler(self.crawler).known_years()
        return self.known_years.get(url)

    def _is_stored(self, url: str) -> bool:
        if self.stored is None:
            store = Store.for_crawler(self.crawler)
            try:
                self.stored = set() if store.breaker.reason else store.stored_urls()
            except TRANSIENT as exc:
                logger.error("cannot read the stored reports (%s): every report is fetched", exc)
                self.stored = set()
        return url in self.stored

    async def start(self):
        for site in self.targets:
            for request in self._site_requests(site, self.spec):
                yield request

    def _site_requests(self, site, spec: CrawlSpec):
        if not site.obey_robots:
            logger.warning("site %s: robots.txt not obeyed (registry override)", site.id)
        # The crawl's render argument, else the site's registry field, else auto.
        render = spec.render or site.render or "auto"
        common = {M.YEARS: spec.years, M.REFRESH: spec.refresh, M.RENDER: render, M.START: True}
        urls = list(site.columns or (site.home,))
        if site.columns and site.columns_are_hints:
            urls.append(site.home)
        self.starts[site.id] = {"failed": [], "reached": False}
        for url in urls:
            yield self._request(url, site, self.parse_page, cms_name=site.cms, meta=common)

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
        # A few specs at a time, so that workers going idle together share the sites out. A
        # spec stays in flight for this worker until its requests are queued (a worker killed
        # in between leaves it to the others).
        taken = 0
        while taken < self.specs_per_idle:
            got = self.start_queue.take_spec()
            if got is None:
                break
            spec, raw = got
            taken += 1
            run = spec.pop("run", None)
            for request in self._spec_requests(spec):
                request.meta.setdefault(M.RUN, run)
                self.crawler.engine.crawl(request)
            self.start_queue.spec_done(raw)
        now = time.monotonic()
        if taken or self.start_queue.cluster_busy():
            # Other workers still hold requests (whose pages may yield more work, or which come
            # back here if that worker dies): the idle clock starts when the cluster is idle.
            self._idle_since = None
            raise DontCloseSpider
        self._idle_since = self._idle_since or now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider

    # --- requests ---------------------------------------------------------------------------

    def _request(self, url, site, callback, *, cms_name=None, depth=0, **extra):
        meta = {M.SITE: site.id, M.DOWNLOAD_SLOT: site.id, M.ALLOWED_HOSTS: site.hosts,
                M.CMS: cms_name, M.WALK_DEPTH: depth, **extra.pop("meta", {})}
        if not site.obey_robots:
            meta["dont_obey_robotstxt"] = True
        extra.setdefault("errback", self.on_error)
        return scrapy.Request(url, callback=callback, meta=meta, **extra)

    def _follow(self, response, url, callback, **kw):
        """A request that carries on the years, refresh and render mode of the page it was
        found on."""
        meta = {M.YEARS: response.meta.get(M.YEARS), M.REFRESH: response.meta.get(M.REFRESH),
                M.RENDER: response.meta.get(M.RENDER), **kw.pop("meta", {})}
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
        meta = failure.request.meta
        if meta.get(M.START) and meta.get(M.SITE) in self.starts:
            self.starts[meta[M.SITE]]["failed"].append(failure_kind(failure))
        if meta.get("playwright_page") is not None:
            return self._close_page(meta["playwright_page"])
        return None

    @staticmethod
    async def _close_page(page):
        try:
            await page.close()
        except Exception:  # already closed with its context
            pass

    def _reached(self, response):
        if response.meta.get(M.START) and response.meta.get(M.SITE) in self.starts:
            self.starts[response.meta[M.SITE]]["reached"] = True

    def closed(self, reason):
        """One summary line per site; a crawl whose every site was unreachable is marked so
        that ``scrapy crawl`` exits nonzero."""
        stats = self.crawler.stats
        unreachable = 0
        for site_id, start in self.starts.items():
            found = stats.get_value(f"reports/found/{site_id}", 0)
            line = f"{site_id}: {found} reports"
            if not start["reached"] and start["failed"]:
                unreachable += 1
                kinds = sorted(set(start["failed"]))
                line += f", start URL unreachable: {', '.join(kinds)}"
            self.summary.append(line)
        if unreachable:
            stats.set_value("sites/unreachable", unreachable)
            for line in self.summary:
                logger.error(line) if "unreachable" in line else logger.info(line)
        if self.starts and unreachable == len(self.starts):
            stats.set_value("sites/all_unreachable", 1)
        skipped = stats.get_value("render/skipped_no_browser", 0)
        if skipped:
            logger.warning("%d script-drawn listing page(s) skipped: no browser (RENDER_BROWSER=%s)",
                           skipped, self.crawler.settings.get("RENDER_BROWSER"))

    # --- list, column and home pages --------------------------------------------------------

    def _page(self, response) -> cms.Page:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if "json" in content_type or "xml" in content_type:
            return cms.Page(response.url, response.text, content_type)
        return cms.Page(response.url, decode(response.body, content_type).text, content_type)

    def parse_page(self, response):
        self._reached(response)
        page = self._page(response)
        depth = response.meta.get(M.WALK_DEPTH, 0)
        listing = cms.listing(page, response.meta.get(M.CMS))
        requests, reports, stale = self._entry_requests(response, listing.entries)
        yield from requests
        # Stop paging when every report on this page is too old or already stored.
        if not (reports and stale == reports):
            yield from self._next_pages(response, listing.pages)
        if "json" in page.content_type or "xml" in page.content_type:
            return  # an API page of a CMS: nothing to discover beyond its entries
        render = self._render_request(response, page)
        if render is not None:
            yield render
        yield from self._discover(response, page, depth, found_reports=reports > 0)

    def _entry_requests(self, response, entries):
        """Requests for the report (and cover letter) entries of a listing page, and how many
        reports it listed and how many of those were too old or already stored."""
        years = response.meta.get(M.YEARS)
        out, reports, stale = [], 0, 0
        for entry in entries:
            cover = picking.is_cover_letter(entry.title)
            if not cover and not picking.is_report_title(entry.title):
                continue
            reports += 1
            year = picking.title_year(entry.title)
            if years and year and not years[0] <= year <= years[1]:
                stale += year < years[0]
                continue
            known = self._known_year(entry.url) if years and not response.meta.get(M.REFRESH) \
                else None
            if known and not years[0] <= known <= years[1]:
                # Fetched by an earlier crawl, read as a report of another year, not stored.
                stale += known < years[0]
                self.crawler.stats.inc_value("reports/skipped_known_year")
                continue
            if not response.meta.get(M.REFRESH) and self._is_stored(entry.url):
                stale += 1
                self.crawler.stats.inc_value("reports/skipped_stored")
                continue
            callback = self.parse_cover if cover else self.parse_report
            out.append(self._follow(response, entry.url, callback, meta={M.TITLE: entry.title}))
        return out, reports, stale

    def _next_pages(self, response, pages):
        """Further pages of the listing: no deeper for DEPTH_LIMIT (``paging``), and at most
        LISTING_PAGE_BUDGET pages per listing."""
        n = response.meta.get(M.LISTING_PAGE, 1)
        for more in pages:
            if self.listing_budget and n + 1 > self.listing_budget:
                self.crawler.stats.inc_value("budget/listing_pages_stopped")
                logger.info("listing page budget (%d) reached at %s", self.listing_budget,
                            response.url)
                return
            yield self._follow(response, more.url, self.parse_page, cms_name=more.cms,
                               depth=response.meta.get(M.WALK_DEPTH, 0), method=more.method,
                               body=more.body, headers=more.headers,
                               meta={**more.meta, M.PAGING: True, M.LISTING_PAGE: n + 1,
                                     M.SECTION: response.meta.get(M.SECTION),
                                     M.IN_YEAR: response.meta.get(M.IN_YEAR),
                                     M.SUBSITE_DEPTH: response.meta.get(M.SUBSITE_DEPTH, 0)})

    # --- script-drawn listings ---------------------------------------------------------------

    def _render_mode(self, response) -> str:
        """auto|never|always: the crawl's render argument, else the site's registry field."""
        return response.meta.get(M.RENDER) or "auto"

    def _render_request(self, response, page):
        """A request rendering this listing page in Chromium, when it shows a script-drawn list
        (or render=always); None otherwise. Without Chromium: counted, said once."""
        if response.meta.get(M.RENDERED):
            return None
        render, signs = rendering.should_render(self._render_mode(response), page)
        if not render:
            return None
        stats = self.crawler.stats
        if not self.can_render:
            stats.inc_value("render/skipped_no_browser")
            if not self._told_no_browser:
                self._told_no_browser = True
                logger.warning("script-drawn lists skipped: no browser at %s (install Debian's "
                               "chromium, or set RENDER_BROWSER); first at %s (%s)",
                               self.crawler.settings.get("RENDER_BROWSER"), response.url,
                               ", ".join(signs))
            return None
        stats.inc_value("render/requested")
        logger.info("rendering %s: %s", response.url, ", ".join(signs) or "render=always")
        return self._follow(response, response.url, self.parse_rendered, dont_filter=True,
                            depth=response.meta.get(M.WALK_DEPTH, 0),
                            meta={"playwright": True, "playwright_include_page": True,
                                  M.RENDERED: True, M.PAGING: True,
                                  M.SECTION: response.meta.get(M.SECTION),
                                  M.SUBSITE_DEPTH: response.meta.get(M.SUBSITE_DEPTH, 0),
                                  "playwright_page_goto_kwargs": {"wait_until": "networkidle"}})

    async def parse_rendered(self, response):
        """Walk a rendered list through its pager; yield the report requests of every page."""
        page = response.meta["playwright_page"]
        found = []

        def on_page(drawn):
            listing = cms.modules()["plain"].follow(drawn)
            requests, reports, stale = self._entry_requests(response, listing.entries)
            if not found and not reports:
                # A drawn page without reports (a department list drawn by a template):
                # its drawn links lead on, as a static page's would.
                requests += list(self._discover(response, drawn, response.meta.get(
                    M.WALK_DEPTH, 0), found_reports=False))
            found.extend(requests)
            self.crawler.stats.inc_value("render/pages")
            return not (reports and stale == reports)

        try:
            budget = max(self.listing_budget - response.meta.get(M.LISTING_PAGE, 1), 1) \
                if self.listing_budget else 10_000
            read = await rendering.walk(page, response.url, on_page, max_pages=budget,
                                        timeout=self.render_timeout)
            logger.info("rendered %s: %d list page(s), %d report request(s)", response.url,
                        read, len(found))
        finally:
            await self._close_page(page)
        for request in found:
            yield request

    # --- discovery ---------------------------------------------------------------------------

    def _discover(self, response, page, depth, found_reports):
        """Column links (年报), sub-columns (years, organs), department sub-sites below the
        disclosure section and, from a home page, the disclosure pages that lead to the column.

        Year sub-columns are not followed from inside a year sub-column: calendar-like link
        spaces (20xx年 nested without end) stay one level deep."""
        if not found_reports:
            yield from self._subsites(response, page, depth)
        if depth >= 4:
            return
        column_path = urlsplit(page.url).path.rsplit("/", 1)[0] + "/"
        in_year = response.meta.get(M.IN_YEAR)
        section = response.meta.get(M.SECTION)
        for link in cms.links(page.selector, page):
            path = urlsplit(link.url).path
            if picking.is_column_link(link.title):
                yield self._follow(response, link.url, self.parse_page, depth=depth + 1,
                                   meta={M.SECTION: section or _parent(path, 2)})
            elif (picking.is_subcolumn_link(link.title) and path.startswith(column_path)
                  and path != urlsplit(page.url).path and (found_reports or depth > 0)):
                year_link = picking.is_year_link(link.title)
                if year_link and in_year:
                    self.crawler.stats.inc_value("bounds/nested_year_links_skipped")
                    continue
                yield self._follow(response, link.url, self.parse_page, depth=depth + 1,
                                   meta={M.IN_YEAR: in_year or year_link, M.SECTION: section})
            elif depth == 0 and not found_reports and picking.is_disclosure_link(link.title, link.url):
                yield self._follow(response, link.url, self.parse_page, depth=depth + 1,
                                   meta={M.SECTION: _parent(path, 1)})

    def _subsites(self, response, page, depth):
        """Department sub-sites: links, script URL arrays and filled-in templates below the
        disclosure section, followed up to SUBSITE_DEPTH levels (walk depth unchanged, so each
        department's column is found as from the portal)."""
        section = response.meta.get(M.SECTION)
        level = response.meta.get(M.SUBSITE_DEPTH, 0)
        if not section or level >= self.subsite_depth or \
                not urlsplit(page.url).path.startswith(section):
            return
        here = urlsplit(page.url).path
        found = [link.url for link in cms.links(page.selector, page)
                 if picking.is_subsite_link(link.title)]
        found += subsites.script_urls(page) + subsites.templated_urls(page)
        seen = set()
        for url in found:
            path = urlsplit(url).path
            if url in seen or not path.startswith(section) or path == here:
                continue
            seen.add(url)
            self.crawler.stats.inc_value("subsites/followed")
            yield self._follow(response, url, self.parse_page, depth=min(depth, 2),
                               meta={M.SECTION: section, M.SUBSITE_DEPTH: level + 1})

    # --- report pages and their attachments -------------------------------------------------

    def _headers(self, response) -> dict:
        return {k: response.headers.get(k, b"").decode("latin-1") for k in KEPT_HEADERS
                if response.headers.get(k)}

    def _is_listing(self, page) -> bool:
        """A page linked under a report's title that is in fact a list of reports (a column
        named like a report, a hostile page): read as a listing, never stored as a report."""
        if rendering.holds_report_text(page):
            return False
        listing = cms.listing(page)
        titles = {e.title for e in listing.entries if picking.is_report_title(e.title)}
        return len(titles) >= 3 or (len(titles) >= 2 and bool(listing.pages))

    @staticmethod
    def _file_links(page) -> list:
        """The links of a page to files (PDF, Word, Excel, archives, download handlers)."""
        return [link for link in cms.links(page.selector, page)
                if urlsplit(link.url).path.lower().endswith(ATTACHMENT_SUFFIXES)
                or "downfile.jsp" in link.url.lower()]

    def parse_report(self, response):
        site = self._site(response)
        page = self._page(response) if isinstance(response, scrapy.http.TextResponse) else None
        if page is not None and "html" in \
                response.headers.get(b"Content-Type", b"text/html").decode("latin-1"):
            if self._is_listing(page):
                self.crawler.stats.inc_value("bounds/listing_not_stored_as_report")
                yield from self.parse_page(response)
                return
        self.crawler.stats.inc_value(f"reports/found/{site.id}")
        item = PageItem(url=response.request.url, final_url=response.url, body=response.body,
                        status=response.status, headers=self._headers(response), site=site.id,
                        region=site.region, kind="report", years=response.meta.get(M.YEARS))
        files = list(dict.fromkeys(f.url for f in self._file_links(page))) if page else []
        limit = self.crawler.settings.getint("ATTACHMENTS_PER_REPORT")
        if len(files) > limit:
            self.crawler.stats.inc_value("attachments/over_limit", len(files) - limit)
        yield self._next_attachment(response, item, files[:limit])

    # The files a report page links are fetched one after the other before the page is handed
    # on, carried in the request's meta, so that the pipeline derives the record from the page
    # and its files together (crawler.derive): a report published only as a PDF is read from
    # the PDF. A file that fails is counted and skipped; the page is never lost.

    def _next_attachment(self, response, item: PageItem, pending: list[str]):
        if not pending:
            return item
        # Never filtered as a duplicate: the request carries its page's item, and a file that
        # several pages link (one PDF behind a report's HTML pages) must reach each of them.
        return self._follow(response, pending[0], self.parse_attachment,
                            errback=self._attachment_failed, dont_filter=True,
                            meta={M.REPORT_ITEM: item, M.PENDING_ATTACHMENTS: pending[1:]})

    def parse_attachment(self, response):
        item = response.meta[M.REPORT_ITEM]
        item.attachments.append(FetchedFile(
            url=response.request.url, final_url=response.url, body=response.body,
            status=response.status, headers=self._headers(response)))
        yield self._next_attachment(response, item, response.meta[M.PENDING_ATTACHMENTS])

    def _attachment_failed(self, failure):
        self.on_error(failure)
        self.crawler.stats.inc_value("attachments/failed")
        request = failure.request
        return self._next_attachment(request, request.meta[M.REPORT_ITEM],
                                     request.meta[M.PENDING_ATTACHMENTS])

    def parse_cover(self, response):
        """A cover letter (关于报送《…》的函): its page is stored as a page of the report, and
        its attachment is fetched as the report itself."""
        if not isinstance(response, scrapy.http.TextResponse):
            yield from self.parse_report(response)  # the link was the attachment itself
            return
        page = self._page(response)
        files = self._file_links(page)
        if not files:
            self.crawler.stats.inc_value("reports/cover_letter_without_attachment")
            yield from self.parse_report(response)  # then the letter is all there is
            return
        # The report: an attachment titled as a report, else the first one.
        named = [f for f in files if picking.is_report_title(f.title)
                 or picking.COVER_INNER.search(picking.clean_title(f.title))]
        report = (named or files)[0]
        self.crawler.stats.inc_value("reports/cover_letters")
        yield PageItem(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=self._headers(response),
                       site=response.meta[M.SITE], kind="attachment", report_url=report.url)
        yield self._follow(response, report.url, self.parse_report,
                           meta={M.TITLE: response.meta.get(M.TITLE), M.COVER_URL: response.url})
