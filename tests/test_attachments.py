"""Reports published as attachments: every format reads like the page it was made from.

fixtures/attachments/ holds the PDF, DOCX, DOC, XLSX and XLS twins of real report pages
(made by fixtures/build_attachments.py with LibreOffice), pages without ruling, and a scan;
fixtures/realdocs/r005.pdf is a real report published only as a PDF.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, ids, label_for

from parsers import office
from parsers.formats import sniff

ATTACHMENTS = sorted(p for p in (FIXTURES / "attachments").iterdir() if ".scan." not in p.name)
READABLE = ATTACHMENTS + [FIXTURES / "realdocs" / "r005.pdf"]
SCAN = FIXTURES / "attachments" / "r004.scan.pdf"
KIND = {".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".xlsx": "xlsx", ".xls": "xls"}
needs_office = pytest.mark.skipif(office.soffice() is None,
                                  reason="LibreOffice is not installed (make setup installs "
                                         "libreoffice-writer-nogui and libreoffice-calc-nogui)")


def label_of(path: Path) -> dict:
    return label_for(path.with_name(path.name.split(".")[0] + ".json"))


def office_needed(path: Path) -> bool:
    return path.suffix in (".doc", ".xls")


@pytest.mark.parametrize("path", READABLE, ids=ids(READABLE))
def test_every_format_reads_cell_for_cell(path, parse):
    if office_needed(path) and office.soffice() is None:
        pytest.skip("LibreOffice is not installed: DOC and XLS are read through it")
    record = parse(path.read_bytes(), url="https://www.example.gov.cn/a/report" + path.suffix)
    label = label_of(path)
    assert record["tables"] == label["tables"]
    for key in ("organ", "year", "template"):
        assert record[key] == label[key], key
    assert record["source"]["kind"] == KIND[path.suffix]
    if path.suffix == ".pdf":
        assert record["source"]["pages"] >= 4
    # The six sections are found, as on the HTML page.
    assert [s["key"] for s in record["sections"]][:4] == [
        "overview", "active_disclosure", "applications", "review_litigation"]


def test_r005_fails_its_checks_where_the_source_is_wrong_and_only_there(parse):
    record = parse((FIXTURES / "realdocs" / "r005.pdf").read_bytes())
    failing = {(c["where"], c["expected"], c["actual"]) for c in record["checks"] if not c["ok"]}
    assert failing == {("review_litigation.review", 11, 0),
                       ("review_litigation.litigation_after_review", 5, 0)}
    assert record["title"] == "洪泽区人民政府2023年政府信息公开工作年度报告"
    assert record["source"] == {"kind": "pdf", "encoding": None, "site_id_code": None, "pages": 5}
    # Prose framed in a ruled box is prose; page numbers (-1-) are gone; paragraphs are whole.
    overview = next(s["text"] for s in record["sections"] if s["key"] == "overview")
    assert overview.startswith("2023 年，洪泽区人民政府坚持以习近平新时代中国特色社会主义思想为指导")
    assert "-1-" not in json.dumps(record, ensure_ascii=False)
    assert "严格执行“分级审核、先审后发”程序" in overview  # a sentence across a page break


def test_scan_is_flagged_and_no_number_is_guessed(parse):
    record = parse(SCAN.read_bytes())
    assert record["template"] == "unknown" and record["tables"] == {} and record["checks"] == []
    assert record["source"]["kind"] == "pdf" and record["source"]["pages"] >= 4
    assert any("images without a text layer" in w and "OCR" in w for w in record["warnings"])


def test_format_is_read_from_the_bytes_not_the_name_or_header(parse):
    pdf = (FIXTURES / "realdocs" / "r005.pdf").read_bytes()
    docx = (FIXTURES / "attachments" / "r003.docx").read_bytes()
    html = (FIXTURES / "realdocs" / "r003.html").read_bytes()
    as_html = parse(pdf, url="https://www.example.gov.cn/t1.html", content_type="text/html")
    assert as_html["source"]["kind"] == "pdf" and as_html["tables"]
    as_pdf = parse(docx, url="https://www.example.gov.cn/f.pdf", content_type="application/pdf")
    assert as_pdf["source"]["kind"] == "docx"
    assert as_pdf["tables"] == label_for(FIXTURES / "labels" / "r003.json")["tables"]
    page = parse(html, url="https://www.example.gov.cn/f.doc", content_type="application/msword")
    assert page["source"]["kind"] == "html" and page["tables"]


@pytest.mark.parametrize("path", ATTACHMENTS, ids=ids(ATTACHMENTS))
def test_sniff_names_each_fixture(path):
    assert sniff(path.read_bytes()) == KIND[path.suffix]


def test_unknown_containers_say_what_they_are(parse, tmp_path):
    import zipfile

    buf = tmp_path / "x.zip"
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("report.txt", "not an office file")
    record = parse(buf.read_bytes())
    assert record["source"]["kind"] == "zip" and record["template"] == "unknown"
    assert any("zip container" in w for w in record["warnings"])


@pytest.mark.parametrize("path", READABLE[::3] + [SCAN], ids=ids(READABLE[::3] + [SCAN]))
@pytest.mark.parametrize("cut", [0.05, 0.5, 0.97])
def test_truncated_attachments_give_a_record_not_a_traceback(path, cut, parse):
    body = path.read_bytes()
    record = parse(body[: int(len(body) * cut)])
    assert record["template"] in ("2021", "2019", "unknown")
    if record["template"] == "unknown":
        assert record["tables"] == {}


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "parsers", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, env=env)


def test_cli_reads_every_format():
    files = [FIXTURES / "realdocs" / "r005.pdf"] + [
        FIXTURES / "attachments" / n for n in ("r003.docx", "r002.xlsx", "r004.scan.pdf")]
    proc = run_cli(*map(str, files))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["source"]["kind"] for r in records] == ["pdf", "docx", "xlsx", "pdf"]
    assert records[1]["tables"] == label_for(FIXTURES / "labels" / "r003.json")["tables"]
    assert records[3]["template"] == "unknown"


def test_without_libreoffice_the_record_says_so(tmp_path):
    # A PATH holding only this Python: no soffice to be found.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(sys.executable, bindir / "python")
    env = dict(os.environ, PATH=str(bindir))
    proc = run_cli(str(FIXTURES / "attachments" / "r003.doc"), str(FIXTURES / "attachments" / "r003.xls"),
                   env=env)
    assert proc.returncode == 0, proc.stderr
    doc, xls = (json.loads(line) for line in proc.stdout.splitlines())
    assert doc["source"]["kind"] == "doc" and xls["source"]["kind"] == "xls"
    assert doc["template"] == "unknown" and doc["tables"] == {}
    assert any("LibreOffice" in w and "libreoffice-writer-nogui" in w for w in doc["warnings"])
    assert any("LibreOffice" in w and "libreoffice-calc-nogui" in w for w in xls["warnings"])


@needs_office
def test_a_conversion_that_hangs_is_killed():
    body = (FIXTURES / "attachments" / "r003.doc").read_bytes()
    with pytest.raises(office.ConversionFailed, match="did not finish"):
        office.convert(body, "doc", "docx", timeout=0.05)
    # The next conversion in the same process still works (its profile is intact).
    assert sniff(office.convert(body, "doc", "docx")) == "docx"


def test_parsing_html_loads_no_attachment_library():
    code = ("import sys, parsers; parsers.parse_page(open(sys.argv[1], 'rb').read()); "
            "print(sorted(m for m in ('pdfplumber', 'pdfminer', 'docx', 'openpyxl', 'olefile') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(FIXTURES / "realdocs" / "r002.html")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --- which attachments hold the report (for the crawl) --------------------------------------

def test_a_page_without_tables_names_its_report_attachment():
    from parsers.attachments import report_attachment_links

    path = FIXTURES / "sites" / "plain" / "xxgk" / "nb" / "202402" / "t20240201_3.html"
    url = "http://127.0.0.1:8000/plain/xxgk/nb/202402/t20240201_3.html"
    found = report_attachment_links(path.read_bytes(), url)
    assert not found.body_has_tables
    assert found.candidates == ["http://127.0.0.1:8000/plain/files/mzj2023nb.pdf"]
    assert [link.kind for link in found.links] == ["pdf"]


def test_report_candidates_are_ranked_and_lookalikes_left_out():
    from parsers.attachments import report_attachment_links

    page = ("<html><body><h1>洪泽区人民政府2023年政府信息公开工作年度报告</h1><p>附件：</p>"
            "<p><a href='/files/biao.xlsx'>附表</a></p>"
            "<p><a href='/files/jd.docx'>图解：2023年度报告.docx</a></p>"
            "<p><a href='/down.jsp?filename=%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf'>下载</a></p>"
            "<p><a href='/files/nb.wps'>2023年年度报告</a></p><p><a href='/index.html'>首页</a></p>"
            "</body></html>")
    found = report_attachment_links(page, "https://www.hongze.gov.cn/zwgk/t1.html")
    assert found.candidates == ["https://www.hongze.gov.cn/down.jsp?filename=%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf",
                                "https://www.hongze.gov.cn/files/nb.wps",
                                "https://www.hongze.gov.cn/files/biao.xlsx"]
    assert {link.kind for link in found.links} == {"xlsx", "docx", "pdf", "doc"}


def test_a_page_holding_the_tables_parses_no_attachment(parse):
    from parsers.attachments import report_attachment_links

    page = (FIXTURES / "realdocs" / "r002.html").read_text(encoding="utf-8")
    page += '<p>附件：<a href="/files/2024nb.pdf">平潭综合实验区2024年度政府信息公开工作年度报告.pdf</a></p>'
    url = "https://www.pingtan.gov.cn/zwgk/t1.html"
    record = parse(page.encode("utf-8"), url=url)
    found = report_attachment_links(page.encode("utf-8"), url, record=record)
    assert found.body_has_tables and found.candidates == []
    assert [link.url for link in found.links] == ["https://www.pingtan.gov.cn/files/2024nb.pdf"]


def test_pdf_table_continued_on_the_next_page_is_one_table():
    from parsers.document import Table
    from parsers.pdf_doc import read_pdf

    doc, source, warnings = read_pdf((FIXTURES / "realdocs" / "r005.pdf").read_bytes())
    assert source == {"pages": 5} and warnings == []
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    table3 = next(t for t in tables if any("本年新收" in c for row in t.rows for c in row))
    labels = [c for row in table3.rows for c in row]
    # Rows 一 … 3.补正后 are on page 3, the rest of the table on page 4.
    assert "2.没有现成信息需要另行制作" in labels and "3.补正后申请内容仍不明确" in labels
    assert "四、结转下年度继续办理" in labels
    # Merged group labels repeat in each sub-row, as in an HTML grid.
    assert sum(1 for row in table3.rows if "（三）不予公开" in row) == 8
