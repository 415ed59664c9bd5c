"""``scrapy sites [--region CODE] [--check]``: list or validate the site registry."""

from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand

from crawler import sites as registry


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def short_desc(self):
        return "List the site registry, or validate it with --check"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--region", help="region code prefix (54 = Tibet)")
        parser.add_argument("--check", action="store_true", help="validate the registry")

    def run(self, args, opts):
        path = self.settings.get("SITES_REGISTRY")
        try:
            sites = registry.load(path, self.settings.get("SITES_BASE_URL"))
        except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
            print(f"{path or registry.DEFAULT_REGISTRY}: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        if opts.check:
            problems = registry.check(sites)
            for p in problems:
                print(p)
            print(f"{len(sites)} sites, {len(problems)} problems")
            self.exitcode = 1 if problems else 0
            return
        chosen = registry.select(sites, region=opts.region)
        for s in chosen:
            hint = " (hint)" if s.columns and s.columns_are_hints else ""
            print(f"{s.id:28} {s.region or '------'} {s.level:10} {s.cms or '-':7} {s.name}  "
                  f"{s.columns[0] if s.columns else s.home}{hint}")
        print(f"{len(chosen)} sites", file=sys.stderr)
