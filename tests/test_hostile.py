"""Hostile inputs (tests/hostile_cases.py): each one is parsed in its own process under a 1 GB
address-space limit and a CPU-time limit, and must end with a record (valid JSON, storable
integers, the expected warning), never a traceback, a MemoryError or a kill by the limits.

The limits are the harness's, not timed assertions: a case that loops or balloons is killed
and fails. ``python benchmarks/hostile_bench.py`` prints each case's time and peak memory.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from hostile_cases import CASES


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_ends_in_a_record(name, hostile_runner):
    summary = hostile_runner.summary(name)
    assert summary["out_of_int64"] == []
    assert summary["template"] in ("2021", "2019", "unknown")
    expect = CASES[name][1]
    if expect:
        assert any(expect in w for w in summary["warnings"]), summary["warnings"]
    assert len(summary["warnings"]) <= 50


def test_out_of_range_values_are_null_and_kept_raw():
    from parsers import parse_page

    record = parse_page(CASES["money_400_nines"][0]())
    fees = record["tables"]["active_disclosure"]["administrative_fees"]
    assert fees == {"amount_10k_yuan": None}
    assert record["cells"]["active_disclosure"]["administrative_fees"]["amount_10k_yuan"] == (
        "9" * 400 + "万元")
    json.dumps(record, allow_nan=False)
    record = parse_page(CASES["int_beyond_64_bit"][0]())
    assert record["tables"]["active_disclosure"]["administrative_license"] == {"decisions": None}
    assert sum("out of range" in w for w in record["warnings"]) == 2


def test_a_cut_grid_keeps_the_report_around_it():
    """A grid bomb next to a real report: the bomb is cut, the report is read in full."""
    from conftest import label_for

    from parsers import parse_page

    record = parse_page(CASES["grid_bomb_5k_cells_in_report"][0]())
    assert record["tables"] == label_for(ROOT / "fixtures" / "realdocs" / "r004.html")["tables"]
    assert any(w.startswith("table 1 cut") for w in record["warnings"])


def test_charset_that_is_no_text_encoding():
    from parsers import parse_page

    body = "<p>二、主动公开政府信息情况</p>".encode("gb18030")
    for content_type in ("text/html; charset=undefined", "text/html; charset=base64"):
        record = parse_page(body, content_type=content_type)
        assert record["source"]["encoding"] == "gb18030"
        assert "主动公开" in json.dumps(record, ensure_ascii=False)
        assert "is not a text encoding" in record["warnings"][0]
