"""Store benchmark: ``python benchmarks/store_bench.py [--records N] [--small M]``.

Builds N records from the bundled fixtures (each page made distinct), then prints:
upserts per second (Store.save: page + report), re-parse reports per second (scrapy reparse's
loop: stored page -> parser -> compare), and the peak memory of a CSV and a JSONL export of M
records against N records, measured in fresh processes (so the figures show whether export
memory grows with the collection). Prints figures; asserts nothing.
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
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from parsers import parse_page  # noqa: E402


def fixtures() -> list[tuple[bytes, str]]:
    out = []
    for sub, pattern in (("seeds", "*.txt"), ("realdocs", "r*.html"), ("realdocs", "r*.txt"),
                         ("html", "*.html")):
        for p in sorted((ROOT / "fixtures" / sub).glob(pattern)):
            out.append((p.read_bytes(), "text/plain" if p.suffix == ".txt" else "text/html"))
    return out


def fill(data: Path, n: int) -> float:
    docs = fixtures()
    parsed = [parse_page(body, content_type=ct) for body, ct in docs]
    with Store(None, data) as store:
        t0 = time.perf_counter()
        for i in range(n):
            body, ct = docs[i % len(docs)]
            body = body + f"\n<!-- copy {i} -->".encode()
            url = f"https://www{i % 97}.example.gov.cn/zfxxgk/zfxxgknb/t{i}.html"
            record = dict(parsed[i % len(docs)], url=url)
            store.save(url, body, record, headers={"content-type": ct})
        return n / (time.perf_counter() - t0)


def reparse_rate(data: Path, limit: int) -> float:
    with Store(None, data) as store:
        t0 = time.perf_counter()
        n = 0
        for old in store.iter_reports():  # the loop of `scrapy reparse`
            if n == limit:
                break
            page = store.page(old["page_sha256"])
            record = parse_page(page["body"], url=old["url"], content_type=page.get("content_type"))
            _ = old["tables"] == record["tables"]
            n += 1
        return n / (time.perf_counter() - t0)


_CHILD = """
import resource, sys
from scrapy.cmdline import execute
try:
    execute(["scrapy", "export", "-o", sys.argv[1], "--format", sys.argv[2]])
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def export_peak_mb(data: Path, fmt: str, out: Path) -> tuple[float, float]:
    """Run ``scrapy export`` in a fresh process; return (its peak RSS in MB, seconds)."""
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(out), fmt], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--reparse", type=int, default=2000, help="records to re-parse for the rate")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, large = tmp / "small", tmp / "large"
        rate_small = fill(small, args.small)
        rate_large = fill(large, args.records)
        print(f"upserts: {rate_small:.0f}/s filling {args.small} records, "
              f"{rate_large:.0f}/s filling {args.records}")
        print(f"reparse: {reparse_rate(large, args.reparse):.0f} reports/s "
              f"(first {args.reparse} of {args.records})")
        size = sum(f.stat().st_size for f in large.rglob("*") if f.is_file()) / 2**20
        print(f"embedded store on disk: {size:.0f} MB for {args.records} records and pages")
        for fmt in ("csv", "jsonl"):
            mb_s, s_s = export_peak_mb(small, fmt, tmp / f"s.{fmt}")
            mb_l, s_l = export_peak_mb(large, fmt, tmp / f"l.{fmt}")
            print(f"export {fmt}: peak RSS {mb_s:.0f} MB for {args.small} records "
                  f"({s_s:.1f} s), {mb_l:.0f} MB for {args.records} ({s_l:.1f} s)")


if __name__ == "__main__":
    main()
