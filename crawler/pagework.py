"""What the crawl does with fetched pages, in a worker process: derive records, store, in batches.

:func:`store_pages` is the pipeline's work without Scrapy: it takes plain dicts (picklable) and
returns plain dicts, so that the crawl process only ships bytes out and records back. Each
worker process opens the store once (:func:`worker_store`) and keeps it; every batch is one
:meth:`crawler.store.Store.save_many` (one read and one bulk write per collection).

A worker's store is a crawl's store: it never sleeps on a failed write (no retries) and starts
while the database is down; its breaker sends the items to the journal in an outage, as the
crawl process's store does.
"""

from __future__ import annotations

import atexit
import logging
from collections import Counter

from crawler.derive import Attachment, Origin, derive_record
from crawler.store import Store
from crawler.store.breaker import Breaker
from crawler.store.database import TRANSIENT

logger = logging.getLogger(__name__)

#: (MONGO_URI, DATA_DIR, JOURNAL_PATH, breaker cooldown, breaker max cooldown): which store a
#: worker writes to, and how its breaker waits.
Target = tuple[str | None, str | None, str | None, float, float]

_stores: dict[Target, Store] = {}


def worker_store(target: Target) -> Store:
    """The store ``target`` names, opened once per process."""
    store = _stores.get(target)
    if store is None:
        uri, data_dir, journal, cooldown, max_cooldown = target
        store = _stores[target] = Store(uri, data_dir, journal=journal, retries=0,
                                        require_database=False,
                                        breaker=Breaker(cooldown, max_cooldown))
        atexit.register(store.close)
    return store


def _file_entry(file: dict, report_url: str | None) -> dict:
    return dict(url=file["url"], body=file["body"], record=None, final_url=file["final_url"],
                status=file["status"], headers=file["headers"], report_url=report_url)


def store_pages(target: Target, pages: list[dict]) -> list[dict]:
    """Derive and store a batch of fetched pages; one result per page, in order.

    A page is a dict: ``url`` (requested), ``final_url``, ``body``, ``status``, ``headers``,
    ``site``, ``region``, ``kind`` ("report" or "attachment"), ``report_url``, ``years``
    ((first, last) or None) and ``attachments`` (the files a report page links, each a dict
    with url, final_url, body, status and headers). A result is ``{"status": ...,
    "record": ..., "attachments": {status: count}}``: the status is one of
    :meth:`Store.save_many`'s (new/changed/unchanged/journaled/quarantined/too_large/
    journal_full; "stored" for an attachment page), or "outside_years" for a report of a year
    the crawl did not ask for (not stored; its year is remembered so that the next crawl for
    those years skips it). ``attachments`` counts the statuses of the attachment pages stored
    with the page (the page itself when it is one).
    """
    store = worker_store(target)
    results: list[dict] = []
    entries: list[dict] = []
    owners: list[tuple[int, bool]] = []  # per entry: (result index, is an attachment page)
    for page in pages:
        results.append({"status": None, "record": None, "attachments": Counter()})
        at = len(results) - 1
        if page["kind"] == "attachment":  # a page of a report, not itself one (a cover letter)
            entries.append(_file_entry(page, page.get("report_url")))
            owners.append((at, True))
            continue
        files = page.get("attachments") or []
        for file in files:
            entries.append(_file_entry(file, page["final_url"]))
            owners.append((at, True))
        record = derive_record(page["body"], page["final_url"],
                               page["headers"].get("content-type"),
                               Origin(page.get("site"), page.get("region")),
                               [Attachment(f["final_url"], f["body"],
                                           f["headers"].get("content-type")) for f in files])
        results[at]["record"] = record
        years = page.get("years")
        if years and record["year"] and not years[0] <= record["year"] <= years[1]:
            try:
                store.remember_year(page["url"], record["year"], final_url=page["final_url"])
            except TRANSIENT as exc:  # only a saving of work: the page is fetched again
                logger.warning("could not remember the year of %s: %s", page["url"], exc)
            results[at]["status"] = "outside_years"
            continue
        entries.append(dict(url=page["url"], body=page["body"], record=record,
                            final_url=page["final_url"], status=page["status"],
                            headers=page["headers"], encoding=record["source"]["encoding"]))
        owners.append((at, False))
    if entries:
        for (at, attachment), status in zip(owners, store.save_many(entries), strict=True):
            if attachment:
                results[at]["attachments"][status] += 1
                if pages[at]["kind"] == "attachment":
                    results[at]["status"] = status
            else:
                results[at]["status"] = status
    for result in results:
        result["attachments"] = dict(result["attachments"])
    return results


def warm(target: Target) -> None:
    """Run once in each worker at start: the parser is imported (by the fork server), the store
    opened."""
    worker_store(target)
