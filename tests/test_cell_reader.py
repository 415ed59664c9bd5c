"""The fast cell reader gives, byte for byte, the text of the general one.

:func:`parsers.html_doc.cell_text` reads the usual cell shapes (a bare value, ``<p>0</p>``,
``<p><span>0</span></p>``) with a few attribute reads and hands every other cell to
:func:`parsers.html_doc.cell_text_general`. Hypothesis builds tables of cells nesting
paragraphs, spans, line breaks, scripts, comments, entities and white space, and checks that
both readers agree on every cell, and that the table grid holds those texts.
"""

from __future__ import annotations

import lxml.etree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.html_doc import _parser, cell_text, cell_text_general, table_grid

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
