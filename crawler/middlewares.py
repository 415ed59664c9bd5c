"""Downloader middlewares (host policy, challenge detection, retry backoff, https→http
fallback) and spider middlewares (paging-aware depth, per-site request budget).

Settings read: RETRY_BACKOFF_BASE, RETRY_BACKOFF_MAX, DEPTH_LIMIT, SITE_REQUEST_BUDGET.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.spidermiddlewares.depth import DepthMiddleware
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.web.client import ResponseFailed

from crawler import challenge, hosts
from crawler import meta as M

logger = logging.getLogger(__name__)

# Scrapy 2.19 raises CannotResolveHostError; Twisted's DNSLookupError where it is not wrapped.
# Neither is retried nor tried again over http: a name that does not resolve stays so.
_NO_SUCH_NAME = (CannotResolveHostError, DNSLookupError)


class HostPolicyMiddleware:
    """Only hosts ending in .gov.cn, or listed for the request's site, are fetched
    (:mod:`crawler.hosts`: by parsed host name; IP literals only when listed).

    The spider puts the site's allowed hosts in ``request.meta["allowed_hosts"]``; an ad hoc
    ``start_url`` crawl allows its own host. Refused requests are counted as ``offsite``.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        # Requests Scrapy makes itself (robots.txt) carry no site: any target site's hosts do.
        allowed = request.meta.get(M.ALLOWED_HOSTS) or getattr(
            self.crawler.spider, "allowed_hosts", ())
        why = hosts.refusal(request.url, allowed)
        if why is None:
            return None
        self.stats.inc_value("offsite/refused")
        logger.info("refused %s: %s", request.url, why)
        raise IgnoreRequest(f"refused {request.url}: {why}")


class ChallengeMiddleware:
    """Anti-bot challenges are counted per site as ``challenge:<kind>`` and dropped: never
    stored as pages or reports, never retried (no bypass)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request, response):
        found = challenge.kind(response.status, response.headers, response.body)
        if not found:
            return response
        site = request.meta.get(M.SITE, "-")
        self.stats.inc_value(f"challenge:{found}")
        self.stats.inc_value(f"challenge/{site}:{found}")
        logger.warning("challenge %s (%s) at %s: not bypassed", found, response.status, request.url)
        raise IgnoreRequest(f"challenge:{found}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each one waiting longer (RETRY_BACKOFF_BASE × 2^n, capped)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX")

    async def _wait(self, request):
        n = request.meta.get("retry_times", 0)
        await asyncio.sleep(min(self.base * (2 ** max(n - 1, 0)), self.cap))

    async def process_response(self, request, response):
        result = super().process_response(request, response)
        if result is not response:
            await self._wait(result)
        return result

    async def process_exception(self, request, exception):
        if isinstance(exception, _NO_SUCH_NAME):
            return None  # a name that does not resolve will not resolve in a second either
        result = super().process_exception(request, exception)
        if result is not None:
            await self._wait(result)
        return result


_TLS_OR_CONNECT = (ResponseFailed, TxConnectionRefused, TCPTimedOutError, DNSLookupError,
                   ConnectionRefusedError, OSError)


class SchemeFallbackMiddleware:
    """An https URL whose connection fails is tried once over http (old portals serve only
    http, or speak TLS no current client accepts); the working scheme is counted."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_exception(self, request, exception):
        if not request.url.startswith("https://") or request.meta.get(M.SCHEME_FALLBACK):
            return None
        if isinstance(exception, _NO_SUCH_NAME):
            return None  # the name does not resolve: http would not resolve it either
        text = f"{type(exception).__name__} {exception}"
        if not isinstance(exception, _TLS_OR_CONNECT) and not any(
                m in text for m in ("SSL", "TLS", "handshake", "Connection", "DownloadFailed")):
            return None
        self.stats.inc_value("scheme_fallback/https_to_http")
        new = request.replace(url="http://" + request.url[len("https://"):], dont_filter=True)
        new.meta[M.SCHEME_FALLBACK] = True
        return new


class PagingDepthMiddleware(DepthMiddleware):
    """Scrapy's depth limit, except that the next page of a listing (``meta["paging"]``)
    keeps the depth of the page it was found on: a 下一页 chain of hundreds of pages is one
    level deep, and DEPTH_LIMIT bounds discovery, not paging (paging has its own budget,
    LISTING_PAGE_BUDGET)."""

    def get_processed_request(self, request, response):
        if response is not None and request.meta.get(M.PAGING):
            request.meta.pop("depth_reset", None)
            request.meta["depth"] = response.meta.get("depth", 0)
            return request
        return super().get_processed_request(request, response)


class SiteBudgetMiddleware:
    """At most SITE_REQUEST_BUDGET requests per site leave the spider; the rest are dropped,
    counted as ``budget/site_requests_dropped`` and logged once per site. A hostile or endless
    site thus costs a bounded number of requests and a bounded scheduler queue."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.budget = crawler.settings.getint("SITE_REQUEST_BUDGET")
        self.counts: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result):
        async for obj in result:
            if isinstance(obj, Request) and self.budget:
                site = obj.meta.get(M.SITE, "-")
                n = self.counts[site] = self.counts.get(site, 0) + 1
                if n > self.budget:
                    if n == self.budget + 1:
                        logger.warning("site %s: request budget of %d spent, no more requests",
                                       site, self.budget)
                    self.stats.inc_value("budget/site_requests_dropped")
                    continue
            yield obj
