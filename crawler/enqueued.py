"""A distributed worker's start work: the specs ``scrapy enqueue`` pushed, taken when idle.

A worker's spider starts with no targets of its own (or a few). Whenever it goes idle it takes
up to REDIS_SPECS_PER_IDLE start specs (:mod:`crawler.reliable_queue`), a few at a time so that
workers going idle together share the sites out, and queues their start requests. It stays
open while any worker of the cluster still holds requests (their pages may yield more work, or
come back here if that worker dies), then REDIS_IDLE_TIMEOUT seconds more.

Settings read: REDIS_IDLE_TIMEOUT, REDIS_SPECS_PER_IDLE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import scrapy
from scrapy.exceptions import DontCloseSpider

from crawler import meta as M
from crawler import sites as registry
from crawler.crawlspec import CrawlSpec, adhoc_site

logger = logging.getLogger(__name__)


def spec_site(arguments: dict, sites_by_id: dict[str, registry.Site]
              ) -> tuple[CrawlSpec, registry.Site] | None:
    """The spec and site of one enqueued spec (the arguments of :class:`CrawlSpec`, one site or
    one start URL); None, logged, for a spec that does not parse or a site this worker's
    registry does not have."""
    try:
        spec = CrawlSpec.parse(**arguments)
    except (TypeError, ValueError) as exc:
        logger.error("enqueued spec %r refused: %s", arguments, exc)
        return None
    if spec.start_url:
        return spec, adhoc_site(spec.start_url)
    site = sites_by_id.get((spec.site_ids or ("",))[0])
    if site is None:
        logger.error("enqueued site %r is not in this worker's registry", spec.site_ids)
        return None
    return spec, site


class SpecFeed:
    """Feeds the crawl from the start list on every ``spider_idle`` signal (:meth:`on_idle`);
    ``requests_for(spec)`` makes a spec's start requests."""

    def __init__(self, crawler, queue, requests_for: Callable[[dict], Iterable[scrapy.Request]]):
        self.crawler = crawler
        self.queue = queue
        self.requests_for = requests_for
        self.idle_timeout = crawler.settings.getfloat("REDIS_IDLE_TIMEOUT")
        self.specs_per_idle = crawler.settings.getint("REDIS_SPECS_PER_IDLE")
        self._idle_since = None

    def on_idle(self):
        # A spec stays in flight for this worker until its requests are queued (a worker
        # killed in between leaves it to the others).
        taken = 0
        while taken < self.specs_per_idle:
            got = self.queue.take_spec()
            if got is None:
                break
            spec, raw = got
            taken += 1
            run = spec.pop("run", None)
            for request in self.requests_for(spec):
                request.meta.setdefault(M.RUN, run)
                self.crawler.engine.crawl(request)
            self.queue.spec_done(raw)
        now = time.monotonic()
        if taken or self.queue.cluster_busy():
            # Other workers still hold requests: the idle clock starts when the cluster is idle.
            self._idle_since = None
            raise DontCloseSpider
        self._idle_since = self._idle_since or now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider
