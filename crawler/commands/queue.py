"""``scrapy queue``: what a distributed crawl is doing, read from Redis.

    scrapy queue                 # pending per site, runs, workers, failed requests, recoveries
    scrapy queue --failed 50     # the 50 latest failed requests
    scrapy queue --json          # the same, as one JSON object

Reads only; needs ``REDIS_URL``. Times are Redis's clock, so they agree across machines.
"""

from __future__ import annotations

import datetime as dt
import json

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import distributed


def _clock(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def render(status: dict) -> str:
    """The status as a report for a terminal."""
    now, lines = status["now"], [f"queue at {_clock(status['now'])} UTC (Redis clock)"]
    lines.append(f"pending requests: {status['pending']}")
    for site, n in sorted(status["pending_by_site"].items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {site:<36} {n:>7}")
    lines.append(f"start specs waiting: {status['start_specs']}")
    lines.append(f"runs going: {len(status['runs'])}")
    for run, n in sorted(status["runs"].items()):
        lines.append(f"  {run:<48} {n:>5} request(s) or spec(s) left")
    live = [w for w in status["workers"] if w["alive"]]
    dead = len(status["workers"]) - len(live)
    lines.append(f"workers: {len(live)} live" + (
        f", {dead} without heartbeat (their work goes back at the next live worker's beat)"
        if dead else ""))
    if status["workers"]:
        lines.append(f"  {'worker':<34} {'state':<6} {'in flight':>9} {'specs':>5}  last heartbeat")
        for w in status["workers"]:
            age = f"{now - w['last_heartbeat']:.1f} s ago" if w["last_heartbeat"] else "-"
            lines.append(f"  {w['worker']:<34} {'live' if w['alive'] else 'dead':<6} "
                         f"{w['in_flight']:>9} {w['specs_in_flight']:>5}  {age}")
    lines.append(f"failed requests: {status['failed_total']}"
                 + (f" (latest {len(status['failed'])})" if status["failed"] else ""))
    for f in status["failed"]:
        lines.append(f"  {_clock(f['at'])}  {f.get('site') or '-':<16} {f['reason']:<40} {f['url']}")
    if status["recoveries"]:
        lines.append("dead workers recovered (latest first):")
        for e in status["recoveries"]:
            silent = (e["at"] - e["last_heartbeat"]) / 1000 if e.get("last_heartbeat") else None
            lines.append(f"  {_clock(e['at'] / 1000)}  {e['worker']} by {e['by'] or 'itself'}: "
                         f"{e['requests']} request(s), {e['specs']} spec(s), {e['tokens']} site "
                         f"token(s) put back" + (f", {silent:.1f} s after its last heartbeat"
                                                 if silent is not None else ""))
    return "\n".join(lines)


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[--failed N] [--json]"

    def short_desc(self):
        return "Show a distributed crawl's queue: pending, workers, in flight, failed"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--failed", type=int, default=10, metavar="N",
                            help="show the N latest failed requests (default 10)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def run(self, args, opts):
        # redis and scrapy-redis load here, not on every scrapy command's start
        from crawler.reliable_queue import Queue  # noqa: PLC0415

        url = distributed.redis_url(self.settings)
        if not url:
            raise UsageError("REDIS_URL is not set: the queue lives in Redis", print_help=False)
        try:
            status = Queue(distributed.connect(url)).status(failed_limit=max(opts.failed, 0))
        except Exception as exc:  # redis.ConnectionError and friends: say it, no traceback
            raise UsageError(f"cannot read the queue from Redis: {exc}", print_help=False) from exc
        print(json.dumps(status, ensure_ascii=False, indent=1) if opts.json else render(status))
