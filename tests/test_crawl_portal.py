"""End to end (issue 8): ``scrapy crawl reports`` through Scrapy's engine, in a subprocess,
against the demo portal's real-portal shapes (a script-drawn column rendered in Chromium,
department sub-sites, a TRS inline pager, a cover letter) and its hostile site, and against
start URLs that cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import FAST, ROOT, free_port, label_for, stored

from crawler import rendering

pytestmark = pytest.mark.slow

SITES = ROOT / "fixtures" / "sites"
MORE = SITES / "registry-more.toml"
EXPECTED = json.loads((SITES / "expected-more.json").read_text(encoding="utf-8"))
FJCITY = {p: s for p, s in EXPECTED.items() if p.startswith("/fjcity/")}
HOSTILE = {p: s for p, s in EXPECTED.items() if p.startswith("/hostile/")}
COLUMN = "/fjcity/zwgk/zfxxgk/zfxxgknb"
DRAWN = {f"{COLUMN}/202501/t20250120_503.htm", f"{COLUMN}/202203/t20220310_505.htm",
         f"{COLUMN}/202301/t20230119_506.htm"}  # listed only by the column's script
# Peak memory of the crawl process: the wrapper's only child is the crawl.
MEASURED = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
            "file=sys.stderr); sys.exit(r.returncode)")


def crawl(data_dir, *args, registry=MORE, base=None, extra_env=None, measure=False):
    cmd = [sys.executable, "-m", "scrapy", "crawl", "reports", "-s", f"SITES_REGISTRY={registry}",
           *(["-s", f"SITES_BASE_URL={base}"] if base else []), *FAST, *args]
    if measure:
        cmd = [sys.executable, "-c", MEASURED, *cmd]
    env = dict(os.environ, DATA_DIR=str(data_dir), **(extra_env or {}))
    env.pop("MONGO_URI", None)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def paths(portal, urls):
    return {u[len(portal.base_url):] for u in urls}


def hits_during(portal, run):
    before = dict(portal.hits)
    result = run()
    return result, {k: v - before.get(k, 0) for k, v in portal.hits.items() if v != before.get(k, 0)}


def assert_read_right(portal, reports, expected):
    for url, doc in reports.items():
        label = label_for(ROOT / "fixtures" / "labels" / f"{expected[url[len(portal.base_url):]]}.json")
        assert doc["tables"] == label["tables"], url
        assert (doc["organ"], doc["year"]) == (label["organ"], label["year"]), url


needs_chromium = pytest.mark.skipif(
    not rendering.browser_available("/usr/bin/chromium"),
    reason="Debian's chromium is not installed (make setup installs it); rendering not tested")


@needs_chromium
def test_portal_home_reaches_every_report_with_chromium(portal, tmp_path):
    """From the home page: the script-drawn column (rendered, its javascript: pager clicked to
    the last page), every department sub-site (script array + template), the TRS inline pager
    and the cover letter's attachment."""
    proc, hits = hits_during(portal, lambda: crawl(tmp_path, "-a", "site=demo-fjcity",
                                                   base=portal.base_url))
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports, pages, crawls = stored(tmp_path)
    assert paths(portal, reports) == set(FJCITY)
    assert_read_right(portal, reports, FJCITY)
    counts = crawls[-1]["counts"]
    assert counts["render/pages"] >= 3 and counts["reports/new"] == len(FJCITY)
    # The browser ran the page's own script: it fetched the later pages' JSON.
    assert hits.get(f"{COLUMN}/data/page_2.json") and hits.get(f"{COLUMN}/data/page_3.json")
    # Report pages are never rendered: each was fetched once, by Scrapy.
    assert all(hits[p] == 1 for p in FJCITY)
    # The cover letter is stored as a page of the report it sent.
    (letter,) = [p for p in pages if p["url"].endswith("t20200115_602.htm")]
    assert letter["report_url"].endswith("P020200115_602.doc")
    assert f"demo-fjcity: {len(FJCITY)} reports" in proc.stderr.splitlines()


