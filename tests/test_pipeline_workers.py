"""The pipeline's worker processes, through Scrapy's real engine against the demo portal's
``/bench/`` column: batches follow the workers (never larger than STORE_BATCH_SIZE, every page
stored once), and a worker SIGKILLed mid-crawl loses no page (its batch is stored again by new
workers, page by page)."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
from conftest import FAST, path_of, scrapy, stored

from demo import portal as demo_portal

pytestmark = pytest.mark.slow

REPORTS = 44  # four of them publish their report as a PDF, whose parse takes a while


@pytest.fixture
def portal():
    p = demo_portal.serve(0, bench_reports=REPORTS)
    yield p
    p.shutdown()


def crawl(portal, data, *settings, wait=True):
    return scrapy("crawl", "reports", "-a", f"start_url={portal.base_url}/bench/index.html",
                  *FAST, "-s", "ROBOTSTXT_OBEY=0", *settings, data_dir=data, wait=wait)


def bench_paths():
    return sorted(f"/bench/r/{i}.html" for i in range(REPORTS))


def _parents() -> dict[int, int]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            out[int(entry)] = int(raw.rsplit(")", 1)[1].split()[1])
    return out


def pipeline_workers(crawl_pid: int) -> list[int]:
    """The worker processes of a crawl: the children of its multiprocessing fork server."""
    parents = _parents()
    servers = [pid for pid, ppid in parents.items() if ppid == crawl_pid and b"forkserver"
               in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [pid for pid, ppid in parents.items() if ppid in servers]


def test_batches_follow_the_workers_and_store_every_page_once(portal, tmp_path):
    proc = crawl(portal, tmp_path, "-s", "PARSE_WORKERS=1", "-s", "STORE_BATCH_SIZE=3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports, pages, crawls = stored(tmp_path)
    assert sorted(path_of(portal, u) for u in reports) == bench_paths()
    counts = crawls[0]["counts"]
    assert counts["reports/new"] == REPORTS
    # Every report page went in some batch, none over the limit.
    assert 1 <= counts["pipeline/largest_batch"] <= 3
    assert counts["pipeline/batches"] >= REPORTS / 3  # a page travels with its files
    assert "pipeline/batches_broken" not in counts


def test_a_worker_killed_mid_crawl_loses_no_page(portal, tmp_path):
    portal.delay = 0.05  # slow enough that the kills land mid-crawl
    proc = crawl(portal, tmp_path, "-s", "PARSE_WORKERS=2", "-s", "CONCURRENT_REQUESTS=4",
                 "-s", "LOG_LEVEL=INFO", wait=False)
    kills, deadline = 0, time.time() + 120
    while proc.poll() is None and kills < 3 and time.time() < deadline:
        workers = pipeline_workers(proc.pid)
        if workers:
            time.sleep(0.4)  # let some pages reach the workers
            try:
                os.kill(workers[0], signal.SIGKILL)
                kills += 1
            except ProcessLookupError:  # it exited in between
                pass
        time.sleep(0.2)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out[-3000:]
    assert kills >= 1, "the crawl ended before a worker could be killed"
    reports, pages, crawls = stored(tmp_path)
    assert sorted(path_of(portal, u) for u in reports) == bench_paths(), out[-3000:]
    counts = crawls[0]["counts"]
    assert counts["pipeline/batches_broken"] >= 1
    # A page of a batch its worker had stored before it died is stored again, unchanged.
    assert counts["reports/new"] + counts.get("reports/unchanged", 0) == REPORTS
    assert "pages/worker_died" not in counts
    assert not re.search(r"Error processing|Traceback", out), out[-3000:]
    assert "pipeline worker process died; starting new workers" in out or \
        "a pipeline worker died with a batch" in out


def test_pdfminer_debug_records_stay_out_of_the_crawl_process(portal, tmp_path):
    """PDFs parsed in the crawl process (PARSE_WORKERS=0), at LOG_LEVEL=DEBUG: none of
    pdfminer's per-token DEBUG records is built (Scrapy's root logger lets every record through
    to its handler; they cost a PDF three times its parse), the rest of the log is there."""
    proc = crawl(portal, tmp_path, "-s", "PARSE_WORKERS=0", "-s", "LOG_LEVEL=DEBUG")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "DEBUG: Crawled (200)" in proc.stderr
    assert "[pdfminer" not in proc.stderr, proc.stderr[:3000]
    reports, _, crawls = stored(tmp_path)
    assert len(reports) == REPORTS and crawls[0]["counts"]["reports/read_from_attachment"] == 4
