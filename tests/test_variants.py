"""The same real reports in the forms portals really serve: other encodings (declared,
wrongly declared, undeclared, with a BOM), traditional script, and text dumps of HTML pages.
Each variant must give the record of the original."""

from __future__ import annotations

import re

import lxml.html
import opencc
import pytest
from conftest import HTML_TWINS, REALDOCS, SEEDS, ids

HTML_DOCS = [p for p in REALDOCS if p.suffix == ".html"] + HTML_TWINS
STABLE = ("tables", "organ", "year", "template", "published_at")


def same(a: dict, b: dict) -> None:
    for key in STABLE:
        assert a[key] == b[key], key


def _gbk_page(html: str, charset: str | None) -> bytes:
    html = re.sub(r'<meta[^>]*charset[^>]*>', "", html, flags=re.I)
    if charset:
        html = html.replace("<head>", f'<head><meta http-equiv="Content-Type" content="text/html; charset={charset}">', 1) \
            if "<head>" in html else f'<meta charset="{charset}">' + html
    return html.encode("gb18030")


@pytest.mark.parametrize("path", HTML_DOCS, ids=ids(HTML_DOCS))
@pytest.mark.parametrize("variant", ["meta-gbk", "meta-gb2312", "header-gbk", "meta-lies-utf8",
                                     "header-lies-latin1", "undeclared", "utf8-bom"])
def test_encodings(path, variant, parse):
    html = path.read_text(encoding="utf-8")
    original = parse(html.encode("utf-8"), content_type="text/html; charset=utf-8")
    content_type = "text/html"
    if variant == "meta-gbk":
        body = _gbk_page(html, "gbk")
    elif variant == "meta-gb2312":
        body = _gbk_page(html, "gb2312")
    elif variant == "header-gbk":
        body, content_type = _gbk_page(html, None), "text/html; charset=GBK"
    elif variant == "meta-lies-utf8":
        body = _gbk_page(html, "utf-8")
    elif variant == "header-lies-latin1":
        body, content_type = _gbk_page(html, None), "text/html; charset=ISO-8859-1"
    elif variant == "undeclared":
        body = _gbk_page(html, None)
    else:
        body = b"\xef\xbb\xbf" + html.encode("utf-8")
    record = parse(body, content_type=content_type)
    same(record, original)
    assert record["source"]["encoding"] in ("gb18030", "utf-8")
    if variant in ("meta-lies-utf8", "header-lies-latin1"):
        assert any("did not decode" in w for w in record["warnings"])


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_text_seeds_in_gbk_and_utf16(path, parse):
    original = parse(path.read_bytes())
    text = path.read_text(encoding="utf-8")
    for body in (text.encode("gb18030"), b"\xff\xfe" + text.encode("utf-16-le")):
        same(parse(body), original)


@pytest.mark.parametrize("path", [p for p in REALDOCS if p.suffix == ".html"] + SEEDS,
                         ids=ids([p for p in REALDOCS if p.suffix == ".html"] + SEEDS))
def test_traditional_script(path, parse):
    """A simplified report converted to traditional script reads the same, script 'hant'."""
    original = parse(path.read_bytes())
    if original["script"] == "hant":
        pytest.skip("already traditional")
    hant = opencc.OpenCC("s2t").convert(path.read_text(encoding="utf-8"))
    record = parse(hant.encode("utf-8"))
    same(record, original)
    assert record["script"] == "hant"
    assert original["script"] == "hans"


def test_pinyin_annotations_removed(parse):
    seed = next(p for p in SEEDS if p.stem.startswith("002"))
    record = parse(seed.read_bytes())
    text = "\n".join(s["text"] for s in record["sections"])
    assert "领导" in text and "(lǐng)" not in text and "dǎo" not in text


