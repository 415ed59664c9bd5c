"""Crawl bookkeeping: each crawl run is a document in the store's ``crawls`` collection.

:class:`CrawlRecorder` records the run when the spider opens (spider name, arguments, start
time) and, when it closes, Scrapy's finish reason and every stat of the run (pages, reports
new/changed/unchanged/journaled, challenges per site, download errors by kind, retries...).
It closes the crawler's store last.
"""

from __future__ import annotations

import datetime as dt

from scrapy import signals

from crawler.store import Store


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
        store = Store.for_crawler(self.crawler)
        self.crawl_id = store.start_crawl(spider.name, getattr(spider, "arguments", {}))

    def spider_closed(self, spider, reason):
        store = Store.for_crawler(self.crawler)
        if self.crawl_id is not None:
            store.finish_crawl(self.crawl_id, _storable(self.crawler.stats.get_stats()), reason)
        store.close()
