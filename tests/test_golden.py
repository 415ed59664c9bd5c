"""Every labelled real report (seeds, realdocs, and the HTML twins of the seeds) must match
its verified label cell for cell, with template, year, organ, script and date."""

from __future__ import annotations

import pytest
from conftest import HTML_TWINS, LABELLED, SEEDS, ids, label_for

from parsers import templates as T

# realdocs/manifest.csv records, in prose, source inconsistencies its label files do not list:
# r001 "CONFIRMED SOURCE INCONSISTENCY: row_sum carried_forward and balance(total) 36 vs 35 fail";
# r005 (a PDF) "table 四 review 10/1/0/0 total 0 and after-review upheld 5 total 0".
MANIFEST_INCONSISTENCIES = {"r001": {"applications.row_sum", "applications.balance"},
                            "r005": {"review_litigation.group_sum"}}


@pytest.mark.parametrize("path", LABELLED, ids=ids(LABELLED))
def test_tables_match_label(path, parse):
    record = parse(path.read_bytes(), url=path.as_uri())
    label = label_for(path)
    assert record["tables"] == label["tables"]


@pytest.mark.parametrize("path", LABELLED, ids=ids(LABELLED))
def test_metadata_matches_label(path, parse):
    record = parse(path.read_bytes())
    label = label_for(path)
    for key in ("organ", "year", "template", "script", "published_at"):
        if key in label:
            assert record[key] == label[key], key


@pytest.mark.parametrize("path", LABELLED, ids=ids(LABELLED))
def test_checks_report_the_pages_own_inconsistencies(path, parse):
    record = parse(path.read_bytes())
    label = label_for(path)
    failing = {c["rule"] for c in record["checks"] if not c["ok"]}
    expected = {s.split()[0] for s in label.get("source_inconsistencies", [])}
    expected |= MANIFEST_INCONSISTENCIES.get(path.stem, set())
    assert failing == expected
    # Every check names its rule and place, and says what it compared.
    for check in record["checks"]:
        assert set(check) == {"rule", "where", "expected", "actual", "ok"}
        assert check["ok"] == (check["expected"] == check["actual"])


@pytest.mark.parametrize("path", LABELLED, ids=ids(LABELLED))
def test_record_has_every_schema_key(path, parse):
    record = parse(path.read_bytes(), url="https://example.gov.cn/a.html")
    for key in ("url", "title", "organ", "year", "published_at", "region", "script", "template",
                "sections", "tables", "checks", "cells", "parser_version", "content_sha256"):
        assert key in record
    assert set(record["region"]) == {"code", "province", "city", "county"}
    assert record["url"] == "https://example.gov.cn/a.html"
    # cells mirror tables: every value has the raw text it was read from.
    for table, rows in record["tables"].items():
        for row, cols in rows.items():
            assert set(record["cells"][table][row]) == set(cols)


def test_known_inconsistencies_are_flagged(parse):
    """Seeds 000 and 004 carry real arithmetic errors: the record must show them."""
    by_stem = {p.stem: p for p in SEEDS}
    r000 = parse(by_stem["000_57cd776d3ad15163"].read_bytes())
    bad = {(c["rule"], c["where"]) for c in r000["checks"] if not c["ok"]}
    assert ("applications.row_sum", "applications.not_processed_duplicate") in bad
    assert ("applications.row_sum", "applications.denied_prohibited_by_law") in bad
    dup = next(c for c in r000["checks"] if c["where"] == "applications.not_processed_duplicate")
    assert (dup["expected"], dup["actual"]) == (8, 0)
    r004 = parse(by_stem["004_a6689a29e53ae8de"].read_bytes())
    bal = [c for c in r004["checks"] if c["rule"] == "applications.balance" and not c["ok"]]
    assert {c["where"].split(" ")[0] for c in bal} == {"applications.*.total",
                                                       "applications.*.research_institution"}


def test_lost_labels_are_read_by_position_and_said(parse):
    """Seed 001 lost its result-row labels; the template fixes their order."""
    seed = next(p for p in SEEDS if p.stem.startswith("001"))
    for path in (seed, next(p for p in HTML_TWINS if p.stem == seed.stem)):
        record = parse(path.read_bytes())
        assert record["read_by_position"] == [f"applications.{k}"
                                              for k in T.APPLICATION_TEMPLATE_ROWS["2021"][2:-2]]


def test_raw_cells_kept_for_audit(parse):
    seed = next(p for p in SEEDS if p.stem.startswith("003"))
    record = parse(seed.read_bytes())
    assert record["cells"]["review_litigation"]["review"]["upheld"] == "?0"
    assert record["tables"]["review_litigation"]["review"]["upheld"] == 0
    assert record["cells"]["applications"]["denied_state_secret"]["total"] == ""
    assert record["tables"]["applications"]["denied_state_secret"]["total"] is None
    seed4 = next(p for p in SEEDS if p.stem.startswith("004"))
    r4 = parse(seed4.read_bytes())
    assert r4["cells"]["active_disclosure"]["administrative_fees"]["change"] == "减 3"
    assert r4["cells"]["active_disclosure"]["centralized_procurement"]["amount_10k_yuan"] == "32445 万元"


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_html_twin_reads_like_the_text(path, parse):
    """The same report as an HTML page with rowspan/colspan tables gives the same record."""
    twin = next(p for p in HTML_TWINS if p.stem == path.stem)
    text, page = parse(path.read_bytes()), parse(twin.read_bytes())
    assert page["tables"] == text["tables"]
    assert page["checks"] == text["checks"]
    assert [s["key"] for s in page["sections"]] == [s["key"] for s in text["sections"]]
    for key in ("organ", "year", "template", "script", "published_at"):
        assert page[key] == text[key]
