"""One store per crawler process, shared by the spider (what is stored already) and the
pipeline (what to store)."""

from __future__ import annotations

from crawler.store import Store


def store_for(crawler) -> Store:
    store = getattr(crawler, "_govreports_store", None)
    if store is None:
        store = crawler._govreports_store = Store.from_settings(crawler.settings)
    return store
