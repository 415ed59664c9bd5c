"""What analysts get: codebook, division codes, cross-year checks, duplicates, exports with
their codebook, stats, and the review page, driven through ``scrapy`` commands on the bundled
real reports (plus the next year of one of them, derived from its text)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections import Counter

import pytest
from conftest import LABELLED, LONGXI, REALDOCS, ROOT, SEEDS, ids, label_for, next_year, scrapy

from crawler.analysis import codebook, divisions, timeliness
from crawler.store.flatten import cell_kinds

#: The store of the module: every real fixture, the derived next year and the second copy.
STORED = len(SEEDS + REALDOCS) + 2


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Every real fixture, the derived next year of one, and a copy of one report under a
    second "portal" (a second url)."""
    data = tmp_path_factory.mktemp("data")
    src = tmp_path_factory.mktemp("src")
    (src / "longxi-2023.txt").write_text(next_year(LONGXI.read_text(encoding="utf-8")),
                                         encoding="utf-8")
    (src / "portal2").mkdir()
    (src / "portal2" / LONGXI.name).write_bytes(LONGXI.read_bytes())
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "realdocs"),
                  str(src), data_dir=data)
    assert proc.returncode == 0, proc.stderr
    assert f"new {STORED}," in proc.stdout
    return data


@pytest.mark.parametrize("path", LABELLED, ids=ids(LABELLED))
def test_codebook_names_every_cell_of_every_real_report(path):
    entries = {e["key"]: e for e in codebook.entries()}
    for table, rows in label_for(path)["tables"].items():
        for row, cols in rows.items():
            for col in cols:
                e = entries[f"{table}.{row}.{col}"]
                assert e["row_zh"] and e["column_zh"] and e["table_zh"].startswith(("二", "三", "四"))
                assert set(e["templates"].split(";")) <= {"2021", "2019"}
                assert "." not in e["name"]


def test_codebook_covers_the_wide_columns():
    keys = [e["key"] for e in codebook.entries()]
    assert keys == codebook.META_COLUMNS + list(cell_kinds())
    fees = next(e for e in codebook.entries() if e["key"] == "active_disclosure.administrative_fees.amount_10k_yuan")
    assert (fees["unit"], fees["type"], fees["column_zh"]) == ("万元", "number", "本年收费金额（单位：万元）")


@pytest.mark.parametrize("name,hint,code", [
    ("拉萨市财政局", None, "540100"), ("拉萨市财政局", "440000", "540100"),
    ("西藏自治区拉萨市城关区财政局", None, "540102"), ("武汉市青山区环保部门", None, "420107"),
    ("青山区人民政府", None, None), ("青山区人民政府", "420000", "420107"),
    ("黔南州人民政府", None, "522700"), ("市财政局", "621100", "621100"),
])
def test_division_codes_from_organ_names(name, hint, code):
    assert divisions.refine({"code": hint}, name, hint)["code"] == code


def test_registry_names_cleaned():
    assert divisions.clean_name("泾县人民政府办公室 (inferred: 我办)") == "泾县人民政府办公室"
    assert divisions.clean_name("黔南州人民政府(州政府办公室)") == "黔南州人民政府(州政府办公室)"
    text = (ROOT / "crawler" / "sites" / "registry.toml").read_text(encoding="utf-8")
    assert "(inferred" not in text and 'region = "431125"' in text  # 江永县


def test_deadlines_of_article_49():
    assert str(timeliness.deadline("拉萨市财政局", 2024)) == "2025-01-31"
    assert str(timeliness.deadline("拉萨市人民政府", 2024)) == "2025-03-31"
    assert timeliness.deadline("大罗密镇人民政府", 2024) is None
    late = timeliness.assess({"organ": "陇西县财政局", "year": 2022, "published_at": "2023-02-03"})
    assert (late["status"], late["days_late"]) == ("late", 3)


@pytest.mark.slow
def test_region_filter_takes_a_city(store, tmp_path):
    out = tmp_path / "lhasa.jsonl"
    assert scrapy("export", "-o", str(out), "--region", "5401", data_dir=store).returncode == 0
    organs = {json.loads(x)["organ"] for x in out.read_text(encoding="utf-8").splitlines()}
    assert organs == {"拉萨市财政局", "拉萨市人民政府"}


