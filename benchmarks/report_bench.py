"""Report and stats benchmark: ``python benchmarks/report_bench.py [--records N] [--small M]
[--commands report,stats,export]``.

Fills embedded stores with M and N records built from the bundled fixtures (as
``store_bench.py`` does: each page distinct, organs and years as the fixtures have them), then
runs ``scrapy report`` (HTML and review pages), ``scrapy stats`` and ``scrapy export`` to SQLite
in fresh processes and prints their time, time per 1,000 records and peak memory for both sizes
(``report`` at 100k: ``--records 100000 --small 10000 --commands report,stats``). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from store_bench import fill  # noqa: E402

_CHILD = """
import resource, sys
from scrapy.cmdline import execute
try:
    execute(["scrapy", *sys.argv[1:]])
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run(data: Path, *args: str) -> tuple[float, float]:
    """``scrapy ARGS`` in a fresh process on ``data``: (peak RSS in MB, seconds)."""
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--small", type=int, default=500)
    ap.add_argument("--commands", default="report,stats,export",
                    help="comma-separated: report, stats, export")
    args = ap.parse_args()
    wanted = set(args.commands.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sizes = {args.small: tmp / "small", args.records: tmp / "large"}
        for n, data in sizes.items():
            fill(data, n)
        for name, argv in (("report", ["report", "-o", str(tmp / "r.html"), "--today", "2026-06-01"]),
                           ("stats", ["stats", "--json"]),
                           ("export sqlite", ["export", "-o", str(tmp / "r.sqlite")])):
            if name.split()[0] not in wanted:
                continue
            figures = []
            for n, data in sizes.items():
                mb, s = run(data, *argv)
                figures.append(f"{n} records {s:.1f} s ({s / n * 1000:.2f} s per 1k), "
                               f"peak RSS {mb:.0f} MB")
            print(f"{name}: " + "; ".join(figures))


if __name__ == "__main__":
    main()
