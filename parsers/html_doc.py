"""HTML pages to a :class:`~parsers.document.Document`.

Walks the page body in document order. Prose becomes :class:`Line` blocks, one per block-level
element or ``<br>``; each data table becomes a :class:`Table` whose rows are the table's full
grid (every rowspan and colspan expanded), with colspan copies of one cell merged back so that
a row reads as the page shows it. Tables that hold other tables, or a whole article in a cell,
are layout: they are walked as containers, not read as data.

The work is bounded (:mod:`parsers.limits`): a table's expanded grid is capped by its area, the
walk stops after a page's worth of blocks, tags with absurd numbers of attributes are cut to
their name before libxml2 sees them (it checks attributes pairwise), and what libxml2 itself
gives up on (nesting deeper than 256 levels) is said in the document's warnings.
"""

from __future__ import annotations

import functools
import json
import re
import threading

import lxml.etree

from . import limits
from .document import Document, Line, Table, collapse
from .html_grid import Row, expand_rows

_BLOCK = frozenset("""address article aside blockquote body center dd details dialog dir div dl dt
fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section
summary table tbody thead tfoot tr td th ul caption""".split())
_SKIP = frozenset("script style noscript template iframe select textarea object embed svg button head".split())
_BLOCK_OR_BR = _BLOCK | {"br"}
_ROW_GROUPS = frozenset(("thead", "tbody", "tfoot"))
_CELLS = frozenset(("td", "th"))

_LAYOUT_TEXT = 400  # a cell holding more text than this is an article, not a table cell
#: A tag with more attributes than this is cut to its bare name (real tags have a dozen).
MAX_ATTRIBUTES = 1_000
# A tag of 8 KB or more, closed or not (libxml2 reads an unclosed one to the next tag).
_LONG_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9]*)([^<>]{8192,})>?")
# A name followed by "=": only from the start of a run of name characters, which the run is then
# read in once (starting again inside a long run made the count quadratic).
_ATTRIBUTE = re.compile(r"(?<![^\s=/>\"'])[^\s=/>\"']++\s*=")

def _load_cells():
    """:mod:`parsers._cells`, the C reader of table rows, when it was built (``pip install``
    compiles it where a C compiler is found) against the lxml in use; else None, and tables
    are read in Python (the same rows, more slowly)."""
    try:
        from . import _cells  # noqa: PLC0415
        # Its C code reads lxml's element structs: only the lxml it was compiled with will do.
        if _cells.LXML_VERSION != lxml.etree.__version__:
            return None
        _cells.configure(_BLOCK, _SKIP)
    except Exception:  # noqa: BLE001  (a broken build must not break the parser: read in Python)
        return None
    return _cells


_cells = _load_cells()


# Plain lxml elements: lxml.html's element-class lookup costs a third of the parse time.
# One parser per thread: lxml parsers keep per-parse state (the error log) and the crawl may
# parse on several threads.
_LOCAL = threading.local()


def _parser() -> lxml.etree.HTMLParser:
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = lxml.etree.HTMLParser(
            remove_comments=True, remove_pis=True, no_network=True, encoding="utf-8", collect_ids=False)
    return parser


def _text_content(el) -> str:
    return "".join(el.itertext())


def _cut_attribute_bombs(text: str, warnings: list[str]) -> str:
    """Tags with more than :data:`MAX_ATTRIBUTES` attributes, cut to their bare name."""
    def cut(m: re.Match) -> str:
        count = len(_ATTRIBUTE.findall(m.group(2)))
        if count <= MAX_ATTRIBUTES:
            return m.group(0)
        warnings.append(f"a <{m.group(1).lower()}> tag with {count} attributes was read "
                        f"without them")
        return f"<{m.group(1)}>"

    # Fast path, at C speed: a run of 8 KB without a ">" would hold a whole aligned 4 KB
    # window without one, so if every window has one there is no tag long enough to matter.
    if all(text.find(">", i, i + 4096) >= 0 for i in range(0, len(text) - 4095, 4096)):
        return text
    return _LONG_TAG.sub(cut, text)


