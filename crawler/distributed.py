"""Crawls shared by many worker processes on many machines, through Redis (scrapy-redis).

When ``REDIS_URL`` is set (setting or environment), the ``reports`` spider runs on
scrapy-redis: the scheduler's queue and the duplicate filter live in Redis (scrapy-redis's own
dupefilter: Scrapy's breaks on it, see crawling.md §4), so every worker pulls from one crawl and
no URL is fetched twice. Work is started with ``scrapy enqueue``, which pushes start specs
(the arguments of :class:`crawler.crawlspec.CrawlSpec` for one site or start URL, and the
spec's run) onto a Redis list that idle workers take.

The queue itself is :mod:`crawler.reliable_queue`: a request stays in flight for the worker that
took it until its response is handled, and a dead worker's requests, start specs and
politeness tokens are put back by the live ones.

Per-site politeness holds across workers: :class:`SitePolitenessMiddleware` takes a token from
a per-site Redis semaphore before each download (at most ``SITE_CONCURRENCY`` requests of a
site in flight across all workers, and at least ``SITE_DELAY`` seconds between two starts), so
adding workers adds throughput across sites, never load on one site.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from scrapy.exceptions import NotConfigured

from crawler import meta as M

logger = logging.getLogger(__name__)

SLOT_KEY = "govreports:site:%s"


def redis_url(settings) -> str | None:
    """The Redis of a distributed crawl, or None (``REDIS_URL``, see crawler/settings.py)."""
    return settings.get("REDIS_URL") or None


def scrapy_redis_settings(url: str) -> dict:
    """The settings that put a crawl's queue and duplicate filter in Redis."""
    return {
        "REDIS_URL": url,
        # Our subclass of scrapy-redis's scheduler: its queue and duplicate filter are the
        # reliable queue's (the filter is checked in the same script that queues).
        "SCHEDULER": "crawler.reliable_queue.ReliableScheduler",
    }


def connect(url: str):
    import redis

    return redis.Redis.from_url(url)


def check(url: str, timeout: float = 3.0) -> None:
    """Raise ValueError (one line, password hidden) unless ``url`` names a Redis that answers."""
    import re

    import redis

    shown = re.sub(r"//([^:/@]*):[^@/]*@", r"//\\1:***@", url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    except ValueError as exc:
        raise ValueError(f"REDIS_URL {shown!r} is not a Redis URL: {exc}") from exc
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ValueError(f"REDIS_URL {shown} is unreachable: {exc}") from exc
    finally:
        client.close()


# KEYS[1] = the site's key prefix, KEYS[2] = the worker's set of sites it holds tokens on;
# ARGV = token ("worker|random"), now_ms, limit, delay_ms, ttl_ms. Drops tokens past their ttl,
# then grants a token when fewer than `limit` are held and `delay` has passed since the last
# grant; else answers how long to wait (ms). A dead worker's tokens are freed long before
# their ttl by the queue's recovery (crawler.reliable_queue), which finds them through KEYS[2].
_ACQUIRE = """
local active = KEYS[1] .. ':active'
local last = KEYS[1] .. ':last'
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', active, '-inf', now)
local held = redis.call('ZCARD', active)
local since = now - tonumber(redis.call('GET', last) or '0')
local delay = tonumber(ARGV[4])
if held < tonumber(ARGV[3]) and since >= delay then
  redis.call('ZADD', active, now + tonumber(ARGV[5]), ARGV[1])
  redis.call('SADD', KEYS[2], KEYS[1])
  redis.call('SET', last, now)
  return 0
end
if since < delay then return delay - since end
return 50
"""


class SitePolitenessMiddleware:
    """Per-site concurrency and delay enforced across every worker, through Redis."""

    def __init__(self, server, worker: str, limit: int, delay: float, ttl: float, stats):
        self.server, self.limit, self.delay, self.ttl, self.stats = server, limit, delay, ttl, stats
        self.worker = worker
        self.held_key = f"govreports:tokens:{worker}"
        self.acquire = server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler):
        url = redis_url(crawler.settings)
        if not url:
            raise NotConfigured("REDIS_URL not set")
        from crawler.reliable_queue import worker_for

        queue, s = worker_for(crawler), crawler.settings
        return cls(queue.server, queue.worker, s.getint("SITE_CONCURRENCY"),
                   s.getfloat("SITE_DELAY"), s.getfloat("SITE_TOKEN_TTL"), crawler.stats)

    def _now_ms(self) -> int:
        seconds, micros = self.server.time()  # one clock for all machines: Redis's
        return seconds * 1000 + micros // 1000

    async def process_request(self, request):
        site = request.meta.get(M.SITE)
        if not site or M.SITE_TOKEN in request.meta:
            return None
        token = f"{self.worker}|{uuid.uuid4().hex}"
        waited = 0
        while True:
            now = self._now_ms()
            wait = self.acquire(keys=[SLOT_KEY % site, self.held_key], args=[
                token, now, self.limit, int(self.delay * 1000), int(self.ttl * 1000)])
            if int(wait) == 0:
                break
            waited += int(wait)
            await asyncio.sleep(int(wait) / 1000)
        if waited:
            self.stats.inc_value("politeness/waited_ms", waited)
        request.meta[M.SITE_TOKEN] = token
        request.meta[M.SITE_TOKEN_AT] = now  # the script granted it as of this time
        return None

    def _release(self, request):
        token = request.meta.pop(M.SITE_TOKEN, None)
        site = request.meta.get(M.SITE)
        if token and site:
            self.server.zrem((SLOT_KEY % site) + ":active", token)

    def process_response(self, request, response):
        self._release(request)
        return response

    def process_exception(self, request, exception):
        self._release(request)
        return None
