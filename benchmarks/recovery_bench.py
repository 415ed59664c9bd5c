"""Recovery benchmark: ``python benchmarks/recovery_bench.py [--reports N] [--kills K]``.

Starts a private redis-server and the demo portal (served slowly) on 127.0.0.1, queues the
portal's ``/bench/`` column (N report pages) and crawls it with 3 worker processes sharing one
Redis queue and one embedded store, while one worker is killed with SIGKILL K times at random
moments (each time once it holds work) and restarted after its work was recovered. Prints the
reports stored, the fetches per report page (the portal's hit counters), and the time from
each kill to the recovery of the dead worker's requests and of the site tokens it held, plus
``scrapy queue`` as it reads right after the first recovery. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from demo import portal as demo_portal  # noqa: E402

Q = "govreports:"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ms(client) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def worker_id(client, pid: int) -> str | None:
    for key in client.scan_iter(Q + "worker:*"):
        name = key.decode()[len(Q + "worker:"):]
        if name.split(":")[1] == str(pid):
            return name
    return None


def wait(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit("timed out: the benchmark's crawl did not progress")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--kills", type=int, default=4)
    ap.add_argument("--delay", type=float, default=0.2, help="portal seconds per response")
    ap.add_argument("--interval", type=float, default=1.0, help="WORKER_HEARTBEAT_INTERVAL")
    ap.add_argument("--ttl", type=float, default=4.0, help="WORKER_HEARTBEAT_TTL")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    import redis

    seed = args.seed if args.seed is not None else random.randrange(10**6)
    rng = random.Random(seed)
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save",
                                   "", "--appendonly", "no", "--dir", tmp],
                                  stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        portal = demo_portal.serve(0, bench_reports=args.reports)
        portal.delay = args.delay
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        env = dict(os.environ, REDIS_URL=url, DATA_DIR=tmp)
        env.pop("MONGO_URI", None)
        scrapy = [sys.executable, "-m", "scrapy"]
        settings = ["-s", "EMBEDDED_STORE_SHARED=1", "-s", "DOWNLOAD_DELAY=0",
                    "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "ROBOTSTXT_OBEY=0",
                    "-s", "SITE_CONCURRENCY=4", "-s", "SITE_DELAY=0", "-s", "SITE_TOKEN_TTL=300",
                    "-s", "CONCURRENT_REQUESTS=4", "-s", "REDIS_IDLE_TIMEOUT=3",
                    "-s", f"WORKER_HEARTBEAT_INTERVAL={args.interval}",
                    "-s", f"WORKER_HEARTBEAT_TTL={args.ttl}", "-s", "LOG_LEVEL=WARNING"]

        def start():
            return subprocess.Popen(scrapy + ["crawl", "reports", *settings], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        paths = [f"/bench/r/{i}.html" for i in range(args.reports)]
        hits = lambda: sum(portal.hits.get(p, 0) for p in paths)  # noqa: E731
        t0 = time.perf_counter()
        subprocess.run(scrapy + ["enqueue", "--url", f"{portal.base_url}/bench/index.html"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        steady = [start(), start()]
        victim = start()
        kills, shown = [], ""
        try:
            while len(kills) < args.kills and hits() < args.reports * 0.95:
                worker = wait(lambda pid=victim.pid: worker_id(client, pid), 120)
                wait(lambda w=worker: client.hlen(Q + f"inflight:{w}"), 120)
                time.sleep(rng.uniform(0.2, 2.0))
                victim.send_signal(signal.SIGKILL)
                killed_ms = redis_ms(client)
                victim.wait()
                event = wait(lambda w=worker: next((json.loads(e) for e in client.lrange(
                    Q + "recoveries", 0, -1) if json.loads(e)["worker"] == w), None), 120)
                kills.append({**event, "recovered_s": (event["at"] - killed_ms) / 1000})
                if len(kills) == 1:  # what an operator sees mid-backfill
                    shown = subprocess.run(scrapy + ["queue", "--failed", "3"], cwd=ROOT, env=env,
                                           capture_output=True, text=True).stdout
                victim = start()
            for p in [*steady, victim]:
                p.wait(timeout=600)
            elapsed = time.perf_counter() - t0
        finally:
            for p in [*steady, victim]:
                if p.poll() is None:
                    p.kill()
            portal.shutdown()
            with Store(None, Path(tmp)) as store:
                urls = [d["url"] for d in store.reports.find({}, {"url": 1})]
            server.terminate()
    fetches = [portal.hits.get(p, 0) for p in paths]
    print(f"seed {seed}; {args.reports} report pages, portal {args.delay:g} s per response, "
          f"3 workers, heartbeat every {args.interval:g} s, dead after {args.ttl:g} s")
    print(f"killed with SIGKILL: {len(kills)} time(s); crawl done in {elapsed:.1f} s")
    print(f"reports stored: {len(set(urls))} distinct of {args.reports} "
          f"({len(urls) - len(set(urls))} duplicate records)")
    print(f"fetches per report page: mean {statistics.mean(fetches):.3f}, max {max(fetches)}, "
          f"pages fetched twice {sum(f == 2 for f in fetches)}, more {sum(f > 2 for f in fetches)}")
    if kills:
        rec = [k["recovered_s"] for k in kills]
        print(f"requests put back per kill: {[k['requests'] for k in kills]}, site tokens freed: "
              f"{[k['tokens'] for k in kills]}")
        print(f"kill -> requests back in the queue and site tokens freed: mean "
              f"{statistics.mean(rec):.2f} s, max {max(rec):.2f} s (bound: ttl + interval = "
              f"{args.ttl + args.interval:g} s; without recovery: never, and tokens after 300 s)")
        print("\n`scrapy queue` right after the first recovery:\n" + shown)


if __name__ == "__main__":
    main()
