"""Crawls shared by many worker processes on many machines, through Redis (scrapy-redis).

When ``REDIS_URL`` is set (setting or environment), the ``reports`` spider runs on
scrapy-redis: the scheduler's queue and the duplicate filter live in Redis (scrapy-redis's own
dupefilter: Scrapy's breaks on it, see crawling.md §4), so every worker pulls from one crawl and
no URL is fetched twice. Work is started with ``scrapy enqueue``, which pushes start specs
(the arguments of :class:`crawler.crawlspec.CrawlSpec` for one site or start URL) onto a Redis list that idle workers pop.

Per-site politeness holds across workers: :class:`SitePolitenessMiddleware` takes a token from
a per-site Redis semaphore before each download (at most ``SITE_CONCURRENCY`` requests of a
site in flight across all workers, and at least ``SITE_DELAY`` seconds between two starts), so
adding workers adds throughput across sites, never load on one site.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from scrapy.exceptions import NotConfigured

from crawler import meta as M

logger = logging.getLogger(__name__)

START_KEY = "govreports:start"
SLOT_KEY = "govreports:site:%s"


def redis_url(settings) -> str | None:
    """The Redis of a distributed crawl, or None (``REDIS_URL``, see crawler/settings.py)."""
    return settings.get("REDIS_URL") or None


def scrapy_redis_settings(url: str) -> dict:
    """The settings that put a crawl's queue and duplicate filter in Redis."""
    return {
        "REDIS_URL": url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # a worker that stops leaves the queue to the others
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
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


class StartQueue:
    """Start specs waiting for a worker: a Redis list of JSON objects."""

    def __init__(self, server, key: str = START_KEY):
        self.server, self.key = server, key

    def push(self, spec: dict) -> None:
        self.server.rpush(self.key, json.dumps(spec, ensure_ascii=False))

    def pop(self) -> dict | None:
        raw = self.server.lpop(self.key)
        return json.loads(raw) if raw else None

    def __len__(self) -> int:
        return int(self.server.llen(self.key))


# KEYS[1] = the site's key prefix; ARGV = token, now_ms, limit, delay_ms, ttl_ms.
# Drops tokens whose holder died (past their ttl), then grants a token when fewer than `limit`
# are held and `delay` has passed since the last grant; else answers how long to wait (ms).
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
  redis.call('SET', last, now)
  return 0
end
if since < delay then return delay - since end
return 50
"""


class SitePolitenessMiddleware:
    """Per-site concurrency and delay enforced across every worker, through Redis."""

    def __init__(self, server, limit: int, delay: float, ttl: float, stats):
        self.server, self.limit, self.delay, self.ttl, self.stats = server, limit, delay, ttl, stats
        self.acquire = server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler):
        url = redis_url(crawler.settings)
        if not url:
            raise NotConfigured("REDIS_URL not set")
        s = crawler.settings
        return cls(connect(url), s.getint("SITE_CONCURRENCY"), s.getfloat("SITE_DELAY"),
                   s.getfloat("SITE_TOKEN_TTL"), crawler.stats)

    def _now_ms(self) -> int:
        seconds, micros = self.server.time()  # one clock for all machines: Redis's
        return seconds * 1000 + micros // 1000

    async def process_request(self, request):
        site = request.meta.get(M.SITE)
        if not site or M.SITE_TOKEN in request.meta:
            return None
        token = uuid.uuid4().hex
        waited = 0
        while True:
            wait = self.acquire(keys=[SLOT_KEY % site], args=[
                token, self._now_ms(), self.limit, int(self.delay * 1000), int(self.ttl * 1000)])
            if int(wait) == 0:
                break
            waited += int(wait)
            await asyncio.sleep(int(wait) / 1000)
        if waited:
            self.stats.inc_value("politeness/waited_ms", waited)
        request.meta[M.SITE_TOKEN] = token
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
