"""The crawler's small parts on real page shapes: picking titles, CMS paging, challenges, the
registry and its command."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, scrapy
from scrapy.http import Headers

from crawler import challenge, cms, crawlspec, picking
from crawler import sites as registry
from crawler.cms import trs


@pytest.mark.parametrize("title,ok", [
    ("拉萨市财政局2025年政府信息公开工作年度报告", True),
    ("2024年上海市科委政府信息公开工作年度报告", True),
    ("X政府信息公开工作2023年度报告", True),
    ("X2023年度信息公开工作报告", True),
    ("陇西县2025年政务信息公开工作开展年度报告", True),
    ("拉薩市人民政府2021年政府信息公開工作年度報告", True),
    ("平潭综合实验区2024年度政府信息公开工作年度报告解读", False),
    ("关于做好2023年政府信息公开工作年度报告编制发布工作的通知", False),
    ("2019年政府网站工作年度报表", False),
    ("拉萨市2024年法治政府建设年度报告", False),
    ("政府信息公开年报", False),  # the column, not a report
    ("2023年部门决算", False),
])
def test_report_titles(title, ok):
    assert picking.is_report_title(title) is ok


def test_title_year_and_years_argument():
    assert picking.title_year("X2023年度政府信息公开工作年度报告") == 2023
    assert crawlspec.parse_years("2019-2024") == (2019, 2024)
    assert crawlspec.parse_years("2023") == (2023, 2023)
    for bad in ("2024-2019", "20x4", "2019-"):
        with pytest.raises(ValueError):
            crawlspec.parse_years(bad)


def test_trs_paging_both_forms_one_page_at_a_time():
    zero = cms.Page("https://a.gov.cn/col/index.html", '<script>createPageHTML(4, 0, "index", "html");</script>')
    assert trs.next_page_url(zero) == "https://a.gov.cn/col/index_1.html"
    last = cms.Page("https://a.gov.cn/col/index_3.html", '<script>createPageHTML(4, 3, "index", "html");</script>')
    assert trs.next_page_url(last) is None
    one = cms.Page("https://a.gov.cn/col/dezlist.shtml",
                   "<script>createPageHTML('page_div', 3, 1, 'dezlist', 'shtml', 45);</script>")
    assert trs.next_page_url(one) == "https://a.gov.cn/col/dezlist_2.shtml"
    end = cms.Page("https://a.gov.cn/col/dezlist_3.shtml",
                   "<script>createPageHTML('page_div', 3, 3, 'dezlist', 'shtml', 45);</script>")
    assert trs.next_page_url(end) is None


def test_challenge_kinds():
    ruishu = b'<html><head><meta content="' + b"a" * 300 + b'"><script r="m"></script>'
    assert challenge.kind(412, Headers({}), ruishu) == "ruishu"
    assert challenge.kind(521, Headers({"Set-Cookie": "__jsluid_s=1"}), b"<script>document.cookie=1</script>") == "jiasule"
    assert challenge.kind(200, Headers({"Set-Cookie": "wzws_cid=1"}), b"") == "wzws"
    assert challenge.kind(403, Headers({"Set-Cookie": "safedog-flow-item=1"}), b"") == "waf"
    assert challenge.kind(200, Headers({}), b"<html>report</html>") is None
    assert challenge.kind(404, Headers({}), b"not found") is None


def test_registry_from_sites_csv():
    sites = registry.load()
    assert len(sites) >= 95 and registry.check(sites) == []
    tibet = registry.select(sites, region="54")
    assert tibet and all(s.region.startswith("54") for s in tibet)
    with pytest.raises(KeyError):
        registry.select(sites, ids=["no-such-site"])


def test_registry_check_finds_problems(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[site]]\nid = "Bad Id"\nname = "x"\nregion = "990000"\nlevel = "planet"\n'
                   'home = "ftp://x.example.com/"\ncms = "wordpress"\n', encoding="utf-8")
    problems = registry.check(registry.load(bad))
    assert len(problems) == 5


@pytest.mark.slow
def test_sites_command():
    listed = scrapy("sites", "--region", "54")
    assert listed.returncode == 0 and "540000" in listed.stdout
    checked = scrapy("sites", "--check")
    assert checked.returncode == 0 and "0 problems" in checked.stdout


@pytest.mark.slow
def test_wheel_holds_what_it_needs_at_run_time(tmp_path):
    """``pip install .`` gives a package whose ``scrapy sites`` works: the registry ships."""
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"crawler/sites/registry.toml", "crawler/commands/import-files.py",
            "crawler/commands/replay-journal.py", "crawler/store/database.py",
            "parsers/templates.py"} <= names
