"""Gaps real pages showed, each rebuilt from a real fixture by the transformation a portal or
a dump tool applies: units in column headers, table 四 in its odd shapes, text dumps published
as HTML, and an organ stated only in the page head or the signature."""

from __future__ import annotations

import html
import json

import pytest
from conftest import FIXTURES, REALDOCS, SEEDS, ids, label_for

from parsers.document import Line, Table
from parsers.html_doc import parse_html

R003 = (FIXTURES / "realdocs" / "r003.html").read_text(encoding="utf-8")
HEAD = 'colspan="2"><p>采购总金额</p>'
CELL = 'colspan="2"><p>147230元</p><p>&nbsp;</p></td>'


# --- units in column headers ---------------------------------------------------------------

@pytest.mark.parametrize("head,cell,expected", [
    ('colspan="2"><p>采购总金额（元）</p>', 'colspan="2"><p>147230</p></td>', 14.723),  # merged
    ('colspan="2"><p>采购总金额（元）</p>', '><p>147230</p></td><td></td>', 14.723),  # + empty
    ('><p>采购总金额(单位：元)</p></td><td>', '><p>147230</p></td><td>&nbsp;</td>', 14.723),
    ('colspan="2"><p>采购总金额（元）</p>', 'colspan="2"><p>8810055</p></td>', 881.0055),
    ('colspan="2"><p>采购总金额（亿元）</p>', 'colspan="2"><p>0.5</p></td>', 5000.0),
    ('colspan="2"><p>采购总金额（元）</p>', 'colspan="2"><p>14.723万元</p></td>', 14.723),  # cell wins
], ids=["merged", "merged+empty", "header+empty", "issue", "yi", "cell-unit"])
def test_unit_in_column_header_applies_to_the_column(head, cell, expected, parse):
    assert HEAD in R003 and CELL in R003
    record = parse(R003.replace(HEAD, head).replace(CELL, cell).encode("utf-8"))
    procurement = record["tables"]["active_disclosure"]["centralized_procurement"]
    assert procurement == {"projects": 3, "amount_10k_yuan": expected}
    raw = cell.split("<p>")[1].split("</p>")[0]
    assert record["cells"]["active_disclosure"]["centralized_procurement"]["amount_10k_yuan"] == raw
    # Everything else reads as the page does.
    label = label_for(FIXTURES / "labels" / "r003.json")
    assert {k: v for k, v in record["tables"].items() if k != "active_disclosure"} == {
        k: v for k, v in label["tables"].items() if k != "active_disclosure"}


# --- table 四 -----------------------------------------------------------------------------

SEED_2019 = next(p for p in SEEDS if p.stem.startswith("004"))  # a 2019-template text dump
R001 = FIXTURES / "realdocs" / "r001.txt"  # a real Markdown dump with nonzero table-4 values
R002 = FIXTURES / "realdocs" / "r002.html"


def review_cells(path) -> list[list[str]]:
    """The page's own table-4 cells, group by group, as the parser read them."""
    from parsers import parse_page

    cells = parse_page(path.read_bytes())["cells"]["review_litigation"]
    return [[cells[g][c] for c in ("upheld", "corrected", "other", "pending", "total")]
            for g in ("review", "litigation_direct", "litigation_after_review")]


def replace_table4(lines: list[str], new: list[str]) -> str:
    start = next(i for i, t in enumerate(lines)
                 if "行政复议" in t and "行政诉讼情况" in t and len(t) <= 40)
    end = next(i for i, t in enumerate(lines) if i > start and (
        t.startswith("五、") or t.startswith("（一）主要问题") or t.startswith("四、存在")))
    return "\n".join(lines[:start + 1] + new + lines[end:])


def shape_a(values: list[str], layout: str) -> list[str]:
    rows = [["行政复议", "行政诉讼"],
            ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
            values]
    if layout == "tab":
        return ["\t".join(r) for r in rows]
    if layout == "pipe":
        return [" | ".join(r) for r in rows]
    if layout == "stream":
        return [c + " |" for r in rows for c in r]
    return [" ".join(r) for r in rows]


@pytest.mark.parametrize("layout", ["tab", "pipe", "stream", "prose"])
@pytest.mark.parametrize("source", [SEED_2019, R001], ids=["seed-2019", "r001"])
def test_table4_after_table3_end_row_and_heading(source, layout, parse):
    """(a) 四、结转下年度继续办理 ends table 三, the next line is the table-4 heading, then the
    two header rows and the 15 values."""
    values = [v for group in review_cells(source) for v in group]
    lines = source.read_text(encoding="utf-8").splitlines()
    lines = [t for t in lines if t.strip()]  # no blank line between table 三 and the heading
    record = parse(replace_table4(lines, shape_a(values, layout)))
    assert record["tables"]["review_litigation"] == label_for(source)["tables"]["review_litigation"]
    assert "review_litigation" in [s["key"] for s in record["sections"]]


