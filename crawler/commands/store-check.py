"""``scrapy store-check [--salvage]``: check the embedded store's files; rebuild damaged ones.

Without ``--salvage`` it only reads: each collection is ``ok`` or ``DAMAGED`` with SQLite's
reason (exit 1 when one is). With ``--salvage`` each damaged collection is rebuilt from what
still reads and the damaged file is kept under ``DATA_DIR/damaged/`` (see README, Damaged
stores). Stop crawls and other writers first.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.store import check
from crawler.store.command import StoreCommand


class Command(StoreCommand):
    def syntax(self):
        return "[--salvage]"

    def short_desc(self):
        return "Check the embedded store for damaged files; --salvage rebuilds them"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--salvage", action="store_true",
                            help="rebuild damaged collections from what still reads")

    def handle(self, args, opts):
        if self.settings.get("MONGO_URI"):
            raise UsageError("store-check checks the embedded store; a MongoDB checks itself: "
                             "db.<collection>.validate() in mongosh", print_help=False)
        data_dir = Path(opts.data_dir or self.settings.get("DATA_DIR") or "data").resolve()
        findings = check.check(data_dir)
        if not findings:
            print(f"no store at {data_dir}")
            return
        damaged = 0
        for f in findings:
            if f.problem is None:
                print(f"{f.name:10} ok")
                continue
            print(f"{f.name:10} DAMAGED: {f.problem}")
            if opts.salvage:
                kept, lost, aside = check.salvage(f.path, data_dir)
                print(f"{'':10} salvaged: {kept} documents kept, {lost} lost; the damaged file "
                      f"is kept at {aside}")
            else:
                damaged += 1
        if damaged:
            print(f"{damaged} damaged collection(s): run `scrapy store-check --salvage`")
            self.exitcode = 1
