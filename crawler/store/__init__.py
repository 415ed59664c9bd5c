"""The store: raw pages and their records, in MongoDB or the embedded on-disk store.

- :mod:`crawler.store.database`: :class:`Store`, the only code that touches the database.
- :mod:`crawler.store.writes`: its write path (batched writes, retries, the journal and replay).
- :mod:`crawler.store.journal`: items kept on disk while the database is unreachable.
- :mod:`crawler.store.breaker`: the circuit breaker that sends writes to the journal in an outage.
- :mod:`crawler.store.embedded`: the embedded engine (pymongo's API on SQLite, queried in SQL).
- :mod:`crawler.store.check`: the integrity check and salvage of ``scrapy store-check``.
- :mod:`crawler.store.flatten`: records as tabular rows (one column per table cell).
- :mod:`crawler.store.exporters`: the writers of ``scrapy export``.
- :mod:`crawler.store.feeds`: Scrapy feed exporters for ``scrapy crawl -O``.
- :mod:`crawler.store.command`: the base of the commands that work on the store.
"""

from crawler.store.database import (
    KEPT_HEADERS,
    MAX_BODY,
    BodyTooLarge,
    DamagedCollection,
    Store,
    StoreError,
    StoreUnreachable,
    utcnow,
)
from crawler.store.journal import Journal, JournalFull

__all__ = ["KEPT_HEADERS", "MAX_BODY", "BodyTooLarge", "DamagedCollection", "Journal",
           "JournalFull", "Store", "StoreError", "StoreUnreachable", "utcnow"]
