"""The base of the project's Scrapy commands that work on the store."""

from __future__ import annotations

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.store.database import Store


class StoreCommand(ScrapyCommand):
    """A command that works on the store named by MONGO_URI / DATA_DIR."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--data-dir", help="embedded store directory (default: DATA_DIR)")

    def open_store(self, opts) -> Store:
        try:
            return Store.from_settings(self.settings, opts.data_dir)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from exc
