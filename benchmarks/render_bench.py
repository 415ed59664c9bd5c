"""Rendering benchmark: ``python benchmarks/render_bench.py [--columns N] [--pages P]``.

Writes N script-drawn columns (the demo portal's script: first page static, P-1 more drawn
from JSON behind a ``javascript:`` pager) into a temporary site, serves it with the demo
portal, and crawls it through Scrapy's engine twice: with rendering (Chromium) and with
``render=never``. Prints rendered listing pages per second and the peak memory of the crawl: the
Scrapy process's RSS, and the proportional set size (PSS) of it with its browser processes
(sampled from /proc every 50 ms; PSS so that memory Chromium's processes share counts once). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.store import Store  # noqa: E402
from demo import portal as demo_portal  # noqa: E402

_spec = importlib.util.spec_from_file_location("build_sites", ROOT / "fixtures" / "sites" / "build_sites.py")
build_sites = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_sites)


def write_site(root: Path, columns: int, pages: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.json").write_text('{"faults": {}, "hanweb": {}, "gkmlpt": {}, "jpaas": {}}')
    links = " ".join(f'<a href="/rb/c{k}/index.html">政府信息公开年报</a>' for k in range(columns))
    (root / "rb").mkdir(parents=True)
    (root / "rb" / "index.html").write_text(build_sites.chrome("渲染基准", links, site_code="1"))
    for k in range(columns):
        col = root / "rb" / f"c{k}"
        (col / "data").mkdir(parents=True)
        rows = [(f"/rb/c{k}/n{n}.htm", f"第{k}栏第{n}条工作动态") for n in range(2 * pages)]
        static = "".join(f'<dd><a href="{u}">{t}</a></dd>' for u, t in rows[:2])
        html = build_sites.chrome("政府信息公开年报", f'<dl id="list">{static}</dl>'
                                  '<div class="page_base" ms-controller="list_pagebar"></div>'
                                  + build_sites.LIST_SCRIPT % {"count": len(rows), "pages": pages},
                                  site_code="1")
        (col / "index.html").write_text(html, encoding="utf-8")
        for n in range(2, pages + 1):
            chunk = rows[2 * (n - 1): 2 * n]
            (col / "data" / f"page_{n}.json").write_text(json.dumps(
                [{"url": u, "title": t, "date": "2024-01-01"} for u, t in chunk], ensure_ascii=False))


def _pss(proc_dir: Path) -> int:
    """Proportional set size in KiB: shared pages (Chromium's processes share many) are
    divided among the processes sharing them, so a sum over processes does not overcount."""
    try:
        for line in (proc_dir / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> tuple[int, int]:
    """(RSS of pid, PSS of pid and all its descendants), in KiB, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    pss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss[int(d.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
        pss[int(d.name)] = _pss(d)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(int(d.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += pss.get(p, 0)
        todo += children.get(p, [])
    return rss.get(pid, 0), total


def run(base: str, data: Path, render: str) -> dict:
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "reports", "-a", f"start_url={base}/rb/index.html",
           "-a", f"render={render}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
           "-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]
    peak = {"scrapy": 0, "tree": 0}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    done = threading.Event()

    def sample():
        while not done.is_set():
            own, tree = tree_rss(proc.pid)
            peak["scrapy"], peak["tree"] = max(peak["scrapy"], own), max(peak["tree"], tree)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    with Store(None, data) as store:
        crawl = list(store.crawls.find({}))[-1]
    return {"seconds": elapsed, "rendered": crawl["counts"].get("render/pages", 0),
            "peak_scrapy_mib": peak["scrapy"] / 1024, "peak_tree_mib": peak["tree"] / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--pages", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        write_site(site, args.columns, args.pages)
        portal = demo_portal.serve(0, site)
        try:
            static = run(portal.base_url, Path(tmp) / "never", "never")
            rendered = run(portal.base_url, Path(tmp) / "auto", "auto")
        finally:
            portal.shutdown()
    extra = rendered["seconds"] - static["seconds"]
    print(json.dumps({"columns": args.columns, "pages_per_column": args.pages,
                      "rendered_listing_pages": rendered["rendered"]}))
    print(f"render=never: {static['seconds']:6.1f} s, peak RSS {static['peak_scrapy_mib']:.0f} MiB")
    print(f"render=auto:  {rendered['seconds']:6.1f} s, peak RSS {rendered['peak_scrapy_mib']:.0f} MiB "
          f"(Scrapy) / {rendered['peak_tree_mib']:.0f} MiB PSS "
          "(with Chromium and Playwright)")
    print(f"rendered listing pages: {rendered['rendered'] / rendered['seconds']:.1f} /s overall, "
          f"{rendered['rendered'] / max(extra, 1e-9):.1f} /s counting only the time rendering added")


if __name__ == "__main__":
    main()
