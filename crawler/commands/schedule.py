"""``scrapy schedule``: start the crawls that are due, per site, on the law's calendar.

    scrapy schedule                 # long-lived: checks every --tick seconds
    scrapy schedule --once          # run what is due now and exit (cron, systemd timers)

With ``REDIS_URL`` set, due crawls are queued for the distributed workers (``scrapy crawl
reports`` processes on any machine) instead of run here; see :mod:`crawler.schedule`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

from scrapy.exceptions import UsageError

from crawler import distributed
from crawler import sites as registry
from crawler.schedule import ClusterLauncher, Scheduler, crawl_command
from crawler.store.command import StoreCommand


class Command(StoreCommand):
    default_settings = {"LOG_LEVEL": "INFO"}

    def short_desc(self):
        return "Start due crawls per site (long-lived, or --once for cron)"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--once", action="store_true", help="run what is due now and exit")
        parser.add_argument("--site", help="only these site ids (comma-separated)")
        parser.add_argument("--region", help="only sites whose region code starts so")
        parser.add_argument("--max-parallel", type=int, default=2, help="crawls at once (default 2)")
        parser.add_argument("--tick", type=float, default=60.0, help="seconds between checks")
        parser.add_argument("--now", help="with --once: the time to schedule for (ISO), e.g. "
                                          "to run the February calendar in a backfill")
        parser.add_argument("--log-dir", help="where each crawl writes its log (default: "
                                             "SCHEDULE_LOG_DIR, else DATA_DIR/logs)")
        parser.add_argument("--crawl-set", action="append", default=[], metavar="NAME=VALUE",
                            help="a Scrapy setting for the crawls started (repeatable)")

    def handle(self, args, opts):
        # redis and scrapy-redis load here, not on every scrapy command's start
        from crawler.reliable_queue import Queue  # noqa: PLC0415

        sites = registry.load(self.settings.get("SITES_REGISTRY"), self.settings.get("SITES_BASE_URL"))
        try:
            sites = registry.select(sites, opts.site.split(",") if opts.site else None, opts.region)
            now = dt.datetime.fromisoformat(opts.now) if opts.now else None
        except (KeyError, ValueError) as exc:
            raise UsageError(str(exc), print_help=False) from exc
        if now and not opts.once:
            raise UsageError("--now goes with --once", print_help=False)
        passed = []
        for name in ("SITES_REGISTRY", "SITES_BASE_URL"):
            if self.settings.get(name):
                passed += ["-s", f"{name}={self.settings.get(name)}"]
        for item in opts.crawl_set:
            name, sep, _ = item.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"--crawl-set takes NAME=VALUE, got {item!r}", print_help=False)
            passed += ["-s", item]
        # The crawls use this command's store, whatever named it (-s, --data-dir, environment).
        env = dict(os.environ)
        for name, value in (("MONGO_URI", self.settings.get("MONGO_URI")),
                            ("DATA_DIR", opts.data_dir or self.settings.get("DATA_DIR")),
                            ("JOURNAL_PATH", self.settings.get("JOURNAL_PATH"))):
            if value:
                env[name] = str(value)
        url = distributed.redis_url(self.settings)
        cluster = ClusterLauncher(Queue(distributed.connect(url)),
                                  self.settings.getfloat("SCHEDULE_LOCK_TTL")) if url else None
        if cluster and opts.crawl_set:
            print("note: --crawl-set applies to local crawls; the workers use their own settings")
        with self.open_store(opts) as store:
            log_dir = (opts.log_dir or self.settings.get("SCHEDULE_LOG_DIR")
                       or (store.data_dir / "logs" if store.embedded else "logs"))
            scheduler = Scheduler(store, sites, crawl_command(passed), env=env,
                                  max_parallel=opts.max_parallel, log_dir=log_dir,
                                  cluster=cluster)
            scheduler.recover()
            if opts.once:
                started = scheduler.run_once(now)
                verb = "enqueued" if cluster else "ran"
                whom = " for the workers" if cluster else ""
                print(f"{verb} {len(started)} due crawl(s){whom}: "
                      f"{', '.join(started) or 'nothing due'}")
                for site_id in [] if cluster else started:
                    doc = store.schedule_state(site_id)
                    print(f"  {site_id}: {doc.get('last_status')}, log {doc.get('last_log')}")
                return
            self._forever(scheduler, opts.tick)

    def _forever(self, scheduler, tick: float) -> None:
        stop = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.append(True))
        print(f"scheduling {len(scheduler.sites)} site(s), checking every {tick:g} s", flush=True)
        while not stop:
            for site_id in scheduler.tick():
                print(f"{'queued' if scheduler.cluster else 'started'} {site_id}", flush=True)
            time.sleep(tick)
        if scheduler.cluster is not None:
            print("stopping: queued crawls go on in the workers", flush=True)
            return
        print("stopping: waiting for running crawls", flush=True)
        scheduler.reap(wait=True)
