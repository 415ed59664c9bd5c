"""``scrapy crawl``, with the spider's arguments checked before the engine starts (a bad
argument is a one-line usage error, not a traceback), a summary line per site on stderr at the
end, and a nonzero exit status when every site's start URLs failed (nothing was reachable)."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def _create_crawler(self, spname):
        self._crawler = super()._create_crawler(spname)
        return self._crawler

    def run(self, args, opts):
        if len(args) == 1:
            try:
                spider_cls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spider_cls = None
            validate = getattr(spider_cls, "validate_arguments", None)
            if validate is not None:
                try:
                    validate(self.settings, **opts.spargs)
                except ValueError as exc:
                    raise UsageError(str(exc), print_help=False) from exc
        super().run(args, opts)
        crawler = getattr(self, "_crawler", None)
        spider = getattr(crawler, "spider", None)
        for line in getattr(spider, "summary", ()):
            print(line, file=sys.stderr)
        if crawler is not None and crawler.stats.get_value("sites/all_unreachable"):
            self.exitcode = 1
