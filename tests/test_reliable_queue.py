"""The reliable queue under real kill -9: worker processes on one Redis queue crawl a slow demo
portal through Scrapy's engine while one of them is SIGKILLed at random moments."""

from __future__ import annotations

import json
import random
import signal
import time

import pytest
from conftest import EXPECTED, path_of, stored
from conftest import scrapy as run_scrapy
from workers import QUEUE, Workers, env_for, left_in_redis, wait_for

from crawler.reliable_queue import Queue, member_of
from demo import portal as demo_portal

REPORTS = 120


@pytest.fixture
def portal():
    """A fresh portal per test: the tests read its hit counters."""
    p = demo_portal.serve(0, bench_reports=REPORTS)
    yield p
    p.shutdown()


def scrapy(portal, env, *args):
    return run_scrapy(*args, portal=portal, env=env, timeout=120)


def worker_of(client, pid: int) -> str | None:
    """The id of the worker process ``pid`` once it has a heartbeat."""
    for key in client.scan_iter(QUEUE + "worker:*"):
        worker = key.decode()[len(QUEUE + "worker:"):]
        if worker.split(":")[1] == str(pid):
            return worker
    return None


def recoveries(client) -> list[dict]:
    return [json.loads(e) for e in client.lrange(QUEUE + "recoveries", 0, -1)]


def bench_paths(n):
    return [f"/bench/r/{i}.html" for i in range(n)]


# --- the scripts, one worker simulated per Queue ---------------------------------------------


@pytest.fixture
def server(redis_db):
    import redis

    return redis.Redis.from_url(redis_db)


def test_duplicate_filter_is_per_run_and_acks_finish_the_run(server):
    w1 = Queue(server, "w1")
    a, b = member_of("s", "run1"), member_of("s", "run1")
    assert w1.push(a, b"A", 0, "fp-a") and not w1.push(b, b"B", 0, "fp-a")
    assert w1.push(member_of("s", "run2"), b"A2", 0, "fp-a")  # next run fetches it again
    assert w1.status()["pending_by_site"] == {"s": 2}
    taken = [w1.pop(), w1.pop()]
    assert sorted(p for _, p in taken) == [b"A", b"A2"] and w1.pop() is None
    assert server.hlen("govreports:inflight:w1") == 2
    for member, _ in taken:
        assert w1.ack(member)
    assert server.hgetall("govreports:runs") == {}
    assert set(server.hkeys("govreports:finished")) == {b"run1", b"run2"}
    assert server.hlen("govreports:data") == 0 and not w1.ack(a)  # acked once only


def test_dead_worker_recovered_once_in_front_with_its_tokens_and_specs(server):
    w1, w2 = Queue(server, "w1"), Queue(server, "w2")
    for i in range(3):
        w1.push(member_of("s", "r"), f"R{i}".encode(), 0, f"fp{i}")
    w1.push_spec({"site": "s", "run": "r2"})
    held, _ = w1.pop()
    assert w1.take_spec()[0]["run"] == "r2"
    server.sadd("govreports:tokens:w1", "govreports:site:s")  # as the politeness script does
    server.zadd("govreports:site:s:active", {"w1|t1": 1e15, "w2|t2": 1e15})
    w2.beat({"host": "h"}, ttl=10)  # w1 never beat (or its key expired): it is dead
    (event,) = w2.recover()
    assert (event["worker"], event["by"], event["requests"], event["specs"], event["tokens"]) == \
        ("w1", "w2", 1, 1, 1)
    assert server.zrange("govreports:site:s:active", 0, -1) == [b"w2|t2"]
    # back at the front of the queue, past the duplicate filter
    assert server.zrange("govreports:pending", 0, 0) == [held.encode()]
    assert server.llen("govreports:start") == 1 and w2.recover() == []
    # w1 was only slow: its late acknowledgement takes the request off the queue again.
    assert w1.ack(held) and held not in [w2.pop()[0], w2.pop()[0]] and w2.pop() is None
    assert server.hget("govreports:runs", "r") == b"2"


