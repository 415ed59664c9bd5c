"""Distributed crawls: worker processes sharing one Redis queue (scrapy-redis) against the demo
portal, through Scrapy's real engine."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import DEMO_SITES as SITES
from conftest import EXPECTED, path_of, stored
from conftest import scrapy as run_scrapy
from workers import env_for, wait_for

from demo import portal as demo_portal

pytestmark = pytest.mark.slow

POLITE = ["-s", "SITE_CONCURRENCY=1", "-s", "SITE_DELAY=0.25"]


@pytest.fixture
def portal():
    """A fresh portal per test: the tests read its hit and concurrency counters."""
    p = demo_portal.serve(0)
    yield p
    p.shutdown()


def scrapy(portal, env, *args, wait=True):
    return run_scrapy(*args, portal=portal, env=env, wait=wait)


def worker(portal, env, *extra):
    return scrapy(portal, env, "crawl", "reports", "-s", "EMBEDDED_STORE_SHARED=1",
                  "-s", "REDIS_IDLE_TIMEOUT=6", "-s", "DOWNLOAD_DELAY=0", "-s",
                  "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.05", *POLITE, *extra,
                  wait=False)


def working(redis_url, pid: int) -> bool:
    """Whether worker process ``pid`` is past its start-up (it beats its heartbeat)."""
    import redis

    return any(key.decode().split(":")[3] == str(pid)
               for key in redis.Redis.from_url(redis_url).scan_iter("govreports:worker:*"))


def test_embedded_store_refused_without_override(portal, redis_db, tmp_path):
    proc = scrapy(portal, env_for(redis_db, tmp_path), "crawl", "reports")
    assert proc.returncode == 2
    assert "MONGO_URI" in proc.stderr and "Traceback" not in proc.stderr


def test_enqueue_needs_redis_and_valid_targets(portal, redis_db, tmp_path):
    env = env_for(redis_db, tmp_path)
    bad = scrapy(portal, env, "enqueue", "--site", "no-such-site")
    assert bad.returncode == 2 and "no-such-site" in bad.stderr
    no_redis = dict(env)
    no_redis.pop("REDIS_URL")
    assert scrapy(portal, no_redis, "enqueue", "--region", "54").returncode == 2
    ok = scrapy(portal, env, "enqueue", "--region", "54", "--years", "2021-2025")
    assert ok.returncode == 0 and "enqueued 1 start spec" in ok.stdout


def probed(env, probes) -> tuple[dict, list[str]]:
    """A worker's environment and settings with :class:`probes.RequestTimes` loaded, writing to
    ``probes``."""
    import json

    from conftest import ROOT

    from crawler import settings as project

    extensions = dict(project.EXTENSIONS, **{"probes.RequestTimes": 900})
    path = os.pathsep.join(filter(None, [str(ROOT / "tests"), env.get("PYTHONPATH")]))
    return dict(env, PYTHONPATH=path), ["-s", f"EXTENSIONS={json.dumps(extensions)}",
                                        "-s", f"PROBE_DIR={probes}"]


def test_two_workers_share_one_crawl_politely(portal, redis_db, tmp_path):
    """Politeness is checked on what the crawler controls, not on when requests arrive at the
    portal (a loaded machine delays some arrivals more than others): the grants of each site's
    tokens (Redis's clock, on which the workers' delay is computed) are SITE_DELAY apart, and
    no two requests of a site are in either worker's downloader at once."""
    probes = tmp_path / "probes"
    probes.mkdir()
    env, settings = probed(env_for(redis_db, tmp_path), probes)
    # Both workers are up before there is work: on a loaded machine the first one to start
    # would otherwise crawl everything before the second had imported Scrapy.
    workers = [worker(portal, env, "-s", "REDIS_IDLE_TIMEOUT=12", *settings) for _ in range(2)]
    wait_for(lambda: all(working(redis_db, w.pid) for w in workers), 60, "both workers to start")
    assert scrapy(portal, env, "enqueue", "--site", SITES).returncode == 0
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs[0][-2000:] + outputs[1][-2000:]
    reports, _, crawls = stored(tmp_path)
    assert sorted(path_of(portal, u) for u in reports) == sorted(EXPECTED)
    for path in EXPECTED:  # every report page fetched exactly once across both workers
        assert portal.hits[path] == (2 if path == "/plain/xxgk/nb/202502/t20250205_2.html" else 1)
    assert len(crawls) == 2 and all(c["finish_reason"] == "finished" for c in crawls)
    assert all(c["counts"].get("pages", 0) > 0 for c in crawls), "both workers did work"
    # What each worker's downloader did with its tokens.
    import json

    files = sorted(probes.glob("*.json"))
    assert len(files) == 2
    by_site: dict[str, list[dict]] = {}
    for f in files:
        for entry in json.loads(f.read_text()):
            by_site.setdefault(entry["site"], []).append(entry)
    sites = SITES.split(",")
    assert sorted(by_site) == sorted(sites)
    downloads = sum(len(entries) for entries in by_site.values())
    assert downloads >= len(EXPECTED) and all(e["left"] for es in by_site.values() for e in es)
    for site, entries in by_site.items():
        # Politeness across workers: at least SITE_DELAY (0.25 s) between two starts...
        grants = sorted(e["granted_ms"] for e in entries)
        gaps = [b - a for a, b in zip(grants, grants[1:], strict=False)]
        assert min(gaps) >= 250, (site, min(gaps))
        # ... and one request of the site at a time (SITE_CONCURRENCY=1): each request enters a
        # downloader after the one before left.
        spans = sorted((e["reached"], e["left"]) for e in entries)
        overlaps = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]
        assert not overlaps, (site, overlaps)


def test_worker_stopped_midway_the_other_finishes(portal, redis_db, tmp_path):
    env = env_for(redis_db, tmp_path)
    assert scrapy(portal, env, "enqueue", "--site", SITES).returncode == 0
    first = worker(portal, env, "-s", "SITE_DELAY=0.4")
    second = worker(portal, env, "-s", "SITE_DELAY=0.4")
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.5)
        try:
            n = len(stored(tmp_path)[0])
        except Exception:  # the store is being created
            n = 0
        if n >= 2 and working(redis_db, first.pid):
            break
    first.send_signal(signal.SIGTERM)  # systemd stop, Ctrl-C: a clean shutdown
    first.communicate(timeout=120)
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out[-2000:]
    reports, _, crawls = stored(tmp_path)
    assert sorted(path_of(portal, u) for u in reports) == sorted(EXPECTED)
    assert sorted(c["finish_reason"] for c in crawls) == ["finished", "shutdown"]


def test_ad_hoc_url_shared_by_workers(portal, redis_db, tmp_path):
    """Requests of an ad hoc start URL popped by one worker are served by the other too."""
    env = env_for(redis_db, tmp_path)
    start = f"{portal.base_url}/trs/zfxxgk/zfxxgknb/index.html"
    assert scrapy(portal, env, "enqueue", "--url", start).returncode == 0
    workers = [worker(portal, env, "-s", "SITE_CONCURRENCY=2", "-s", "SITE_DELAY=0") for _ in range(2)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all("Spider error" not in out for out in outputs), outputs
    reports, _, _ = stored(tmp_path)
    assert {path_of(portal, u) for u in reports} == {p for p in EXPECTED if p.startswith("/trs/")}
