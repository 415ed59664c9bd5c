"""DOCX attachments to a :class:`~parsers.document.Document` with python-docx.

The body is read in document order: each paragraph is a :class:`Line`, each table a grid
whose merged cells (``gridSpan`` across, ``vMerge`` down) read like an HTML table's colspan
and rowspan (:mod:`parsers.grid`). Single-cell rows (a heading row, a one-column frame around
prose) are prose. Content controls (``w:sdt``) are walked through; a table nested in a cell
contributes its text to that cell. DOC and WPS files reach this reader converted by
LibreOffice (:mod:`parsers.office`).

python-docx is imported on the first DOCX only.
"""

from __future__ import annotations

import io

from .document import Document, Line, collapse
from .grid import blocks_from_rows, rows_from_grid

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(body: bytes) -> tuple[Document, list[str]]:
    import docx  # noqa: PLC0415  (lazy: HTML-only processes never load it)

    doc = Document(kind="docx")
    try:
        word = docx.Document(io.BytesIO(body))
    except Exception as exc:  # a damaged zip or XML part: python-docx raises many kinds
        return doc, [f"the DOCX could not be opened: {type(exc).__name__}: {exc}"[:200]]
    title = word.core_properties.title
    if title and title.strip():
        doc.titles.append(collapse(title))
    _walk(word.element.body, doc.blocks)
    return doc, []


def _walk(parent, blocks: list) -> None:
    for child in parent.iterchildren():
        tag = child.tag
        if tag == _W + "p":
            text = paragraph_text(child)
            if text:
                blocks.append(Line(text))
        elif tag == _W + "tbl":
            if _is_layout(child):
                for tc in child.iter(_W + "tc"):
                    if tc.getparent().getparent() is child:  # this table's own cells
                        _walk(tc, blocks)
            else:
                blocks.extend(blocks_from_rows(_table_rows(child), "docx"))
        elif tag in (_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "smartTag"):
            _walk(child.find(_W + "sdtContent") if tag == _W + "sdt" else child, blocks)


def _is_layout(tbl) -> bool:
    """A table laying out a page (it holds tables, or has one column): its cells are walked
    as containers, as :mod:`parsers.html_doc` walks HTML layout tables."""
    if next(tbl.iter(_W + "tbl"), None) is not None and any(
            t is not tbl for t in tbl.iter(_W + "tbl")):
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


def _table_rows(tbl) -> list[list[str]]:
    grid: dict = {}
    trs = tbl.findall(_W + "tr")
    origin = 0
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
            vmerge = tcpr.find(_W + "vMerge") if tcpr is not None else None
            if vmerge is not None and vmerge.get(_W + "val") != "restart" and (r - 1, c) in grid:
                cell = grid[(r - 1, c)]  # merged down: the cell above goes on in this row
            else:
                origin += 1
                cell = (_cell_text(tc), origin)
            for dc in range(span):
                grid[(r, c + dc)] = cell
            c += span
    return rows_from_grid(grid, len(trs))
