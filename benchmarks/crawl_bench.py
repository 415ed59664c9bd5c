"""Crawl benchmark: ``python benchmarks/crawl_bench.py [--reports N]``.

Starts the demo portal (in its own process) and crawls its ``/bench/`` column (N report pages
made from the demo sites' report pages, TRS paging; one page in 11 publishes its report as a
PDF, fetched with it) in one run through Scrapy's engine: with the pipeline switched off (fetch
only, a bare spider) and with the full pipeline (parse, checks, store) for each number of parser
processes in ``--workers`` (0 parses in a thread of the crawl process). ``--no-attachments``
crawls the column without the PDF-published report (HTML report pages only). Times are Scrapy's
own ``elapsed_time_seconds`` (spider opened to closed): process start and the pipeline's
start-up are excluded. Rounds interleave the variants (``--repeat``); prints the median pages
per second and the ratio to fetch-only, and the CPU seconds of every process of a crawl, read
from ``/proc`` while it runs: the crawl process (from spider open to close, and in all), its
worker processes (with the fork server that starts them) and the portal. ``--probe`` adds
:mod:`crawl_probe`'s shares of time the downloads waited (scraper backout, starved downloads,
items waiting for a batch). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
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

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, from /proc; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class TreeCpu:
    """CPU seconds of a process and of all its descendants, polled from /proc while they run
    (a process's last reading before it exits is kept), by role: ``crawl`` (the root),
    ``workers`` (processes started by the multiprocessing fork server, and the server itself)
    and ``other`` (e.g. the resource tracker)."""

    def __init__(self, root: int):
        self.root = root
        self.cpu: dict[int, float] = {}
        self.role: dict[int, str] = {root: "crawl"}

    def poll(self) -> None:
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                got = _stat(int(entry))
                if got:
                    parents[int(entry)] = got
        known = {self.root}
        changed = True
        while changed:  # the descendants of the root, whatever the order of /proc
            changed = False
            for pid, (ppid, _) in parents.items():
                if ppid in known and pid not in known:
                    known.add(pid)
                    changed = True
        for pid in known:
            if pid in parents:
                self.cpu[pid] = parents[pid][1]
                if pid not in self.role:
                    line = _cmdline(pid)
                    ppid = parents[pid][0]
                    forked = self.role.get(ppid) == "workers" and ppid != self.root
                    self.role[pid] = ("workers" if "forkserver" in line or forked
                                      else "other")

    def by_role(self) -> dict[str, float]:
        out = {"crawl": 0.0, "workers": 0.0, "other": 0.0}
        for pid, cpu in self.cpu.items():
            out[self.role[pid]] += cpu
        return out


# `scrapy crawl` as a command; the probe logs the crawl process's CPU from spider open to close.
_CRAWL = """
import sys
from scrapy.cmdline import execute
try:
    execute(["scrapy", *sys.argv[1:]])
except SystemExit:
    pass
"""


def _serve(conn, reports: int, attachments: bool) -> None:
    portal = demo_portal.Portal(("127.0.0.1", 0), bench_reports=reports,
                                bench_attachments=attachments)
    conn.send(portal.base_url)
    portal.serve_forever()


def start_portal(reports: int, attachments: bool):
    """The demo portal in a process of its own (so that its CPU is measured apart)."""
    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(there, reports, attachments), daemon=True)
    proc.start()
    return proc, here.recv()


def run(base_url: str, portal_pid: int, data: Path, pipeline: bool, workers: int = 2,
        probe: bool = False, extra: tuple[str, ...] = ()) -> dict:
    """One crawl: Scrapy's elapsed seconds, and the CPU seconds of its processes."""
    env = dict(os.environ, DATA_DIR=str(data))
    env.pop("MONGO_URI", None)
    extensions = {"crawler.extensions.CrawlRecorder": 500, "benchmarks.crawl_probe.CrawlProbe": 900}
    cmd = [sys.executable, "-c", _CRAWL, "crawl", "reports",
           "-a", f"start_url={base_url}/bench/index.html",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "ROBOTSTXT_OBEY=0",
           "-s", f"PARSE_WORKERS={workers}", "-s", f"EXTENSIONS={json.dumps(extensions)}",
           "-s", f"PROBE_INTERVAL={0.01 if probe else 0.5}"]
    if not pipeline:
        cmd += ["-s", "ITEM_PIPELINES={}"]
    for setting in extra:
        cmd += ["-s", setting]
    portal_before = _stat(portal_pid)[1]
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                text=True)
        tree = TreeCpu(proc.pid)
        while proc.poll() is None:
            tree.poll()
            time.sleep(0.05)
        err.seek(0)
        log = err.read()
    if proc.returncode:
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{log[-3000:]}")
    summary = json.loads(re.search(r"probe (\{.*\})", log).group(1))
    cpu = tree.by_role()
    return {"elapsed": float(re.search(r"'elapsed_time_seconds': ([\d.]+)", log).group(1)),
            "requests": int(re.search(r"'downloader/request_count': (\d+)", log).group(1)),
            "crawl_cpu_all": cpu["crawl"], "workers_cpu": cpu["workers"] + cpu["other"],
            "portal_cpu": _stat(portal_pid)[1] - portal_before, **summary}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--workers", default="0,1,2", help="parser processes to try, comma-separated")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds; each runs every variant once, medians are printed")
    ap.add_argument("--no-attachments", action="store_true",
                    help="leave out the report page whose report is a linked PDF")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy setting for the pipeline variants; repeat to compare: "
                         "each --set is one more variant per worker count")
    ap.add_argument("--probe", action="store_true",
                    help="sample the engine every 10 ms and print where the time went")
    args = ap.parse_args()
    portal, base_url = start_portal(args.reports, not args.no_attachments)
    workers = [int(x) for x in args.workers.split(",")]
    variants = [("fetch only", False, 0, ())] + [
        (f"pipeline, {w} workers" + (f", {s}" if s else ""), True, w, (s,) if s else ())
        for w in workers for s in ([""] + args.set)]
    runs: dict[str, list[dict]] = {name: [] for name, *_ in variants}
    stored = {}
    print(f"load average before: {os.getloadavg()}", flush=True)
    # Rounds interleave the variants, so that the load of a shared machine weighs on each alike.
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            for n, (name, pipeline, w, extra) in enumerate(variants):
                data = Path(tmp) / str(n)
                runs[name].append(run(base_url, portal.pid, data, pipeline, w, args.probe, extra))
                with Store(None, data) as store:
                    if pipeline:
                        stored[name] = store.count_reports()
    portal.terminate()
    requests = runs["fetch only"][0]["requests"]  # pages fetched, the files linked included
    print(f"load average after: {os.getloadavg()}")
    print(json.dumps({"report_pages": args.reports, "attachments": not args.no_attachments,
                      "requests": requests, "reports_stored": stored}))
    base = _median(runs["fetch only"], "elapsed")
    print(f"{'variant':34} {'pages/s':>8} {'ratio':>6} {'elapsed':>8}   CPU s: {'crawl':>5} "
          f"{'(open..close)':>13} {'workers':>7} {'portal':>6}")
    for name, *_ in variants:
        took = _median(runs[name], "elapsed")
        print(f"{name:34} {requests / took:8.1f} {base / took:6.2f} {took:7.2f}s          "
              f"{_median(runs[name], 'crawl_cpu_all'):5.2f} {_median(runs[name], 'crawl_cpu_s'):13.2f} "
              f"{_median(runs[name], 'workers_cpu'):7.2f} {_median(runs[name], 'portal_cpu'):6.2f}")
    if args.probe:
        for name, *_ in variants:
            keys = [k for k in runs[name][0] if k not in ("elapsed", "samples", "requests")]
            print(name, json.dumps({k: _median(runs[name], k) for k in keys}))


if __name__ == "__main__":
    main()
