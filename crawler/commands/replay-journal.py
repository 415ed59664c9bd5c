"""``scrapy replay-journal``: write the items journaled while the database was down.

Entries the database refuses for good (and lines cut short by a crash) move to the quarantine
file with the reason, so one bad entry no longer blocks the rest; entries that meet an
unreachable database stay in the journal for the next run. Exit status 0 when the journal is
empty, 1 when entries are quarantined or still waiting.
"""

from __future__ import annotations

from crawler.store.command import StoreCommand


class Command(StoreCommand):
    def short_desc(self):
        return "Apply the items journaled while the database was unreachable"

    def handle(self, args, opts):
        with self.open_store(opts) as store:
            journal = store.journal
            counts = store.replay_journal()
        replayed = sum(counts[k] for k in ("new", "changed", "unchanged", "stored"))
        print(f"replayed {replayed} entries of {journal.path}: "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if counts["quarantined"]:
            print(f"{counts['quarantined']} entries the database refused are in "
                  f"{journal.quarantine_path}, each with the reason")
        if counts["failed"]:
            print(f"{counts['failed']} entries stay in the journal: the database is unreachable")
        if counts["quarantined"] or counts["failed"]:
            self.exitcode = 1