@pytest.mark.slow
def test_cross_year_checks_stored_shown_and_counted(store, tmp_path):
    proc = scrapy("show", "longxi-2023.txt", "-o", str(tmp_path / "review.html"), data_dir=store)
    assert proc.returncode == 0, proc.stderr
    assert "crossyear.carried_over" in proc.stdout and "crossyear.items_carried" in proc.stdout
    out = tmp_path / "failed.jsonl"
    scrapy("export", "-o", str(out), "--failed-checks", "--year", "2023", "--organ", "陇西",
           data_dir=store)
    (record,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    checks = {c["where"].split(" ")[0]: c for c in record["crossyear_checks"]}
    carried = checks["applications.carried_over.total"]
    assert (carried["expected"], carried["actual"], carried["ok"]) == (0, 2, False)
    assert carried["other_year"] == 2022 and carried["other_url"].endswith(LONGXI.name)
    fees = checks["active_disclosure.administrative_fees.last_year_items"]
    assert (fees["expected"], fees["actual"], fees["ok"]) == (45, 48, False)  # 48 减 3 last year
    page = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert 'class="num fail" data-cell="applications.carried_over.total"' in page
    assert '<iframe' not in page or 'sandbox=""' in page
    stats = json.loads(scrapy("stats", "--json", data_dir=store).stdout)
    rules = dict(map(tuple, stats["failing_checks_by_rule"]))
    assert rules["crossyear.carried_over"] >= 2 and rules["crossyear.items_carried"] >= 1


@pytest.mark.slow
def test_duplicates_share_a_key_and_count_once(store, tmp_path):
    out = tmp_path / "wide.csv"
    assert scrapy("export", "-o", str(out), "--organ", "陇西县财政局", "--year", "2022",
                  data_dir=store).returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 2 and rows[0]["report_key"] == rows[1]["report_key"]
    stats = json.loads(scrapy("stats", "--json", data_dir=store).stdout)
    assert stats["reports"] == STORED and stats["distinct_reports"] == STORED - 1


@pytest.mark.slow
def test_stats_counts_what_the_export_holds(store, tmp_path):
    """stats counts in the database (groups read from indexes, distinct reports as a count of
    groups, the failing reports in one pass): the same figures as counting the exported
    records one by one."""
    out = tmp_path / "all.jsonl"
    assert scrapy("export", "-o", str(out), data_dir=store).returncode == 0
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    stats = json.loads(scrapy("stats", "--json", data_dir=store).stdout)

    def bad(r):
        return [c for c in r["checks"] + (r.get("crossyear_checks") or []) if not c["ok"]]

    def pairs(key):
        return {k: n for k, n in stats[key]}

    failing = [r for r in records if bad(r)]
    assert stats["reports"] == len(records) == STORED
    assert stats["distinct_reports"] == len({r["report_key"] for r in records}) == STORED - 1
    assert stats["reports_failing_checks"] == len(failing) > 0
    assert pairs("reports_failing_checks_by_site") == Counter(r.get("site") for r in failing)
    assert pairs("failing_checks_by_rule") == Counter(c["rule"] for r in records for c in bad(r))
    assert any(rule.startswith("crossyear.") for rule in pairs("failing_checks_by_rule"))
    assert pairs("by_site") == Counter(r.get("site") for r in records)
    assert pairs("by_year") == Counter(r.get("year") for r in records)
    assert {(p, y): n for p, y, n in stats["coverage"]} == Counter(
        ((r.get("region") or {}).get("province"), r.get("year")) for r in records)


@pytest.mark.slow
def test_exports_carry_the_codebook(store, tmp_path):
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    for name in ("r.xlsx", "r.parquet", "r.sqlite", "cells.csv"):
        args = ["--format", "csv-long"] if name == "cells.csv" else []
        proc = scrapy("export", "-o", str(tmp_path / name), *args, data_dir=store)
        assert proc.returncode == 0, proc.stderr
    book = list(csv.DictReader((tmp_path / "codebook.csv").open(encoding="utf-8-sig")))
    assert len(book) == len(codebook.entries())
    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["reports", "active_disclosure", "applications", "review_litigation",
                             "failing checks", "codebook"]
    reports = wb["reports"]
    assert reports.freeze_panes == "A2" and reports.auto_filter.ref.startswith("A1:")
    header = [c.value for c in reports[1]]
    dated = [r[header.index("published_at")].value for r in reports.iter_rows(min_row=2)]
    assert any(hasattr(d, "year") for d in dated)
    assert wb["failing checks"].max_row > 1 and wb["codebook"].max_row == len(book) + 1
    schema = pq.read_schema(tmp_path / "r.parquet")
    assert all("." not in n for n in schema.names)
    assert str(schema.field("published_at").type) == "date32[day]"
    assert "予以公开" in schema.field("applications__granted__total").metadata[b"description"].decode()
    db = sqlite3.connect(tmp_path / "r.sqlite")
    assert db.execute("select count(*) from reports").fetchone() == (STORED,)
    assert db.execute("select count(*) from checks where rule like 'crossyear.%' and ok = 0"
                      ).fetchone()[0] >= 3
    lhasa = db.execute("select value, raw from cells where organ = '拉萨市财政局' and \"row\" = "
                       "'granted' and \"column\" = 'total'").fetchone()
    assert lhasa == (22, "22")
    indexes = {r[0] for r in db.execute("select name from sqlite_master where type = 'index'")}
    assert {"reports_url", "cells_cell", "checks_rule"} <= indexes
    cells = list(csv.DictReader((tmp_path / "cells.csv").open(encoding="utf-8-sig")))
    assert {"site", "template", "region_code"} <= set(cells[0])
    assert {c["region_code"] for c in cells if c["organ"] == "拉萨市财政局"} == {"540100"}


@pytest.mark.slow
def test_stats_aligned_and_filtered(store):
    proc = scrapy("stats", "--region", "54", data_dir=store)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("2 reports (2 distinct)")
    from wcwidth import wcswidth

    out = scrapy("stats", data_dir=store).stdout
    coverage = out.split("coverage (reports per province and year)\n")[1].split("\nreports with")[0]
    lines = coverage.splitlines()[1:]
    assert {"上海市", "西藏自治区"} <= {x.split()[0] for x in lines}
    assert len({wcswidth(x) for x in lines}) == 1  # CJK-aware: the columns line up


def test_light_rows_give_the_same_report():
    """The report holds one light row per stored report (headline figures by path, failing
    checks only): every figure and the page it renders equal those of the full records."""
    import datetime as dt

    from crawler.analysis import report, summary
    from parsers import parse_page

    rows = []
    for i, p in enumerate(p for p in SEEDS + REALDOCS if p.suffix in (".txt", ".html")):
        r = parse_page(p.read_bytes(), url=f"https://www.example.gov.cn/{p.name}")
        rows.append(dict(r, site=f"site{i % 2}", report_key=f"k{i // 2}"))  # pairs of copies
    light = [summary.light(r) for r in rows]
    assert all("tables" not in r and all(not c["ok"] for c in r.get("checks", [])) for r in light)
    assert summary.totals(light) == summary.totals(rows)
    assert summary.totals(light, by_province=True) == summary.totals(rows, by_province=True)
    assert summary.coverage(light) == summary.coverage(rows)
    assert summary.failing_rules(light) == summary.failing_rules(rows) != {}
    when = dt.datetime(2026, 6, 1)
    assert report.render(light, today=when.date(), generated=when) == report.render(
        rows, today=when.date(), generated=when)


@pytest.mark.slow
@pytest.mark.parametrize("filters", [[], ["--region", "54"], ["--failed-checks"]],
                         ids=["all", "region", "failing"])
def test_report_streamed_from_the_store_equals_the_report_of_the_records(store, tmp_path, filters):
    """``scrapy report`` reads the store in one ordered pass plus one query per site with
    failing checks, never holding a row per report: its page is the page of the exported
    records (full checks, every field) rendered in memory, and its review pages are those of
    the failing records, each linking the other reports that have one."""
    import re

    from crawler.analysis import report, review
    from crawler.analysis.checks import failing
    from crawler.commands.stats import recent_crawls
    from crawler.store import Store

    out = tmp_path / "r.html"
    proc = scrapy("report", "-o", str(out), "--today", "2026-06-01", *filters, data_dir=store)
    assert proc.returncode == 0, proc.stderr
    exported = tmp_path / "all.jsonl"
    assert scrapy("export", "-o", str(exported), *filters, data_dir=store).returncode == 0
    records = [json.loads(x) for x in exported.read_text(encoding="utf-8").splitlines()]
    bad = {r["url"] for r in records if failing(r)}
    assert bad and f"report of {len(records)} reports" in proc.stderr
    with Store(None, store, readonly=True) as s:
        source, crawls = s.describe(), recent_crawls(s)
    described = {"--region": "region 54", "--failed-checks": "failing checks only"}
    expected = report.render(records, today=dt.date(2026, 6, 1),
                             review_href=lambda u: f"r_review/{review.slug(u)}",
                             filters=described.get(filters[0]) if filters else "",
                             source=source, crawls=crawls)

    def unstamped(page):
        return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d", "generated -", page)

    assert unstamped(out.read_text(encoding="utf-8")) == unstamped(expected)
    pages = {p.name for p in (tmp_path / "r_review").iterdir()}
    assert pages == {review.slug(u) for u in bad}
    for r in records:
        links = {c["other_url"] for c in failing(r) if c.get("other_url")}
        if r["url"] in bad and links:
            page = (tmp_path / "r_review" / review.slug(r["url"])).read_text(encoding="utf-8")
            for url in links:
                target = review.slug(url) if url in bad else url
                assert f'href="{target}"' in page


def test_spilled_lists_come_back_in_key_order():
    """The report's long lists (late, undated, missing publishers) wait on disk: they come
    back sorted by their key, equal keys in the order they came, dates as dates."""
    from crawler.analysis.spill import Spill

    spill = Spill(width=2)
    entries = [((-3, "b"), {"url": "b", "due": dt.date(2024, 1, 31)}),
               ((-9, "z"), {"url": "z", "due": None}), ((-3, "a"), {"url": "a", "n": 1}),
               ((-3, "a"), {"url": "a", "n": 2})]
    for key, value in entries * 600:  # past one batch of inserts
        spill.add(key, value)
    got = list(spill)
    spill.close()
    assert len(got) == len(entries) * 600
    assert got[:600] == [entries[1][1]] * 600
    assert got[600:1800] == [entries[2][1], entries[3][1]] * 600
    assert got[1800:] == [entries[0][1]] * 600 and isinstance(got[-1]["due"], dt.date)
