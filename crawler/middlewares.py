"""Downloader middlewares: host policy, challenge detection, retry backoff, https→http fallback."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.web.client import ResponseFailed

from crawler import challenge
from crawler import meta as M

logger = logging.getLogger(__name__)


class HostPolicyMiddleware:
    """Only hosts ending in .gov.cn, or allowed for the request's site, are fetched.

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
        host = urlsplit(request.url).netloc.lower()
        name = host.split(":")[0]
        # Requests Scrapy makes itself (robots.txt) carry no site: any target site's hosts do.
        allowed = request.meta.get(M.ALLOWED_HOSTS) or getattr(
            self.crawler.spider, "allowed_hosts", ())
        if name.endswith(".gov.cn") or host in allowed or name in allowed:
            return None
        self.stats.inc_value("offsite/refused")
        logger.info("refused %s: host not .gov.cn nor allowed for the site", request.url)
        raise IgnoreRequest(f"host {host} is not .gov.cn nor allowed for this site")


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
        text = f"{type(exception).__name__} {exception}"
        if not isinstance(exception, _TLS_OR_CONNECT) and not any(
                m in text for m in ("SSL", "TLS", "handshake", "Connection", "DownloadFailed")):
            return None
        self.stats.inc_value("scheme_fallback/https_to_http")
        new = request.replace(url="http://" + request.url[len("https://"):], dont_filter=True)
        new.meta[M.SCHEME_FALLBACK] = True
        return new