def parse_html(text: str, _depth: int = 0, *, utf8: bytes | None = None) -> Document:
    """The document of an HTML page. ``utf8``, when given, is ``text`` encoded in UTF-8
    already (the page's own bytes), which spares encoding it again."""
    doc = Document(kind="html")
    cut = _cut_attribute_bombs(text, doc.warnings)
    if cut is not text or utf8 is None:
        text, utf8 = cut, cut.encode("utf-8", "replace")
    parser = _parser()
    try:
        root = lxml.etree.fromstring(utf8, parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        root = None
    for error in parser.error_log.filter_from_level(lxml.etree.ErrorLevels.FATAL):
        message = error.message.strip()
        if "depth" in message.lower():
            doc.warnings.append("the page nests elements deeper than libxml2's limit (256 "
                                "levels): it was read only up to there")
        else:
            doc.warnings.append(f"the HTML parser stopped early: {message}")
        break
    if root is None:  # nothing but white space or markup debris
        return doc
    _read_head(root, doc)
    body = root.find("body")
    walker = _Walker(doc)
    walker.walk(body if body is not None else root)
    walker.flush()
    if walker.cut:
        doc.warnings.append(f"page cut after {limits.MAX_BLOCKS} blocks of text and tables")
    if walker.cells_cut:
        doc.warnings.append(f"tables cut after {limits.MAX_PAGE_CELLS} cells on the page")
    if _depth < 2 and not any(isinstance(b, Table) for b in doc.blocks):
        embedded = embedded_content(text)
        if embedded:
            inner = parse_html(embedded, _depth + 1)
            doc.blocks += inner.blocks
            doc.warnings += inner.warnings
    if not any(isinstance(b, Table) for b in doc.blocks):
        from .html_dump import read_text_dump  # noqa: PLC0415  (pages without <table> only)

        dumped = read_text_dump(body if body is not None else root)
        if dumped is not None:
            doc.blocks = dumped
    return doc


# Single-page-app portals (Guangdong's gkmlpt) ship the article as an escaped JSON string in a
# script: {"content":"<p>…</p><table>…"}. The raw page must re-parse by itself, so the parser
# reads it there.
# Possessive, so that the scan is linear: a string is read to its closing quote once.
# Starting with the literal word, so that the regex engine can skip to its occurrences.
_JSON_CONTENT = re.compile(r'content["\']?\s*:\s*("(?:[^"\\]++|\\.)*+")', re.S)
_ESCAPE = re.compile(r"\\.", re.S)
_MIN_CONTENT = 200  # characters (an escape counts as one) of a string worth reading


def embedded_content(text: str) -> str | None:
    """The longest HTML article held in a ``"content": "…"`` JSON string of the page."""
    best = None
    for m in _JSON_CONTENT.finditer(text):
        raw = m.group(1)
        if len(raw) - 2 < _MIN_CONTENT or (
                len(raw) - 2 < 2 * _MIN_CONTENT
                and len(raw) - 2 - len(_ESCAPE.findall(raw, 1, len(raw) - 1)) < _MIN_CONTENT):
            continue
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, str) and "<" in value and (best is None or len(value) > len(best)):
            best = value
    return best


def _read_head(root, doc: Document) -> None:
    # One pass over the tree for everything the head gives (each pass costs ~10 us a page).
    found: dict[str, list] = {"meta": [], "h1": [], "h2": [], "h3": [], "title": []}
    for el in root.iter("meta", "h1", "h2", "h3", "title"):
        found[el.tag].append(el)
    for meta in found["meta"]:
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = meta.get("content")
        if name and content and name not in doc.meta:
            doc.meta[name] = collapse(content)
    titles = []
    if doc.meta.get("articletitle"):
        titles.append(doc.meta["articletitle"])
    for tag in ("h1", "h2", "h3"):
        for el in found[tag]:
            t = collapse(_text_content(el))
            if t:
                titles.append(t)
    title = next((el for el in found["title"] if el is not root), None)  # .//title
    if title is not None and _text_content(title).strip():
        titles.append(collapse(_text_content(title)))
        doc.meta.setdefault("<title>", titles[-1])  # for the organ fallback (metadata.py)
    doc.titles = titles


