"""The pipeline: parse (the shared parser) -> checks -> store raw page and record.

Counts go to the crawl's document in ``crawls`` when the spider closes: pages, reports
new/changed/unchanged/journaled, attachments, records with failing checks, reports outside the
years asked for, challenges and download errors by kind (from Scrapy's stats).
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.items import PageItem
from crawler.storage import store_for
from parsers import parse_page
from parsers.templates import PROVINCES

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.crawl_id = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        spider = self.crawler.spider
        self.store = store_for(self.crawler)
        self.crawl_id = self.store.start_crawl(spider.name, getattr(spider, "arguments", {}))

    def process_item(self, item):
        if not isinstance(item, PageItem):
            return item
        headers = item.headers
        content_type = headers.get("content-type")
        self.stats.inc_value("pages")
        if item.kind == "attachment":
            self.store.save_page(item.url, item.body, final_url=item.final_url, status=item.status,
                                 headers=headers, report_url=item.report_url)
            self.stats.inc_value("attachments")
            return item
        record = parse_page(item.body, url=item.final_url, content_type=content_type)
        if item.years and record["year"] and not item.years[0] <= record["year"] <= item.years[1]:
            self.stats.inc_value("reports/outside_years")
            raise DropItem(f"{item.url}: statistics year {record['year']} outside {item.years}")
        region = record["region"]
        if not region.get("code") and item.region:
            region["code"] = item.region
            region["province"] = region.get("province") or PROVINCES.get(item.region[:2])
        status = self.store.save(item.final_url, item.body, record, site=item.site,
                                 final_url=item.final_url, status=item.status, headers=headers,
                                 encoding=record["source"]["encoding"])
        self.stats.inc_value(f"reports/{status}")
        if any(not c["ok"] for c in record["checks"]):
            self.stats.inc_value("reports/failed_checks")
        if record["template"] == "unknown":
            self.stats.inc_value("reports/no_tables")
        return item

    def spider_closed(self, spider, reason):
        if self.crawl_id is None:
            return
        counts = {k.replace(".", "_"): v for k, v in self.stats.get_stats().items()
                  if isinstance(v, int | float) and (
                      k.startswith(("pages", "attachments", "reports/", "challenge", "offsite", "errors/",
                                    "retry/", "downloader/exception_type_count",
                                    "downloader/response_status_count", "scheme_fallback")))}
        self.store.finish_crawl(self.crawl_id, counts, reason)
        self.store.close()
