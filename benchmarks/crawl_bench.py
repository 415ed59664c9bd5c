"""Crawl benchmark: ``python benchmarks/crawl_bench.py [--reports N]``.

Starts the demo portal and crawls its ``/bench/`` column (N report pages made from the
fixtures, TRS paging) in one run through Scrapy's engine: with the pipeline switched off (fetch
only, a bare spider) and with the full pipeline (parse, checks, store) for each number of
parser processes in ``--workers`` (0 parses on the reactor thread). Times are Scrapy's own
``elapsed_time_seconds`` (spider opened to closed): process start and the pipeline's start-up
are excluded. Rounds interleave the variants (``--repeat``); prints the median pages per second
and the ratio to fetch-only, and the CPU seconds of the crawl process (what the pipeline costs
the reactor's process; its workers run elsewhere); asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from demo import portal as demo_portal  # noqa: E402

# `scrapy crawl`, then the CPU seconds of the crawl process itself (its worker processes excluded).
_CRAWL = """
import resource, sys
from scrapy.cmdline import execute
try:
    execute(["scrapy", *sys.argv[1:]])
except SystemExit:
    pass
usage = resource.getrusage(resource.RUSAGE_SELF)
print("crawl process cpu", usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""


def run(portal, data: Path, pipeline: bool, workers: int = 2) -> tuple[float, float]:
    """(Scrapy's elapsed seconds, CPU seconds of the crawl process)."""
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    cmd = [sys.executable, "-c", _CRAWL, "crawl", "reports",
           "-a", f"start_url={portal.base_url}/bench/index.html",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "ROBOTSTXT_OBEY=0",
           "-s", f"PARSE_WORKERS={workers}"]
    if not pipeline:
        cmd += ["-s", "ITEM_PIPELINES={}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return (float(re.search(r"'elapsed_time_seconds': ([\d.]+)", proc.stderr).group(1)),
            float(re.search(r"crawl process cpu ([\d.]+)", proc.stderr).group(1)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--workers", default="0,1,2", help="parser processes to try, comma-separated")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds; each runs every variant once, medians are printed")
    args = ap.parse_args()
    portal = demo_portal.serve(0, bench_reports=args.reports)
    pages = args.reports + -(-args.reports // demo_portal.BENCH_PER_PAGE)
    workers = [int(x) for x in args.workers.split(",")]
    fetch, full, stored = [], {w: [] for w in workers}, {}
    # Rounds interleave the variants, so that the load of a shared machine weighs on each alike.
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            fetch.append(run(portal, Path(tmp) / "fetch", pipeline=False))
            for w in workers:
                full[w].append(run(portal, Path(tmp) / f"full{w}", pipeline=True, workers=w))
                with Store(None, Path(tmp) / f"full{w}") as store:
                    stored[w] = store.count_reports()
    portal.shutdown()
    fetch_only, fetch_cpu = (statistics.median(x) for x in zip(*fetch, strict=True))
    cpu = {w: statistics.median(c for _, c in t) for w, t in full.items()}
    full = {w: statistics.median(e for e, _ in t) for w, t in full.items()}
    print(json.dumps({"report_pages": args.reports, "requests": pages, "reports_stored": stored}))
    print(f"fetch only:                {pages / fetch_only:7.1f} pages/s ({fetch_only:.1f} s; "
          f"crawl process CPU {fetch_cpu:.1f} s)")
    for w, took in full.items():
        print(f"full pipeline, {w} parsers: {pages / took:7.1f} pages/s ({took:.1f} s; "
              f"crawl process CPU {cpu[w]:.1f} s), ratio to fetch only {fetch_only / took:.2f}")


if __name__ == "__main__":
    main()