def three_tables(groups: list[list[str]], style: str) -> list[str]:
    names = ["复议", "未经复议直接起诉", "复议后起诉"]
    header = "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |"
    out = []
    for name, vals in zip(names, groups, strict=True):
        if style == "caption":  # a caption line, then the table
            out += [name, header, "|---|---|---|---|---|", "| " + " | ".join(vals) + " |"]
        elif style == "header":  # the group names the table's first header row
            out += [f"| {name} | | | | |", "|---|---|---|---|---|", header,
                    "| " + " | ".join(vals) + " |"]
        else:  # placeholder headers a dump tool wrote for a header it could not render
            out += ["| 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 |", "|---|---|---|---|---|---|",
                    f"| {name} | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
                    "|  | " + " | ".join(vals) + " |"]
        out.append("")
    return out


@pytest.mark.parametrize("style", ["caption", "header", "placeholders"])
@pytest.mark.parametrize("source", [R001, R002], ids=["r001", "r002"])
def test_table4_as_three_markdown_tables(source, style, parse):
    """(b) a dump writing table 四 as three separate Markdown tables, one per group."""
    groups = review_cells(source)
    if source.suffix == ".html":  # the page as a text dump: one line per block, rows as pipes
        doc = parse_html(source.read_text(encoding="utf-8"))
        lines = [t for b in doc.blocks for t in (
            [b.text] if isinstance(b, Line) else [" | ".join(r) for r in b.rows])]
    else:
        lines = source.read_text(encoding="utf-8").splitlines()
    record = parse(replace_table4(lines, three_tables(groups, style)))
    label = label_for(source)
    assert record["tables"] == label["tables"]


# --- text dumps inside HTML ----------------------------------------------------------------

DUMPS = SEEDS + [R001]


def as_html(text: str, form: str) -> str:
    lines = text.splitlines()
    if form == "p":
        body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)
    elif form == "pre":
        body = f"<pre>{html.escape(text)}</pre>"
    else:
        body = "<div>" + "<br>\n".join(html.escape(line) for line in lines) + "</div>"
    return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"


@pytest.mark.parametrize("form", ["p", "pre", "br"])
@pytest.mark.parametrize("path", DUMPS, ids=ids(DUMPS))
def test_text_dump_published_as_html_reads_like_the_dump(path, form, parse):
    text = path.read_text(encoding="utf-8")
    page = parse(as_html(text, form).encode("utf-8"), content_type="text/html")
    dump = parse(text.encode("utf-8"))
    assert page["source"]["kind"] == "html"
    assert page["tables"] == label_for(path)["tables"] == dump["tables"]
    for key in ("organ", "year", "template"):
        assert page[key] == dump[key]
    assert [s["key"] for s in page["sections"]] == [s["key"] for s in dump["sections"]]


def test_a_pipe_in_a_title_keeps_the_page_prose():
    doc = parse_html("<html><body><h1>年度报告 | 某某局</h1><p>一、总体情况</p><p>正文。</p></body></html>")
    assert not any(isinstance(b, Table) for b in doc.blocks)
    assert [b.text for b in doc.blocks] == ["年度报告 | 某某局", "一、总体情况", "正文。"]


# --- organ from the page head or the signature ---------------------------------------------

R004 = next(p for p in REALDOCS if p.name == "r004.html").read_text(encoding="utf-8")
ORGAN = "平潭综合实验区国有资产管理局"
H1 = "<h1>2023年度政府信息公开工作年度报告</h1>"  # the portal's heading names no organ


def page(head: str, body: str) -> bytes:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{H1}{body}</body></html>".encode()


UNSTATED = R004.replace(ORGAN, "我局")  # the body says only 我局
_before, _after = R004.rsplit(ORGAN, 1)
SIGNED = _before.replace(ORGAN, "我局") + ORGAN + _after  # only the signature names it


@pytest.mark.parametrize("head,body,organ", [
    (f"<title>{ORGAN}2023年度政府信息公开工作年度报告_平潭综合实验区</title>", UNSTATED, ORGAN),
    ("<title>政府信息公开年报_平潭综合实验区</title>"
     f"<meta name='ArticleTitle' content='{ORGAN}2023年度政府信息公开工作年度报告'>", UNSTATED, ORGAN),
    (f"<title>年度报告</title><meta name='ColumnName' content='{ORGAN}'>", UNSTATED, ORGAN),
    ("<title>2023年度政府信息公开工作年度报告_平潭综合实验区</title>", SIGNED, ORGAN),
    (f"<title>{ORGAN}2023年度政府信息公开工作年度报告</title>",
     SIGNED.replace(ORGAN, "平潭综合实验区国资局"), ORGAN),
    ("<title>2023年度政府信息公开工作年度报告_平潭综合实验区</title>", UNSTATED, None),
], ids=["title", "ArticleTitle", "ColumnName", "signature", "title-before-signature", "nowhere"])
def test_organ_fallbacks(head, body, organ, parse):
    record = parse(page(head, body))
    assert record["organ"] == organ
    assert record["tables"] == label_for(FIXTURES / "labels" / "r004.json")["tables"]


def test_fixture_labels_are_json():
    # The transformations above compare with these labels; they must be the real ones.
    assert json.loads((FIXTURES / "labels" / "r004.json").read_text(encoding="utf-8"))["organ"] == ORGAN