class _Walker:
    def __init__(self, doc: Document):
        self.doc = doc
        self.buf: list[str] = []
        #: Set when the page holds more blocks than a report can: the walk stops there.
        self.cut = False
        self.cells_cut = False
        self.cells_left = limits.MAX_PAGE_CELLS
        self.tables = 0

    def flush(self) -> None:
        if self.buf:
            text = collapse("".join(self.buf))
            if text:
                if len(self.doc.blocks) >= limits.MAX_BLOCKS:
                    self.cut = True
                else:
                    self.doc.blocks.append(Line(text))
            self.buf = []

    def walk(self, el) -> None:
        if self.cut:
            return
        tag = el.tag
        # (Each .text or .tail read decodes the node's text anew: read once, then tested.)
        if not isinstance(tag, str) or tag in _SKIP:
            pass  # a comment, a processing instruction or a script: only its tail is text
        elif tag == "br":
            self.flush()
        elif tag == "table" and not _is_layout(el):
            self.flush()
            self.tables += 1
            budget = min(limits.MAX_GRID_CELLS, self.cells_left)
            rows, used, note = expand_table(el, budget)
            self.cells_left -= used
            if note:
                if budget < limits.MAX_GRID_CELLS:
                    self.cells_cut = True
                else:
                    self.doc.warnings.append(f"table {self.tables} cut: {note}")
            if rows:
                if len(self.doc.blocks) >= limits.MAX_BLOCKS:
                    self.cut = True
                    return
                self.doc.blocks.append(Table(rows, "html"))
        else:
            block = tag in _BLOCK
            if block and self.buf:
                self.flush()
            text = el.text
            if text:
                self.buf.append(text)
            for child in el:
                self.walk(child)
            if block and self.buf:
                self.flush()
        tail = el.tail
        if tail:
            self.buf.append(tail)


def _rows_of(table) -> list:
    """The table's own rows (``./tr|./thead/tr|./tbody/tr|./tfoot/tr``), in document order."""
    rows = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag in _ROW_GROUPS:
            rows.extend(child.iterchildren("tr"))
    return rows


def _is_layout(table) -> bool:
    """A table used to lay out a page: it holds tables, or article-length text in a cell."""
    if next(table.iterdescendants("table"), None) is not None:
        return True
    cells = []
    for child in table:  # ./tr/td|./tr/th|./*/tr/td|./*/tr/th
        for tr in (child,) if child.tag == "tr" else child.iterchildren("tr"):
            cells.extend(tr.iterchildren("td", "th"))
            if len(cells) > 3:
                return False
    return any(len(_text_content(c)) > _LAYOUT_TEXT for c in cells)


# All descendant text, concatenated in C; plain str (a "smart" string would hold the tree).
_STRING = lxml.etree.XPath("string()", smart_strings=False)


# Cell texts repeat within and across pages ("0", "\n  0\n  ", a template's labels): short
# ones are folded once. Long ones are not kept (a hostile cell can hold megabytes).
_SHORT = 64
_collapse_short = functools.lru_cache(maxsize=16384)(collapse)


