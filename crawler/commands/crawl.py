"""``scrapy crawl``, with its configuration checked before the engine starts: a bad spider
argument, an unknown option, a store that cannot take the items (``DATA_DIR`` a file or
read-only, ``JOURNAL_PATH`` a directory, a malformed ``MONGO_URI``, a damaged ``pages`` or
``reports``) or a malformed or unreachable ``REDIS_URL`` is one line and a nonzero exit, not a
traceback. A MongoDB that does not answer does not stop a crawl: it journals (see the store).
At the end, a summary line per site on stderr, and a nonzero exit status when every site's
start URLs failed (nothing was reachable)."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler import distributed
from crawler.cli import refuse_unknown_options
from crawler.store import Store, StoreError


class Command(ScrapyCrawl):
    def _create_crawler(self, spname):
        self._crawler = super()._create_crawler(spname)
        return self._crawler

    def run(self, args, opts):
        refuse_unknown_options(args)
        if len(args) == 1:
            try:
                spider_cls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spider_cls = None
            validate = getattr(spider_cls, "validate_arguments", None)
            try:
                if validate is not None:
                    validate(self.settings, **opts.spargs)
                Store.preflight(self.settings)
                if distributed.redis_url(self.settings):
                    distributed.check(distributed.redis_url(self.settings))
            except (ValueError, StoreError) as exc:
                raise UsageError(str(exc), print_help=False) from exc
        super().run(args, opts)
        crawler = getattr(self, "_crawler", None)
        spider = getattr(crawler, "spider", None)
        for line in getattr(spider, "summary", ()):
            print(line, file=sys.stderr)
        if crawler is not None and crawler.stats.get_value("sites/all_unreachable"):
            self.exitcode = 1
