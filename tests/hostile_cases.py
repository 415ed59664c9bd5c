"""Hostile inputs for the parser, generated (not stored): what an attacker or a broken portal
can send. Each case is ``name -> (builder, expect)``: ``builder()`` returns the page bytes (or
text), ``expect`` names a phrase that must be in the record's warnings (None: any clean record).

Used by tests/test_hostile.py (each case in a subprocess under memory and CPU limits) and by
benchmarks/hostile_bench.py (which prints each case's time and peak memory). The attachment
cases (tests/hostile_attachment_cases.py) run through the same harness.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "fixtures" / "realdocs" / "r004.html"

#: The harness's limits per case: address space, and CPU seconds for the whole child process
#: (interpreter start and input generation included; the parse itself must stay under 5 s).
MEMORY_LIMIT = 1 << 30
CPU_LIMIT = 10


def _page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def _report_with_cell(value: str) -> bytes:
    """A table 2 (template 2021) whose 行政许可 and 行政事业性收费 cells hold ``value``."""
    table = ("<table><tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td>"
             "<td>现行有效件数</td></tr><tr><td>规章</td><td>0</td><td>0</td><td>1</td></tr>"
             "<tr><td>信息内容</td><td>本年处理决定数量</td></tr>"
             f"<tr><td>行政许可</td><td>{value}</td></tr>"
             "<tr><td>信息内容</td><td>本年收费金额（单位：万元）</td></tr>"
             f"<tr><td>行政事业性收费</td><td>{value}</td></tr></table>")
    return _page("<p>一、总体情况</p><p>本年度。</p><p>二、主动公开政府信息情况</p>" + table
                 + "<p>三、收到和处理政府信息公开申请情况</p>")


def grid_bomb_small():
    # ~14 KB: every cell spans 200 rows and 200 columns.
    rows = "".join("<tr>" + '<td rowspan="200" colspan="200">0</td>' * 10 + "</tr>"
                   for _ in range(30))
    return _page(f"<table>{rows}</table>")


def grid_bomb_40k():
    rows = "".join("<tr>" + '<td rowspan="200" colspan="200">1</td>' * 20 + "</tr>"
                   for _ in range(50))
    return _page(f"<table>{rows}</table>")


def grid_bomb_5k_cells_in_report():
    rows = "".join("<tr>" + '<td rowspan="200" colspan="200">1</td>' * 50 + "</tr>"
                   for _ in range(100))
    return _page(f"<table>{rows}</table>" + REPORT.read_text(encoding="utf-8"))


def huge_span_values():
    return _page('<table><tr><td rowspan="99999999999999999999999" colspan="-5">规章</td>'
                 '<td colspan="1e9">1</td><td rowspan="０">2</td></tr></table>')


def paragraphs_50mb():
    return _page("<p>本年度</p>" * (50 * 1024 * 1024 // 18))


def table_rows_100k():
    rows = "<tr><td>行政许可</td><td>1</td><td>2</td><td>3</td></tr>" * 100_000
    return _page(f"<table>{rows}</table>")


def text_lines_1m():
    return ("规章 1 2 3\n" * 1_000_000).encode()


def pipe_line_500k_cells():
    return ("规章 | " + "1 | " * 500_000 + "\n").encode()


def stream_cells_1m():
    return ("规章 |\n" + "1 |\n" * 1_000_000).encode()


def attributes_200k():
    attrs = " ".join(f"a{i}=x" for i in range(200_000))
    return _page(f"<div {attrs}>规章</div>")


def attribute_value_1m():
    """One attribute value of a million name characters: counting attributes must not start
    again inside it (that was quadratic: 36 s at 80k characters)."""
    return _page("<table><tr><td rowspan='" + "9" * 1_000_000 + "'>规章</td></tr></table>")


def deep_nesting():
    return _page("<div>" * 100_000 + "本年度政府信息公开工作" + "</div>" * 100_000)


def deep_tables():
    return _page("<table><tr><td>" * 5_000 + "规章" + "</td></tr></table>" * 5_000)


def text_node_12mb():
    return _page("<p>" + "字" * (12 * 1024 * 1024) + "</p>")


def long_label_cell():
    return _page("<table><tr><td>" + "规章（" * 300_000 + "</td><td>1</td></tr></table>")


def br_1m():
    return _page("行政许可 1<br>" * 1_000_000)


def tables_30k():
    return _page("<table><tr><td>规章</td><td>1</td><td>2</td><td>3</td></tr></table>" * 30_000)


def embedded_json_many():
    return _page('<script>' + '"content":"' + "x" * 300 + '",' * 1 + ('"content":"<p>' + "a" * 250)
                 * 20_000 + "</script>")


def number_5000_digits():
    return _report_with_cell("9" * 5000)


def number_5000_digits_text():
    return ("二、主动公开政府信息情况\n行政许可 | " + "9" * 5000 + "\n").encode()


def money_400_nines():
    return _report_with_cell("9" * 400 + "万元")


def int_beyond_64_bit():
    return _report_with_cell("99999999999999999999")


def float_overflow_count():
    return _report_with_cell("1" + "0" * 400 + ".5")


def charset_undefined():
    # GBK bytes, so that UTF-8 fails and the declared codec is tried: Python's "undefined"
    # codec raises a UnicodeError that is not a UnicodeDecodeError.
    page = "<html><head><meta charset=\"undefined\"></head><body><p>规章</p></body></html>"
    return page.encode("gb18030")


def charset_not_text():
    page = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=rot13\">"
            "</head><body><p>规章</p></body></html>")
    return page.encode("gb18030")


def charset_utf16_lie():
    return REPORT.read_bytes().replace(b"<div", b'<meta charset="utf-16"><div', 1)


def invalid_utf8_bomb():
    return b"\xef\xbb\xbf" + b"\xff\xfe\xfd" * 1_000_000


def null_bytes():
    return _page("\x00" * 1_000_000 + "<p>规章</p>")


def regex_bait_metadata():
    line = "统计期限" + "年" * 200_000 + "现将" + "局" * 200_000
    return _page(f"<p>{line}</p><h1>{'信息公开' * 50_000}报告</h1>")


def many_headings():
    return _page("<p>一、总体情况</p><p>二、主动公开政府信息情况</p>" * 100_000)


CASES = {
    "grid_bomb_small": (grid_bomb_small, "cut"),
    "grid_bomb_40k": (grid_bomb_40k, "cut"),
    "grid_bomb_5k_cells_in_report": (grid_bomb_5k_cells_in_report, "cut"),
    "huge_span_values": (huge_span_values, None),
    "paragraphs_50mb": (paragraphs_50mb, "cut"),
    "table_rows_100k": (table_rows_100k, "cut"),
    "text_lines_1m": (text_lines_1m, "cut"),
    "pipe_line_500k_cells": (pipe_line_500k_cells, "cut"),
    "stream_cells_1m": (stream_cells_1m, "cut"),
    "attributes_200k": (attributes_200k, "attributes"),
    "attribute_value_1m": (attribute_value_1m, None),
    "deep_nesting": (deep_nesting, "nest"),
    "deep_tables": (deep_tables, "nest"),
    "text_node_12mb": (text_node_12mb, "cut"),
    "long_label_cell": (long_label_cell, None),
    "br_1m": (br_1m, "cut"),
    "tables_30k": (tables_30k, "cut"),
    "embedded_json_many": (embedded_json_many, None),
    "number_5000_digits": (number_5000_digits, "out of range"),
    "number_5000_digits_text": (number_5000_digits_text, "out of range"),
    "money_400_nines": (money_400_nines, "out of range"),
    "int_beyond_64_bit": (int_beyond_64_bit, "out of range"),
    "float_overflow_count": (float_overflow_count, "out of range"),
    "charset_undefined": (charset_undefined, None),
    "charset_not_text": (charset_not_text, None),
    "charset_utf16_lie": (charset_utf16_lie, None),
    "invalid_utf8_bomb": (invalid_utf8_bomb, None),
    "null_bytes": (null_bytes, None),
    "regex_bait_metadata": (regex_bait_metadata, None),
    "many_headings": (many_headings, "cut"),
}


def all_cases() -> dict:
    """The page cases and the attachment cases, by name."""
    from hostile_attachment_cases import CASES as ATTACHMENT_CASES

    return CASES | ATTACHMENT_CASES


def run_case(name: str) -> dict:
    """Build and parse one case in this process; a summary of what happened (JSON-able)."""
    builder, _ = all_cases()[name]
    body = builder()
    from parsers import parse_page

    cpu0, t0 = time.process_time(), time.perf_counter()
    record = parse_page(body)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    # The record must be valid JSON (no NaN or Infinity) and storable (BSON int64).
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    too_big = [v for rows in record["tables"].values() for cols in rows.values()
               for v in cols.values() if isinstance(v, int) and not -2**63 <= v < 2**63]
    return {"case": name, "bytes": len(body), "seconds": round(elapsed, 3),
            "cpu_seconds": round(cpu, 3),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            # LibreOffice, for the formats it converts (its own process).
            "child_max_rss_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            "record_bytes": len(text), "template": record["template"],
            "kind": record["source"]["kind"], "tables": sorted(record["tables"]),
            "warnings": record["warnings"], "out_of_int64": too_big}


def limit_resources() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))


if __name__ == "__main__":  # python tests/hostile_cases.py CASE: one case, under the limits
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    limit_resources()
    print(json.dumps(run_case(sys.argv[1]), ensure_ascii=False))
