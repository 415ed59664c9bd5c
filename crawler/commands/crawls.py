"""``scrapy crawls``: recent crawls with their outcome (from their own stats) and the
scheduler's state per site (last run, status, log file, running now)."""

from __future__ import annotations

import json

from crawler.analysis import textable
from crawler.analysis.crawls import describe
from crawler.store.command import StoreCommand


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(StoreCommand):
    readonly = True
    def short_desc(self):
        return "List recent crawls and the schedule's state"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-n", "--limit", type=int, default=20, help="crawls to list (20)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, args, opts):
        with self.open_store(opts) as store:
            crawls = [describe(c) for c in store.recent_crawls(opts.limit)]
            state = sorted(store.schedule_state().values(), key=lambda d: d["_id"])
        if opts.json:
            print(json.dumps({"crawls": crawls, "schedule": state}, ensure_ascii=False,
                             default=str, indent=1))
            return
        print(f"recent crawls ({len(crawls)})")
        print(textable.render(
            ["started", "finished", "status", "sites", "pages", "new", "changed", "errors",
             "challenges"],
            [[_when(c["started_at"]), _when(c["finished_at"]), c["status"], c["sites"], c["pages"],
              c["new"], c["changed"], c["errors"], c["challenges"]] for c in crawls]))
        print(f"schedule ({len(state)} sites)")
        print(textable.render(
            ["site", "last started", "status", "running", "log"],
            [[d["_id"], _when(d.get("last_started")), d.get("last_status") or "-",
              f"pid {d['running']['pid']}" if d.get("running") else "-", d.get("last_log") or "-"]
             for d in state]))
