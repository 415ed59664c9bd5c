"""``scrapy crawl``, with the spider's arguments checked before the engine starts: a bad
argument is a one-line usage error, not a traceback."""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
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
