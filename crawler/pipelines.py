"""The pipeline: a fetched page -> its record (:mod:`crawler.derive`) -> the store.

A report page arrives with the files it links (PDF, Word, Excel); they are stored as pages of
the report, and the record is derived from the page, or from the file that holds the report
when the page holds no tables. The record is stored with the raw page and passed on as the
item, so Scrapy's feed exports (``-O out.jsonl``, ``FEEDS``) receive records. A cover letter's
page is stored as a page of its report and goes no further. Records outside the years the
crawl asked for (by the parsed statistics year) are dropped, and their year remembered in the
store. Counts go to Scrapy's stats (``pages``, ``reports/new|changed|unchanged|journaled``,
``reports/failed_checks``, ``reports/no_tables``, ``reports/read_from_attachment``,
``attachments``, ``attachments/journaled``, ``pages/too_large``; ``pipeline/batches`` and
``pipeline/largest_batch``: batches sent to the workers and the most pages in one;
``pipeline/batches_broken``: batches a dying worker took down, done again;
``pages/worker_died``: pages that killed their worker every time), which
:class:`crawler.extensions.CrawlRecorder` keeps in ``crawls``. When the
spider closes, the cross-year checks of the organs whose reports were new or changed are
recomputed (:mod:`crawler.analysis.crossyear`), and of those whose reports were stored again
after their worker died (its write may have committed: they come back unchanged).

Nothing heavy runs in the crawl process: pages go to ``PARSE_WORKERS`` worker processes (0: one
thread of the crawl process), which derive their records and store each batch with one bulk
write (:func:`crawler.pagework.store_pages`). Batches follow the workers (:class:`Batcher`): a
page goes at once to a free worker, and pages that arrive while every worker is busy go together
when one is free, ``STORE_BATCH_SIZE`` at most. The workers start when the pipeline is built,
before the spider opens. An item leaves the pipeline once it is stored. A worker that dies
(killed, out of memory) takes no page with it: its batch is done again by new workers, page by
page, so that a page that kills its worker fails alone and says so.

Nothing is dropped silently: a body over the store's limit is a dropped item with the reason
(before it is shipped anywhere); while the database is down items go to the journal (the
workers' stores have their breaker); a journal that cannot take an item (full disk) stops the
crawl with a clear message, and the item, not stored, is fetched again by the next crawl.
"""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import defer

from crawler import pagework
from crawler.analysis import crossyear
from crawler.items import PageItem
from crawler.offload import Batcher, WorkerPool
from crawler.store import MAX_BODY, Store
from crawler.store.database import TRANSIENT, StoreError

logger = logging.getLogger(__name__)


class AttachmentStored(DropItem):
    """Not an error: an attachment goes to the store, not to the feeds."""

    def __init__(self, url: str):
        super().__init__(f"attachment stored: {url}", log_level="DEBUG")