def _dump(html: str, style: str) -> str:
    """A text dump of an HTML page as copy tools write it: spans are NOT expanded, each <td>
    is written once, prose one paragraph per line."""
    root = lxml.html.document_fromstring(html)
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    out = []

    def text_of(el):
        return re.sub(r"\s+", " ", el.text_content()).strip()

    def walk(el):
        if el.tag == "table" and not el.xpath(".//table"):
            for tr in el.xpath(".//tr"):
                cells = [text_of(td) for td in tr.xpath("./td|./th")]
                if style == "pipe":
                    out.append(" | ".join(cells) + " |")
                elif style == "tab":
                    out.append("\t".join(cells))
                else:  # stream: one cell per line, each row opened by a bare "|"
                    out.append("|")
                    out.extend(f"{c} |" if c else "|" for c in cells)
            return
        if el.tag in ("p", "h1", "h2", "h3", "li") or (el.tag == "div" and not len(el)):
            t = text_of(el)
            if t:
                out.append(t)
            return
        for child in el:
            if isinstance(child.tag, str):
                walk(child)

    walk(root.find("body") if root.find("body") is not None else root)
    return "\n".join(out)


@pytest.mark.parametrize("path", HTML_DOCS, ids=ids(HTML_DOCS))
@pytest.mark.parametrize("style", ["pipe", "tab", "stream"])
def test_text_dumps_of_html_pages(path, style, parse):
    original = parse(path.read_bytes())
    dump = _dump(path.read_text(encoding="utf-8"), style)
    record = parse(dump.encode("utf-8"), content_type="text/plain")
    assert record["source"]["kind"] == "text"
    same(record, original)


@pytest.mark.parametrize("path", HTML_DOCS, ids=ids(HTML_DOCS))
def test_tables_merged_into_one_grid(path, parse):
    """Some pages put all three tables in one <table>, with the section titles in its rows."""
    html = path.read_text(encoding="utf-8")
    original = parse(html)
    merged = re.sub(r"</table>(.*?)<table[^>]*>",
                    lambda m: "".join(f"<tr><td colspan=15>{t}</td></tr>"
                                      for t in re.findall(r">([^<>]*?情况)\s*<", m.group(1))),
                    html, flags=re.S)
    assert merged.count("<table") < html.count("<table")
    assert parse(merged)["tables"] == original["tables"]


@pytest.mark.parametrize("path", [p for p in REALDOCS if p.suffix == ".html"],
                         ids=ids([p for p in REALDOCS if p.suffix == ".html"]))
def test_transposed_review_table(path, parse):
    """The review/litigation table written as one labelled row per group."""
    html = path.read_text(encoding="utf-8")
    original = parse(html)
    review = original["tables"]["review_litigation"]
    names = {"review": "行政复议", "litigation_direct": "行政诉讼（未经复议直接起诉）",
             "litigation_after_review": "行政诉讼（复议后起诉）"}
    rows = "".join(f"<tr><td>{names[g]}</td>" + "".join(f"<td>{v}</td>" for v in review[g].values())
                   + "</tr>" for g in names)
    table = ("<table><tr><td></td><td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td>"
             f"<td>总计</td></tr>{rows}</table>")
    start = html.index("<table", html.index("四、政府信息公开行政复议"))
    end = html.index("</table>", start) + len("</table>")
    record = parse(html[:start] + table + html[end:])
    assert record["tables"] == original["tables"]


@pytest.mark.parametrize("path", [p for p in REALDOCS if p.suffix == ".html"],
                         ids=ids([p for p in REALDOCS if p.suffix == ".html"]))
def test_table_split_across_pages_with_repeated_header(path, parse):
    """Word pastes a table that crossed a page break as two tables, the header rows repeated
    and rowspans cut at the break."""
    html = path.read_text(encoding="utf-8")
    original = parse(html)
    start = html.index("<table", html.index("三、收到和处理"))
    end = html.index("</table>", start)
    rows = [m.start() for m in re.finditer(r"<tr", html[start:end])]
    middle = start + rows[len(rows) // 2]
    header = html[start:start + rows[3]]  # the <table> tag and three header rows
    split = html[:middle] + "</tbody></table><p>（续表）</p>" + header + html[middle:]
    assert split.count("<table") == html.count("<table") + 1
    assert parse(split)["tables"] == original["tables"]
