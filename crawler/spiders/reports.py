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

This class is the crawl's outline: its callbacks say what each kind of page leads to; the
knowledge behind each step lives in a module of its own:

- :mod:`crawler.follow`: what every request carries (site, download slot, hosts, crawl meta);
- :mod:`crawler.entries`: which entries of a listing are fetched (years, earlier crawls);
- :mod:`crawler.paging`: a listing's further pages, within LISTING_PAGE_BUDGET;
- :mod:`crawler.discovery`: the way to the 年报 column, and department sub-sites below the
  disclosure section (:mod:`crawler.subsites`), followed up to SUBSITE_DEPTH levels;
- :mod:`crawler.render_gate`: listings drawn by script, rendered in Chromium
  (:mod:`crawler.rendering`, argument ``render=auto|never|always``);
- :mod:`crawler.report_pages`: report pages, their files and cover letters (关于报送《…》的函:
  stored as a page, its attachment as the report);
- :mod:`crawler.responses`: a response's decoded page and kept headers;
- :mod:`crawler.reachability`: a summary line per site; a crawl whose every site failed exits
  nonzero (``crawler.commands.crawl``);
- :mod:`crawler.enqueued`: a distributed worker's work from ``scrapy enqueue``.

Settings read: SITES_REGISTRY, SITES_BASE_URL, LISTING_PAGE_BUDGET, SUBSITE_DEPTH,
ATTACHMENTS_PER_REPORT; through the modules above REDIS_IDLE_TIMEOUT, REDIS_SPECS_PER_IDLE,
RENDER_BROWSER, RENDER_TIMEOUT.
"""

from __future__ import annotations

import logging

import scrapy

from crawler import (
    cms,
    discovery,
    distributed,
    enqueued,
    entries,
    follow,
    paging,
    reliable_queue,
    render_gate,
    rendering,
    report_pages,
    responses,
)
from crawler import meta as M
from crawler import sites as registry
from crawler.crawlspec import CrawlSpec
from crawler.items import PageItem
from crawler.reachability import StartOutcomes

logger = logging.getLogger(__name__)


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, **arguments):
        # Scrapy passes its own keyword arguments besides the user's -a ones.
        own = {k: arguments.pop(k) for k in ("name", "start_urls") if k in arguments}
        super().__init__(**own)
        self.spec = CrawlSpec.parse(**arguments)
        self.arguments = self.spec.arguments()
        self.sites_by_id: dict[str, registry.Site] = {}
        self.starts = StartOutcomes()
        #: The closing summary, a line per site (``scrapy crawl`` prints it).
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
        if spider.start_queue is not None and spider.spec.is_empty:
            spider.targets = []
        else:
            spider.targets = spider.spec.sites(settings)
        registry_sites = [] if spider.spec.start_url else registry.load(
            settings.get("SITES_REGISTRY"), settings.get("SITES_BASE_URL"))
        spider.sites_by_id = {s.id: s for s in registry_sites + spider.targets}
        spider.allowed_hosts = frozenset(h for s in spider.sites_by_id.values() for h in s.hosts)
        if spider.start_queue is not None:
            spider.feed = enqueued.SpecFeed(crawler, spider.start_queue, spider._spec_requests)
            crawler.signals.connect(spider.feed.on_idle, signal=scrapy.signals.spider_idle)
        spider.listing_budget = settings.getint("LISTING_PAGE_BUDGET")
        spider.subsite_depth = settings.getint("SUBSITE_DEPTH")
        spider.render_gate = render_gate.RenderGate(settings)
        spider.earlier = entries.EarlierCrawls(crawler)
        return spider

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
        self.starts.expect(site.id)
        for url in urls:
            yield self._request(url, site, self.parse_page, cms_name=site.cms, meta=common)

    def _spec_requests(self, arguments: dict):
        """Requests for one spec taken from ``scrapy enqueue``'s start list."""
        got = enqueued.spec_site(arguments, self.sites_by_id)
        if got is None:
            return
        spec, site = got
        if spec.start_url:
            self.sites_by_id[site.id] = site
            self.allowed_hosts = self.allowed_hosts | set(site.hosts)
        self.targets.append(site)
        yield from self._site_requests(site, spec)

    # --- requests, failures, the close ------------------------------------------------------

    def _request(self, url, site, callback, **kwargs):
        kwargs.setdefault("errback", self.on_error)
        return follow.site_request(url, site, callback, **kwargs)

    def _follow(self, found_on, url, callback, **kwargs):
        """A request for a link found on a page (a response, or a request): it carries on the
        years, refresh and render mode of that page."""
        meta = {**follow.carried_meta(found_on), **kwargs.pop("meta", {})}
        site = follow.site_of(found_on, self.sites_by_id)
        return self._request(url, site, callback, meta=meta, **kwargs)

    def on_error(self, failure):
        self.crawler.stats.inc_value(f"errors/{failure.type.__name__}")
        logger.info("failed %s: %s", failure.request.url, failure.getErrorMessage())
        self.starts.failed(failure)
        tab = failure.request.meta.get("playwright_page")
        if tab is not None:
            return render_gate.close_tab(tab)
        return None

    def closed(self, reason):
        """One summary line per site; a crawl whose every site was unreachable is marked so
        that ``scrapy crawl`` exits nonzero."""
        self.summary.extend(self.starts.summarise(self.crawler.stats))
        self.render_gate.note_skipped(self.crawler.stats)

    # --- list, column and home pages --------------------------------------------------------

    def parse_page(self, response):
        """A list, column or home page: its reports, its further pages, its rendering when its
        list is drawn by script, and the links that lead on to the column."""
        self.starts.reached(response)
        page = responses.page_of(response)
        depth = response.meta.get(M.WALK_DEPTH, 0)
        listing = cms.listing(page, response.meta.get(M.CMS))
        picked = self._pick(response, listing.entries)
        yield from self._entry_requests(response, picked)
        # Stop paging when every report on this page is too old or already stored.
        if not picked.all_stale:
            yield from self._next_pages(response, listing.pages)
        if "json" in page.content_type or "xml" in page.content_type:
            return  # an API page of a CMS: nothing to discover beyond its entries
        if self.render_gate.wants(response, page, self.crawler.stats):
            yield self._follow(response, response.url, self.parse_rendered, dont_filter=True,
                               depth=depth, meta=render_gate.rendering_meta(response))
        yield from self._leads(response, page, depth, found_reports=picked.reports > 0)

    def _pick(self, response, listed: list[cms.Entry]) -> entries.Picked:
        return entries.pick(listed, response.meta.get(M.YEARS), response.meta.get(M.REFRESH),
                            self.earlier, self.crawler.stats)

    def _entry_requests(self, response, picked: entries.Picked) -> list[scrapy.Request]:
        return [self._follow(response, entry.url, self.parse_cover if cover else self.parse_report,
                             meta={M.TITLE: entry.title})
                for entry, cover in picked.fetch]

    def _next_pages(self, response, pages: list[cms.PageRequest]):
        depth = response.meta.get(M.WALK_DEPTH, 0)
        for more in paging.next_pages(pages, response, self.listing_budget, self.crawler.stats):
            yield self._follow(response, more.url, self.parse_page, cms_name=more.cms,
                               depth=depth, method=more.method, body=more.body,
                               headers=more.headers, meta=more.meta)

    def _leads(self, response, page: cms.Page, depth: int, found_reports: bool):
        for lead in discovery.leads(page, response.meta, depth, found_reports,
                                    self.subsite_depth, self.crawler.stats):
            yield self._follow(response, lead.url, self.parse_page, depth=lead.depth,
                               meta=lead.meta)

    async def parse_rendered(self, response):
        """Walk a rendered list through its pager; yield the report requests of every page."""
        tab = response.meta["playwright_page"]
        found = []

        def on_page(drawn):
            picked = self._pick(response, cms.modules()["plain"].follow(drawn).entries)
            requests = self._entry_requests(response, picked)
            if not found and not picked.reports:
                # A drawn page without reports (a department list drawn by a template):
                # its drawn links lead on, as a static page's would.
                requests += list(self._leads(response, drawn, response.meta.get(M.WALK_DEPTH, 0),
                                             found_reports=False))
            found.extend(requests)
            self.crawler.stats.inc_value("render/pages")
            return not picked.all_stale

        try:
            read = await rendering.walk(tab, response.url, on_page,
                                        max_pages=paging.rendered_pages(response, self.listing_budget),
                                        timeout=self.render_gate.timeout)
            logger.info("rendered %s: %d list page(s), %d report request(s)", response.url,
                        read, len(found))
        finally:
            await render_gate.close_tab(tab)
        for request in found:
            yield request

    # --- report pages and their attachments -------------------------------------------------

    def parse_report(self, response):
        """A report page, handed on with its files; a page that is in fact a list of reports
        is read as a listing instead."""
        site = follow.site_of(response, self.sites_by_id)
        is_text = isinstance(response, scrapy.http.TextResponse)
        page = responses.page_of(response) if is_text else None
        if page is not None and "html" in responses.content_type(response, b"text/html"):
            if report_pages.is_listing(page):
                self.crawler.stats.inc_value("bounds/listing_not_stored_as_report")
                yield from self.parse_page(response)
                return
        self.crawler.stats.inc_value(f"reports/found/{site.id}")
        item = report_pages.report_item(response, site)
        limit = self.crawler.settings.getint("ATTACHMENTS_PER_REPORT")
        files = report_pages.attachments_to_fetch(page, limit, self.crawler.stats)
        yield self._next_attachment(response, item, files)

    # The files a report page links are fetched one after the other before the page is handed
    # on, carried in the request's meta, so that the pipeline derives the record from the page
    # and its files together (crawler.derive): a report published only as a PDF is read from
    # the PDF. A file that fails is counted and skipped; the page is never lost.

    def _next_attachment(self, found_on, item: PageItem, pending: list[str]):
        if not pending:
            return item
        # Never filtered as a duplicate: the request carries its page's item, and a file that
        # several pages link (one PDF behind a report's HTML pages) must reach each of them.
        return self._follow(found_on, pending[0], self.parse_attachment,
                            errback=self._attachment_failed, dont_filter=True,
                            meta={M.REPORT_ITEM: item, M.PENDING_ATTACHMENTS: pending[1:]})

    def parse_attachment(self, response):
        item = response.meta[M.REPORT_ITEM]
        item.attachments.append(report_pages.fetched_file(response))
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
        files = report_pages.file_links(responses.page_of(response))
        if not files:
            self.crawler.stats.inc_value("reports/cover_letter_without_attachment")
            yield from self.parse_report(response)  # then the letter is all there is
            return
        report = report_pages.cover_report(files)
        self.crawler.stats.inc_value("reports/cover_letters")
        yield report_pages.cover_item(response, report.url)
        yield self._follow(response, report.url, self.parse_report,
                           meta={M.TITLE: response.meta.get(M.TITLE), M.COVER_URL: response.url})
