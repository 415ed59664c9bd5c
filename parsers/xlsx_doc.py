"""XLSX attachments to a :class:`~parsers.document.Document` with openpyxl.

Each visible sheet is read as one grid: merged ranges cover all their positions with the
top-left value (read like an HTML table's rowspan/colspan, :mod:`parsers.grid`). Rows that
hold one cell (titles, headings, prose merged across the sheet) become :class:`Line` blocks;
runs of the others become tables, with the empty spacer columns of each run dropped. Numbers
keep their shown form (``12``, not ``12.0``). XLS files reach this reader converted by
LibreOffice (:mod:`parsers.office`).

Bounded work: the package is checked and trimmed before openpyxl opens it
(:mod:`parsers.ooxml`: zip bombs, DTDs, formatting-only rows and cells, sheets over
``MAX_SHEET_CELLS`` cells, merged ranges over ``MAX_MERGED_CELLS``). Only the cells a sheet
stores are read, never its bounding box (one styled cell at ``XFD1048576`` spans 17 billion).
"""

from __future__ import annotations

import datetime as dt
import io

from . import limits
from .document import Document, collapse
from .grid import blocks_from_rows, rows_from_grid
from .ooxml import safe_package


def read_xlsx(body: bytes) -> tuple[Document, list[str]]:
    import openpyxl  # noqa: PLC0415  (lazy, like the other attachment readers)

    doc = Document(kind="xlsx")
    body, warnings = safe_package(body, "xlsx")
    if body is None:
        return doc, warnings
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
        title = book.properties.title
        sheets = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"]
    except Exception as exc:  # damaged zip or XML: openpyxl raises many kinds
        return doc, [f"the XLSX could not be opened: {type(exc).__name__}: {exc}"[:200]]
    if title:
        doc.titles.append(collapse(title))
    for sheet in sheets:
        doc.blocks.extend(_sheet_blocks(sheet))
    return doc, warnings


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return collapse(str(value))


def _stored_cells(sheet):
    """The cells the sheet stores, in row order. ``iter_rows`` would walk (and create) every
    position of the bounding box; openpyxl keeps the stored ones in ``_cells``."""
    cells = getattr(sheet, "_cells", None)
    if cells is None:  # another openpyxl: the bounding box, which the package check bounds
        return (cell for row in sheet.iter_rows() for cell in row)
    return (cells[key] for key in sorted(cells))


def _sheet_blocks(sheet) -> list:
    grid: dict = {}
    origin = 0
    for cell in _stored_cells(sheet):
        text = cell_text(cell.value)
        if text:
            origin += 1
            grid[(cell.row - 1, cell.column - 1)] = (text, origin)
    covered = 0
    for rng in sheet.merged_cells.ranges:
        top = grid.get((rng.min_row - 1, rng.min_col - 1))
        if top is None:
            continue
        covered += (rng.max_row - rng.min_row + 1) * (rng.max_col - rng.min_col + 1)
        if covered > limits.MAX_MERGED_CELLS:  # the package check keeps this from happening
            break
        for r in range(rng.min_row - 1, rng.max_row):
            for c in range(rng.min_col - 1, rng.max_col):
                grid[(r, c)] = top
    by_row: dict[int, dict] = {}
    for (r, c), value in grid.items():
        by_row.setdefault(r, {})[c] = value
    # Rows are split into runs first, so each table's spacer columns are its own. A run is
    # consecutive rows of two cells or more; only stored rows are visited (not the gaps).
    blocks, run = [], []
    for r in sorted(by_row):
        if len({org for _, org in by_row[r].values()}) >= 2 and (not run or run[-1] == r - 1):
            run.append(r)
            continue
        blocks += _run_blocks(by_row, run)
        run = []
        if len({org for _, org in by_row[r].values()}) >= 2:
            run = [r]
        else:
            blocks += _run_blocks(by_row, [r])
    blocks += _run_blocks(by_row, run)
    return blocks


def _run_blocks(by_row: dict[int, dict], rows: list[int]) -> list:
    if not rows:
        return []
    lo = rows[0]
    part = {(r - lo, c): v for r in rows for c, v in by_row[r].items()}
    return blocks_from_rows(rows_from_grid(part, len(rows), drop_spacer_columns=True), "xlsx")