def test_replaced_request_hands_its_place_over(server):
    w1 = Queue(server, "w1")
    w1.push(member_of("s", "r"), b"old", 0, "fp-old")
    old, _ = w1.pop()
    # a redirect to a page already seen in this run: the old request is done, nothing queued
    w1.push(member_of("s", "r"), b"seen", 0, "fp-seen")
    assert not w1.push(member_of("s", "r"), b"redirect", 0, "fp-seen", handover=old)
    assert server.hlen("govreports:inflight:w1") == 0 and server.hget("govreports:runs", "r") == b"1"
    retried, _ = w1.pop()
    assert w1.push(member_of("s", "r"), b"retry", 0, None, handover=retried)  # dont_filter
    assert server.hget("govreports:runs", "r") == b"1" and w1.pending() == 1


@pytest.mark.slow
def test_repeated_kill_9_loses_no_report_and_duplicates_none(portal, redis_db, tmp_path):
    import redis

    client = redis.Redis.from_url(redis_db)
    portal.delay = 0.3  # slow enough that kills land mid-crawl
    env = env_for(redis_db, tmp_path)
    assert scrapy(portal, env, "enqueue", "--url", f"{portal.base_url}/bench/index.html"
                  ).returncode == 0
    workers = Workers(portal, env, tmp_path, "-s", "SITE_CONCURRENCY=2", "-s", "SITE_DELAY=0",
                      "-s", "CONCURRENT_REQUESTS=4", "-s", "ROBOTSTXT_OBEY=0")
    steady = [workers.start() for _ in range(2)]
    victim = workers.start()
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    kills = 0
    report_hits = lambda: sum(portal.hits.get(p, 0) for p in bench_paths(REPORTS))  # noqa: E731
    wait_for(lambda: report_hits() >= 3, 60, "the crawl to start")
    while kills < 3 and report_hits() < REPORTS - 15:
        # Kill at a random moment once the victim works (holds a heartbeat and requests).
        worker = wait_for(lambda pid=victim.pid: worker_of(client, pid), 60, "the restarted worker")
        wait_for(lambda w=worker: client.hlen(QUEUE + f"inflight:{w}"), 60, "its first requests")
        time.sleep(rng.uniform(0.2, 1.5))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        kills += 1
        # Any live worker puts the dead one's requests back once its heartbeat expires.
        wait_for(lambda w=worker: any(e["worker"] == w for e in recoveries(client)), 30,
                 f"recovery of the worker killed #{kills} (seed {seed})")
        victim = workers.start()
    assert kills >= 2, f"the crawl ended before the kills (seed {seed})"
    for proc in [*steady, victim]:
        assert proc.wait(timeout=120) == 0, workers.log(1)[-3000:]

    reports, _, _ = stored(tmp_path)
    paths = sorted(path_of(portal, u) for u in reports)
    assert paths == sorted(bench_paths(REPORTS)), f"seed {seed}"  # every report, stored once
    hits = {p: portal.hits.get(p, 0) for p in bench_paths(REPORTS)}
    assert left_in_redis(client) == {}, seed
    events = recoveries(client)
    assert len(events) == kills and all(e["by"] for e in events)
    recovered = sum(e["requests"] for e in events)
    assert recovered > 0  # the kills landed on work in flight
    # At least once, never more than the kills explain: a page is fetched again only when a
    # kill caught it in flight (a page put back by one kill may be caught again by the next).
    again = {p: n for p, n in hits.items() if n > 1}
    assert max(hits.values()) <= 1 + kills, (again, seed)
    assert sum(n - 1 for n in again.values()) <= recovered, (again, recovered, seed)


