"""XLSX attachments to a :class:`~parsers.document.Document` with openpyxl.

Each visible sheet is read as one grid: merged ranges cover all their positions with the
top-left value (read like an HTML table's rowspan/colspan, :mod:`parsers.grid`). Rows that
hold one cell (titles, headings, prose merged across the sheet) become :class:`Line` blocks;
runs of the others become tables, with the empty spacer columns of each run dropped. Numbers
keep their shown form (``12``, not ``12.0``). XLS files reach this reader converted by
LibreOffice (:mod:`parsers.office`).
"""

from __future__ import annotations

import datetime as dt
import io

from .document import Document, collapse
from .grid import blocks_from_rows, rows_from_grid

MAX_CELLS = 200_000  # a report sheet has a few hundred cells; refuse to expand a bomb


def read_xlsx(body: bytes) -> tuple[Document, list[str]]:
    import openpyxl  # noqa: PLC0415  (lazy, like the other attachment readers)

    doc = Document(kind="xlsx")
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
    except Exception as exc:  # damaged zip or XML: openpyxl raises many kinds
        return doc, [f"the XLSX could not be opened: {type(exc).__name__}: {exc}"[:200]]
    warnings: list[str] = []
    if book.properties.title:
        doc.titles.append(collapse(book.properties.title))
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        if (sheet.max_row or 0) * (sheet.max_column or 0) > MAX_CELLS:
            warnings.append(f"sheet {sheet.title!r} has more than {MAX_CELLS} cells; not read")
            continue
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


def _sheet_blocks(sheet) -> list:
    grid: dict = {}
    origin = 0
    for row in sheet.iter_rows():
        for cell in row:
            text = cell_text(cell.value)
            if text:
                origin += 1
                grid[(cell.row - 1, cell.column - 1)] = (text, origin)
    for rng in sheet.merged_cells.ranges:
        top = grid.get((rng.min_row - 1, rng.min_col - 1))
        if top is None:
            continue
        for r in range(rng.min_row - 1, rng.max_row):
            for c in range(rng.min_col - 1, rng.max_col):
                grid[(r, c)] = top
    n_rows = max((r for r, _ in grid), default=-1) + 1
    origins: dict[int, set] = {}
    for (r, _), (_, org) in grid.items():
        origins.setdefault(r, set()).add(org)
    # Rows are split into runs first, so each table's spacer columns are its own.
    blocks, run = [], []
    for r in range(n_rows):
        if len(origins.get(r, ())) >= 2:
            run.append(r)
            continue
        blocks += _run_blocks(grid, run)
        run = []
        blocks += _run_blocks(grid, [r])
    blocks += _run_blocks(grid, run)
    return blocks


def _run_blocks(grid: dict, rows: list[int]) -> list:
    if not rows:
        return []
    lo = rows[0]
    part = {(r - lo, c): v for (r, c), v in grid.items() if lo <= r <= rows[-1]}
    return blocks_from_rows(rows_from_grid(part, len(rows), drop_spacer_columns=True), "xlsx")