def test_without_chromium_the_crawl_runs_and_says_so_once(portal, tmp_path):
    proc = crawl(tmp_path, "-a", "site=demo-fjcity", "-s", "RENDER_BROWSER=/nonexistent/chromium",
                 base=portal.base_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports, _, crawls = stored(tmp_path)
    assert paths(portal, reports) == set(FJCITY) - DRAWN
    assert crawls[-1]["counts"]["render/skipped_no_browser"] >= 1
    assert proc.stderr.count("script-drawn lists skipped: no browser") == 1
    never = crawl(tmp_path / "never", "-a", "site=demo-fjcity", "-a", "render=never",
                  base=portal.base_url)
    assert never.returncode == 0
    counts = stored(tmp_path / "never")[2][-1]["counts"]
    assert not any(k.startswith("render/") for k in counts)


def test_pages_outside_the_years_are_fetched_once(portal, tmp_path):
    """A report whose title has no year is fetched, read as 2022, dropped for years=2024-2025
    and remembered: the next crawl for those years does not fetch it again."""
    page = "/fjcity/zwgk/zfxxgk/dfbmptlj/szbm/czj/zfxxgknb/202301/t20230110_702.htm"
    args = ("-a", "site=demo-fjcity", "-a", "years=2024-2025", "-a", "render=never")
    first, hits = hits_during(portal, lambda: crawl(tmp_path, *args, base=portal.base_url))
    assert first.returncode == 0, first.stderr[-3000:]
    assert hits.get(page) == 1
    reports, _, crawls = stored(tmp_path)
    assert portal.base_url + page not in reports
    assert crawls[-1]["counts"]["reports/outside_years"] == 1
    again, hits = hits_during(portal, lambda: crawl(tmp_path, *args, base=portal.base_url))
    assert again.returncode == 0
    assert page not in hits
    assert stored(tmp_path)[2][-1]["counts"]["reports/skipped_known_year"] >= 1
    # Asked for 2022, it is fetched and stored.
    crawl(tmp_path, "-a", "site=demo-fjcity", "-a", "years=2022", "-a", "render=never",
          base=portal.base_url)
    assert portal.base_url + page in stored(tmp_path)[0]


def test_hostile_site_stays_bounded(portal, tmp_path):
    proc, hits = hits_during(portal, lambda: crawl(tmp_path, "-a", "site=demo-hostile",
                                                   base=portal.base_url, measure=True))
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports, _, crawls = stored(tmp_path)
    counts = crawls[-1]["counts"]
    # The 下一页 chain is followed to its 300th page (DEPTH_LIMIT is 12), where the report is.
    assert hits.get("/hostile/chain/list_300.html") == 1
    assert paths(portal, reports) == set(HOSTILE)
    assert_read_right(portal, reports, HOSTILE)
    # A list titled like a report is read as a list, never stored as a report.
    assert portal.base_url + "/hostile/nb/2023nb.html" not in reports
    assert counts["bounds/listing_not_stored_as_report"] == 1
    # Calendar sub-columns: one level, not the years nested inside years.
    assert not [p for p in hits if p.count("/") >= 5 and p.startswith("/hostile/nb/20")]
    assert counts["bounds/nested_year_links_skipped"] >= 90
    # A million announced pages: only those that exist were asked for, one after the other.
    assert sum(v for p, v in hits.items() if p.startswith("/hostile/million/")) <= 41
    rss_mib = int(proc.stderr.rsplit("maxrss_kib", 1)[1].split()[0]) / 1024
    assert rss_mib < 300, rss_mib
    # With small budgets the same site costs at most what they allow.
    small, hits = hits_during(portal, lambda: crawl(
        tmp_path / "small", "-a", "site=demo-hostile", "-s", "LISTING_PAGE_BUDGET=25",
        "-s", "SITE_REQUEST_BUDGET=80", base=portal.base_url))
    assert small.returncode == 0, small.stderr[-3000:]
    assert sum(v for p, v in hits.items() if p.startswith("/hostile/")) <= 80
    assert sum(v for p, v in hits.items() if p.startswith("/hostile/million/")) <= 25
    assert sum(v for p, v in hits.items() if p.startswith("/hostile/chain/list_")) <= 25
    counts = stored(tmp_path / "small")[2][-1]["counts"]
    assert counts["budget/listing_pages_stopped"] >= 1


def _unreachable_registry(tmp_path, closed_port):
    reg = tmp_path / "registry.toml"
    reg.write_text(f"""[[site]]
id = "xizang"
name = "西藏自治区人民政府（不可达）"
region = "540000"
level = "province"
home = "https://www.xizang.invalid/"
hosts = ["www.xizang.invalid"]

[[site]]
id = "closed"
name = "关闭的端口"
region = "540100"
level = "city"
home = "http://127.0.0.1:{closed_port}/"
hosts = ["127.0.0.1"]
""", encoding="utf-8")
    return reg


OFFLINE_DNS = ["-s", "DNS_RESOLVER=offline_dns.Resolver", "-s", "RETRY_TIMES=1"]


def test_a_crawl_that_reaches_nothing_says_so_and_fails(tmp_path):
    reg = _unreachable_registry(tmp_path, free_port())
    env = {"PYTHONPATH": str(ROOT / "tests")}
    dns = crawl(tmp_path / "dns", "-a", "site=xizang", *OFFLINE_DNS, registry=reg, extra_env=env)
    assert dns.returncode != 0
    assert "xizang: 0 reports, start URL unreachable: DNS" in dns.stderr.splitlines()
    counts = stored(tmp_path / "dns")[2][-1]["counts"]
    # Not retried, and not tried again over http: a name that does not resolve stays so.
    assert counts["errors/CannotResolveHostError"] == 1
    assert not any(k.startswith(("retry/", "scheme_fallback")) for k in counts), counts
    both = crawl(tmp_path / "both", "-a", "site=xizang,closed", *OFFLINE_DNS, registry=reg,
                 extra_env=env)
    assert both.returncode != 0
    lines = both.stderr.splitlines()
    assert "xizang: 0 reports, start URL unreachable: DNS" in lines
    assert "closed: 0 reports, start URL unreachable: connection refused" in lines


def test_one_reachable_site_is_enough_to_succeed(portal, tmp_path):
    reg = tmp_path / "registry.toml"
    reg.write_text((SITES / "registry.toml").read_text(encoding="utf-8").replace(
        "{base}", portal.base_url) + _unreachable_registry(tmp_path, 1).read_text(encoding="utf-8"),
        encoding="utf-8")
    proc = crawl(tmp_path / "data", "-a", "site=demo-trs,xizang", *OFFLINE_DNS, registry=reg,
                 extra_env={"PYTHONPATH": str(ROOT / "tests")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert "demo-trs: 3 reports" in lines
    assert "xizang: 0 reports, start URL unreachable: DNS" in lines
