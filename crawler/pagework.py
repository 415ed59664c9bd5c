"""What the crawl does with fetched pages, in a worker process: derive records, store, in batches.

:func:`store_pages` is the pipeline's work without Scrapy: it takes plain dicts (picklable) and
returns plain dicts, so that the crawl process only ships bytes out and records back. Each
worker process opens the store once (:func:`worker_store`) and keeps it; every batch is one
:meth:`crawler.store.Store.save_many` (one read and one bulk write per collection), and the
store's retry back-off sleeps here, never on the crawl's reactor.
"""

from __future__ import annotations

import atexit

from crawler.derive import Origin, derive_record
from crawler.store import Store

#: (MONGO_URI, DATA_DIR, JOURNAL_PATH): which store a worker writes to.
Target = tuple[str | None, str | None, str | None]

_stores: dict[Target, Store] = {}


def worker_store(target: Target) -> Store:
    """The store ``target`` names, opened once per process."""
    store = _stores.get(target)
    if store is None:
        uri, data_dir, journal = target
        store = _stores[target] = Store(uri, data_dir, journal=journal)
        atexit.register(store.close)
    return store


def store_pages(target: Target, pages: list[dict]) -> list[dict]:
    """Derive and store a batch of fetched pages; one result per page, in order.

    A page is a dict: ``url`` (requested), ``final_url``, ``body``, ``status``, ``headers``,
    ``site``, ``region``, ``kind`` ("report" or "attachment"), ``report_url``, ``years``
    ((first, last) or None). A result is ``{"status": ..., "record": ...}``: status
    new/changed/unchanged/journaled/refused for reports, "page" (or "refused") for attachments,
    "outside_years" for a report of a year the crawl did not ask for (not stored; its year is
    remembered so that the next crawl for those years skips it).
    """
    store = worker_store(target)
    results: list[dict] = []
    entries, where = [], []
    for page in pages:
        record = None
        if page["kind"] != "attachment":
            record = derive_record(page["body"], page["final_url"],
                                   page["headers"].get("content-type"),
                                   Origin(page.get("site"), page.get("region")))
            years = page.get("years")
            if years and record["year"] and not years[0] <= record["year"] <= years[1]:
                store.remember_year(page["url"], record["year"], final_url=page["final_url"])
                results.append({"status": "outside_years", "record": record})
                continue
        entries.append(dict(url=page["url"], body=page["body"], record=record,
                            final_url=page["final_url"], status=page["status"],
                            headers=page["headers"], report_url=page.get("report_url"),
                            encoding=record["source"]["encoding"] if record else None))
        results.append({"status": None, "record": record})
        where.append(len(results) - 1)
    if entries:
        for i, status in zip(where, store.save_many(entries), strict=True):
            results[i]["status"] = status
    return results


def warm(target: Target) -> None:
    """Run once in each worker at start: the parser is imported (by the fork server), the store
    opened."""
    worker_store(target)
