"""The grid of an HTML data table: its rows of cells, spans expanded.

:func:`expand_rows` places a table's cells, read as rows of texts with the span attributes of
the cells that have one, into the table's full grid. The rows come from
:func:`parsers.html_doc.table_rows`, which reads them from the tree in C (:mod:`parsers._cells`,
when built) or in Python.
"""

from __future__ import annotations

import itertools

from . import limits

#: A table row as read: its cells' texts, and ``{index: (rowspan, colspan)}`` for the cells
#: that have a rowspan or colspan attribute (an absent one as None), or None if no cell has.
Row = tuple[list[str], "dict[int, tuple[str | None, str | None]] | None"]

#: The usual span values, read without int().
_SPAN_VALUES = {str(i): i for i in range(1, 10)}


def span(value: str | None) -> int:
    """A rowspan or colspan attribute's value as a span: 1 when absent or unreadable, at most
    :data:`~parsers.limits.MAX_SPAN`."""
    if value is None:
        return 1
    n = _SPAN_VALUES.get(value)
    if n is not None:
        return n
    try:
        return max(1, min(int(value.strip().rstrip(";") or 1), limits.MAX_SPAN))
    except ValueError:
        return 1


def expand_rows(rows: list[Row], budget: int) -> tuple[list[list[str]], int, str | None]:
    """The full grid of a table's rows within ``budget`` grid cells: ``(rows of cell texts,
    grid cells used, why it was cut)``.

    Rowspans are copied into every row they cover (a group label such as ``（三）不予公开``
    then stands in each of its sub-rows); colspan copies within a row are merged back into
    one cell, so a value spanning three columns is read once. Positions no cell covers (holes
    of ragged rows) read as blank cells. Rows left empty are dropped.

    The grid is capped by its area (rows x width, holes included), not span by span: a cell
    whose spans would overflow the budget is read as one row (then one cell) high and wide,
    and the table ends at the first cell that does not fit at all.
    """
    nrows = len(rows)
    # grid[r][c] = the number of the cell covering that position (texts[number] is its text),
    # or 0 for a position no cell covers (yet).
    grid: list[list[int]] = [[] for _ in range(nrows)]
    texts = [""]
    area = 0
    note = None
    spent = False  # set when a cell does not fit: the table ends there
    # Rows where a colspan stands or a hole was left: only there can a row hold one cell twice
    # side by side or an uncovered position, so only these are read by the rules for them.
    irregular: set[int] = set()
    for r, (cells, spans) in enumerate(rows):
        line = grid[r]
        k = len(cells)
        # Plain cells after every position taken (no hole) go at the end of the line, one
        # position each: placed all at once when they all fit.
        if spans is None and area + k <= budget and 0 not in line:
            start = len(texts)
            texts += cells
            line += range(start, start + k)
            area += k
            continue
        last_spanned = max(spans) if spans else -1
        n = len(line)  # kept in step with the line
        c = 0
        for i, text in enumerate(cells):
            while c < n and line[c]:
                c += 1
            if i > last_spanned and c == n and area + k - i <= budget:
                start = len(texts)  # the rest: plain cells at the end of the line
                texts += cells[i:]
                line += range(start, start + k - i)
                area += k - i
                break
            attrs = spans.get(i) if spans else None
            if attrs is None:
                if c == n:
                    if area >= budget:
                        note, spent = f"its expanded grid exceeds {budget} cells", True
                        break
                    line.append(len(texts))
                    texts.append(text)
                    area += 1
                    c = n = n + 1
                    continue
                rs = cs = 1
            else:
                rs = min(span(attrs[0]), nrows - r)
                cs = span(attrs[1])
            origin = len(texts)
            # The cell covers at most rs * (c + cs) new positions: when that fits, it fits as
            # it is (the exact count is needed only near the budget).
            if area + rs * (c + cs) > budget:
                want = (rs, cs)
                for rs_, cs_ in (want, (1, cs), (1, 1)):
                    grow = sum(max(0, c + cs_ - len(grid[r + dr])) for dr in range(rs_))
                    if area + grow <= budget:
                        rs, cs = rs_, cs_
                        break
                else:
                    note, spent = f"its expanded grid exceeds {budget} cells", True
                    break
                if (rs, cs) != want:
                    note = note or f"its expanded grid exceeds {budget} cells"
            texts.append(text)
            for dr in range(rs):
                target = grid[r + dr]
                if len(target) < c + cs:
                    if len(target) < c:
                        irregular.add(r + dr)
                    area += c + cs - len(target)
                    target.extend([0] * (c + cs - len(target)))
                target[c:c + cs] = [origin] * cs
            if cs > 1:
                irregular.update(range(r, r + rs))
            c += cs
            n = len(line)
        if spent:
            break  # the budget is spent: the rest of the table is not read
    out = []
    at = texts.__getitem__
    for r, line in enumerate(grid):
        if r not in irregular:  # each cell once, no holes
            row = list(map(at, line))
        elif 0 not in line:
            # Colspan copies of one cell stand side by side: read each cell once.
            row = [texts[o] for o, _ in itertools.groupby(line)]
        else:
            # Positions no cell covers (holes of ragged rows) read as blank cells, each.
            row, last = [], None
            for o in line:
                if o and o == last:
                    continue
                last = o
                row.append(texts[o])
        if any(row):
            out.append(row)
    return out, area, note
