"""The pipeline: a fetched page -> its record (:mod:`crawler.derive`) -> the store.

A report page becomes its record, which is stored with the raw page and passed on as the item,
so Scrapy's feed exports (``-O out.jsonl``, ``FEEDS``) receive records. Attachments are stored
as pages of their report and go no further. Records outside the years the crawl asked for (by
the parsed statistics year) are dropped, and their year remembered in the store. Counts go to Scrapy's stats (``pages``,
``reports/new|changed|unchanged|journaled``, ``reports/failed_checks``, ``reports/no_tables``,
``attachments``, ``attachments/journaled``, ``pages/too_large``), which
:class:`crawler.extensions.CrawlRecorder` keeps in ``crawls``.

Nothing is dropped silently: a body over the store's limit is a dropped item with the reason;
while the database is down items go to the journal (the store's breaker); a journal that cannot
take an item (full disk) stops the crawl with a clear message, and the item, not stored, is
fetched again by the next crawl.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler.derive import Origin, derive_record
from crawler.items import PageItem
from crawler.store import BodyTooLarge, JournalFull, Store

logger = logging.getLogger(__name__)


class AttachmentStored(DropItem):
    """Not an error: an attachment goes to the store, not to the feeds."""

    def __init__(self, url: str):
        super().__init__(f"attachment stored: {url}", log_level="DEBUG")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.store = Store.for_crawler(self.crawler)

    def process_item(self, item):
        if not isinstance(item, PageItem):
            return item
        try:
            return self._store(item)
        except BodyTooLarge as exc:
            self.stats.inc_value("pages/too_large")
            raise DropItem(f"not stored: {exc}", log_level="WARNING") from exc
        except JournalFull as exc:
            self.stats.inc_value("pages/journal_full")
            if not getattr(self, "_stopping", False):
                self._stopping = True
                logger.critical("stopping the crawl: the database cannot be reached and the "
                                "journal cannot take more items (%s). Free disk space, then run "
                                "`scrapy replay-journal` and crawl again.", exc)
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="journal_full"))
            raise DropItem(f"not stored (journal full), fetched again by the next crawl: "
                           f"{item.url}", log_level="ERROR") from exc

    def _store(self, item: PageItem):
        headers = item.headers
        self.stats.inc_value("pages")
        if item.kind == "attachment":
            status = self.store.save_attachment(item.url, item.body, final_url=item.final_url,
                                                status=item.status, headers=headers,
                                                report_url=item.report_url)
            self.stats.inc_value("attachments")
            if status != "stored":
                self.stats.inc_value(f"attachments/{status}")
            raise AttachmentStored(item.url)
        record = derive_record(item.body, item.final_url, headers.get("content-type"),
                               Origin(item.site, item.region))
        if item.years and record["year"] and not item.years[0] <= record["year"] <= item.years[1]:
            self.stats.inc_value("reports/outside_years")
            # Remembered, so that the next crawl for these years does not fetch it again.
            self.store.remember_year(item.url, record["year"], final_url=item.final_url)
            raise DropItem(f"{item.url}: statistics year {record['year']} outside {item.years}",
                           log_level="INFO")
        status = self.store.save(item.url, item.body, record, final_url=item.final_url,
                                 status=item.status, headers=headers,
                                 encoding=record["source"]["encoding"])
        self.stats.inc_value(f"reports/{status}")
        if any(not c["ok"] for c in record["checks"]):
            self.stats.inc_value("reports/failed_checks")
        if record["template"] == "unknown":
            self.stats.inc_value("reports/no_tables")
        return record
