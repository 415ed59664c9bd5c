"""``scrapy sites [--region CODE] [--check]``: list or validate the site registry."""

from __future__ import annotations

import sys
from collections import Counter

from crawler import sites as registry
from crawler.analysis import textable
from crawler.cli import ProjectCommand
from parsers.templates import PROVINCES


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
        print(textable.render(
            ["id", "region", "level", "cms", "name", "column (or home)"],
            [[s.id, s.region or "------", s.level, s.cms or "-", s.name,
              (s.columns[0] if s.columns else s.home)
              + (" (hint)" if s.columns and s.columns_are_hints else "")] for s in chosen],
            indent=""))
        provinces = Counter(PROVINCES.get((s.region or "")[:2], "(unknown)") for s in chosen)
        print(f"{len(chosen)} sites in {len(provinces)} province(s): "
              + ", ".join(f"{p} {n}" for p, n in sorted(provinces.items())), file=sys.stderr)
