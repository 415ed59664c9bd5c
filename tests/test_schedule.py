"""Scheduled crawls: ``scrapy schedule`` against the demo portal, state in the store."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import EXPECTED, scrapy

from crawler import sites as registry
from crawler.schedule import interval
from crawler.store import Store

FAST = ["--crawl-set", "DOWNLOAD_DELAY=0", "--crawl-set", "AUTOTHROTTLE_ENABLED=0",
        "--crawl-set", "RETRY_BACKOFF_BASE=0.05"]


def schedule(portal, data, *args, wait=True, env=None):
    if env is not None:  # extra environment (REDIS_URL) for a command on the embedded store
        env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "DATA_DIR")} | env
    proc = scrapy("schedule", "--data-dir", str(data), *FAST, *args, portal=portal, wait=wait,
                  env=env)
    if not wait:
        return proc
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def state(data):
    with Store(None, data) as store:
        return store.schedule_state(), store.crawls.count_documents({})


def test_cadence_follows_the_law_calendar():
    site = registry.Site(id="x", name="x", region=None, level="county", home="https://x.gov.cn/")
    assert interval(site, dt.datetime(2026, 3, 1)) == dt.timedelta(days=7)
    assert interval(site, dt.datetime(2026, 6, 1)) == dt.timedelta(days=30)
    daily = registry.Site(id="y", name="y", region=None, level="county", home="https://y.gov.cn/",
                          cadence="daily")
    assert interval(daily, dt.datetime(2026, 6, 1)) == dt.timedelta(days=1)


@pytest.mark.slow
def test_due_crawls_run_others_skipped_and_state_survives(portal, tmp_path):
    sites = "--site", "demo-trs,demo-plain"
    out = schedule(portal, tmp_path, "--once", "--now", "2026-02-10T08:00:00", *sites)
    assert "ran 2 due crawl(s)" in out
    docs, crawls = state(tmp_path)
    assert crawls == 2 and {d["last_status"] for d in docs.values()} == {"finished"}
    with Store(None, tmp_path) as store:
        assert store.reports.count_documents({}) == sum(
            1 for p in EXPECTED if p.startswith(("/trs/", "/plain/")))
    # A new scheduler process two days later: weekly in February, nothing is due.
    assert "nothing due" in schedule(portal, tmp_path, "--once", "--now", "2026-02-12T08:00:00", *sites)
    # A week on, both are due again.
    assert "ran 2 due crawl(s)" in schedule(portal, tmp_path, "--once", "--now", "2026-02-17T09:00:00",
                                            *sites)
    assert state(tmp_path)[1] == 4


@pytest.mark.slow
def test_no_overlap_and_interrupted_runs_picked_up(portal, tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        with Store(None, tmp_path) as store:
            # demo-trs is being crawled right now (a live process); demo-plain's last run was
            # cut off by a crash (its process is gone).
            store.schedule.insert_many([
                {"_id": "demo-trs", "last_started": dt.datetime(2026, 1, 1),
                 "running": {"pid": sleeper.pid, "host": socket.gethostname()}},
                {"_id": "demo-plain", "last_started": dt.datetime(2026, 2, 28),
                 "running": {"pid": 2 ** 22 + 12345, "host": socket.gethostname()}}])
        out = schedule(portal, tmp_path, "--once", "--now", "2026-03-10T08:00:00",
                       "--site", "demo-trs,demo-plain")
        assert "ran 1 due crawl(s): demo-plain" in out
        docs, _ = state(tmp_path)
        assert docs["demo-trs"]["running"]["pid"] == sleeper.pid  # left alone
        assert docs["demo-plain"]["last_status"] == "finished"
    finally:
        sleeper.kill()


@pytest.mark.slow
def test_long_lived_scheduler_restarts_without_rerunning(portal, tmp_path):
    proc = schedule(portal, tmp_path, "--tick", "0.5", "--site", "demo-trs", wait=False)
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.5)
        docs = state(tmp_path)[0] if (tmp_path / "govreports" / "schedule").exists() else {}
        if docs.get("demo-trs", {}).get("last_status") == "finished":
            break
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "started demo-trs" in out, out[-2000:]
    # Restarted: the site is not due again (monthly outside Feb-Apr, or weekly within).
    again = schedule(portal, tmp_path, "--tick", "0.5", "--site", "demo-trs", wait=False)
    # Wait for the scheduler to be up (a loaded machine can take several seconds to start it),
    # then let it tick a few times before stopping it.
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(again.stdout), daemon=True)
    reader.start()
    deadline = time.time() + 60
    while time.time() < deadline and not any("checking every" in x for x in lines):
        time.sleep(0.2)
    assert any("checking every" in x for x in lines), "".join(lines)[-2000:]
    time.sleep(2.5)  # five ticks
    again.send_signal(signal.SIGTERM)
    again.wait(timeout=60)
    reader.join(timeout=10)
    out = "".join(lines)
    assert "started" not in out.split("checking every", 1)[1]
    assert state(tmp_path)[1] == 1


@pytest.mark.slow
def test_failed_crawl_recorded_logged_and_retried_sooner(portal, tmp_path):
    """A site whose every request fails (nothing listens on its port) is ``failed``, not
    ``finished``; its log is in a file; it is due again hours later, not a week later."""
    from conftest import DEMO_REGISTRY, free_port

    registry_file = tmp_path / "registry.toml"
    registry_file.write_text(
        DEMO_REGISTRY.read_text(encoding="utf-8")
        + f'\n[[site]]\nid = "dead"\nname = "无人应答县人民政府"\nregion = "540100"\n'
          f'level = "county"\nhome = "http://127.0.0.1:{free_port()}/index.html"\n'
          f'hosts = ["127.0.0.1"]\n', encoding="utf-8")
    data = tmp_path / "data"

    def run(now):
        proc = scrapy("schedule", "--data-dir", str(data), "-s", f"SITES_REGISTRY={registry_file}",
                      "-s", f"SITES_BASE_URL={portal.base_url}", *FAST, "--crawl-set",
                      "RETRY_TIMES=1", "--once", "--now", now, "--site", "dead,demo-plain")
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    out = run("2026-02-10T08:00:00")
    assert "dead: failed" in out and "demo-plain: finished" in out
    docs, _ = state(data)
    log = docs["dead"]["last_log"]
    assert log.startswith(str(data / "logs")) and "Connection refused" in open(log).read()
    # Seven hours on: the failed site is retried, the finished one waits for its week.
    assert "ran 1 due crawl(s): dead" in run("2026-02-10T15:00:00")
    listing = scrapy("crawls", "--data-dir", str(data)).stdout
    assert listing.count("failed") >= 2 and "dead" in listing


@pytest.mark.slow
def test_cluster_schedule_queues_due_crawls_once_for_the_workers(portal, redis_url, tmp_path):
    """With REDIS_URL, two schedulers at once queue each due site once; a worker crawls them;
    the next scheduler pass records the runs finished, and a week on queues them again."""
    import redis
    from workers import Workers, left_in_redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    env = {"REDIS_URL": redis_url}
    sites = "--site", "demo-trs,demo-plain"
    racing = [schedule(portal, tmp_path, "--once", "--now", "2026-02-10T08:00:00", *sites,
                       env=env, wait=False) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in racing]
    assert all(p.returncode == 0 for p in racing), outs
    queued = [int(out.split("enqueued ")[1].split()[0]) for out in outs]
    assert sum(queued) == 2, outs  # the lock: one scheduler per site
    assert client.llen("govreports:start") == 2

    worker_env = dict(os.environ, REDIS_URL=redis_url, DATA_DIR=str(tmp_path))
    worker_env.pop("MONGO_URI", None)
    workers = Workers(portal, worker_env, tmp_path, "-s", "SITE_DELAY=0")
    assert workers.start().wait(timeout=120) == 0, workers.log(1)[-3000:]
    assert left_in_redis(client) == {}
    column_hits = portal.hits["/trs/zfxxgk/zfxxgknb/index.html"]

    # The next pass (another scheduler process) records both runs finished; nothing is due.
    again = schedule(portal, tmp_path, "--once", "--now", "2026-02-10T09:00:00", *sites, env=env)
    assert "enqueued 0 due crawl(s)" in again and "nothing due" in again
    docs, crawls = state(tmp_path)
    assert {d["last_status"] for d in docs.values()} == {"finished"} and crawls == 1
    assert not client.keys("govreports:schedule:lock:*")
    with Store(None, tmp_path) as store:
        assert store.reports.count_documents({}) == sum(
            1 for p in EXPECTED if p.startswith(("/trs/", "/plain/")))

    # A week on both are due again, and the run's own duplicate filter lets the column pages
    # be fetched again.
    out = schedule(portal, tmp_path, "--once", "--now", "2026-02-17T09:00:00", *sites, env=env)
    assert "enqueued 2 due crawl(s)" in out
    assert workers.start().wait(timeout=120) == 0, workers.log(2)[-3000:]
    assert portal.hits["/trs/zfxxgk/zfxxgknb/index.html"] > column_hits
    schedule(portal, tmp_path, "--once", "--now", "2026-02-17T10:00:00", *sites, env=env)
    docs, crawls = state(tmp_path)
    assert crawls == 2 and all(d["running"] is None for d in docs.values())
