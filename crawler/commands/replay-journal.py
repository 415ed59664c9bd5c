"""``scrapy replay-journal``: write the items journaled while the database was down."""

from __future__ import annotations

from crawler.store.command import StoreCommand


class Command(StoreCommand):
    def short_desc(self):
        return "Apply the items journaled while the database was unreachable"

    def run(self, args, opts):
        with self.open_store(opts) as store:
            path = store.journal.path
            counts = store.replay_journal()
        print(f"replayed {path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if counts["failed"]:
            self.exitcode = 1
