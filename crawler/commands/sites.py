"""``scrapy sites [--region CODE] [--check]``: list or validate the site registry."""

from __future__ import annotations

import sys

from crawler import sites as registry
from crawler.cli import ProjectCommand


class Command(ProjectCommand):

    def short_desc(self):
        return "List the site registry, or validate it with --check"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--region", help="region code prefix (54 = Tibet)")
        parser.add_argument("--check", action="store_true", help="validate the registry")

    def handle(self, args, opts):
        path = self.settings.get("SITES_REGISTRY")
        # With --check, entries that cannot be read are problems to list, not a stop.
        unreadable: list[str] | None = [] if opts.check else None
        try:
            sites = registry.load(path, self.settings.get("SITES_BASE_URL"), unreadable)
        except registry.RegistryError as exc:
            print(exc, file=sys.stderr)
            self.exitcode = 2
            return
        if opts.check:
            problems = unreadable + registry.check(sites)
            for p in problems:
                print(p)
            print(f"{len(sites) + len(unreadable)} sites, {len(problems)} problems")
            self.exitcode = 1 if problems else 0
            return
        chosen = registry.select(sites, region=opts.region)
        for s in chosen:
            hint = " (hint)" if s.columns and s.columns_are_hints else ""
            print(f"{s.id:28} {s.region or '------'} {s.level:10} {s.cms or '-':7} {s.name}  "
                  f"{s.columns[0] if s.columns else s.home}{hint}")
        print(f"{len(chosen)} sites", file=sys.stderr)
