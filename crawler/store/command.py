"""The base of the project's Scrapy commands that work on the store."""

from __future__ import annotations

from scrapy.exceptions import UsageError

from crawler.cli import ProjectCommand
from crawler.store.database import Store


class StoreCommand(ProjectCommand):
    """A command that works on the store named by MONGO_URI / DATA_DIR. Readers (``readonly``)
    create nothing in the store, so they work on a read-only ``DATA_DIR``."""

    readonly = False

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--data-dir", help="embedded store directory (default: DATA_DIR)")

    def open_store(self, opts) -> Store:
        try:
            return Store.from_settings(self.settings, opts.data_dir, readonly=self.readonly)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from exc
