"""The pipeline: a fetched page -> its record (:mod:`crawler.derive`) -> the store.

A report page becomes its record, which is stored with the raw page and passed on as the item,
so Scrapy's feed exports (``-O out.jsonl``, ``FEEDS``) receive records. Attachments are stored
as pages of their report and go no further. Records outside the years the crawl asked for (by
the parsed statistics year) are dropped, and their year remembered in the store. Counts go to Scrapy's stats (``pages``,
``reports/new|changed|unchanged|journaled``, ``reports/failed_checks``, ``reports/no_tables``,
``attachments``), which :class:`crawler.extensions.CrawlRecorder` keeps in ``crawls``.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawler.derive import Origin, derive_record
from crawler.items import PageItem
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

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.store = Store.for_crawler(self.crawler)

    def process_item(self, item):
        if not isinstance(item, PageItem):
            return item
        headers = item.headers
        self.stats.inc_value("pages")
        if item.kind == "attachment":
            self.store.save_page(item.url, item.body, final_url=item.final_url, status=item.status,
                                 headers=headers, report_url=item.report_url)
            self.stats.inc_value("attachments")
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
