"""The fast cell readers give, byte for byte, the text of the general one.

:func:`parsers.html_doc.cell_text` reads the usual cell shapes (a bare value, ``<p>0</p>``,
``<p><span>0</span></p>``) with a few attribute reads and hands every other cell to
:func:`parsers.html_doc.cell_text_general`. Hypothesis builds tables of cells nesting
paragraphs, spans, line breaks, scripts, comments, entities and white space, and checks that
both readers agree on every cell, and that the table grid holds those texts. The C reader of
table rows (:mod:`parsers._cells`) must give what the Python one gives, on generated tables and
on every table of the fixture pages, and the grid must be the same whichever reads the rows.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import lxml.etree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import html_doc, parse_page
from parsers.html_doc import (
    _is_layout,
    _parser,
    _rows_of,
    cell_text,
    cell_text_general,
    expand_table,
    table_grid,
)
from parsers.limits import MAX_SPAN, MAX_TABLE_ROWS

_CELLS = frozenset(("td", "th"))

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXTS = st.sampled_from(["0", "12", " 3 ", "\n  0\n  ", "&nbsp;", "0&nbsp;", "&amp;", "&lt;b&gt;",
                         "\u3000", "&#12288;", "本年新收", " 予以 公开 ", "（一）", "\t", "",
                         "&#8203;", "x\u200by", "—", "&quot;合计&quot;"])
INLINE = st.sampled_from(["span", "font", "b", "strong", "a", "o:p", "sub", "em"])
BLOCK = st.sampled_from(["p", "div", "li", "h3", "center"])
SKIP = st.sampled_from(["script", "style", "noscript", "select"])


def _element(children) -> st.SearchStrategy[str]:
    def build(tag, body, tail):
        return f"<{tag}>{body}</{tag}>{tail}"

    return st.one_of(
        st.builds(build, INLINE, children, TEXTS),
        st.builds(build, BLOCK, children, TEXTS),
        st.builds(lambda tag, body, tail: f"<{tag}>{body.replace('<', ' ')}</{tag}>{tail}",
                  SKIP, TEXTS, TEXTS),
        st.builds(lambda tail: f"<br>{tail}", TEXTS),
        st.builds(lambda body, tail: f"<!--{body.replace('-', '')}-->{tail}", TEXTS, TEXTS),
    )


CONTENT = st.recursive(
    TEXTS,
    lambda children: st.builds(lambda before, kids: before + "".join(kids), TEXTS,
                               st.lists(_element(children), max_size=3)),
    max_leaves=8,
)
SPAN = st.sampled_from(["", ' rowspan="2"', ' colspan="2"', ' rowspan="3" colspan="2"',
                        ' colspan="x"', ' rowspan=" 2;"'])
CELL = st.builds(lambda tag, span, content: f"<{tag}{span}>{content}</{tag}>",
                 st.sampled_from(["td", "th"]), SPAN, CONTENT)
TABLE = st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=1, max_size=4).map(
    lambda rows: "<table><tbody>" + "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    + "</tbody></table>")


def _table(html: str):
    root = lxml.etree.fromstring(f"<html><body>{html}</body></html>".encode(), _parser())
    return next(root.iter("table"))


@SETTINGS
@given(TABLE)
def test_fast_and_general_cell_readers_agree(html):
    table = _table(html)
    cells = list(table.iter("td", "th"))
    assert cells
    for cell in cells:
        assert cell_text(cell) == cell_text_general(cell), lxml.etree.tostring(cell)


@SETTINGS
@given(TABLE)
def test_grid_holds_the_general_readers_texts(html):
    table = _table(html)
    texts = {cell_text_general(c) for c in table.iter("td", "th")} | {""}
    for row in table_grid(table):
        assert set(row) <= texts


def test_usual_shapes_read_as_the_page_shows_them():
    table = _table("<table><tr><td>0</td><td><p>1&nbsp;</p></td><td><p><span>2</span></p></td>"
                   "<td> a<p>b<span>c</span>d</p>e </td><td><p>x</p><p>y</p></td>"
                   "<td>k<script>var z;</script>l</td></tr></table>")
    assert table_grid(table) == [["0", "1", "2", "abcde", "x y", "kl"]]


def _reference_span(el, name: str) -> int:
    value = el.get(name)
    if value is None:
        return 1
    try:
        return max(1, min(int(value.strip().rstrip(";") or 1), MAX_SPAN))
    except ValueError:
        return 1


def reference_expand_table(table, budget: int):
    """The grid reader as it was before spans and plain rows took separate paths: every
    cell placed through one grid of origins, every row of a table with spans merged with
    groupby, every cell read by the general reader."""
    trs = _rows_of(table)
    note = None
    if len(trs) > MAX_TABLE_ROWS:
        note = f"{len(trs)} rows, read the first {MAX_TABLE_ROWS}"
        trs = trs[: MAX_TABLE_ROWS]
    nrows = len(trs)
    # grid[r][c] = the number of the cell covering that position (texts[number] is its text),
    # or 0 for a position no cell covers (yet).
    grid: list[list[int]] = [[] for _ in range(nrows)]
    texts = [""]
    area = 0
    spans = False
    for r, tr in enumerate(trs):
        line = grid[r]
        n = len(line)  # kept in step with the line: this loop runs once per cell of a page
        c = 0
        for cell in tr:  # (iterchildren("td", "th") costs twice as much per cell)
            if cell.tag not in _CELLS:
                continue
            while c < n and line[c]:
                c += 1
            # Bytes keys: lxml skips encoding the name (this runs twice per cell of a page).
            if cell.get(b"rowspan") is None and cell.get(b"colspan") is None:
                if c == n:  # the common case: a plain cell at the end of its line
                    if area >= budget:
                        note = note or f"its expanded grid exceeds {budget} cells"
                        break
                    line.append(len(texts))
                    texts.append(cell_text_general(cell))
                    area += 1
                    c = n = n + 1
                    continue
                rs = cs = 1
            else:
                rs = min(_reference_span(cell, "rowspan"), nrows - r)
                cs = _reference_span(cell, "colspan")
            origin = len(texts)
            spans = True
            want = (rs, cs)
            for rs_, cs_ in (want, (1, cs), (1, 1)):
                grow = sum(max(0, c + cs_ - len(grid[r + dr])) for dr in range(rs_))
                if area + grow <= budget:
                    rs, cs = rs_, cs_
                    break
            else:
                note = note or f"its expanded grid exceeds {budget} cells"
                break
            if (rs, cs) != want:
                note = note or f"its expanded grid exceeds {budget} cells"
            texts.append(cell_text_general(cell))
            for dr in range(rs):
                target = grid[r + dr]
                if len(target) < c + cs:
                    area += c + cs - len(target)
                    target.extend([0] * (c + cs - len(target)))
                target[c:c + cs] = [origin] * cs
            c += cs
            n = len(line)
        else:
            continue
        break  # the budget is spent: the rest of the table is not read
    rows = []
    for line in grid:
        if not spans:
            row = [texts[o] for o in line]
        elif 0 not in line:
            # Colspan copies of one cell stand side by side: read each cell once.
            row = [texts[o] for o, _ in itertools.groupby(line)]
        else:
            # Positions no cell covers (holes of ragged rows) read as blank cells, each.
            row, last = [], None
            for o in line:
                if o and o == last:
                    continue
                last = o
                row.append(texts[o])
        if any(row):
            rows.append(row)
    return rows, area, note


SPANS = st.sampled_from(["", "", "", ' rowspan="2"', ' colspan="2"', ' rowspan="3" colspan="2"',
                         ' colspan="4"', ' rowspan="0"', ' colspan="x"', ' rowspan=" 2;"',
                         ' rowspan="12"', ' colspan="250"'])
GRID_CELL = st.builds(lambda tag, span, text: f"<{tag}{span}>{text}</{tag}>",
                      st.sampled_from(["td", "th", "td", "p"]), SPANS,
                      st.one_of(TEXTS, st.builds(lambda t: f"<p><span>{t}</span></p>", TEXTS)))
GRID = st.lists(st.lists(GRID_CELL, max_size=6), min_size=1, max_size=8).map(
    lambda rows: "<table>" + "".join(f"<tr>{''.join(r)}</tr>" for r in rows) + "</table>")


@contextlib.contextmanager
def _rows_read_by(reader: str):
    """Table rows read by the C reader or by the Python one, for the time of the block."""
    built = _c_reader()
    html_doc._cells = built if reader == "c" else None
    try:
        yield
    finally:
        html_doc._cells = built


@pytest.mark.parametrize("reader", ["c", "python"])
@SETTINGS
@given(html=GRID, budget=st.sampled_from([3, 8, 20, 60, 10_000]))
def test_grid_reader_matches_the_reference_reader(reader, html, budget):
    """Spans, ragged rows, holes, stray non-cells and budgets that cut a table: the grid
    reader gives what the one-path reader gave, cell for cell."""
    table = _table(html)
    with _rows_read_by(reader):
        assert expand_table(table, budget) == reference_expand_table(table, budget)


# --- The C reader of table rows --------------------------------------------------------------

_NOT_BUILT = ("parsers._cells is not built: `make setup` compiles it (setup.py; it needs a C "
              "compiler and the Python headers). Without it tables are read in Python: the same "
              "records, more slowly.")
_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _c_reader():
    if html_doc._cells is None:
        pytest.fail(_NOT_BUILT)
    return html_doc._cells


def test_the_c_table_reader_is_built():
    _c_reader()


@SETTINGS
@given(st.one_of(TABLE, GRID), st.sampled_from([0, 1, 3, 8, 20, 60, 10_000]))
def test_c_and_python_row_readers_agree(html, budget):
    """Nested paragraphs, line breaks, scripts, comments, entities, white space, spans, stray
    non-cells in rows, and budgets that stop the reading."""
    table = _table(html)
    assert _c_reader().table_rows(table, budget, MAX_TABLE_ROWS) == \
        html_doc._table_rows(table, budget)


def test_c_and_python_row_readers_agree_past_the_row_limit():
    rows = "".join(f"<tr><td>{i}</td><td rowspan=2>x</td></tr>" for i in range(MAX_TABLE_ROWS + 5))
    table = _table(f"<table><thead><tr><th>h</th></tr></thead>{rows}</table>")
    read = _c_reader().table_rows(table, 10_000, MAX_TABLE_ROWS)
    assert read == html_doc._table_rows(table, 10_000)
    assert read[1] == MAX_TABLE_ROWS + 6 and len(read[0]) == MAX_TABLE_ROWS


def _fixture_pages() -> list[Path]:
    pages = sorted((_FIXTURES / "realdocs").glob("r*.html")) + sorted(
        (_FIXTURES / "html").glob("*.html"))
    pages += sorted(p for p in (_FIXTURES / "sites").rglob("*.htm*") if p.stat().st_size > 2000)
    return pages


@pytest.mark.parametrize("page", _fixture_pages(), ids=lambda p: str(p.relative_to(_FIXTURES)))
def test_c_and_python_row_readers_agree_on_every_fixture_table(page):
    root = lxml.etree.fromstring(page.read_bytes(), _parser())
    if root is None:
        return
    for table in root.iter("table"):
        if not _is_layout(table):
            assert _c_reader().table_rows(table, 20_000, MAX_TABLE_ROWS) == \
                html_doc._table_rows(table, 20_000)


PAGE = st.lists(st.one_of(TABLE, GRID, CONTENT, st.builds(lambda t: f"<table><tr><td>{t}</td></tr>"
                                                           f"</table>", TABLE)),
                min_size=1, max_size=4).map(lambda parts: "<html><body>" + "".join(parts)
                                            + "</body></html>")


@SETTINGS
@given(PAGE)
def test_records_are_the_same_whichever_reader_reads_the_rows(page):
    """Whole pages (prose, data tables, tables inside a layout table's cell): parse_page gives
    the same record with table rows read in C or in Python."""
    body = page.encode()
    with _rows_read_by("c"):
        in_c = parse_page(body)
    with _rows_read_by("python"):
        assert parse_page(body) == in_c


def test_c_row_reader_walks_trees_deeper_than_any_parser_makes():
    """A tree built through lxml's API has no depth limit: the C reader follows the nodes'
    links, not the C stack, and reads what the Python reader reads."""
    table = lxml.etree.Element("table")
    element = lxml.etree.SubElement(lxml.etree.SubElement(table, "tr"), "td")
    for i in range(5_000):
        element = lxml.etree.SubElement(element, ("p", "span", "br", "script")[i % 4])
        element.tail = str(i % 10)
    element.text = "x"
    read = _c_reader().table_rows(table, 10, MAX_TABLE_ROWS)
    assert read == html_doc._table_rows(table, 10)
    assert read[0][0][0][0]  # the text before the first script
