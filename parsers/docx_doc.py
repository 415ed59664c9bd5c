"""DOCX attachments to a :class:`~parsers.document.Document` with python-docx.

The body is read in document order: each paragraph is a :class:`Line`, each table a grid
whose merged cells (``gridSpan`` across, ``vMerge`` down) read like an HTML table's colspan
and rowspan (:mod:`parsers.grid`). Single-cell rows (a heading row, a one-column frame around
prose) are prose. Content controls (``w:sdt``) are walked through; a table nested in a cell
contributes its text to that cell. DOC and WPS files reach this reader converted by
LibreOffice (:mod:`parsers.office`).

Bounded work (:mod:`parsers.limits`): the package is checked before python-docx opens it
(:mod:`parsers.ooxml`: zip bombs, DTDs); the walk stops after ``MAX_DOCX_ELEMENTS`` elements
or ``MAX_BLOCKS`` blocks, and a table's grid is cut at ``MAX_TABLE_ROWS`` rows or
``MAX_GRID_CELLS`` positions (``gridSpan`` bombs), each with a warning.

python-docx is imported on the first DOCX only.
"""

from __future__ import annotations

import io

from . import limits
from .document import Document, Line, collapse
from .grid import blocks_from_rows, rows_from_grid
from .ooxml import safe_package

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(body: bytes) -> tuple[Document, list[str]]:
    import docx  # noqa: PLC0415  (lazy: HTML-only processes never load it)

    doc = Document(kind="docx")
    body, warnings = safe_package(body, "docx")
    if body is None:
        return doc, warnings
    try:
        word = docx.Document(io.BytesIO(body))
        title = word.core_properties.title
    except Exception as exc:  # a damaged zip or XML part: python-docx raises many kinds
        return doc, [f"the DOCX could not be opened: {type(exc).__name__}: {exc}"[:200]]
    if title and title.strip():
        doc.titles.append(collapse(title))
    walk = _Walk(doc.blocks)
    try:
        walk.walk(word.element.body)
    except _Cut as cut:
        warnings.append(str(cut))
    return doc, warnings + walk.warnings


class _Cut(Exception):
    """The walk reached a limit; the message is the record's warning."""


class _Walk:
    """The body's blocks in document order, within the limits."""

    def __init__(self, blocks: list):
        self.blocks = blocks
        self.elements = 0
        self.tables = 0
        self.warnings: list[str] = []

    def walk(self, parent) -> None:
        for child in parent.iterchildren():
            self.elements += 1
            if self.elements > limits.MAX_DOCX_ELEMENTS or len(self.blocks) >= limits.MAX_BLOCKS:
                raise _Cut(f"document cut: read the first {len(self.blocks)} blocks "
                           f"({self.elements} elements; limits {limits.MAX_BLOCKS} blocks, "
                           f"{limits.MAX_DOCX_ELEMENTS} elements)")
            tag = child.tag
            if tag == _W + "p":
                text = paragraph_text(child)
                if text:
                    self.blocks.append(Line(text))
            elif tag == _W + "tbl":
                if _is_layout(child):
                    # This table's own cells (rows and cells are direct children: walking
                    # the subtree at each level would be quadratic in the nesting depth).
                    for tr in child.iterchildren(_W + "tr"):
                        for tc in tr.iterchildren(_W + "tc"):
                            self.walk(tc)
                else:
                    self.tables += 1
                    rows = _table_rows(child, self.tables, self.warnings)
                    self.elements += sum(len(row) for row in rows)
                    self.blocks.extend(blocks_from_rows(rows, "docx"))
            elif tag in (_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "smartTag"):
                inner = child.find(_W + "sdtContent") if tag == _W + "sdt" else child
                if inner is not None:
                    self.walk(inner)


def _is_layout(tbl) -> bool:
    """A table laying out a page (it holds tables, or has one column): its cells are walked
    as containers, as :mod:`parsers.html_doc` walks HTML layout tables."""
    inner = tbl.iter(_W + "tbl")
    next(inner, None)  # the table itself
    if next(inner, None) is not None:
        return True
    grid = tbl.find(_W + "tblGrid")
    return grid is not None and len(grid.findall(_W + "gridCol")) <= 1


def paragraph_text(p) -> str:
    parts = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        parts.append(el.text or "" if el.tag == _W + "t" else " ")
    return collapse("".join(parts))


def _cell_text(tc) -> str:
    return collapse(" ".join(paragraph_text(p) for p in tc.iter(_W + "p")))


def _int(el, default: int = 1) -> int:
    try:
        return max(1, min(int(el.get(_W + "val")), 200))
    except (TypeError, ValueError):
        return default


def _table_rows(tbl, number: int, warnings: list[str]) -> list[list[str]]:
    """The table's rows read through its grid: merged-down cells repeat, merged-across cells
    read once. The grid is cut where its area (rows x width, holes included: the work of
    reading it) would pass ``MAX_GRID_CELLS``, or at ``MAX_TABLE_ROWS`` rows."""
    grid: dict = {}
    trs = tbl.findall(_W + "tr")
    origin = 0
    width = 0
    n_rows = 0
    cut = full = None
    if len(trs) > limits.MAX_TABLE_ROWS:
        cut = f"read {limits.MAX_TABLE_ROWS} of its {len(trs)} rows"
        trs = trs[: limits.MAX_TABLE_ROWS]
    for r, tr in enumerate(trs):
        c = 0
        pr = tr.find(_W + "trPr")
        before = pr.find(_W + "gridBefore") if pr is not None else None
        if before is not None:
            c += _int(before, 0)
        for tc in tr.findall(_W + "tc"):
            tcpr = tc.find(_W + "tcPr")
            span = _int(tcpr.find(_W + "gridSpan")) if tcpr is not None and \
                tcpr.find(_W + "gridSpan") is not None else 1
            if (r + 1) * max(width, c + span) > limits.MAX_GRID_CELLS:
                cut = full = f"its grid would pass {limits.MAX_GRID_CELLS} cells at row {r + 1}"
                break
            vmerge = tcpr.find(_W + "vMerge") if tcpr is not None else None
            if vmerge is not None and vmerge.get(_W + "val") != "restart" and (r - 1, c) in grid:
                cell = grid[(r - 1, c)]  # merged down: the cell above goes on in this row
            else:
                origin += 1
                cell = (_cell_text(tc), origin)
            for dc in range(span):
                grid[(r, c + dc)] = cell
            c += span
            width = max(width, c)
        n_rows = r + 1
        if full:
            break
    if cut:
        warnings.append(f"table {number} cut: {cut}")
    return rows_from_grid(grid, n_rows)
