"""Hostile and odd attachments (PDF, DOCX, XLSX, DOC, zip and OLE2 containers), generated in
code from the real fixtures (fixtures/attachments, fixtures/realdocs/r005.pdf): what an
attacker or a broken portal can publish as a report file. Same shape as
:mod:`hostile_cases`: ``name -> (builder, expect)``; ``builder()`` returns the body bytes,
``expect`` is a phrase that must be in the record's warnings (None: any clean record).

Bombs are built without ever holding their inflated form: a deflate block of a repeated chunk
is repeated (each block starts after a full flush, so the blocks are identical) and the
CRC-32 of the whole is combined arithmetically. The zips are written by hand, so a member's
declared size may also lie.

Run through tests/hostile_cases.py (one case per process, under the harness's limits) by
tests/test_hostile_attachments.py and benchmarks/hostile_bench.py.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ATTACHMENTS = ROOT / "fixtures" / "attachments"
R005 = ROOT / "fixtures" / "realdocs" / "r005.pdf"
DOCX = ATTACHMENTS / "r003.docx"
XLSX = ATTACHMENTS / "r003.xlsx"
DOC = ATTACHMENTS / "r003.doc"
HTML = ROOT / "fixtures" / "realdocs" / "r004.html"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- deflate and zip, by hand ---------------------------------------------------------------

def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine: the CRC of A+B from crc(A), crc(B) and len(B)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """zlib's adler32_combine (the checksum ending a zlib stream, as PDFs hold them)."""
    base = 65521
    rem = len2 % base
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % base
    sum1 += (adler2 & 0xFFFF) + base - 1
    sum2 += ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + base - rem
    sum1 = sum1 % base
    sum2 = sum2 % base
    return sum1 | (sum2 << 16)


def _repeat(check, combine, chunk: bytes, times: int, start: int) -> int:
    """A checksum of ``chunk * times`` by doubling, without building it."""
    total = start
    piece, length = check(chunk), len(chunk)
    while times:
        if times & 1:
            total = combine(total, piece, length)
        piece = combine(piece, piece, length)
        length *= 2
        times >>= 1
    return total


class Deflated:
    """A raw deflate stream with the CRC-32, Adler-32 and size of what it inflates to."""

    def __init__(self, raw: bytes, crc: int, adler: int, size: int):
        self.raw, self.crc, self.adler, self.size = raw, crc, adler, size

    def zlib(self) -> bytes:
        """The zlib stream (header, deflate, Adler-32): the FlateDecode of a PDF."""
        return b"\x78\x9c" + self.raw + struct.pack(">I", self.adler)