#: Times a page alone is given to new workers after a worker died with it.
_WORKER_TRIES = 3
_WORKER_DIED = {"status": "worker_died", "record": None, "attachments": {}}


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        workers = settings.getint("PARSE_WORKERS")
        self.pool = WorkerPool(workers, preload=("crawler.pagework",))
        self.batcher = Batcher(self._submit, settings.getint("STORE_BATCH_SIZE"),
                               slots=max(workers, 1))
        self._alone = defer.DeferredLock()  # the pages of broken batches, one at a time
        self._stopping = False
        self.organs: set[str] = set()  # whose cross-year checks to recompute at the end

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # The worker processes start now, while Scrapy builds the rest of the crawl: importing
        # the parser takes them a good part of a second.
        pipeline.pool.start()
        crawler.signals.connect(pipeline.pool.close, signal=signals.engine_stopped)
        return pipeline

    def open_spider(self):
        """Open the crawl's store (a store that cannot be used says so here, in one line) and
        have each worker open it. They do so while the first pages are fetched: a batch sent
        meanwhile waits in the pool's queue."""
        store = self.store = Store.for_crawler(self.crawler)
        settings = self.crawler.settings
        self.target = (store.uri, None if store.uri else str(store.data_dir),
                       str(store.journal.path),
                       settings.getfloat("STORE_BREAKER_COOLDOWN", 2.0),
                       settings.getfloat("STORE_BREAKER_MAX", 60.0))
        self.pool.call_each(pagework.warm, self.target).addErrback(self._warm_failed)

    @staticmethod
    def _warm_failed(failure):
        # Opening the store in the workers only saves the first batch the time: a worker that
        # fails here fails again on its first batch, which says what went wrong with the page.
        failure = failure.value.subFailure if failure.check(defer.FirstError) else failure
        if failure.check(BrokenProcessPool):
            logger.warning("a pipeline worker died while starting; new workers take the pages")
        else:
            logger.error("pipeline workers could not open the store: %s",
                         failure.getErrorMessage())

    def _submit(self, pages):
        return deferred_from_coro(self._store(pages))

    async def _store(self, pages: list[dict]) -> list[dict]:
        try:
            return await maybe_deferred_to_future(
                self.pool.run(pagework.store_pages, self.target, pages))
        except BrokenProcessPool:
            # A worker died: every batch out at the time fails with it, the innocent ones too.
            self.stats.inc_value("pipeline/batches_broken")
        # The batch is done again by new workers (storing a page again is harmless), a page at
        # a time, so that a page that kills its worker fails alone.
        logger.error("a pipeline worker died with a batch of %d pages; storing them again one "
                     "by one", len(pages))
        results = [await self._store_alone(page) for page in pages]
        for result in results:
            # The dead worker may have committed the batch before it died: its pages then come
            # back "unchanged" although this crawl stored them new or changed, and their organs'
            # cross-year checks would not be recomputed. Every report stored again counts.
            if result["status"] == "unchanged" and result["record"]:
                self.organs.add(result["record"]["organ"])
        return results

    async def _store_alone(self, page: dict) -> dict:
        """One page of a broken batch, given to new workers up to :data:`_WORKER_TRIES` times.
        Such pages go one at a time (a lock): were two out together, the one that kills its
        worker would break the other's try too, and an innocent page would be given up with it."""
        await maybe_deferred_to_future(self._alone.acquire())
        try:
            for _ in range(_WORKER_TRIES):
                try:
                    (result,) = await maybe_deferred_to_future(
                        self.pool.run(pagework.store_pages, self.target, [page]))
                    return result
                except BrokenProcessPool:
                    self.stats.inc_value("pipeline/batches_broken")
        finally:
            self._alone.release()
        logger.error("pipeline workers died %d times on %s: not stored", _WORKER_TRIES + 1,
                     page["url"])
        return _WORKER_DIED

    def process_item(self, item):
        """Checks that need no work at once (a body over the store's limit is dropped before it
        is shipped to a worker); the rest in :meth:`_process`, a coroutine."""
        if not isinstance(item, PageItem):
            return item
        self.stats.inc_value("pages")
        if len(item.body) > MAX_BODY:
            self.stats.inc_value("pages/too_large")
            logger.error("refused %s: body of %d bytes exceeds %d", item.url, len(item.body),
                         MAX_BODY)
            raise DropItem(f"not stored: {item.url}: body of {len(item.body)} bytes exceeds "
                           f"{MAX_BODY}", log_level="WARNING")
        return self._process(item)  # a coroutine: Scrapy awaits it

    async def _process(self, item: PageItem):
        result = await maybe_deferred_to_future(self.batcher.add({
            "url": item.url, "final_url": item.final_url, "body": item.body,
            "status": item.status, "headers": item.headers, "site": item.site,
            "region": item.region, "kind": item.kind, "report_url": item.report_url,
            "years": item.years,
            "attachments": [{"url": f.url, "final_url": f.final_url, "body": f.body,
                             "status": f.status, "headers": f.headers}
                            for f in item.attachments]}))
        status, record = result["status"], result["record"]
        if status == "worker_died":
            self.stats.inc_value("pages/worker_died")
            raise DropItem(f"not stored, fetched again by the next crawl: {item.url}: the "
                           f"pipeline worker died on it", log_level="ERROR")
        for name, n in result["attachments"].items():
            if name == "too_large":
                self.stats.inc_value("pages/too_large", n)
                continue
            self.stats.inc_value("attachments", n)
            if name != "stored":
                self.stats.inc_value(f"attachments/{name}", n)
        if "journal_full" in result["attachments"]:
            self._stop_crawl()
        if status == "journal_full":
            self.stats.inc_value("pages/journal_full")
            self._stop_crawl()
            raise DropItem(f"not stored (journal full), fetched again by the next crawl: "
                           f"{item.url}", log_level="ERROR")
        if item.kind == "attachment":
            raise AttachmentStored(item.url)
        if status == "outside_years":
            self.stats.inc_value("reports/outside_years")
            raise DropItem(f"{item.url}: statistics year {record['year']} outside {item.years}",
                           log_level="INFO")
        if status == "too_large":  # a body the worker measured over the limit (cannot happen
            self.stats.inc_value("pages/too_large")  # after process_item's check; kept safe)
            raise DropItem(f"not stored: {item.url}: body exceeds {MAX_BODY}",
                           log_level="WARNING")
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

    def _stop_crawl(self):
        if not self._stopping:
            self._stopping = True
            logger.critical("stopping the crawl: the database cannot be reached and the "
                            "journal cannot take more items (full disk or size limit). Free "
                            "disk space, then run `scrapy replay-journal` and crawl again.")
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="journal_full"))

    async def close_spider(self):
        await maybe_deferred_to_future(self.batcher.close())
        self.pool.close()
        self.stats.set_value("pipeline/batches", self.batcher.batches)
        self.stats.set_value("pipeline/largest_batch", self.batcher.largest)
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
