"""Crawl bookkeeping: each crawl run is a document in the store's ``crawls`` collection.

:class:`CrawlRecorder` records the run when the spider opens (spider name, arguments, start
time) and, when it closes, Scrapy's finish reason and every stat of the run (pages, reports
new/changed/unchanged/journaled, challenges per site, download errors by kind, retries...).
It closes the crawler's store last.

The document goes through the store's breaker and journal like the items: a crawl that starts
while the database is down is recorded when the journal is replayed. A damaged ``crawls``
collection is logged and the crawl goes on without its record.
"""

from __future__ import annotations

import datetime as dt
import logging

from bson import ObjectId
from scrapy import signals

from crawler.store import JournalFull, Store, StoreError, utcnow

logger = logging.getLogger(__name__)


def _storable(stats: dict) -> dict:
    """Stats as a store document: dots in keys (``downloader/exception_type_count/x.y``) become
    underscores, values stay numbers, text or times."""
    out = {}
    for key, value in stats.items():
        if isinstance(value, bool | int | float | str | dt.datetime):
            out[key.replace(".", "_").replace("$", "_")] = value
    return out


class CrawlRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.crawl_id = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.crawl_id = ObjectId()
        self.doc = {"spider": spider.name, "arguments": getattr(spider, "arguments", {}),
                    "started_at": utcnow(), "finished_at": None, "finish_reason": None,
                    "counts": {}}
        self._record(self.doc)

    def spider_closed(self, spider, reason):
        store = Store.for_crawler(self.crawler)
        self._record(dict(self.doc, finished_at=utcnow(), finish_reason=reason,
                          counts=_storable(self.crawler.stats.get_stats())))
        pending = store.journal.pending() if store.journal.path.exists() else 0
        if pending:
            logger.warning("%d item(s) wait in the journal %s: run `scrapy replay-journal` once "
                           "the database is back", pending, store.journal.path)
        store.close()

    def _record(self, doc: dict) -> None:
        try:
            Store.for_crawler(self.crawler).record_crawl(self.crawl_id, doc)
        except (StoreError, JournalFull) as exc:  # a damaged `crawls`, a full disk
            logger.error("crawl run not recorded: %s", exc)
