"""The pipeline: a fetched page -> its record (:mod:`crawler.derive`) -> the store.

A report page arrives with the files it links (PDF, Word, Excel); they are stored as pages of
the report, and the record is derived from the page, or from the file that holds the report
when the page holds no tables. The record is stored with the raw page and passed on as the
item, so Scrapy's feed exports (``-O out.jsonl``, ``FEEDS``) receive records. A cover letter's
page is stored as a page of its report and goes no further. Records outside the years the
crawl asked for (by the parsed statistics year) are dropped, and their year remembered in the
store. Counts go to Scrapy's stats (``pages``, ``reports/new|changed|unchanged|journaled``,
``reports/failed_checks``, ``reports/no_tables``, ``reports/read_from_attachment``,
``attachments``, ``attachments/journaled``, ``pages/too_large``), which
:class:`crawler.extensions.CrawlRecorder` keeps in ``crawls``. When the
spider closes, the cross-year checks of the organs whose reports were new or changed are
recomputed (:mod:`crawler.analysis.crossyear`).

Nothing is dropped silently: a body over the store's limit is a dropped item with the reason;
while the database is down items go to the journal (the store's breaker); a journal that cannot
take an item (full disk) stops the crawl with a clear message, and the item, not stored, is
fetched again by the next crawl.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler.analysis import crossyear
from crawler.derive import Attachment, Origin, derive_record
from crawler.items import PageItem
from crawler.store import BodyTooLarge, JournalFull, Store
from crawler.store.database import TRANSIENT, StoreError

logger = logging.getLogger(__name__)


class AttachmentStored(DropItem):
    """Not an error: an attachment goes to the store, not to the feeds."""

    def __init__(self, url: str):
        super().__init__(f"attachment stored: {url}", log_level="DEBUG")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.organs: set[str] = set()  # whose cross-year checks to recompute at the end

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
        if item.kind == "attachment":  # a page of a report, not itself one (a cover letter)
            self._save_attachment(item, report_url=item.report_url)
            raise AttachmentStored(item.url)
        for file in item.attachments:
            try:
                self._save_attachment(file, report_url=item.final_url)
            except BodyTooLarge as exc:  # the report page is still stored
                self.stats.inc_value("pages/too_large")
                logger.warning("attachment not stored: %s", exc)
        record = derive_record(item.body, item.final_url, headers.get("content-type"),
                               Origin(item.site, item.region),
                               [Attachment(f.final_url, f.body, f.headers.get("content-type"))
                                for f in item.attachments])
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
        if status in ("new", "changed"):
            self.organs.add(record["organ"])
        if any(not c["ok"] for c in record["checks"]):
            self.stats.inc_value("reports/failed_checks")
        if record["template"] == "unknown":
            self.stats.inc_value("reports/no_tables")
        if record["attachment_url"]:
            self.stats.inc_value("reports/read_from_attachment")
        return record

    def _save_attachment(self, file, report_url: str | None) -> None:
        status = self.store.save_attachment(file.url, file.body, final_url=file.final_url,
                                            status=file.status, headers=file.headers,
                                            report_url=report_url)
        self.stats.inc_value("attachments")
        if status != "stored":
            self.stats.inc_value(f"attachments/{status}")

    def close_spider(self):
        # Before the crawl recorder closes the store (spider_closed comes after the pipelines).
        if not self.organs:
            return
        try:
            crossyear.refresh(self.store, self.organs)
        except (StoreError, *TRANSIENT) as exc:
            # The records are stored (or journaled); their cross-year checks are recomputed
            # by the next crawl, import or re-parse that touches these organs.
            logger.warning("cross-year checks not recomputed (%s): %d organ(s) wait for the next "
                           "run", exc, len(self.organs))
