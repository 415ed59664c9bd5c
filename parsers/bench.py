"""Parser benchmark: ``python -m parsers.bench [--rounds N]``.

Parses every bundled fixture (seeds, realdocs, HTML twins) and a synthetic 50 KB portal page
(a real report wrapped in typical page furniture) on one core, and prints median and p95
milliseconds per report and reports per second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from . import parse_page
from .script import to_simplified

ROOT = Path(__file__).resolve().parent.parent / "fixtures"


def _docs() -> dict[str, bytes]:
    docs = {}
    for sub, pattern in (("seeds", "*.txt"), ("realdocs", "r*.*"), ("html", "*.html")):
        for p in sorted((ROOT / sub).glob(pattern)):
            docs[f"{sub}/{p.name}"] = p.read_bytes()
    # A typical portal page: ~50 KB of HTML, report body plus navigation, scripts and footer.
    body = (ROOT / "realdocs" / "r004.html").read_text(encoding="utf-8")
    nav = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}</a></li>' for i in range(150))
    page = (f'<html><head><meta charset="utf-8"><title>年度报告</title><script>var a={"x" * 2000};'
            f'</script></head><body><ul class="nav">{nav}</ul>{body}<div class="footer">版权所有</div>'
            f"</body></html>")
    docs["synthetic/portal-50k.html"] = page.encode("utf-8")
    return docs


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m parsers.bench")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args(argv)
    docs = _docs()
    for body in docs.values():  # warm caches (OpenCC dictionaries, regexes)
        parse_page(body)
    times: dict[str, list[float]] = {name: [] for name in docs}
    started = time.perf_counter()
    for _ in range(args.rounds):
        for name, body in docs.items():
            t0 = time.perf_counter()
            parse_page(body)
            times[name].append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    everything = [t for ts in times.values() for t in ts]
    print(f"{'document':42} {'KB':>6} {'median ms':>10} {'p95 ms':>8}")
    for name, ts in times.items():
        print(f"{name:42} {len(docs[name]) / 1024:6.1f} {statistics.median(ts):10.2f} "
              f"{_percentile(ts, 0.95):8.2f}")
    print(f"\nall reports: median {statistics.median(everything):.2f} ms, "
          f"p95 {_percentile(everything, 0.95):.2f} ms, "
          f"{len(everything) / wall:.0f} reports/s on one core ({len(everything)} parses)")
    text = (ROOT / "seeds" / "002_8489e09d66f59a56.txt").read_text(encoding="utf-8")
    t0 = time.perf_counter()
    for _ in range(50):
        to_simplified(text)
    print(f"t2s alone on a {len(text)}-character traditional report: "
          f"{(time.perf_counter() - t0) * 1000 / 50:.2f} ms")


if __name__ == "__main__":
    main()
