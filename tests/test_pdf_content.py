"""The PDF reader's fast paths give exactly what pdfminer and pdfplumber give.

parsers/pdf_content.py reads content streams and ToUnicode CMaps with one regular expression
instead of pdfminer's byte-by-byte parser; parsers/pdf_page.py builds pdfplumber's character dicts
without its generic attribute walk. Both must be invisible in records: here each is compared
with the library code it stands in for, on every content stream and every character of the
PDF fixtures (which must take the fast path), and on generated streams full of the tokens
where pdfminer's parser has quirks (it must then give pdfminer's objects or step aside).
"""

from __future__ import annotations

import io

import pytest
from conftest import FIXTURES, ids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, dict_value, list_value, stream_value
from pdfminer.psparser import LIT, PSEOF, PSBaseParser

from parsers.pdf_content import content_objects, tokens

PDFS = sorted(p for p in (FIXTURES / "attachments").glob("*.pdf") if ".scan." not in p.name)
PDFS.append(FIXTURES / "realdocs" / "r005.pdf")


def pdfminer_objects(streams) -> list:
    """What pdfminer's interpreter is handed: PDFContentParser's objects, to the end."""
    try:
        parser = PDFContentParser(streams)
    except PSEOF:
        return []
    out = []
    while True:
        try:
            out.append(parser.nextobject()[1])
        except PSEOF:
            return out


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a is b or a == b


def content_streams(path):
    """Every page's content stream list, and each form XObject's stream, of a PDF."""
    doc = PDFDocument(PDFParser(io.BytesIO(path.read_bytes())))
    for page in PDFPage.create_pages(doc):
        yield [stream_value(s) for s in list_value(page.contents)]
        xobjects = dict_value(page.resources.get("XObject", {})) if page.resources else {}
        for xobj in xobjects.values():
            xobj = stream_value(xobj)
            if xobj.get("Subtype") is LIT("Form"):
                yield [xobj]


@pytest.mark.parametrize("path", PDFS, ids=ids(PDFS))
def test_fixture_streams_read_as_pdfminer_reads_them(path):
    lists = list(content_streams(path))
    assert lists
    for streams in lists:
        fast = content_objects(streams)
        assert fast is not None, "a fixture's stream left the fast path"
        assert same(fast, pdfminer_objects(streams))


# Tokens where pdfminer's parser has quirks: signs and dots alone, numbers run together,
# escapes and nested parentheses, '#' in names, hex strings of odd length or cut short,
# '>' and '>>' after them, unbalanced brackets, odd dictionaries, comments, NUL, high bytes,
# inline images.
TOKENS = [b"0", b"12", b"-3", b"+4", b"-", b"+", b".", b"-.5", b"5.", b"1.2.3", b"+-5", b"007",
          b"1e5", b"/F1", b"/", b"/a#20b", b"/\xe4\xb8\xad", b"/\xff", b"Tj", b"TJ", b"T*",
          b"'", b'"', b"true", b"false", b"null", b"re", b"BT", b"ET", b"q", b"Q", b"cm",
          b"(abc)", b"()", b"(a(b)c)", b"(a\\)b)", b"(\\101)", b"(a", b"<4142>", b"<414>",
          b"<41 42>", b"<>", b"<41", b"<", b">", b">>", b"<<", b"[", b"]", b"{", b"}",
          b"<</MCID 0>>", b"<</A>>", b"%comment", b"%", b"\x00", b"\x80", b"*", b"#", b")",
          b"BI", b"ID", b"EI", b"/P", b"BDC", b"EMC", b"d0"]
SEPARATORS = [b" ", b"\n", b"\r", b"\r\n", b"\t", b"", b"\x00", b"\f"]
streams_strategy = st.lists(
    st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)), max_size=25)
    .map(lambda parts: b"".join(t + s for t, s in parts)),
    min_size=1, max_size=3)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams_strategy)
def test_generated_streams_read_as_pdfminer_reads_them_or_step_aside(datas):
    streams = [PDFStream({}, data) for data in datas]
    fast = content_objects(streams)
    try:
        expected = pdfminer_objects([PDFStream({}, data) for data in datas])
    except Exception:  # pdfminer raises on it mid-page: the fast path must not read it
        assert fast is None
        return
    if fast is not None:
        assert same(fast, expected)


