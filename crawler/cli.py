"""What every ``scrapy`` command of the project shares: strict options, one-line errors.

Scrapy parses command lines with ``parse_known_args``, so a mistyped option (``export
--bogus``) would pass as an argument and be ignored. :class:`ProjectCommand` refuses it. A
command implements :meth:`ProjectCommand.handle`; a store that cannot be used
(:class:`~crawler.store.database.StoreError`) or a registry that cannot be read
(:class:`~crawler.sites.RegistryError`) ends it with one line on stderr and a nonzero exit.
"""

from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.sites import RegistryError
from crawler.store.database import StoreError
from crawler.store.journal import JournalFull


def refuse_unknown_options(args: list[str]) -> None:
    unknown = [a for a in args if a.startswith("-") and a != "-"]
    if unknown:
        raise UsageError(f"unknown option(s): {' '.join(unknown)}", print_help=False)


class ProjectCommand(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}
    #: Whether the command takes positional arguments (files, directories).
    takes_arguments = False

    def process_options(self, args, opts):
        super().process_options(args, opts)
        refuse_unknown_options(args)
        if args and not self.takes_arguments:
            raise UsageError(f"unexpected argument(s): {' '.join(args)}", print_help=False)

    def run(self, args, opts):
        try:
            self.handle(args, opts)
        except RegistryError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
        except (StoreError, JournalFull) as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 1

    def handle(self, args, opts):
        raise NotImplementedError