@pytest.mark.slow
def test_dead_workers_site_tokens_freed_within_seconds(portal, redis_db, tmp_path):
    """A worker killed mid-download holds the site's only politeness token; with a token TTL
    of two minutes, the live worker fetches the site again within seconds."""
    import redis

    client = redis.Redis.from_url(redis_db)
    portal.bench_reports = 6
    portal.delay = 1.0
    env = env_for(redis_db, tmp_path)
    assert scrapy(portal, env, "enqueue", "--url", f"{portal.base_url}/bench/index.html"
                  ).returncode == 0
    workers = Workers(portal, env, tmp_path, "-s", "SITE_CONCURRENCY=1", "-s", "SITE_DELAY=0",
                      "-s", "SITE_TOKEN_TTL=120", "-s", "ROBOTSTXT_OBEY=0")
    procs = {p.pid: p for p in (workers.start(), workers.start())}

    def holder():
        for key in client.scan_iter("govreports:site:*:active"):
            for token in client.zrange(key, 0, -1):
                pid = int(token.decode().split("|")[0].split(":")[1])
                if pid in procs and portal.active.get("bench", 0) > 0:
                    return pid
        return None

    wait_for(lambda: portal.hits.get("/bench/r/1.html") or portal.hits.get("/bench/r/0.html"),
             60, "report pages to be fetched")
    pid = wait_for(holder, 30, "a worker holding the site's token mid-download")
    arrivals_before = len(portal.arrivals["bench"])
    procs[pid].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    procs.pop(pid).wait()
    next_arrival = wait_for(lambda: portal.arrivals["bench"][arrivals_before:] or None, 60,
                            "the site to be fetched again")[0]
    assert next_arrival - killed_at < 30  # WORKER_HEARTBEAT_TTL (2 s) + a beat, not 120 s
    (survivor,) = procs.values()
    assert survivor.wait(timeout=120) == 0
    reports, _, _ = stored(tmp_path)
    assert sorted(path_of(portal, u) for u in reports) == sorted(bench_paths(6))
    assert left_in_redis(client) == {}


@pytest.mark.slow
def test_queue_command_shows_sites_workers_and_failures(portal, redis_db, tmp_path):
    import redis

    client = redis.Redis.from_url(redis_db)
    # PYTHONWARNINGS=default: scrapy-redis 0.9.1's scheduler warns under Scrapy 2.19 (stats
    # with ``spider=``); our subclass must not, and no filter hides it.
    env = dict(env_for(redis_db, tmp_path), PYTHONWARNINGS="default")
    empty = scrapy(portal, env, "queue")
    assert empty.returncode == 0 and "pending requests: 0" in empty.stdout
    assert scrapy(portal, env, "enqueue", "--site", "demo-trs,demo-plain").returncode == 0
    workers = Workers(portal, env, tmp_path, "-s", "SITE_CONCURRENCY=2", "-s", "SITE_DELAY=0")
    proc = workers.start("-s", "CLOSESPIDER_PAGECOUNT=3")  # stops early, leaving work behind
    assert proc.wait(timeout=120) == 0, workers.log(1)[-3000:]
    status = json.loads(scrapy(portal, env, "queue", "--json").stdout)
    assert status["pending"] == sum(status["pending_by_site"].values()) > 0
    assert status["runs"] and status["workers"] == []  # it left cleanly, holding nothing
    text = scrapy(portal, env, "queue").stdout
    assert "pending requests" in text and next(iter(status["pending_by_site"])) in text
    # A live worker is listed with its heartbeat while it crawls; the rest of the crawl ends
    # with nothing left, and the challenge page among the failed requests.
    proc = workers.start()
    wait_for(lambda: any(True for _ in client.scan_iter(QUEUE + "worker:*")), 60, "a heartbeat")
    live = scrapy(portal, env, "queue").stdout
    assert "workers: 1 live" in live and "s ago" in live
    assert proc.wait(timeout=120) == 0, workers.log(2)[-3000:]
    done = json.loads(scrapy(portal, env, "queue", "--json").stdout)
    assert done["pending"] == 0 and done["runs"] == {} and done["start_specs"] == 0
    failed = {path_of(portal, f["url"]): f["reason"] for f in done["failed"]}
    assert "challenge:ruishu" in failed["/plain/xxgk/nb/202402/t20240203_5.html"]
    reports, _, _ = stored(tmp_path)
    assert sorted(path_of(portal, u) for u in reports) == sorted(
        p for p in EXPECTED if p.startswith(("/trs/", "/plain/")))
    for log in (workers.log(1), workers.log(2)):
        assert "scrapy_redis" not in log and "DeprecationWarning" not in log, log[-3000:]
    no_redis = dict(env)
    no_redis.pop("REDIS_URL")
    refused = scrapy(portal, no_redis, "queue")
    assert refused.returncode == 2 and "REDIS_URL" in refused.stderr
