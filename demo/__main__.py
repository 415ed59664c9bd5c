"""``make demo`` (``python -m demo``): the main job, offline.

Starts the demo portal on 127.0.0.1, crawls every demo site with the ``reports`` spider into the
embedded store (``data/demo`` unless DATA_DIR is set), exports a CSV, and prints what was found:
reports per site and year, failed checks, challenges. Running it again adds nothing (the crawl
is incremental).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from crawler import sites as registry
from crawler.store import Store
from demo import portal as demo_portal

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "fixtures" / "sites" / "registry.toml"


def main() -> int:
    data = Path(os.environ.get("DATA_DIR") or ROOT / "data" / "demo").resolve()
    try:  # a fixed port keeps report URLs stable, so a second run is incremental
        portal = demo_portal.serve(int(os.environ.get("DEMO_PORT", "8321")))
    except OSError:
        portal = demo_portal.serve(0)
        print(f"port taken: using {portal.base_url} (report URLs differ from earlier runs)")
    site_ids = [s.id for s in registry.load(REGISTRY, portal.base_url)]
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    print(f"demo portal on {portal.base_url}; crawling {', '.join(site_ids)} into {data}", flush=True)
    scrapy = [sys.executable, "-m", "scrapy"]
    crawl = subprocess.run(scrapy + [
        "crawl", "reports", "-a", "site=" + ",".join(site_ids),
        "-s", f"SITES_REGISTRY={REGISTRY}", "-s", f"SITES_BASE_URL={portal.base_url}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.2",
        "-s", "LOG_LEVEL=WARNING"], cwd=ROOT, env=env)
    portal.shutdown()
    if crawl.returncode:
        print("the crawl failed", file=sys.stderr)
        return crawl.returncode
    csv_path = data / "reports.csv"
    subprocess.run(scrapy + ["export", "-o", str(csv_path)], cwd=ROOT, env=env, check=True)
    summarise(data, csv_path)
    return 0


def summarise(data: Path, csv_path: Path) -> None:
    with Store(None, data) as store:
        rows = store.site_summaries()
        last = store.last_crawl() or {}
    per = Counter((r["site"], r["year"]) for r in rows)
    failed = Counter(r["site"] for r in rows if r["failed"])
    print(f"\n{'site':14} {'year':>5} {'reports':>8}")
    for (site, year), n in sorted(per.items(), key=lambda x: (str(x[0][0]), x[0][1] or 0)):
        print(f"{site:14} {year or '-':>5} {n:>8}")
    counts = last.get("counts", {})
    print(f"\n{len(rows)} reports in the store ({counts.get('reports/new', 0)} new this run), "
          f"{sum(1 for r in rows if r['template'] == 'unknown')} without tables")
    print("reports whose own arithmetic fails a check: "
          + (", ".join(f"{s} {n}" for s, n in sorted(failed.items())) or "none"))
    challenges = {k: v for k, v in counts.items() if k.startswith("challenge:")}
    print("challenges met (counted, not stored): "
          + (", ".join(f"{k} {v}" for k, v in challenges.items()) or "none"))
    print(f"CSV: {csv_path}")
    print(STAGED)
    print(NEXT.format(data=_shown(data)))


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


STAGED = """
The demo portal stages faults on purpose, so some log lines above are expected:
  a page that fails with 500 once (retried, then stored), a slow page, a truncated page
  (counted, not stored), a Ruishu 412 anti-bot challenge (counted, never bypassed), look-alike
  pages (解读, 通知: never fetched) and a report published only as a PDF."""

NEXT = """
Next, on this demo store (the demo keeps its own store in {data}):
  .venv/bin/scrapy report --data-dir {data} -o report.html   # open it in a browser
  .venv/bin/scrapy stats --data-dir {data}
  .venv/bin/scrapy export --data-dir {data} -o reports.xlsx
  .venv/bin/scrapy reparse --data-dir {data}
or set DATA_DIR={data} for every command."""


if __name__ == "__main__":
    sys.exit(main())