# pdfminer carries some tokens over the end of a stream into the next one.
BOUNDARIES = [[b"/", b"F1 Tf"], [b"1 <41>", b"> x"], [b"<< /A 1 >", b"> x"], [b"Tj", b"ET"],
              [b"/F1", b"2 Tf"], [b"(a", b"b) Tj"], [b"<41", b"42> Tj"], [b"1.", b"5 w"],
              [b"%c", b"x"], [b"[1", b"2] TJ"], [b"", b"q"], [b"q", b""]]


@pytest.mark.parametrize("datas", BOUNDARIES, ids=[repr(b"|".join(d)) for d in BOUNDARIES])
def test_tokens_across_stream_boundaries(datas):
    fast = content_objects([PDFStream({}, data) for data in datas])
    if fast is not None:
        assert same(fast, pdfminer_objects([PDFStream({}, data) for data in datas]))


def pdfminer_tokens(data: bytes) -> list:
    parser = PSBaseParser(io.BytesIO(data))
    out = []
    while True:
        try:
            out.append(parser.nexttoken()[1])
        except PSEOF:
            return out


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams_strategy)
def test_generated_tokens_are_pdfminers_or_step_aside(datas):
    data = b"".join(datas)
    fast = tokens(data)
    if fast is not None:
        assert same(fast, pdfminer_tokens(data))


def to_unicode_streams(path):
    doc = PDFDocument(PDFParser(io.BytesIO(path.read_bytes())))
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            try:
                obj = doc.getobj(objid)
            except Exception:
                continue
            if isinstance(obj, dict) and "ToUnicode" in obj:
                yield stream_value(obj["ToUnicode"]).get_data()


@pytest.mark.parametrize("path", PDFS, ids=ids(PDFS))
def test_fixture_cmaps_read_as_pdfminer_reads_them(path):
    from pdfminer.cmapdb import CMapParser, FileUnicodeMap

    from parsers.pdf_content import _cmap_parser

    cmaps = list(to_unicode_streams(path))
    assert cmaps
    for data in cmaps:
        assert tokens(data) is not None, "a fixture's CMap left the fast path"
        ours, theirs = FileUnicodeMap(), FileUnicodeMap()
        _cmap_parser()(ours, io.BytesIO(data)).run()
        CMapParser(theirs, io.BytesIO(data)).run()
        assert ours.cid2unichr == theirs.cid2unichr and ours.cid2unichr
        assert ours.attrs == theirs.attrs


def test_plain_streams_take_the_fast_path():
    streams = [PDFStream({}, b"BT /F1 12 Tf 1 0 0 1 72.5 700 Tm <0041>Tj [(a) -20 <42>] TJ ET"),
               PDFStream({}, b"/P <</MCID 3>> BDC 0 0 m 10 -.5 l S EMC % done")]
    fast = content_objects(streams)
    assert fast is not None and same(fast, pdfminer_objects(streams))


@pytest.mark.parametrize("path", PDFS, ids=ids(PDFS))
def test_character_dicts_are_pdfplumbers(path):
    import pdfplumber
    from pdfplumber.page import Page as PlumberPage

    from parsers.pdf_page import page_class

    pdf = pdfplumber.open(io.BytesIO(path.read_bytes()))
    fast_class = page_class()
    compared = 0
    for number, page_obj in enumerate(PDFPage.create_pages(pdf.doc), 1):
        ours, theirs = fast_class(pdf, page_obj, number), PlumberPage(pdf, page_obj, number)
        theirs._layout = ours.layout  # one layout, two ways of turning it into dicts
        for a, b in zip(ours.chars, theirs.chars, strict=True):
            assert list(a) == list(b) and same(a, b)
            compared += 1
        assert ours.objects.keys() == theirs.objects.keys()
        assert ours.rects == theirs.rects and ours.lines == theirs.lines
    assert compared > 300, "a fixture without characters proves nothing"
