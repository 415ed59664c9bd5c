"""The pipeline: a fetched page -> its record (:mod:`crawler.derive`) -> the store.

A report page becomes its record, which is stored with the raw page and passed on as the item,
so Scrapy's feed exports (``-O out.jsonl``, ``FEEDS``) receive records. Attachments are stored
as pages of their report and go no further. Records outside the years the crawl asked for (by
the parsed statistics year) are dropped, and their year remembered in the store. Counts go to
Scrapy's stats (``pages``, ``reports/new|changed|unchanged|journaled``,
``reports/failed_checks``, ``reports/no_tables``, ``attachments``), which
:class:`crawler.extensions.CrawlRecorder` keeps in ``crawls``.

Nothing heavy runs in the crawl process: pages go in batches of ``STORE_BATCH_SIZE`` (sent at
the latest ``STORE_BATCH_DELAY`` seconds after a batch's first page) to ``PARSE_WORKERS`` worker
processes (0: one thread of the crawl process), which derive their records and store each batch
with one bulk write (:func:`crawler.pagework.store_pages`). An item leaves the pipeline once it
is stored.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future

from crawler import pagework
from crawler.items import PageItem
from crawler.offload import Batcher, WorkerPool
from crawler.store import Store

logger = logging.getLogger(__name__)


class AttachmentStored(DropItem):
    """Not an error: an attachment goes to the store, not to the feeds."""

    def __init__(self, url: str):
        super().__init__(f"attachment stored: {url}", log_level="DEBUG")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.pool = WorkerPool(settings.getint("PARSE_WORKERS"), preload=("crawler.pagework",))
        self.batcher = Batcher(self._submit, settings.getint("STORE_BATCH_SIZE"),
                               settings.getfloat("STORE_BATCH_DELAY"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self):
        store = Store.for_crawler(self.crawler)
        self.target = (store.uri, None if store.uri else str(store.data_dir),
                       str(store.journal.path))
        await maybe_deferred_to_future(self.pool.start(pagework.warm, self.target))

    def _submit(self, pages):
        return self.pool.run(pagework.store_pages, self.target, pages)

    async def process_item(self, item):
        if not isinstance(item, PageItem):
            return item
        self.stats.inc_value("pages")
        result = await maybe_deferred_to_future(self.batcher.add({
            "url": item.url, "final_url": item.final_url, "body": item.body,
            "status": item.status, "headers": item.headers, "site": item.site,
            "region": item.region, "kind": item.kind, "report_url": item.report_url,
            "years": item.years}))
        status, record = result["status"], result["record"]
        if item.kind == "attachment":
            self.stats.inc_value("attachments" if status != "refused" else "attachments/refused")
            raise AttachmentStored(item.url)
        if status == "outside_years":
            self.stats.inc_value("reports/outside_years")
            raise DropItem(f"{item.url}: statistics year {record['year']} outside {item.years}",
                           log_level="INFO")
        self.stats.inc_value(f"reports/{status}")
        if any(not c["ok"] for c in record["checks"]):
            self.stats.inc_value("reports/failed_checks")
        if record["template"] == "unknown":
            self.stats.inc_value("reports/no_tables")
        return record

    async def close_spider(self):
        await maybe_deferred_to_future(self.batcher.close())
        self.pool.close()
