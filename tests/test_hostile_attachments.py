"""Hostile and odd attachments (tests/hostile_attachment_cases.py): zip and XML bombs, huge
sheets and merged ranges, PDFs of thousands of pages, objects or rules, stream bombs,
encrypted, truncated and corrupt files, containers holding neither Word nor Excel, and
LibreOffice hanging or crashing.

Each case is parsed in its own process under the harness's 1 GB address-space and CPU-time
limits (tests/hostile_cases.py) and must end with a record carrying the expected warning,
never a traceback or a kill. ``python benchmarks/hostile_bench.py --attachments`` prints each
case's time and memory. The other tests check that what is cut leaves the real report beside
it whole, and that the command line and ``import-files`` end cleanly on such files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, scrapy, stored
from hostile_attachment_cases import CASES, R005, XLSX

from parsers import limits, parse_page
from parsers.formats import sniff

DOCX = ROOT / "fixtures" / "attachments" / "r003.docx"
#: Cases whose real report (r005.pdf, r003.docx, r003.xlsx) sits beside the hostile part:
#: the part is cut or refused, the report is read in full.
BESIDE = {"pdf_rects_2500": R005, "pdf_rects_1900": R005, "pdf_lines_3000": R005, "pdf_lines_1990": R005, "pdf_lines_126": R005, "pdf_content_bomb": R005,
          "pdf_operators_10m": R005, "pdf_form_amplified": R005, "pdf_form_bomb": R005,
          "pdf_lzw_bomb": R005, "pdf_runlength_bomb": R005,
          "pdf_chars_100k_one_page": R005, "docx_nested_tables_80": DOCX,
          "docx_grid_bomb": DOCX, "xlsx_formatting_max_row": XLSX, "xlsx_cells_29k": XLSX,
          "xlsx_styled_cells_far": XLSX, "xlsx_merge_bomb": XLSX}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_hostile_attachment_ends_in_a_record(name, hostile_runner):
    summary = hostile_runner.summary(name)
    assert summary["out_of_int64"] == []
    expect = CASES[name][1]
    if expect:
        assert any(expect in w for w in summary["warnings"]), summary["warnings"]
    assert len(summary["warnings"]) <= limits.MAX_WARNINGS
    if name in BESIDE:
        assert summary["tables"] == ["active_disclosure", "applications", "review_litigation"]


@pytest.mark.parametrize("name", ["pdf_content_bomb", "pdf_form_amplified", "docx_grid_bomb",
                                  "xlsx_styled_cells_far", "xlsx_merge_bomb"])
def test_what_is_cut_leaves_the_report_beside_it_whole(name):
    builder, expect = CASES[name]
    record = parse_page(builder())
    assert record["tables"] == parse_page(BESIDE[name].read_bytes())["tables"]
    # What is only formatting (styled empty cells far away) goes without a word.
    assert any(expect in w for w in record["warnings"]) if expect else record["warnings"] == []


def test_formats_are_told_by_content_even_when_damaged():
    assert sniff(CASES["pdf_html_with_pdf_marker"][0]()) is None  # an HTML page stays a page
    assert sniff(CASES["docx_truncated"][0]()) == "docx"  # no central directory
    assert sniff(CASES["doc_damaged"][0]()) == "doc"  # its directory names WordDocument
    assert sniff(CASES["ole_neither_word_nor_excel"][0]()) == "ole"
    assert sniff(CASES["docx_zip_entries_20k"][0]()) == "docx"  # named without listing 20k


def test_encrypted_pdfs_open_without_a_password_or_say_they_need_one():
    from parsers.pdf_doc import read_pdf

    doc, _, warnings = read_pdf(CASES["pdf_encrypted_owner_only"][0]())
    assert warnings == []
    assert any("government information disclosure" in b.text for b in doc.blocks)
    record = parse_page(CASES["pdf_encrypted_user_password"][0]())
    assert record["source"]["kind"] == "pdf"
    assert "needs a password" in record["warnings"][0]


def test_a_lying_zip_is_never_inflated_beyond_what_it_declares():
    from parsers.ooxml import safe_package

    body, warnings = safe_package(CASES["docx_bomb_lying_size"][0](), "docx")
    assert body is None and "Bad CRC-32" in warnings[0]


def test_a_cut_pdf_says_where_and_keeps_the_pages_before(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_OBJECTS", 1500)
    record = parse_page(R005.read_bytes())
    cut = [w for w in record["warnings"] if w.startswith("PDF cut after page")]
    assert cut and cut[0].startswith("PDF cut after page 2 of 5")
    assert record["source"]["pages"] == 5


# --- LibreOffice hanging or crashing -----------------------------------------------------------

def _fake_soffice(tmp_path, script: str):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    return bin_dir


def test_a_hanging_libreoffice_is_killed_with_its_children(tmp_path, monkeypatch):
    # The launcher starts a child that outlives it, as soffice starts soffice.bin.
    pid_file = tmp_path / "child.pid"
    bin_dir = _fake_soffice(tmp_path, f"sleep 600 &\necho $! > {pid_file}\nwait\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(limits, "OFFICE_TIMEOUT", 1)
    record = parse_page((ROOT / "fixtures" / "attachments" / "r003.doc").read_bytes())
    assert record["source"]["kind"] == "doc"
    assert any("did not finish within 1 s" in w for w in record["warnings"])
    child = int(pid_file.read_text())
    for _ in range(50):  # the kill is asynchronous: wait for the zombie to be reaped
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child of the hanging LibreOffice is still running")


def test_a_crashing_libreoffice_is_a_warning(tmp_path, monkeypatch):
    bin_dir = _fake_soffice(tmp_path, "kill -SEGV $$\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    record = parse_page((ROOT / "fixtures" / "attachments" / "r003.xls").read_bytes())
    assert record["source"]["kind"] == "xls"
    assert any("killed by signal 11" in w for w in record["warnings"]), record["warnings"]


# --- the command line and import-files ------------------------------------------------------

#: One file of each family, written with the name a portal would give it.
FILES = {"bomb.docx": "docx_bomb_document_xml", "merged.xlsx": "xlsx_merge_bomb",
         "stream-bomb.pdf": "pdf_content_bomb", "locked.pdf": "pdf_encrypted_user_password",
         "pages.pdf": "pdf_pages_5000", "neither.doc": "ole_neither_word_nor_excel",
         "neither.xlsx": "zip_neither", "cut.docx": "docx_truncated",
         "laughs.xlsx": "xlsx_billion_laughs", "report.pdf": "pdf_name_but_html"}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    src = tmp_path_factory.mktemp("hostile")
    for file_name, case in FILES.items():
        (src / file_name).write_bytes(CASES[case][0]())
    return src


def _limited():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.slow
def test_cli_parses_every_hostile_file_cleanly(hostile_dir):
    proc = subprocess.run([sys.executable, "-m", "parsers", str(hostile_dir)],
                          capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
                          timeout=300, preexec_fn=_limited)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == len(FILES)
    assert all(r["warnings"] for r in records if not r["url"].endswith("report.pdf"))


@pytest.mark.slow
def test_import_files_stores_every_hostile_file_with_its_warnings(hostile_dir, tmp_path):
    data = tmp_path / "data"
    proc = scrapy("import-files", str(hostile_dir), data_dir=data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    reports = stored(data)[0]
    assert len(reports) == len(FILES)
    locked = next(r for url, r in reports.items() if url.endswith("locked.pdf"))
    assert "needs a password" in " ".join(locked["warnings"])
