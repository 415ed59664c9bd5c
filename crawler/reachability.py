"""Did each site's start URLs answer? The crawl's closing summary, a line per site.

A site's start requests (``meta[START]``) are watched: the failures of those that failed, by
kind (:func:`failure_kind`), and whether any one of them was answered. At the close, a site none
of whose start requests was answered is *unreachable*; when every site is, the crawl is marked
(``sites/all_unreachable``) so that ``scrapy crawl`` exits nonzero (``crawler.commands.crawl``).
"""

from __future__ import annotations

import logging

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from crawler import meta as M

logger = logging.getLogger(__name__)


def failure_kind(failure) -> str:
    """A short name for why a request failed, for the crawl's summary."""
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "DNS"
    if failure.check(DownloadConnectionRefusedError, TxConnectionRefused, ConnectionRefusedError):
        return "connection refused"
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(IgnoreRequest):
        return str(failure.value) or "refused"
    return failure.type.__name__


class StartOutcomes:
    """Per site: why its failed start requests failed, and whether one of them was answered."""

    def __init__(self):
        self.sites: dict[str, dict] = {}

    def expect(self, site_id: str) -> None:
        """A site's start requests are about to be sent (again: its record starts afresh)."""
        self.sites[site_id] = {"failed": [], "reached": False}

    def failed(self, failure) -> None:
        meta = failure.request.meta
        if meta.get(M.START) and meta.get(M.SITE) in self.sites:
            self.sites[meta[M.SITE]]["failed"].append(failure_kind(failure))

    def reached(self, response) -> None:
        if response.meta.get(M.START) and response.meta.get(M.SITE) in self.sites:
            self.sites[response.meta[M.SITE]]["reached"] = True

    def summarise(self, stats) -> list[str]:
        """One line per site (``<site>: <n> reports[, start URL unreachable: <kinds>]``). When a
        site was unreachable every line is logged, and the counts are set in the stats."""
        lines = []
        unreachable = 0
        for site_id, start in self.sites.items():
            found = stats.get_value(f"reports/found/{site_id}", 0)
            line = f"{site_id}: {found} reports"
            if not start["reached"] and start["failed"]:
                unreachable += 1
                kinds = sorted(set(start["failed"]))
                line += f", start URL unreachable: {', '.join(kinds)}"
            lines.append(line)
        if unreachable:
            stats.set_value("sites/unreachable", unreachable)
            for line in lines:
                logger.error(line) if "unreachable" in line else logger.info(line)
        if self.sites and unreachable == len(self.sites):
            stats.set_value("sites/all_unreachable", 1)
        return lines
