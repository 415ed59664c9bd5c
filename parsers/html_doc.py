"""HTML pages to a :class:`~parsers.document.Document`.

Walks the page body in document order. Prose becomes :class:`Line` blocks, one per block-level
element or ``<br>``; each data table becomes a :class:`Table` whose rows are the table's full
grid (every rowspan and colspan expanded), with colspan copies of one cell merged back so that
a row reads as the page shows it. Tables that hold other tables, or a whole article in a cell,
are layout: they are walked as containers, not read as data.
"""

from __future__ import annotations

import json
import re

import lxml.etree

from .document import Document, Line, Table, collapse

_BLOCK = frozenset("""address article aside blockquote body center dd details dialog dir div dl dt
fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section
summary table tbody thead tfoot tr td th ul caption""".split())
_SKIP = frozenset("script style noscript template iframe select textarea object embed svg button head".split())
_MAX_SPAN = 200
_LAYOUT_TEXT = 400  # a cell holding more text than this is an article, not a table cell


# Plain lxml elements: lxml.html's element-class lookup costs a third of the parse time.
_PARSER = lxml.etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                encoding="utf-8")


def _text_content(el) -> str:
    return "".join(el.itertext())


def parse_html(text: str) -> Document:
    doc = Document(kind="html")
    try:
        root = lxml.etree.fromstring(text.encode("utf-8", "replace"), _PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:  # nothing but white space or markup debris
        return doc
    _read_head(root, doc)
    body = root.find("body")
    walker = _Walker(doc)
    walker.walk(body if body is not None else root)
    walker.flush()
    if not any(isinstance(b, Table) for b in doc.blocks):
        embedded = embedded_content(text)
        if embedded:
            inner = parse_html(embedded)
            doc.blocks += inner.blocks
    if not any(isinstance(b, Table) for b in doc.blocks):
        from .html_dump import read_text_dump  # noqa: PLC0415  (pages without <table> only)

        dumped = read_text_dump(body if body is not None else root)
        if dumped is not None:
            doc.blocks = dumped
    return doc


# Single-page-app portals (Guangdong's gkmlpt) ship the article as an escaped JSON string in a
# script: {"content":"<p>…</p><table>…"}. The raw page must re-parse by itself, so the parser
# reads it there.
_JSON_CONTENT = re.compile(r'["\']?content["\']?\s*:\s*("(?:[^"\\]|\\.){200,}")', re.S)


def embedded_content(text: str) -> str | None:
    """The longest HTML article held in a ``"content": "…"`` JSON string of the page."""
    best = None
    for m in _JSON_CONTENT.finditer(text):
        try:
            value = json.loads(m.group(1))
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, str) and "<" in value and (best is None or len(value) > len(best)):
            best = value
    return best


def _read_head(root, doc: Document) -> None:
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = meta.get("content")
        if name and content and name not in doc.meta:
            doc.meta[name] = collapse(content)
    titles = []
    if doc.meta.get("articletitle"):
        titles.append(doc.meta["articletitle"])
    for tag in ("h1", "h2", "h3"):
        for el in root.iter(tag):
            t = collapse(_text_content(el))
            if t:
                titles.append(t)
    title = root.find(".//title")
    if title is not None and _text_content(title).strip():
        titles.append(collapse(_text_content(title)))
        doc.meta.setdefault("<title>", titles[-1])  # for the organ fallback (metadata.py)
    doc.titles = titles


class _Walker:
    def __init__(self, doc: Document):
        self.doc = doc
        self.buf: list[str] = []

    def flush(self) -> None:
        if self.buf:
            text = collapse("".join(self.buf))
            if text:
                self.doc.blocks.append(Line(text))
            self.buf = []

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:  # comment or processing instruction
            self._tail(el)
            return
        tag = tag.lower()
        if tag in _SKIP:
            self._tail(el)
            return
        if tag == "br":
            self.flush()
            self._tail(el)
            return
        if tag == "table" and not _is_layout(el):
            self.flush()
            rows = table_grid(el)
            if rows:
                self.doc.blocks.append(Table(rows, "html"))
            self._tail(el)
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
        if block:
            self.flush()
        self._tail(el)

    def _tail(self, el) -> None:
        if el.tail:
            self.buf.append(el.tail)


def _rows_of(table):
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _is_layout(table) -> bool:
    """A table used to lay out a page: it holds tables, or article-length text in a cell."""
    if table.xpath(".//table"):
        return True
    cells = table.xpath("./tr/td|./tr/th|./*/tr/td|./*/tr/th")
    if len(cells) <= 3:
        return any(len(_text_content(c)) > _LAYOUT_TEXT for c in cells)
    return False


def cell_text(cell) -> str:
    """A cell's text, its paragraphs and line breaks joined by spaces."""
    if not len(cell):  # the common case: a bare value such as "0"
        return collapse(cell.text or "")
    inner = [el.tag for el in cell.iterdescendants()]
    if sum(1 for t in inner if t in _BLOCK or t == "br") <= 1 and not any(t in _SKIP for t in inner):
        return collapse("".join(cell.itertext()))  # one paragraph: no separators to place
    parts: list[str] = []
    walker = lxml.etree.iterwalk(cell, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if event in ("comment", "pi"):
            parts.append(el.tail or "")
        elif event == "start":
            if tag in _SKIP or tag is None:
                walker.skip_subtree()
                continue
            if tag in _BLOCK or tag == "br":
                parts.append(" ")
            parts.append(el.text or "")
        else:
            if tag in _BLOCK:
                parts.append(" ")
            if el is not cell and el.tail:
                parts.append(el.tail)
    return collapse("".join(parts))


def _span(el, name: str) -> int:
    value = el.get(name)
    if value is None:
        return 1
    try:
        return max(1, min(int(value.strip().rstrip(";") or 1), _MAX_SPAN))
    except ValueError:
        return 1


def table_grid(table) -> list[list[str]]:
    """Expand a table into its full grid and return the rows as lists of cell texts.

    Rowspans are copied into every row they cover (a group label such as ``（三）不予公开``
    then stands in each of its sub-rows); colspan copies within a row are merged back into
    one cell, so a value spanning three columns is read once.
    """
    trs = _rows_of(table)
    grid: dict[tuple[int, int], tuple[str, int]] = {}
    width = 0
    origin = 0
    for r, tr in enumerate(trs):
        c = 0
        for cell in tr.xpath("./td|./th"):
            while (r, c) in grid:
                c += 1
            rs = min(_span(cell, "rowspan"), len(trs) - r)
            cs = _span(cell, "colspan")
            text = cell_text(cell)
            origin += 1
            for dr in range(rs):
                for dc in range(cs):
                    grid[(r + dr, c + dc)] = (text, origin)
            c += cs
            width = max(width, c)
    rows = []
    for r in range(len(trs)):
        row: list[str] = []
        last = None
        # Positions no cell covers (ragged rows) are not cells: stop at the last covered one.
        covered = max((c + 1 for c in range(width) if (r, c) in grid), default=0)
        for c in range(covered):
            text, org = grid.get((r, c), ("", None))
            if org is not None and org == last:
                continue
            last = org
            row.append(text)
        if any(row):
            rows.append(row)
    return rows
