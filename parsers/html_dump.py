"""Text dumps published as HTML: a report whose tables are ``|``-separated rows, tab-separated
rows or Markdown tables in ``<p>`` lines, a ``<pre>`` block or ``<br>``-separated text.

Such a page has no ``<table>``, and the HTML walker folds tabs and line breaks into spaces.
:func:`read_text_dump` re-reads the page body keeping its lines (block elements and ``<br>``
end a line, ``<pre>`` keeps its own line breaks, tabs stay tabs) and hands the text to the
text-dump reader (:mod:`parsers.text_doc`). Its blocks replace the walker's only when the
dump holds a table of at least three rows, so a page whose title happens to hold a ``|``
keeps its prose.
"""

from __future__ import annotations

from .document import Table
from .html_doc import _BLOCK, _SKIP
from .text_doc import parse_text

_MIN_ROWS = 3


def dump_text(el) -> str:
    """The element's text with its line structure (see the module docstring)."""
    out: list[str] = []
    _walk(el, out, pre=False)
    return "".join(out)


def _walk(el, out: list[str], pre: bool) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else None
    if tag is not None and tag not in _SKIP:
        inner_pre = pre or tag in ("pre", "textarea", "xmp", "plaintext")
        if tag == "br":
            out.append("\n")
        else:
            if tag in _BLOCK:
                out.append("\n")
            if el.text:
                out.append(_text(el.text, inner_pre))
            for child in el:
                _walk(child, out, inner_pre)
            if tag in _BLOCK:
                out.append("\n")
    if el.tail:
        out.append(_text(el.tail, pre))


def _text(text: str, pre: bool) -> str:
    # Outside <pre>, a line break in the source is white space, not a new line.
    return text if pre else text.replace("\r", " ").replace("\n", " ")


def read_text_dump(el) -> list | None:
    """The page's blocks read as a text dump, or None when the dump holds no table."""
    doc = parse_text(dump_text(el))
    if any(isinstance(b, Table) and len(b.rows) >= _MIN_ROWS for b in doc.blocks):
        return doc.blocks
    return None
