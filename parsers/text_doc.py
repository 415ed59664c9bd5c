"""Plain-text dumps of report pages to a :class:`~parsers.document.Document`.

Text dumps of portal pages write tables in several ways, often mixed in one file:

- ``pipe``: one row per line, cells separated by ``|`` (``规章 | 1 | 1 | 50 |``);
- ``markdown``: ``| a | b |`` rows with ``|---|`` separator lines;
- ``tab``: one row per line, cells separated by tabs (Word and PDF copies);
- ``stream``: one cell per line, each ending in ``|``; empty cells are bare ``|`` lines and
  the row boundaries are lost. Rows are rebuilt from the cell sequence: a row is a run of
  label cells followed by a run of value cells (:func:`rows_from_stream`).

Everything else is prose, one :class:`Line` per line.

The work is bounded (:mod:`parsers.limits`): rows beyond a table's worth, cells beyond a row's
worth and blocks beyond a page's worth are cut, and the document's warnings say so.
"""

from __future__ import annotations

import re

from . import limits
from .document import Document, Line, Table, collapse
from .values import is_value

_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_ONLY_PIPES = re.compile(r"^\|+$")


def parse_text(text: str) -> Document:
    doc = Document(kind="text")
    table: Table | None = None
    stream: list[str] = []
    cut: set[str] = set()  # which limits were reached

    def add_row(cells: list[str]) -> None:
        if len(table.rows) >= limits.MAX_TABLE_ROWS:
            cut.add(f"tables cut after {limits.MAX_TABLE_ROWS} rows")
            return
        if len(cells) > limits.MAX_ROW_CELLS:
            cut.add(f"rows cut after {limits.MAX_ROW_CELLS} cells")
            cells = cells[: limits.MAX_ROW_CELLS]
        table.rows.append(cells)

    def close_stream():
        nonlocal stream
        if stream and table is not None:
            for row in rows_from_stream(stream):
                add_row(row)
        stream = []

    def open_table(layout):
        nonlocal table
        if table is None:
            table = Table([], layout)
            doc.blocks.append(table)

    def close_table():
        nonlocal table
        close_stream()
        table = None

    lines = text.splitlines()
    if len(lines) > limits.MAX_LINES:
        cut.add(f"page cut after {limits.MAX_LINES} of its {len(lines)} lines")
        del lines[limits.MAX_LINES:]
    for raw in lines:
        if table is None and len(doc.blocks) >= limits.MAX_BLOCKS:
            cut.add(f"page cut after {limits.MAX_BLOCKS} blocks of text and tables")
            break
        line = collapse(raw)
        if not line:
            continue
        if _MD_SEPARATOR.match(line):
            open_table("markdown")
            continue
        if "\t" in raw.strip(" \r\n\u3000\xa0"):
            # Trailing tabs are blank cells (a row whose values are all empty), so the raw
            # line is split, not the stripped one.
            close_stream()
            open_table("tab")
            add_row([collapse(c) for c in raw.strip(" \r\n\u3000\xa0").split(
                "\t", limits.MAX_ROW_CELLS)])
            continue
        if "|" in line:
            cells = _pipe_cells(line)
            if cells is None:  # a single cell of a one-cell-per-line table
                open_table("stream")
                if len(stream) < limits.MAX_GRID_CELLS:
                    stream.append(collapse(line.rstrip("|")) if not _ONLY_PIPES.match(line) else "")
                else:
                    cut.add(f"tables cut after {limits.MAX_GRID_CELLS} cells")
            else:
                close_stream()
                open_table("markdown" if line.startswith("|") else "pipe")
                add_row(cells)
            continue
        if table is not None and is_value(line) and len(line) <= 20:
            # The last cell of a dumped table often lost its "|" terminator.
            if stream or table.layout == "stream":
                if len(stream) < limits.MAX_GRID_CELLS:
                    stream.append(collapse(line))
            else:
                add_row([collapse(line)])
            continue
        close_table()
        if len(doc.blocks) >= limits.MAX_BLOCKS:
            cut.add(f"page cut after {limits.MAX_BLOCKS} blocks of text and tables")
            break
        doc.blocks.append(Line(line))
    close_table()
    doc.warnings.extend(sorted(cut))
    return doc


def _pipe_cells(line: str) -> list[str] | None:
    """Cells of a ``|``-separated row, or None for a single ``cell |`` / bare ``|`` line."""
    if _ONLY_PIPES.match(line):
        return None
    inner = line
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    if "|" not in inner:
        return None if line.endswith("|") and not line.startswith("|") else [collapse(inner)]
    # One cell more than a row may keep, so that the reader knows the row was cut.
    return [collapse(c) for c in inner.split("|", limits.MAX_ROW_CELLS)]


def rows_from_stream(cells: list[str]) -> list[list[str]]:
    """Rebuild rows from a cell sequence that lost its row boundaries.

    A row is a run of label cells followed by a run of value cells (blanks count as values,
    so the bare ``|`` that opens the next row trails the previous one, where the table reader
    trims it). A label after a value starts a new row.
    """
    rows: list[list[str]] = []
    row: list[str] = []
    in_values = False
    for cell in cells:
        value = is_value(cell)
        if not value and in_values:
            rows.append(row)
            row, in_values = [], False
        row.append(cell)
        in_values = in_values or value
    if row:
        rows.append(row)
    return rows
