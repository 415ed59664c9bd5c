"""Store benchmark at scale: ``python benchmarks/store_bench.py [--sizes 10000,100000,300000]``.

For each size N, fills an embedded store with N distinct reports, then measures what a user
meets, each in a fresh process (peak RSS from ``getrusage``):

- fill: reports per second through ``Store.save_many`` in batches of 200 (the crawl's path);
- open: seconds to open the store and read one report;
- ``scrapy stats``: seconds (the command, interpreter start excluded), CPU seconds and peak MB;
  then again from a cold page cache (the store's files dropped from it, the code read back in
  first), where the process may drop it (root: ``/proc/sys/vm/drop_caches``), else "n/a";
- ``scrapy export`` to CSV and JSONL: seconds (likewise), seconds and CPU seconds per 1k
  reports, peak MB (and a check that every report was written);
- reparse: seconds until ``iter_reports`` yields its first report, and reports per second of the
  reparse loop (stored page -> parser -> compare) over the first 1000;
- disk: bytes per report (pages included).

Documents are made efficiently: each fixture is parsed once, then every report gets its own url,
site (one of 997), organ, year, province and page body (a distinct comment, so a distinct
hash). Prints one table row per size; asserts nothing. 10k takes about a minute; 300k is a
manual run (see README).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from parsers import parse_page  # noqa: E402
from parsers.templates import PROVINCES  # noqa: E402


def fixtures() -> list[tuple[bytes, str]]:
    out = []
    for sub, pattern in (("seeds", "*.txt"), ("realdocs", "r*.html"), ("realdocs", "r*.txt"),
                         ("html", "*.html")):
        for p in sorted((ROOT / "fixtures" / sub).glob(pattern)):
            out.append((p.read_bytes(), "text/plain" if p.suffix == ".txt" else "text/html"))
    return out


def fill(data: Path, n: int, batch: int = 200) -> float:
    """Store n distinct reports; returns reports per second."""
    docs = fixtures()
    parsed = [parse_page(body, content_type=ct) for body, ct in docs]
    provinces = sorted(PROVINCES.items())
    with Store(None, data) as store:
        t0 = time.perf_counter()
        entries = []
        for i in range(n):
            k = i % len(docs)
            body, ct = docs[k]
            code, province = provinces[i % len(provinces)]
            url = f"https://www{i % 997}.example.gov.cn/zfxxgk/zfxxgknb/t{i}.html"
            record = dict(parsed[k], url=url, organ=f"{parsed[k]['organ'] or '某局'}{i}",
                          year=2019 + i % 7, site=f"site{i % 997}",
                          region={"code": f"{code}0000", "province": province, "city": None,
                                  "county": None})
            entries.append(dict(url=url, body=body + f"\n<!-- copy {i} -->".encode(),
                                record=record, headers={"content-type": ct}))
            if len(entries) == batch:
                store.save_many(entries)
                entries = []
        if entries:
            store.save_many(entries)
        return n / (time.perf_counter() - t0)


_OPEN = """
import sys, time
t0 = time.perf_counter()
from crawler.store import Store
t1 = time.perf_counter()
with Store(None, sys.argv[1]) as store:
    next(store.iter_reports(), None)
print(time.perf_counter() - t1, file=sys.stderr)
"""

_SCRAPY = """
import resource, sys, time
from scrapy.cmdline import execute
t0 = time.perf_counter()
try:
    execute(["scrapy", *sys.argv[1:]])
except SystemExit:
    pass
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_maxrss, time.perf_counter() - t0, usage.ru_utime + usage.ru_stime,
      file=sys.stderr)
"""

_REPARSE = """
import sys, time
from crawler.store import Store
from parsers import parse_page
t0 = time.perf_counter()
with Store(None, sys.argv[1]) as store:
    n = 0
    for old in store.iter_reports():  # the loop of `scrapy reparse`
        if n == 0:
            first = time.perf_counter() - t0
            t1 = time.perf_counter()
        page = store.page(old["page_sha256"])
        record = parse_page(page["body"], url=old["url"], content_type=page.get("content_type"))
        _ = old["tables"] == record["tables"]
        n += 1
        if n == int(sys.argv[2]):
            break
    rate = n / (time.perf_counter() - t1)
print(first, rate, file=sys.stderr)
"""


def child(code: str, *args, data: Path) -> tuple[list[str], float]:
    """Run ``code`` in a fresh interpreter; returns (last stderr line split, wall seconds)."""
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return proc.stderr.strip().splitlines()[-1].split(), wall


def drop_caches() -> bool:
    """Drop the OS page cache, then read the interpreter's and the project's files back in, so
    that only the store is cold. False where this process may not (not root, a container)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    paths = sysconfig.get_paths()
    for top in {Path(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")} | {
            ROOT / "crawler", ROOT / "parsers"}:
        for f in top.rglob("*"):
            if f.is_file() and f.suffix in (".py", ".so", ".pyc", ".cfg", ".json", ".txt"):
                try:
                    f.read_bytes()
                except OSError:
                    pass
    return True


def measure(data: Path, n: int, tmp: Path) -> dict:
    row: dict = {"reports": n}
    (opened,), _ = child(_OPEN, data, data=data)
    row["open s"] = float(opened)
    (peak, took, cpu), _ = child(_SCRAPY, "stats", data=data)
    row["stats s"], row["stats MB"] = float(took), int(peak) / 1024
    row["stats cpu s"] = float(cpu)  # the process's, interpreter start included
    row["stats cold s"] = "n/a"
    if drop_caches():
        (peak, took, cpu), _ = child(_SCRAPY, "stats", data=data)
        row["stats cold s"] = float(took)
    for fmt in ("csv", "jsonl"):
        out = tmp / f"out.{fmt}"
        (peak, took, cpu), _ = child(_SCRAPY, "export", "-o", out, data=data)
        took = float(took)
        # CPU seconds move less than wall time with the load of a shared machine.
        row[f"{fmt} cpu s/1k"] = float(cpu) / n * 1000
        with open(out, "rb") as f:  # every report exported: one line each, after a header
            lines = sum(1 for _ in f)
        if lines != n + (fmt == "csv"):
            raise SystemExit(f"export {fmt}: {lines} lines for {n} reports")
        row[f"export {fmt} s"], row[f"{fmt} s/1k"] = took, took / n * 1000
        row[f"{fmt} MB"] = int(peak) / 1024
        out.unlink()
    (first, rate), _ = child(_REPARSE, data, 1000, data=data)
    row["reparse first s"], row["reparse /s"] = float(first), float(rate)
    size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
    row["KB/report"] = size / n / 1024
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000", help="comma-separated report counts")
    ap.add_argument("--dir", help="keep the stores here (default: a temporary directory)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        rows = []
        for n in sizes:
            data = tmp / f"s{n}"
            rate = fill(data, n)
            row = measure(data, n, tmp)
            row["fill /s"] = rate
            rows.append(row)
            print(" | ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                             for k, v in row.items()), flush=True)
        keys = list(rows[0])
        print("\n| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for row in rows:
            print("| " + " | ".join(f"{row[k]:.3g}" if isinstance(row[k], float) else str(row[k])
                                    for k in keys) + " |")


if __name__ == "__main__":
    main()
