"""Distributed crawl benchmark: ``python benchmarks/workers_bench.py [--reports N]``.

Starts the demo portal and a private redis-server on 127.0.0.1, then crawls the portal's
``/bench/`` column (N report pages) with 1 and then 2 worker processes sharing one Redis queue
(scrapy-redis) and one embedded store. Times from enqueue to the last report stored, and prints
pages per second for each and the ratio. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from demo import portal as demo_portal  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(portal, redis_url: str, workers: int, reports: int, data: Path, separate: bool = False) -> float:
    """Seconds from enqueue to the last report stored. ``separate``: each worker writes its own
    embedded store (isolates the cost of two processes sharing one SQLite-backed store)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = dict(os.environ, REDIS_URL=redis_url, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    dirs = [data / f"worker{k}" for k in range(workers)] if separate else [data]
    scrapy = [sys.executable, "-m", "scrapy"]
    t0 = time.perf_counter()
    subprocess.run(scrapy + ["enqueue", "--url", f"{portal.base_url}/bench/index.html"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    procs = [subprocess.Popen(scrapy + [
        "crawl", "reports", "-s", "EMBEDDED_STORE_SHARED=1", "-s", "REDIS_IDLE_TIMEOUT=3",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "ROBOTSTXT_OBEY=0",
        "-s", "SITE_CONCURRENCY=16", "-s", "SITE_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "LOG_LEVEL=WARNING"], cwd=ROOT, env=dict(env, DATA_DIR=str(dirs[k % len(dirs)])),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(workers)]
    done_at = None
    while done_at is None:
        time.sleep(0.2)
        try:
            total = 0
            for d in dirs:
                with Store(None, d) as store:
                    total += store.reports.count_documents({})
            if total >= reports:
                done_at = time.perf_counter()
        except Exception:  # a store is being created
            pass
    for p in procs:
        p.wait(timeout=120)
    return done_at - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=400)
    args = ap.parse_args()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        portal = demo_portal.serve(0, bench_reports=args.reports)
        requests = args.reports + -(-args.reports // demo_portal.BENCH_PER_PAGE)
        try:
            url = f"redis://127.0.0.1:{port}/0"
            times = {w: run(portal, url, w, args.reports, Path(tmp) / f"w{w}") for w in (1, 2)}
            separate = run(portal, url, 2, args.reports, Path(tmp) / "sep", separate=True)
        finally:
            portal.shutdown()
            server.terminate()
    for w, t in times.items():
        print(f"{w} worker(s): {requests / t:6.1f} pages/s ({requests} requests in {t:.1f} s, "
              f"process start included)")
    print(f"ratio 2 workers / 1 worker: {times[1] / times[2]:.2f} (2 cores on this machine)")
    print(f"2 workers, each with its own embedded store: {requests / separate:6.1f} pages/s, "
          f"ratio to 1 worker {times[1] / separate:.2f} (the shared embedded store's cost; "
          f"a real MongoDB is what several workers should share)")


if __name__ == "__main__":
    main()
