"""A Scrapy extension for the crawl benchmark: where the wall-clock time of a crawl goes.

Loaded by ``benchmarks/crawl_bench.py --probe`` (``-s EXTENSIONS``), never by the product.
Every ``PROBE_INTERVAL`` seconds (default 0.01) a timer on the reactor samples the engine:
requests downloading, requests waiting in the scheduler, the scraper's bytes of responses in
progress (Scrapy stops downloading above SCRAPER_SLOT_MAX_ACTIVE_SIZE), items in the item
pipelines, and the store pipeline's pages waiting for a batch and batches at the workers. How
late each tick fires is time the reactor thread was busy (or waiting for the GIL). At close it
logs one line ``probe {json}`` with the shares of samples in each state.
"""

from __future__ import annotations

import json
import logging
import time

from scrapy import signals
from twisted.internet import task

logger = logging.getLogger(__name__)


class CrawlProbe:
    def __init__(self, crawler):
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("PROBE_INTERVAL", 0.01)
        self.samples: list[tuple] = []
        self.lag = 0.0
        self._last = None
        self._loop = task.LoopingCall(self._sample)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        crawler.signals.connect(self.scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.scraped, signal=signals.item_dropped)
        self._items: list[float] = []
        self._downloaded: list[float] = []
        crawler.signals.connect(self.downloaded, signal=signals.response_received)

    def scraped(self, *args, **kwargs):
        self._items.append(time.monotonic())

    def downloaded(self, *args, **kwargs):
        self._downloaded.append(time.monotonic())

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        self._last = self._opened = time.monotonic()
        self._cpu = time.process_time()
        self._loop.start(self.interval, now=False)

    def _pipeline(self):
        for pipe in getattr(self.crawler.engine.scraper.itemproc, "middlewares", ()):
            if hasattr(pipe, "batcher"):
                return pipe
        return None

    def _sample(self):
        now = time.monotonic()
        self.lag += max(now - self._last - self.interval, 0.0)
        self._last = now
        engine = self.crawler.engine
        slot = engine.scraper.slot
        pipe = self._pipeline()
        pending = inflight = 0
        if pipe is not None:  # (the private names: earlier versions of the Batcher)
            pending = len(pipe.batcher._pending)
            inflight = len(pipe.batcher._inflight)
        scheduled = len(engine._slot.scheduler) if engine._slot else 0
        self.samples.append((len(engine.downloader.active), scheduled,
                             slot.active_size if slot else 0,
                             slot.itemproc_size if slot else 0, pending, inflight,
                             bool(slot and slot.needs_backout())))

    def closed(self, spider, reason):
        end = time.monotonic()
        at = lambda times, i: round(times[i] - self._opened, 2) if times else None  # noqa: E731
        if self._loop.running:
            self._loop.stop()
        n = len(self.samples) or 1
        s = self.samples
        limit = self.crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        summary = {
            # CPU of the crawl process from spider open to close (its start-up excluded).
            "crawl_cpu_s": round(time.process_time() - self._cpu, 2),
            "samples": len(s),
            "reactor_busy_s": round(self.lag, 2),
            # The scraper refused to take more downloads (too many response bytes in progress).
            "scraper_backout": round(sum(x[6] for x in s) / n, 3),
            # Fewer downloads than allowed while requests waited in the scheduler.
            "downloads_starved": round(sum(x[0] < limit and x[1] > 0 for x in s) / n, 3),
            "downloading_mean": round(sum(x[0] for x in s) / n, 2),
            "scheduled_mean": round(sum(x[1] for x in s) / n, 1),
            "items_in_pipeline_mean": round(sum(x[3] for x in s) / n, 1),
            "pages_waiting_for_batch_mean": round(sum(x[4] for x in s) / n, 1),
            "batches_at_workers_mean": round(sum(x[5] for x in s) / n, 2),
            # Items wait while no batch is at the workers: waiting for a batch timer.
            "waiting_no_batch_out": round(sum(x[4] > 0 and x[5] == 0 for x in s) / n, 3),
            # Seconds from spider open: first and last response, first and last item out of
            # the pipelines, closed (after the pipelines' close_spider).
            "first_response_s": at(self._downloaded, 0),
            "last_response_s": at(self._downloaded, -1),
            "first_item_s": at(self._items, 0),
            "last_item_s": at(self._items, -1),
            "closed_s": round(end - self._opened, 2),
            "active_mb_max": round(max((x[2] for x in s), default=0) / 1e6, 1),
        }
        logger.info("probe %s", json.dumps(summary))
