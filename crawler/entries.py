"""Which entries of a listing page the spider fetches.

An entry is fetched when its title is a report's, or a cover letter's (关于报送《…》的函, whose
attachment is the report; :mod:`crawler.picking`), of the years asked for, and not already
stored by an earlier crawl (``refresh=1`` fetches stored ones again). An entry whose title names
no year but which an earlier crawl fetched and read as a report of another year is skipped too.

The entries listed as reports but not fetched because they are older than the years asked for,
or stored, are *stale*: a listing page whose every report is stale ends its column's paging
(listings run newest first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crawler import picking
from crawler.cms import Entry
from crawler.store import Store
from crawler.store.database import TRANSIENT

logger = logging.getLogger(__name__)


class EarlierCrawls:
    """What earlier crawls left in the store, read once, when first asked: the URLs of the
    stored reports, and the statistics year of pages dropped as outside their crawl's years."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stored: set[str] | None = None
        self.known_years: dict[str, int] | None = None

    def known_year(self, url: str) -> int | None:
        """The statistics year of a page an earlier crawl dropped as outside its years."""
        if self.known_years is None:
            self.known_years = Store.for_crawler(self.crawler).known_years()
        return self.known_years.get(url)

    def is_stored(self, url: str) -> bool:
        """Is the report stored? A store that cannot say (open breaker, outage) stores nothing
        known: every report is fetched, rather than none."""
        if self.stored is None:
            store = Store.for_crawler(self.crawler)
            try:
                self.stored = set() if store.breaker.reason else store.stored_urls()
            except TRANSIENT as exc:
                logger.error("cannot read the stored reports (%s): every report is fetched", exc)
                self.stored = set()
        return url in self.stored


@dataclass
class Picked:
    """The entries of a listing page to fetch, in page order, each with whether it is a cover
    letter; how many of the page's entries were reports, and how many of those were stale."""

    fetch: list[tuple[Entry, bool]] = field(default_factory=list)
    reports: int = 0
    stale: int = 0

    @property
    def all_stale(self) -> bool:
        """The page listed reports, every one too old or stored: its column pages no further."""
        return bool(self.reports) and self.stale == self.reports


def pick(entries: list[Entry], years: tuple[int, int] | None, refresh: bool,
         earlier: EarlierCrawls, stats) -> Picked:
    """The entries to fetch for a crawl of ``years`` (None: every year)."""
    picked = Picked()
    for entry in entries:
        cover = picking.is_cover_letter(entry.title)
        if not cover and not picking.is_report_title(entry.title):
            continue
        picked.reports += 1
        year = picking.title_year(entry.title)
        if years and year and not years[0] <= year <= years[1]:
            picked.stale += year < years[0]
            continue
        known = earlier.known_year(entry.url) if years and not refresh else None
        if known and not years[0] <= known <= years[1]:
            # Fetched by an earlier crawl, read as a report of another year, not stored.
            picked.stale += known < years[0]
            stats.inc_value("reports/skipped_known_year")
            continue
        if not refresh and earlier.is_stored(entry.url):
            picked.stale += 1
            stats.inc_value("reports/skipped_stored")
            continue
        picked.fetch.append((entry, cover))
    return picked
