"""One store per crawler process, shared by the spider (what is stored already) and the
pipeline (what to store)."""

from __future__ import annotations

import os

from crawler.store import Store


def store_for(crawler) -> Store:
    store = getattr(crawler, "_govreports_store", None)
    if store is None:
        settings = crawler.settings
        uri = os.environ.get("MONGO_URI") or settings.get("MONGO_URI")
        data_dir = os.environ.get("DATA_DIR") or settings.get("DATA_DIR")
        store = Store(uri, data_dir)
        crawler._govreports_store = store
    return store
