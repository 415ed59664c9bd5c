"""Crawl benchmark: ``python benchmarks/crawl_bench.py [--reports N]``.

Starts the demo portal and crawls its ``/bench/`` column (N report pages made from the
fixtures, TRS paging) twice in one run through Scrapy's engine: with the full pipeline
(parse, checks, store) and with the pipeline switched off (fetch only). Prints pages per second
for both and their ratio. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from demo import portal as demo_portal  # noqa: E402


def run(portal, data: Path, pipeline: bool) -> float:
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "reports",
           "-a", f"start_url={portal.base_url}/bench/index.html",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "ROBOTSTXT_OBEY=0"]
    if not pipeline:
        cmd += ["-s", "ITEM_PIPELINES={}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=300)
    args = ap.parse_args()
    portal = demo_portal.serve(0, bench_reports=args.reports)
    pages = args.reports + -(-args.reports // demo_portal.BENCH_PER_PAGE)
    with tempfile.TemporaryDirectory() as tmp:
        fetch_only = run(portal, Path(tmp) / "fetch", pipeline=False)
        full = run(portal, Path(tmp) / "full", pipeline=True)
        with Store(None, Path(tmp) / "full") as store:
            stored = store.reports.count_documents({})
    portal.shutdown()
    print(json.dumps({"report_pages": args.reports, "requests": pages, "reports_stored": stored}))
    print(f"fetch only:    {pages / fetch_only:7.1f} pages/s ({fetch_only:.1f} s, process start included)")
    print(f"full pipeline: {pages / full:7.1f} pages/s ({full:.1f} s: parse, checks, store)")
    print(f"ratio full/fetch-only: {fetch_only / full:.2f}")


if __name__ == "__main__":
    main()