def deflate_bomb(head: bytes, chunk: bytes, times: int, tail: bytes) -> Deflated:
    """``head + chunk * times + tail``, deflated, built in O(len(chunk)) work."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    co.compress(chunk)
    co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)  # after a full flush: stateless
    last = co.compress(tail) + co.flush()
    sums = []
    for check, combine, start in ((zlib.crc32, crc32_combine, 0),
                                  (zlib.adler32, adler32_combine, 1)):
        total = combine(check(head), _repeat(check, combine, chunk, times, start),
                        len(chunk) * times)
        sums.append(combine(total, check(tail), len(tail)))
    return Deflated(first + block * times + last, *sums,
                    len(head) + len(chunk) * times + len(tail))


def deflate(data: bytes, level: int = 6) -> Deflated:
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Deflated(co.compress(data) + co.flush(), zlib.crc32(data), zlib.adler32(data),
                    len(data))


def write_zip(members: dict[str, bytes | Deflated], lie: dict[str, int] | None = None) -> bytes:
    """A zip of ``members`` (bytes are deflated; :class:`Deflated` are written as they are).
    ``lie`` declares other uncompressed sizes than the real ones."""
    out, central = io.BytesIO(), []
    for name, data in members.items():
        d = data if isinstance(data, Deflated) else deflate(data)
        size = (lie or {}).get(name, d.size)
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, d.crc,
                              len(d.raw), size, len(encoded), 0) + encoded)
        out.write(d.raw)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21,
                                   d.crc, len(d.raw), size, len(encoded), 0, 0, 0, 0, 0,
                                   offset) + encoded)
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _docx_with(document: bytes | Deflated, **extra) -> bytes:
    members: dict = members_of(DOCX)
    members["word/document.xml"] = document
    members.update(extra)
    return write_zip(members)


def _body_xml(inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W_NS}"><w:body>{inner}</w:body></w:document>').encode()


def _document_parts() -> tuple[bytes, bytes, bytes]:
    """The fixture's document.xml split around its body's content: (head, content, tail)."""
    xml = members_of(DOCX)["word/document.xml"]
    start = xml.index(b"<w:body>") + len(b"<w:body>")
    end = xml.rindex(b"<w:sectPr")
    return xml[:start], xml[start:end], xml[end:]


# --- DOCX --------------------------------------------------------------------------------------

def docx_bomb_document_xml():
    # 2 GB of paragraphs inflating from about 2 MB, after the real report.
    head, content, tail = _document_parts()
    chunk = b"<w:p><w:r><w:t>\xe8\xa7\x84\xe7\xab\xa0 1 2 3</w:t></w:r></w:p>" * 20_000
    return _docx_with(deflate_bomb(head + content, chunk, 2048 * 1024 * 1024 // len(chunk),
                                   tail))


def docx_bomb_lying_size():
    # The same bomb declaring 200 KB: zipfile stops at the declared size (and a CRC error).
    head, content, tail = _document_parts()
    chunk = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 30_000
    bomb = deflate_bomb(head + content, chunk, 1024 * 1024 * 1024 // len(chunk), tail)
    members: dict = members_of(DOCX)
    members["word/document.xml"] = bomb
    return write_zip(members, lie={"word/document.xml": 200_000})


def docx_styles_bomb():
    # The bomb in a part python-docx parses besides the body (styles.xml).
    chunk = b'<w:style w:type="paragraph" w:styleId="s"><w:name w:val="x"/></w:style>' * 10_000
    bomb = deflate_bomb(f'<w:styles xmlns:w="{W_NS}">'.encode(), chunk,
                        1024 * 1024 * 1024 // len(chunk), b"</w:styles>")
    return _docx_with(members_of(DOCX)["word/document.xml"], **{"word/styles.xml": bomb})


def docx_paragraphs_400k():
    # 400k distinct paragraphs (24 MB of XML, a plausible compression ratio).
    inner = "".join(f"<w:p><w:r><w:t>第{i}行 {i * 7}</w:t></w:r></w:p>" for i in range(400_000))
    return _docx_with(deflate(_body_xml(inner), 1))


def docx_grid_bomb():
    # 300 rows of 60 cells, each spanning 200 grid columns and merged down.
    cell = ('<w:tc><w:tcPr><w:gridSpan w:val="200"/><w:vMerge w:val="restart"/></w:tcPr>'
            '<w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>')
    rows = ("<w:tr>" + cell * 60 + "</w:tr>") * 300
    table = f'<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>{rows}</w:tbl>'
    head, content, tail = _document_parts()
    return _docx_with(head + content + table.encode() + tail)


def docx_paragraphs_100k():
    # 100k short paragraphs (5 MB of XML): within the size limits, beyond the block limit.
    inner = "".join(f"<w:p><w:r><w:t>{i}</w:t></w:r></w:p>" for i in range(100_000))
    return _docx_with(deflate(_body_xml(inner), 1))


def docx_table_rows_5k():
    row = "<w:tr>" + "<w:tc><w:p><w:r><w:t>行政许可</w:t></w:r></w:p></w:tc>" + \
        "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>" * 3 + "</w:tr>"
    table = f"<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>{row * 5_000}</w:tbl>"
    return _docx_with(deflate(_body_xml(table), 1))


def _nested_tables(depth: int, leaf: str) -> str:
    open_ = "<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid><w:tr><w:tc>"
    close = "</w:tc><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    return open_ * depth + leaf + close * depth


def docx_nested_tables_80():
    # 80 levels (within libxml2's depth limit), each level with siblings below it.
    leaf = "<w:p><w:r><w:t>规章</w:t></w:r></w:p>" * 2000
    head, content, tail = _document_parts()
    return _docx_with(head + content + _nested_tables(80, leaf).encode() + tail)


def docx_nested_tables_5000():
    # Beyond libxml2's depth limit.
    return _docx_with(_body_xml(_nested_tables(5000, "<w:p><w:r><w:t>规章</w:t></w:r></w:p>")))


def _laughs(root: str, ns: str, body: str) -> bytes:
    ents = '<!ENTITY a0 "规章规章规章规章规章规章规章规章规章规章">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE {root} [{ents}]>'
            f'<{root} xmlns="{ns}">{body}</{root}>').encode()


def docx_billion_laughs():
    # Ten levels of ten: 10^10 characters if expanded.
    return _docx_with(_laughs("document", W_NS, "<body><p><r><t>&a9;</t></r></p></body>"))


def docx_external_entity():
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p>'
           f'</w:body></w:document>').encode()
    return _docx_with(xml)


def docx_zip_entries_20k():
    members: dict = members_of(DOCX)
    members.update({f"customXml/item{i}.bin": b"" for i in range(20_000)})
    return write_zip(members)


def docx_truncated():
    body = DOCX.read_bytes()
    return body[: len(body) // 2]


def docx_corrupt_xml():
    return _docx_with(members_of(DOCX)["word/document.xml"][:5000])


# --- XLSX --------------------------------------------------------------------------------------

def _sheet_parts() -> tuple[bytes, bytes, bytes]:
    xml = members_of(XLSX)["xl/worksheets/sheet1.xml"]
    start = xml.index(b"<sheetData>") + len(b"<sheetData>")
    end = xml.index(b"</sheetData>")
    return xml[:start], xml[start:end], xml[end:]


def _xlsx_with(**parts) -> bytes:
    members: dict = members_of(XLSX)
    members.update({name.replace("__", "/").replace("_xml", ".xml"): data
                    for name, data in parts.items()})
    return write_zip(members)


def xlsx_bomb_sheet():
    head, rows, tail = _sheet_parts()
    chunk = b'<row><c t="inlineStr"><is><t>1</t></is></c><c><v>2</v></c></row>' * 20_000
    return _xlsx_with(xl__worksheets__sheet1_xml=deflate_bomb(
        head + rows, chunk, 2048 * 1024 * 1024 // len(chunk), tail))


def xlsx_cells_1m():
    # 50k rows of 20 numbers after the report (a plausible ratio, 20 MB of XML).
    head, rows, tail = _sheet_parts()
    extra = "".join(f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>{r + i}</v></c>'
                                               for i, col in enumerate("ABCDEFGHIJKLMNOPQRST"))
                    + "</row>" for r in range(200, 50_200))
    return _xlsx_with(xl__worksheets__sheet1_xml=deflate(head + rows + extra.encode() + tail, 1))


def xlsx_cells_29k():
    # 1,480 rows of 20 numbers after the report: just within the sheet's cell limit.
    head, rows, tail = _sheet_parts()
    extra = "".join(f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>{r + i}</v></c>'
                                               for i, col in enumerate("ABCDEFGHIJKLMNOPQRST"))
                    + "</row>" for r in range(200, 1680))
    return _xlsx_with(xl__worksheets__sheet1_xml=deflate(head + rows + extra.encode() + tail, 1))


def xlsx_shared_strings_600k():
    # The report's own strings, then 600,000 more nobody uses (13 MB of XML).
    sst = members_of(XLSX)["xl/sharedStrings.xml"]
    extra = "".join(f"<si><t>s{i}</t></si>" for i in range(600_000)).encode()
    return _xlsx_with(xl__sharedStrings_xml=deflate(sst.replace(b"</sst>", extra + b"</sst>"), 1))


def xlsx_formatting_max_row():
    # The real report, then 1,048,576 rows of formatting only and one styled cell at XFD.
    head, rows, tail = _sheet_parts()
    head = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', head)
    last = max(int(n) for n in re.findall(rb'<row r="(\d+)"', rows))
    styled = "".join(f'<row r="{r}" s="1" customFormat="1" ht="15"/>'
                     for r in range(last + 1, 1_048_576)).encode()
    styled += b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    return _xlsx_with(xl__worksheets__sheet1_xml=deflate(head + rows + styled + tail, 1))


def xlsx_styled_cells_far():
    # Only two formatting-only cells far apart: a bounding box of 17 billion cells.
    head, rows, tail = _sheet_parts()
    rows += b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    return _xlsx_with(xl__worksheets__sheet1_xml=head + rows + tail)


def xlsx_merge_bomb():
    head, rows, tail = _sheet_parts()
    merges = b'<mergeCells count="2"><mergeCell ref="B200:XFD1048576"/>' \
             b'<mergeCell ref="A300:A1048576"/></mergeCells>'
    tail = re.sub(rb"<mergeCells.*?</mergeCells>", b"", tail, flags=re.S)
    tail = tail.replace(b"</sheetData>", b"</sheetData>" + merges, 1)
    rows += b'<row r="200"><c r="B200" t="inlineStr"><is><t>x</t></is></c></row>'
    return _xlsx_with(xl__worksheets__sheet1_xml=head + rows + tail)


def xlsx_billion_laughs():
    return _xlsx_with(xl__sharedStrings_xml=_laughs("sst", S_NS, "<si><t>&a9;</t></si>"))


def xlsx_sheets_200():
    # 200 sheets of the real report.
    members: dict = members_of(XLSX)
    sheet = members["xl/worksheets/sheet1.xml"]
    book = members["xl/workbook.xml"].decode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    types = members["[Content_Types].xml"].decode()
    sheets, links, overrides = [], [], []
    for i in range(2, 202):
        members[f"xl/worksheets/sheet{i}.xml"] = sheet
        sheets.append(f'<sheet name="S{i}" sheetId="{i}" r:id="rIdS{i}"/>')
        links.append(f'<Relationship Id="rIdS{i}" Type="http://schemas.openxmlformats.org/'
                     f'officeDocument/2006/relationships/worksheet" '
                     f'Target="worksheets/sheet{i}.xml"/>')
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType='
                         f'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                         f'worksheet+xml"/>')
    members["xl/workbook.xml"] = book.replace("</sheets>", "".join(sheets) + "</sheets>").encode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", "".join(links) + "</Relationships>").encode()
    members["[Content_Types].xml"] = types.replace("</Types>", "".join(overrides)
                                                   + "</Types>").encode()
    return write_zip(members)


# --- PDF -----------------------------------------------------------------------------------------

def _pdf_value(value) -> str:
    from pdfminer.pdftypes import PDFObjRef
    from pdfminer.psparser import PSLiteral

    if isinstance(value, dict):
        return "<<" + " ".join(f"/{k} {_pdf_value(v)}" for k, v in value.items()) + ">>"
    if isinstance(value, list):
        return "[" + " ".join(_pdf_value(v) for v in value) + "]"
    if isinstance(value, PDFObjRef):
        return f"{value.objid} 0 R"
    if isinstance(value, PSLiteral):
        return f"/{value.name}"
    if isinstance(value, bytes):
        return "<" + value.hex() + ">"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _r005_pages() -> list[dict]:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    doc = PDFDocument(PDFParser(io.BytesIO(R005.read_bytes())))
    return [{"MediaBox": page.attrs["MediaBox"], "Contents": page.attrs["Contents"],
             "Resources": page.attrs["Resources"]} for page in PDFPage.create_pages(doc)]


def append_pages(objects_for, keep_real_pages: bool = False) -> bytes:
    """r005.pdf with an incremental update whose page tree holds new pages.

    ``objects_for(next_id)`` returns (objects, pages): ``objects`` maps object ids to their
    source (``bytes`` after ``N 0 obj``), ``pages`` lists page dictionaries (str, without
    ``/Parent``) in order."""
    base = R005.read_bytes()
    size = int(re.findall(rb"/Size (\d+)", base)[-1])
    prev = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    pages_id, catalog_id = size, size + 1
    objects, pages = objects_for(size + 2)
    if keep_real_pages:
        pages = [_pdf_value(p)[2:-2] for p in _r005_pages()] + pages
    out = io.BytesIO()
    out.write(base if base.endswith(b"\n") else base + b"\n")
    offsets: dict[int, int] = {}
    next_id = max([catalog_id, *objects]) + 1
    kids = []
    for page in pages:
        offsets[next_id] = out.tell()
        out.write(f"{next_id} 0 obj\n<</Type /Page /Parent {pages_id} 0 R {page}>>\nendobj\n"
                  .encode())
        kids.append(f"{next_id} 0 R")
        next_id += 1
    for objid, source in objects.items():
        offsets[objid] = out.tell()
        out.write(f"{objid} 0 obj\n".encode() + source + b"\nendobj\n")
    offsets[pages_id] = out.tell()
    out.write(f"{pages_id} 0 obj\n<</Type /Pages /Count {len(kids)} /Kids [{' '.join(kids)}]>>"
              f"\nendobj\n".encode())
    offsets[catalog_id] = out.tell()
    out.write(f"{catalog_id} 0 obj\n<</Type /Catalog /Pages {pages_id} 0 R>>\nendobj\n".encode())
    xref = out.tell()
    out.write(b"xref\n")
    for objid in sorted(offsets):
        out.write(f"{objid} 1\n{offsets[objid]:010d} 00000 n \n".encode())
    out.write(f"trailer\n<</Size {next_id} /Root {catalog_id} 0 R /Prev {prev}>>\n"
              f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes | Deflated, extra: str = "") -> bytes:
    if isinstance(data, Deflated):
        raw = data.zlib()
        return f"<</Length {len(raw)} /Filter /FlateDecode {extra}>>\nstream\n".encode() + \
            raw + b"\nendstream"
    return f"<</Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


_FONT = b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>"


def _one_page(content: bytes | Deflated, keep_real_pages: bool = True, forms=None,
              size: tuple[int, int] = (595, 842), stream_source: bytes | None = None) -> bytes:
    def objects_for(first):
        font, stream = first, first + 1
        objects = {font: _FONT, stream: stream_source or _stream(content)}
        xobjects = ""
        for i, form in enumerate(forms or ()):
            objects[first + 2 + i] = _stream(form, f"/Type /XObject /Subtype /Form "
                                                   f"/BBox [0 0 595 842] /Resources "
                                                   f"<</Font <</F1 {font} 0 R>>>>")
            xobjects += f"/X{i} {first + 2 + i} 0 R "
        page = (f"/MediaBox [0 0 {size[0]} {size[1]}] /Contents {stream} 0 R /Resources "
                f"<</Font <</F1 {font} 0 R>> /XObject <<{xobjects}>>>>")
        return objects, [page]

    return append_pages(objects_for, keep_real_pages)


def pdf_pages_5000():
    # 5,000 pages, the real report's five pages over and over.
    real = [_pdf_value(p)[2:-2] for p in _r005_pages()]
    return append_pages(lambda first: ({}, [real[i % 5] for i in range(5000)]))


def pdf_chars_100k_one_page():
    lines = b"".join(b"1 0 0 1 10 %d Tm (%s) Tj\n" % (10 + 8 * (i % 100), b"a1" * 500)
                     for i in range(100))
    return _one_page(deflate(b"BT /F1 0.8 Tf\n" + lines + b"ET\n"))


def pdf_chars_20k_per_page_40():
    lines = b"".join(b"1 0 0 1 10 %d Tm (%s) Tj\n" % (20 + 16 * i, b"12 " * 150)
                     for i in range(45))
    content = deflate(b"BT /F1 3 Tf\n" + lines + b"ET\n")

    def objects_for(first):
        return ({first: _FONT, first + 1: _stream(content)},
                [f"/MediaBox [0 0 595 842] /Contents {first + 1} 0 R "
                 f"/Resources <</Font <</F1 {first} 0 R>>>>"] * 40)

    return append_pages(objects_for)


def _ruled_grid(rows: int, cols: int) -> bytes:
    """A page of ``rows`` x ``cols`` ruled cells, each a rectangle holding a number."""
    ops = [b"0.2 w"]
    for r in range(rows):
        for c in range(cols):
            ops.append(b"%d %d 11 8 re S" % (20 + 11 * c, 20 + 8 * r))
    ops.append(b"BT /F1 4 Tf")
    for r in range(rows):
        for c in range(cols):
            ops.append(b"1 0 0 1 %d %d Tm (%d) Tj" % (22 + 11 * c, 22 + 8 * r, r + c))
    ops.append(b"ET")
    return _one_page(deflate(b"\n".join(ops)))


def pdf_rects_2500():
    # 2,500 ruled cells: beyond the rules limit, the page is read from its text layer.
    return _ruled_grid(50, 50)


def pdf_rects_1900():
    # 1,900 ruled cells: within the limit, pdfplumber's table finder at work on all of them.
    return _ruled_grid(38, 50)


def _crossing_lines(n: int) -> bytes:
    """A page (the largest a PDF may have, 200 inches square) of ``n`` horizontal and ``n``
    vertical rules 14 pt apart (beyond pdfplumber's snapping): n^2 intersections."""
    ops = [b"0.1 w"]
    for i in range(n):
        at = 20 + i * 14
        ops.append(b"20 %d m 14380 %d l S" % (at, at))
        ops.append(b"%d 20 m %d 14380 l S" % (at, at))
    return _one_page(deflate(b"\n".join(ops)), size=(14400, 14400))


def pdf_lines_3000():
    # 1,500 horizontal and 1,500 vertical rules: beyond the rules limit.
    return _crossing_lines(1500)


def pdf_lines_1990():
    # 995 + 995 rules, within the rules limit: a million crossings for the table finder.
    return _crossing_lines(995)


def pdf_lines_126_x40():
    # 40 pages of 3,969 crossings each: the document's crossing budget cuts the table finder.
    content = _stream(deflate(b"\n".join(
        [b"0.1 w"] + [b"20 %d m 900 %d l S\n%d 20 m %d 900 l S" % (20 + i * 14, 20 + i * 14,
                                                                  20 + i * 14, 20 + i * 14)
                      for i in range(63)])))
    return append_pages(lambda first: ({first: content},
                                       [f"/MediaBox [0 0 920 920] /Contents {first} 0 R"] * 40))


def pdf_lines_126():
    # 63 + 63 rules: 3,969 crossings, just within the limit: the table finder at work.
    return _crossing_lines(63)


def pdf_content_bomb():
    # A page content stream inflating to 2 GB of path operators.
    chunk = b"0 0 m 1 1 l S\n" * 50_000
    return _one_page(deflate_bomb(b"0.1 w\n", chunk, 2048 * 1024 * 1024 // len(chunk), b""))


def pdf_operators_10m():
    # 8 MB of operators that draw nothing (save/restore state), compressed.
    return _one_page(deflate(b"q Q\n" * 2_000_000))


def pdf_form_amplified():
    # A form of 2,000 characters drawn 2,000 times: 4 million characters from a few KB.
    form = deflate(b"BT /F1 1 Tf 1 0 0 1 10 10 Tm (" + b"x" * 2000 + b") Tj ET")
    return _one_page(deflate(b"/X0 Do\n" * 2000), forms=[form])


def pdf_form_bomb():
    chunk = b"BT /F1 1 Tf (abcdefgh) Tj ET\n" * 20_000
    form = deflate_bomb(b"", chunk, 1024 * 1024 * 1024 // len(chunk), b"")
    return _one_page(deflate(b"/X0 Do\n"), forms=[form])


def lzw_zeros(cycles: int) -> bytes:
    """LZW (PDF's LZWDecode, early change) of a long run of zero bytes: each code names a
    string one byte longer than the last, so a full table of 4,096 codes (about 5.5 KB)
    stands for 7 MB; then a clear code, and again."""
    codes: list[tuple[int, int]] = [(256, 9)]
    for _ in range(cycles):
        codes.append((0, 9))
        width = 9
        for code in range(258, 4096):
            codes.append((code, width))
            if code + 1 in (511, 1023, 2047):  # the table reached a width's end
                width += 1
        codes.append((256, 12))
    bits = value = 0
    out = bytearray()
    for code, width in codes:
        value = (value << width) | code
        bits += width
        while bits >= 8:
            bits -= 8
            out.append((value >> bits) & 0xFF)
        value &= (1 << bits) - 1
    if bits:
        out.append((value << (8 - bits)) & 0xFF)
    return bytes(out)


def pdf_lzw_bomb():
    # 1 GB of LZW-encoded content from 800 KB.
    return _one_page(b"", stream_source=_stream(lzw_zeros(146), "/Filter /LZWDecode"))


def pdf_runlength_bomb():
    # RunLength: 2 bytes stand for 128; 16 MB for 1 GB.
    data = b"\x81\x20" * (8 * 1024 * 1024) + b"\x80"
    return _one_page(b"", stream_source=_stream(data, "/Filter /RunLengthDecode"))


def pdf_truncated_half():
    body = R005.read_bytes()
    return body[: len(body) // 2]


def pdf_truncated_header():
    return R005.read_bytes()[:2000]


def pdf_corrupt_bytes():
    body = bytearray(R005.read_bytes())
    for i in range(len(body) // 4, 3 * len(body) // 4, 997):
        body[i] ^= 0x55
    return bytes(body).replace(b"startxref", b"startxrex")


def pdf_garbage():
    return b"%PDF-1.7\n" + hashlib.sha256(b"0").digest() * 40_000


def pdf_html_with_pdf_marker():
    # An HTML error page or report whose head mentions "%PDF-": it is read as HTML.
    page = HTML.read_text(encoding="utf-8")
    return page.replace("<head>", "<head><!-- %PDF-1.7 viewer fallback -->", 1).encode()


def pdf_name_but_html():
    return HTML.read_bytes()  # served as report.pdf, application/pdf: the bytes decide


# The standard security handler (PDF 1.7, algorithms 3.2-3.4; RC4, 40-bit), for encrypted
# PDFs built here rather than stored.
_PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user: bytes, owner: bytes) -> bytes:
    file_id = hashlib.md5(b"govreports").digest()
    perms = -4  # every permission
    o = _rc4(hashlib.md5((owner + _PAD)[:32]).digest()[:5], (user + _PAD)[:32])
    key = hashlib.md5((user + _PAD)[:32] + o + struct.pack("<i", perms) + file_id).digest()[:5]
    u = _rc4(key, _PAD)
    text = b"BT /F1 12 Tf 72 720 Td (Annual report on government information disclosure) Tj ET"
    objkey = hashlib.md5(key + struct.pack("<I", 4)[:3] + b"\0\0").digest()[:10]
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Count 1 /Kids [3 0 R]>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources <</Font <</F1 5 0 R>>>>>>",
        _stream(_rc4(objkey, text)),
        _FONT,
        b"<</Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d>>" % (o.hex().encode(),
                                                                    u.hex().encode(), perms),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, source in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + source + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<</Size %d /Root 1 0 R /Encrypt 6 0 R /ID [<%s> <%s>]>>\n"
              b"startxref\n%d\n%%%%EOF\n" % (len(objects) + 1, file_id.hex().encode(),
                                              file_id.hex().encode(), xref))
    return out.getvalue()


def pdf_encrypted_user_password():
    return _encrypted_pdf(b"secret", b"owner")


def pdf_encrypted_owner_only():
    return _encrypted_pdf(b"", b"owner")


# --- containers, LibreOffice formats -----------------------------------------------------------

def ole_neither_word_nor_excel():
    # The real DOC with its WordDocument stream renamed (as a PowerPoint or MSI file would be).
    name = "WordDocument".encode("utf-16-le")
    return DOC.read_bytes().replace(name, "PowerPointDoc"[:12].encode("utf-16-le"))


def ole_garbage():
    return bytes.fromhex("d0cf11e0a1b11ae1") + hashlib.sha256(b"1").digest() * 20_000


def zip_neither():
    return write_zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                      "content.xml": members_of(DOCX)["word/document.xml"]})


def zip_empty():
    return write_zip({})


def doc_truncated():
    # A real DOC cut in half: its directory (at the end) is gone, nothing says it is Word.
    body = DOC.read_bytes()
    return body[: len(body) // 2]


def doc_damaged():
    # A real DOC whose text stream is overwritten: still Word by its directory, LibreOffice
    # converts what it can read or refuses it.
    body = bytearray(DOC.read_bytes())
    body[4096:40960] = hashlib.sha256(b"2").digest() * ((40960 - 4096) // 32)
    return bytes(body)


def rtf_deep_groups():
    return b"{\\rtf1" + b"{" * 200_000 + b"x" + b"}" * 200_000 + b"}"


CASES = {
    "docx_bomb_document_xml": (docx_bomb_document_xml, "not read"),
    "docx_bomb_lying_size": (docx_bomb_lying_size, "could not be opened"),
    "docx_styles_bomb": (docx_styles_bomb, "not read"),
    "docx_paragraphs_400k": (docx_paragraphs_400k, "not read"),
    "docx_grid_bomb": (docx_grid_bomb, "cut"),
    "docx_paragraphs_100k": (docx_paragraphs_100k, "cut"),
    "docx_table_rows_5k": (docx_table_rows_5k, "cut"),
    "docx_nested_tables_80": (docx_nested_tables_80, None),
    "docx_nested_tables_5000": (docx_nested_tables_5000, "could not be opened"),
    "docx_billion_laughs": (docx_billion_laughs, "DTD"),
    "docx_external_entity": (docx_external_entity, "DTD"),
    "docx_zip_entries_20k": (docx_zip_entries_20k, "entries"),
    "docx_truncated": (docx_truncated, "could not be opened"),
    "docx_corrupt_xml": (docx_corrupt_xml, "could not be opened"),
    "xlsx_bomb_sheet": (xlsx_bomb_sheet, "not read"),
    "xlsx_cells_1m": (xlsx_cells_1m, "not read"),
    "xlsx_cells_29k": (xlsx_cells_29k, None),
    "xlsx_shared_strings_600k": (xlsx_shared_strings_600k, "shared strings"),
    "xlsx_formatting_max_row": (xlsx_formatting_max_row, None),
    "xlsx_styled_cells_far": (xlsx_styled_cells_far, None),
    "xlsx_merge_bomb": (xlsx_merge_bomb, "merged"),
    "xlsx_billion_laughs": (xlsx_billion_laughs, "DTD"),
    "xlsx_sheets_200": (xlsx_sheets_200, "not read"),
    "pdf_pages_5000": (pdf_pages_5000, "pages"),
    "pdf_chars_100k_one_page": (pdf_chars_100k_one_page, "not read"),
    "pdf_chars_20k_per_page_40": (pdf_chars_20k_per_page_40, "cut"),
    "pdf_rects_2500": (pdf_rects_2500, "ruling"),
    "pdf_rects_1900": (pdf_rects_1900, None),
    "pdf_lines_3000": (pdf_lines_3000, "ruling"),
    "pdf_lines_1990": (pdf_lines_1990, "cross"),
    "pdf_lines_126": (pdf_lines_126, None),
    "pdf_lines_126_x40": (pdf_lines_126_x40, "document's rules cross"),
    "pdf_content_bomb": (pdf_content_bomb, "not read"),
    "pdf_operators_10m": (pdf_operators_10m, "not read"),
    "pdf_form_amplified": (pdf_form_amplified, "not read"),
    "pdf_form_bomb": (pdf_form_bomb, "not read"),
    "pdf_lzw_bomb": (pdf_lzw_bomb, "inflates beyond"),
    "pdf_runlength_bomb": (pdf_runlength_bomb, "inflates beyond"),
    "pdf_truncated_half": (pdf_truncated_half, None),
    "pdf_truncated_header": (pdf_truncated_header, None),
    "pdf_corrupt_bytes": (pdf_corrupt_bytes, None),
    "pdf_garbage": (pdf_garbage, "could not be opened"),
    "pdf_html_with_pdf_marker": (pdf_html_with_pdf_marker, None),
    "pdf_name_but_html": (pdf_name_but_html, None),
    "pdf_encrypted_user_password": (pdf_encrypted_user_password, "password"),
    "pdf_encrypted_owner_only": (pdf_encrypted_owner_only, None),
    "ole_neither_word_nor_excel": (ole_neither_word_nor_excel, "holding no Word"),
    "ole_garbage": (ole_garbage, "holding no Word"),
    "zip_neither": (zip_neither, "holding no Word"),
    "zip_empty": (zip_empty, None),
    "doc_truncated": (doc_truncated, "holding no Word"),
    "doc_damaged": (doc_damaged, None),
    "rtf_deep_groups": (rtf_deep_groups, None),
}
