"""Scheduled crawls per site, one at a time per site, with state in the store.

Each site may carry a ``cadence`` in the registry (``daily``, ``weekly``, ``monthly`` or a
number of days). The default follows the law's calendar: bodies publish their reports by
31 January and area governments by 31 March, and portals fix them afterwards, so a site is
crawled weekly from February to April and monthly otherwise.

A :class:`Scheduler` starts the crawls that are due as ``scrapy crawl reports -a site=ID``
processes (at most ``max_parallel`` at once, never two of one site), records each start and end
in the store's ``schedule`` collection (each crawl also records itself in ``crawls``), and
picks up after a restart: a run whose process is gone is marked ``interrupted`` and the site
is due again by its cadence.

Each crawl writes its log to a file of its own (``log_dir/<site>-<time>.log``, named in the
schedule state). Its outcome is read from the crawl's own stats (:mod:`crawler.analysis.crawls`):
a crawl where every request failed is ``failed``, not ``finished``, and is due again after
``retry_failed`` rather than a whole cadence.

With a :class:`ClusterLauncher` (``REDIS_URL`` set) a due crawl is not started here but queued
as a start spec for the workers of the distributed crawl (:mod:`crawler.reliable_queue`), as one
*run*; any scheduler process, on any machine, later sees the run done in Redis and records its
end. A Redis lock per site, taken before the spec is queued and held until the run is
recorded as done, keeps two schedulers from ever starting the same site; the state stays in
the store as without Redis.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.analysis.crawls import outcome
from crawler.crawlspec import CrawlSpec
from crawler.sites import Site
from crawler.store import Store, utcnow

if TYPE_CHECKING:  # the queue (redis, scrapy-redis) is imported by the cluster launcher only
    from crawler.reliable_queue import Queue

logger = logging.getLogger(__name__)

CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 30}
PUBLISHING_MONTHS = (2, 3, 4)
#: A failed crawl (every request failed) is tried again this soon, not a cadence later.
RETRY_FAILED = dt.timedelta(hours=6)


def interval(site: Site, when: dt.datetime) -> dt.timedelta:
    """How long after a crawl of ``site`` the next one is due, as of ``when``."""
    cadence = site.cadence
    if isinstance(cadence, int):
        return dt.timedelta(days=cadence)
    if cadence in CADENCE_DAYS:
        return dt.timedelta(days=CADENCE_DAYS[cadence])
    return dt.timedelta(days=7 if when.month in PUBLISHING_MONTHS else 30)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ARGV: lock key, holder. Deletes the lock only if this holder still has it.
_UNLOCK = """
if redis.call('GET', ARGV[1]) == ARGV[2] then return redis.call('DEL', ARGV[1]) end
return 0
"""


class ClusterLauncher:
    """Scheduled crawls as start specs for distributed workers, one run per site at a time."""

    LOCK = "govreports:schedule:lock:%s"

    def __init__(self, queue: Queue, lock_ttl: float = 24 * 3600):
        self.queue, self.server = queue, queue.server
        self.lock_ttl_ms = int(lock_ttl * 1000)
        self._unlock = self.server.register_script(_UNLOCK)

    def lock(self, site_id: str, run: str) -> bool:
        return bool(self.server.set(self.LOCK % site_id, run, nx=True, px=self.lock_ttl_ms))

    def unlock(self, site_id: str, run: str) -> None:
        self._unlock(args=[self.LOCK % site_id, run])

    def enqueue(self, site: Site, run: str) -> None:
        self.queue.push_spec({**CrawlSpec(site_ids=(site.id,)).arguments(), "run": run})

    def outcome(self, run: str) -> str | None:
        """None while the run has work left; ``finished``; or ``interrupted`` when Redis knows
        nothing of it (its spec was never queued, or Redis lost its data)."""
        if self.server.hexists(self.queue.key("runs"), run):
            return None
        return "finished" if self.server.hexists(self.queue.key("finished"), run) else "interrupted"

    def forget(self, run: str) -> None:
        self.server.hdel(self.queue.key("finished"), run)


@dataclass
class Running:
    site: Site
    process: subprocess.Popen
    started_at: dt.datetime
    log: Path | None = None


class Scheduler:
    def __init__(self, store: Store, sites: list[Site], crawl_command: list[str], *,
                 env: dict | None = None, max_parallel: int = 2, cwd: str | None = None,
                 log_dir: str | os.PathLike | None = None,
                 retry_failed: dt.timedelta = RETRY_FAILED,
                 cluster: ClusterLauncher | None = None):
        self.store, self.sites, self.cluster = store, sites, cluster
        self.crawl_command, self.env, self.cwd = crawl_command, env, cwd
        self.max_parallel = max_parallel
        self.log_dir = Path(log_dir) if log_dir else None
        self.retry_failed = retry_failed
        self.host = socket.gethostname()
        self.running: dict[str, Running] = {}

    # --- state ----------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """After a restart: runs this host started whose process is gone are interrupted."""
        lost = []
        for doc in self.store.running_schedules():
            run = doc["running"]
            if doc["_id"] in self.running or "run" in run:
                continue  # ours, or a cluster run (reaped through Redis)
            if run.get("host") == self.host and not _alive(run.get("pid")):
                self.store.set_schedule_state(doc["_id"], running=None, last_status="interrupted",
                                              last_finished=utcnow())
                lost.append(doc["_id"])
        if lost:
            logger.warning("interrupted runs found after a restart: %s", ", ".join(lost))
        return lost

    def due(self, now: dt.datetime, sites: list[Site] | None = None) -> list[Site]:
        out = []
        for site in self.sites if sites is None else sites:
            doc = self.store.schedule_state(site.id)
            if doc.get("running") or site.id in self.running:
                continue  # never overlap a site's own crawl
            last = doc.get("last_started")
            wait = interval(site, now)
            if doc.get("last_status") == "failed":
                wait = min(wait, self.retry_failed)
            if last is None or now - last >= wait:
                out.append(site)
        return out

    # --- runs -----------------------------------------------------------------------------

    def start(self, site: Site, now: dt.datetime) -> bool:
        """Start (or, in a cluster, queue) the crawl of ``site``; False when another scheduler
        holds the site."""
        if self.cluster is not None:
            return self._enqueue(site, now)
        arguments = CrawlSpec(site_ids=(site.id,)).arguments()
        cmd = [*self.crawl_command, *(a for k, v in arguments.items() for a in ("-a", f"{k}={v}"))]
        started = utcnow()
        log = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = self.log_dir / f"{site.id}-{started:%Y%m%dT%H%M%S}.log"
        with open(log or os.devnull, "ab") as out:  # the child keeps its own descriptor
            process = subprocess.Popen(cmd, env=self.env, cwd=self.cwd, stdout=out,
                                       stderr=subprocess.STDOUT)
        self.store.set_schedule_state(site.id, last_started=now, last_log=str(log) if log else None,
                                      running={"pid": process.pid, "host": self.host,
                                               "started_at": started})
        self.running[site.id] = Running(site, process, started, log)
        logger.info("started the crawl of %s (pid %d), log %s", site.id, process.pid, log)
        return True

    def _enqueue(self, site: Site, now: dt.datetime) -> bool:
        from crawler.reliable_queue import new_run  # noqa: PLC0415  (see TYPE_CHECKING)

        run = new_run(site.id)
        if not self.cluster.lock(site.id, run):
            return False  # another scheduler is starting it, or its run is going
        if not self.due(now, [site]):  # it may have been started and reaped meanwhile
            self.cluster.unlock(site.id, run)
            return False
        # Queued before it is recorded: a scheduler dying in between leaves a crawl that runs
        # (and a lock that expires), never a recorded run that nobody crawls.
        self.cluster.enqueue(site, run)
        self.store.set_schedule_state(site.id, last_started=now, running={
            "run": run, "host": self.host, "started_at": utcnow()})
        logger.info("queued the crawl of %s for the workers (run %s)", site.id, run)
        return True

    def reap_cluster(self) -> int:
        """Record the cluster runs that are done (whoever queued them) and free their sites."""
        finished = 0
        for doc in self.store.running_schedules():
            run = doc["running"].get("run")
            status = self.cluster.outcome(run) if run else None
            if status is None:
                continue  # going on, or a local crawl (its own scheduler reaps it)
            self.store.set_schedule_state(doc["_id"], running=None, last_finished=utcnow(),
                                          last_status=status)
            self.cluster.unlock(doc["_id"], run)
            self.cluster.forget(run)
            finished += 1
        return finished

    def reap(self, wait: bool = False) -> int:
        """Record finished runs; with ``wait``, wait for all. Returns how many finished."""
        if self.cluster is not None:
            return self.reap_cluster()
        finished = 0
        for site_id, run in list(self.running.items()):
            code = run.process.wait() if wait else run.process.poll()
            if code is None:
                continue
            status, crawl_id = self.outcome(site_id, run, code)
            self.store.set_schedule_state(site_id, running=None, last_finished=utcnow(),
                                          last_status=status, last_crawl=crawl_id)
            del self.running[site_id]
            finished += 1
            log = getattr(logger, "warning" if status != "finished" else "info")
            log("the crawl of %s ended: %s (log %s)", site_id, status, run.log)
        return finished

    def outcome(self, site_id: str, run: Running, code: int) -> tuple[str, object]:
        """The run's status from its own ``crawls`` document, else from its exit code."""
        doc = self.store.crawl_since(site_id, run.started_at)
        if code != 0 and (doc is None or doc.get("finished_at") is None):
            return f"exit {code}", doc and doc["_id"]
        if doc is None:
            return "finished", None
        return outcome(doc), doc["_id"]

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Reap finished runs and start due ones (up to max_parallel). Returns started ids."""
        now = now or utcnow()
        self.reap()
        self.recover()  # crawls left by an earlier scheduler process finish on their own
        started = []
        for site in self.due(now):
            # A cluster's parallelism is its workers': everything due is queued.
            if self.cluster is None and len(self.running) >= self.max_parallel:
                break
            if self.start(site, now):
                started.append(site.id)
        return started

    def run_once(self, now: dt.datetime | None = None) -> list[str]:
        """Run everything due now, waiting as runs finish to start the rest. In a cluster:
        queue everything due now and return (the workers crawl it)."""
        now = now or utcnow()
        started = self.tick(now)
        if self.cluster is not None:
            return started
        while self.running:
            self.reap(wait=True)
            started += self.tick(now)
        return started


def crawl_command(settings_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "reports", *settings_args]