def cell_text(cell) -> str:
    """A cell's text, its paragraphs and line breaks joined by spaces.

    The shapes of nearly every cell (a bare value, ``<p>0</p>``, ``<p><span>0</span></p>``)
    are read with a few attribute reads; anything else goes to :func:`cell_text_general`,
    which gives the same text for these shapes too (the tests check it on generated cells)."""
    n = len(cell)
    if not n:  # the common case: a bare value such as "0"
        text = cell.text
        return _collapse_short(text) if text and len(text) <= _SHORT else collapse(text or "")
    if n == 1:  # next: <td><p>0</p></td> and <td><p><span>0</span></p></td>
        child = cell[0]
        tag = child.tag
        if isinstance(tag, str) and tag not in _SKIP:
            k = len(child)
            if not k:
                text, before, after = child.text or "", cell.text, child.tail
                if before or after:
                    text = (before or "") + text + (after or "")
                return _collapse_short(text) if len(text) <= _SHORT else collapse(text)
            if k == 1:
                inner = child[0]
                itag = inner.tag
                if (not len(inner) and isinstance(itag, str) and itag not in _SKIP
                        and (tag not in _BLOCK_OR_BR or itag not in _BLOCK_OR_BR)):
                    # A chain of two with at most one block: no separator to place, nothing
                    # to skip, so the text is all the text, in document order.
                    text = inner.text or ""
                    before, inside, after, outside = cell.text, child.text, inner.tail, child.tail
                    if before or inside or after or outside:
                        text = ((before or "") + (inside or "") + text + (after or "")
                                + (outside or ""))
                    return _collapse_short(text) if len(text) <= _SHORT else collapse(text)
    return cell_text_general(cell)


def cell_text_general(cell) -> str:
    """:func:`cell_text` for any cell: with at most one paragraph (block element or ``<br>``)
    and nothing to skip, all its text; otherwise its text with a space at each paragraph's
    start and end and at each line break, scripts and the like left out."""
    blocks = 0
    for el in cell.iterdescendants():
        tag = el.tag
        if tag in _BLOCK_OR_BR:
            blocks += 1
        elif tag in _SKIP:
            blocks = 2
            break
    if blocks <= 1:  # one paragraph: no separators to place
        return collapse(_STRING(cell))
    parts: list[str] = []
    walker = lxml.etree.iterwalk(cell, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else None  # (libxml2 gives lower case)
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


def table_rows(table, budget: int) -> tuple[list[Row], int]:
    """The table's first :data:`~parsers.limits.MAX_TABLE_ROWS` rows (``./tr``,
    ``./thead/tr``, ``./tbody/tr``, ``./tfoot/tr``, in document order) as cell texts and spans
    (see :data:`~parsers.html_grid.Row`), and how many rows the table has.

    Cells past the first ``budget + 1`` are not read: each cell placed takes a grid position
    no other cell has, so a grid of ``budget`` positions cannot reach them. Read in C by
    :mod:`parsers._cells` when it is built (same rows, the tests compare them), else here."""
    if _cells is not None:
        return _cells.table_rows(table, budget, limits.MAX_TABLE_ROWS)
    return _table_rows(table, budget)


def _table_rows(table, budget: int) -> tuple[list[Row], int]:
    trs = _rows_of(table)
    left = budget + 1
    rows: list[Row] = []
    for tr in trs[: limits.MAX_TABLE_ROWS]:
        texts: list[str] = []
        spans = None
        for cell in tr:  # (iterchildren("td", "th") costs twice as much per cell)
            if cell.tag not in _CELLS:
                continue
            if left <= 0:
                break
            left -= 1
            # Bytes keys: lxml skips encoding the name (this runs twice per cell of a page).
            rowspan, colspan = cell.get(b"rowspan"), cell.get(b"colspan")
            if rowspan is not None or colspan is not None:
                if spans is None:
                    spans = {}
                spans[len(texts)] = (rowspan, colspan)
            texts.append(cell_text(cell))
        rows.append((texts, spans))
    return rows, len(trs)


def table_grid(table) -> list[list[str]]:
    """Expand a table into its full grid and return the rows as lists of cell texts (see
    :func:`~parsers.html_grid.expand_rows`)."""
    return expand_table(table, limits.MAX_GRID_CELLS)[0]


def expand_table(table, budget: int) -> tuple[list[list[str]], int, str | None]:
    """:func:`table_grid` within ``budget`` grid cells: ``(rows, cells used, why it was cut)``."""
    rows, total = table_rows(table, budget)
    grid, used, note = expand_rows(rows, budget)
    if total > limits.MAX_TABLE_ROWS:
        note = f"{total} rows, read the first {limits.MAX_TABLE_ROWS}"
    return grid, used, note
