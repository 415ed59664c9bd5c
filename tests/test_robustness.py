"""Pages that are not reports, and broken pages: a record, never an exception."""

from __future__ import annotations

import random

from conftest import LABELLED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import parse_page

DOCS = [p.read_bytes() for p in LABELLED]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_record(record):
    assert record["template"] in ("2021", "2019", "unknown")
    assert isinstance(record["tables"], dict) and isinstance(record["checks"], list)
    if record["template"] == "unknown":
        assert record["tables"] == {}


NEWS = """<html><head><meta charset="utf-8"><title>市财政局召开2024年度工作会议_新闻动态</title></head>
<body><div class="nav"><a href="/">首页</a></div><h1>市财政局召开2024年度工作会议</h1>
<p>发布日期：2024-01-05</p><p>1月4日，市财政局召开2024年度工作会议，总结2023年工作，部署2024年重点任务。</p>
<p>会议指出，全年完成一般公共预算收入12.3亿元，同比增长5%。</p><p>责任编辑：张三</p></body></html>"""
LIST = """<html><body><ul class="list">
<li><a href="./202401/t20240130_1.html">拉萨市财政局2023年政府信息公开工作年度报告</a><span>2024-01-30</span></li>
<li><a href="./202301/t20230130_2.html">拉萨市财政局2022年政府信息公开工作年度报告</a><span>2023-01-30</span></li>
</ul><script>createPageHTML(3, 0, "index", "html");</script></body></html>"""


def test_news_page_is_not_a_report():
    record = parse_page(NEWS.encode("utf-8"))
    assert record["template"] == "unknown" and record["tables"] == {} and record["checks"] == []
    assert record["published_at"] == "2024-01-05"


def test_list_page_is_not_a_report():
    record = parse_page(LIST.encode("utf-8"))
    assert record["template"] == "unknown" and record["tables"] == {}


def test_empty_and_binary_inputs():
    for body in (b"", b"   ", "", b"\x00\x01\x02\xff" * 100, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
                 b"<html></html>", b"<?xml version='1.0' encoding='gbk'?><root/>", "<table><tr>"):
        record = parse_page(body)
        assert_record(record)
        assert record["template"] == "unknown"


@SETTINGS
@given(doc=st.sampled_from(DOCS), cut=st.floats(0, 1))
def test_truncated_pages_never_raise(doc, cut):
    assert_record(parse_page(doc[: int(len(doc) * cut)]))


@SETTINGS
@given(doc=st.sampled_from(DOCS), seed=st.integers(0, 2**32))
def test_shuffled_lines_never_raise(doc, seed):
    lines = doc.split(b"\n")
    random.Random(seed).shuffle(lines)
    assert_record(parse_page(b"\n".join(lines)))


@SETTINGS
@given(doc=st.sampled_from(DOCS), data=st.data())
def test_corrupted_bytes_never_raise(doc, data):
    body = bytearray(doc)
    for _ in range(data.draw(st.integers(1, 50))):
        pos = data.draw(st.integers(0, len(body) - 1))
        body[pos] = data.draw(st.integers(0, 255))
    assert_record(parse_page(bytes(body)))


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("0123456789|\t\n <>/td r一二三、（）()规章总计减万元?—")),
                    max_size=400))
def test_random_table_like_text_never_raises(text):
    assert_record(parse_page(text))


def test_unlabelled_numbers_are_not_a_table():
    """A page of numbers with no template label anywhere is not read by position."""
    rows = "".join("<tr>" + "".join(f"<td>{(r * 7 + c) % 10}</td>" for c in range(7)) + "</tr>"
                   for r in range(25))
    record = parse_page(f"<html><body><p>统计数据</p><table>{rows}</table></body></html>")
    assert record["tables"] == {} and record["template"] == "unknown"
