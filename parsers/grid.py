"""Cell grids of attachments (PDF, DOCX, XLSX) to document blocks, the way HTML grids are read.

Every reader of a ruled table fills a grid ``{(row, col): (text, origin)}`` where ``origin``
identifies the source cell, so a merged cell covers several positions with one origin. The
grid is then read like :func:`parsers.html_doc.table_grid` reads an HTML table: a cell merged
down is repeated in each row it covers (a group label such as ``（三）不予公开`` stands in every
sub-row), a cell merged across is read once.

Attachments also put prose in tables (a page-wide frame around the text, a spreadsheet row
merged across the sheet). :func:`blocks_from_rows` therefore turns every row that is a single
cell into a :class:`~parsers.document.Line` and keeps runs of multi-cell rows as tables, so
headings and prose are found as they are on an HTML page.
"""

from __future__ import annotations

from .document import Line, Table, collapse

Grid = dict[tuple[int, int], tuple[str, object]]


def rows_from_grid(grid: Grid, n_rows: int, drop_spacer_columns: bool = False) -> list[list[str]]:
    """The grid's rows as cell texts, merged-across copies read once, empty rows dropped.

    With ``drop_spacer_columns``, columns where no non-empty cell starts are dropped first:
    spreadsheets and converted documents put narrow spacer columns under merged headers,
    which would otherwise add a blank cell inside a row of values.
    """
    if not grid:
        return []
    width = max(c for _, c in grid) + 1
    columns = range(width)
    if drop_spacer_columns:
        starts: set[int] = set()
        seen: set[object] = set()
        for (_, c), (text, origin) in sorted(grid.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if origin not in seen:
                seen.add(origin)
                if text:
                    starts.add(c)
        columns = [c for c in columns if c in starts]
    rows = []
    for r in range(n_rows):
        row = row_cells(grid, r, columns)
        if any(row):
            rows.append(row)
    return rows


def row_cells(grid: Grid, r: int, columns) -> list[str]:
    """Row ``r`` over ``columns``: a cell merged across is read once, trailing blanks go."""
    row: list[str] = []
    last = None
    for c in columns:
        if (r, c) not in grid:
            row.append("")
            last = None
            continue
        text, origin = grid[(r, c)]
        if origin == last:
            continue
        last = origin
        row.append(text)
    while row and not row[-1]:
        row.pop()
    return row


def blocks_from_rows(rows: list[list[str]], layout: str) -> list:
    """Rows of one grid as blocks: single-cell rows become Lines, runs of the others Tables."""
    blocks: list = []
    table: Table | None = None
    for row in rows:
        cells = [collapse(c) for c in row]
        filled = [c for c in cells if c]
        if len(filled) <= 1 and len(cells) <= 1:
            table = None
            if filled:
                blocks.append(Line(filled[0]))
            continue
        if table is None:
            table = Table([], layout)
            blocks.append(table)
        table.rows.append(cells)
    return blocks
