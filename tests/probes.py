"""A Scrapy extension for the tests, loaded into crawl processes (``tests/`` on PYTHONPATH): it
records when each request holding a site's politeness token entered and left the downloader,
and when the token was granted, so that a test checks politeness on what the crawler controls
rather than on when requests happened to arrive at the demo portal. A helper module, not a
test module.

Settings: ``PROBE_DIR``, where the process writes ``<pid>.json`` when the spider closes: a list
of ``{"site", "granted_ms", "reached", "left"}`` (``granted_ms`` on Redis's clock,
``reached``/``left`` on the machine's monotonic clock, which every process on it shares).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import meta as M


class RequestTimes:
    def __init__(self, out: Path):
        self.out = out
        self.open: dict[int, dict] = {}
        self.done: list[dict] = []

    @classmethod
    def from_crawler(cls, crawler):
        where = crawler.settings.get("PROBE_DIR")
        if not where:
            raise NotConfigured("PROBE_DIR not set")
        probe = cls(Path(where) / f"{os.getpid()}.json")
        crawler.signals.connect(probe.reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(probe.left, signal=signals.request_left_downloader)
        crawler.signals.connect(probe.write, signal=signals.spider_closed)
        return probe

    def reached(self, request, spider):
        if M.SITE_TOKEN in request.meta:  # its token is held from here until it has left
            self.open[id(request)] = {"site": request.meta[M.SITE],
                                      "granted_ms": request.meta[M.SITE_TOKEN_AT],
                                      "reached": time.monotonic(), "left": None}

    def left(self, request, spider):
        entry = self.open.pop(id(request), None)
        if entry is not None:
            entry["left"] = time.monotonic()
            self.done.append(entry)

    def write(self, spider):
        self.out.write_text(json.dumps(self.done + list(self.open.values())))
