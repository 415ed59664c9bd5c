"""Reading the three statistical tables out of a document's rows.

The reader is generic: it knows nothing of any site. Each table row (from an HTML grid, a
text row, or a prose line such as ``行政许可 97``) is split into its label cells and the value
cells after the last label. The last label that matches a template row names the row; values
are aligned to the template's columns (:func:`align`). Rows whose labels the page lost are
read by position between the rows that kept theirs (:func:`_fill_by_position`), and the record
says which rows were read that way.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field

from . import templates as T
from .document import Line, Table
from .labels import LabelIndex, index_for, matches, normalize
from .values import OUT_OF_RANGE, is_blank, is_value, read_value

_UNITS = ("亿元", "万元", "元", "件", "个", "项", "条", "次")
_BRACKETS = re.compile(r"[\s()（）【】\[\]]+")
_SIGNS = ("增", "减", "增加", "减少")


@dataclass(slots=True)
class Row:
    labels: list[str]
    values: list[str]
    prose: bool = False
    block: int = -1
    _nonblank: int = field(default=-1, repr=False, compare=False)

    def nonblank(self) -> int:
        # Rows are shared by the three table readers (and never modified): count once.
        n = self._nonblank
        if n < 0:
            n = self._nonblank = _count_nonblank(self.values)
        return n


@dataclass
class TableResult:
    values: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    positional: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    used_blocks: set[int] = field(default_factory=set)


def split_row(cells: list[str], prose: bool = False, block: int = -1) -> Row:
    """Label cells (blank ones dropped) and the value cells after the last label."""
    # map() over the cached predicates: no bytecode per cell (this runs on every cell).
    kinds = list(map(is_value, cells))
    n = kinds.count(False)
    if n == len(kinds) or kinds.index(True) == n:
        # The usual table row: its labels, then its values (or labels only, a header row). A
        # label is never blank (a blank cell reads as a value), so none is dropped. Both
        # scans stop in C at the first value.
        return Row(cells[:n], cells[n:], prose, block)
    last = len(kinds) - 1 - kinds[::-1].index(False)
    labels = list(itertools.filterfalse(is_blank, cells[: last + 1]))
    return Row(labels, cells[last + 1:], prose, block)


def tokenize_line(text: str) -> list[str]:
    """A prose line as cells: numbers (with a sign word or unit kept attached) are value
    cells, runs of other words one label cell (``三、本 年度 办 理`` stays one label)."""
    tokens: list[str] = []
    for tok in text.split():
        if tokens and tok in _UNITS and is_value(tokens[-1]) and not is_blank(tokens[-1]):
            tokens[-1] += tok
        elif tokens and tokens[-1] in _SIGNS and is_value(tok):
            tokens[-1] += tok
        else:
            tokens.append(tok)
    cells: list[str] = []
    label: list[str] = []
    for tok in tokens:
        if is_value(tok):
            if label:
                cells.append(" ".join(label))
                label = []
            cells.append(tok)
        else:
            label.append(tok)
    if label:
        cells.append(" ".join(label))
    return cells


def rows_in(blocks: list, indices, cache: dict | None = None) -> list[Row]:
    """The rows of the blocks at ``indices``. ``cache`` (a dict the caller keeps for one
    document) holds each block's rows once split: a page's tables are searched several times.
    Rows are never modified by the readers, so they can be shared."""
    rows = []
    for i in indices:
        block_rows = cache.get(i) if cache is not None else None
        if block_rows is None:
            b = blocks[i]
            if isinstance(b, Table):
                block_rows = [split_row(cells, False, i) for cells in b.rows]
            elif isinstance(b, Line):
                block_rows = [split_row(tokenize_line(b.text), True, i)]
            else:
                block_rows = []
            if cache is not None:
                cache[i] = block_rows
        rows.extend(block_rows)
    return rows


def align(values: list[str], n: int) -> tuple[list[str], str | None]:
    """Fit a row's value cells to the template's ``n`` columns.

    Trailing blanks (a row terminator, an empty padding cell), then leading blanks (a label
    cell's colspan left empty) are dropped while there are too many; a row that still has too
    many keeps its last ``n`` (a lost label turned into a number stands first); a short row
    fills from the left and its last columns stay absent. A row that fits is returned as it
    is, not copied: rows are never modified.
    """
    if len(values) == n:
        return values, None
    vals = list(values)
    while len(vals) > n and is_blank(vals[-1]):
        vals.pop()
    while len(vals) > n and is_blank(vals[0]):
        vals.pop(0)
    if len(vals) > n:
        return vals[-n:], "extra cells"
    if len(vals) < n:
        return vals, "missing cells"
    return vals, None


def _match_key(row: Row, specs, cursor: int) -> str | None:
    """The template row named by the row's last matching label. Among several candidates,
    the first one after the last row matched wins (tables run in template order).
    ``specs`` is a template table (``[(key, variants), …]``) or its :class:`LabelIndex`."""
    index = specs if isinstance(specs, LabelIndex) else index_for(specs)
    for label in reversed(row.labels):
        cands = index.exact_rows(normalize(label)) if row.prose else index.label_rows(label)
        if cands:
            for i in cands:
                if i > cursor:
                    return index.keys[i]
            return index.keys[cands[0]]
    return None


def _shown(raw: str) -> str:
    """A cell's text for a warning: its repr, shortened."""
    return repr(raw) if len(raw) <= 40 else repr(raw[:30]) + f"… ({len(raw)} characters)"


class Columns:
    """A template row's columns, ``[(name, kind), …]``, made once: its identity keys the
    cache of read rows (:func:`_store`), its ``names`` tell which header units apply."""

    __slots__ = ("pairs", "names")

    def __init__(self, pairs):
        self.pairs = list(pairs)
        self.names = frozenset(col for col, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


#: (columns, cell texts) -> (values, cells) of a row read without a warning. Tables repeat
#: whole rows (0 0 0 0 0 0 0 0 fills most of a report's applications table): such a row is
#: read cell by cell once, then copied. Emptied past a bound; rows of long texts (padded
#: cells of a hostile page) are not kept.
_READ_ROWS: dict[tuple, tuple[dict, dict]] = {}
_READ_ROWS_BOUND = 4096
_READ_ROWS_TEXT = 1024


def _store(result: TableResult, key: str, columns: Columns, vals: list[str], where: str,
           units: dict[str, str] | None = None) -> None:
    """Read a row's value cells into ``result`` as ``key``: values, raw cells, and a warning
    per cell that has something to say."""
    cache_key = None
    if not units or units.keys().isdisjoint(columns.names):  # no header unit to add
        cache_key = (columns, tuple(vals))
        hit = _READ_ROWS.get(cache_key)
        if hit is not None:
            result.values[key] = hit[0].copy()  # copies: a record's dicts are its own
            result.cells[key] = hit[1].copy()
            return
    warned = len(result.warnings)
    row_values, row_cells = {}, {}
    for (col, kind), raw in zip(columns.pairs, vals, strict=False):
        if units and col in units:  # the column header's unit, unless the cell names its own
            ok, value, problem = read_value(raw + units[col], kind)
            if not ok:
                ok, value, problem = read_value(raw, kind)
        else:
            ok, value, problem = read_value(raw, kind)
        if problem is None and ok:  # the usual cell: a value, nothing to say
            row_values[col] = value
            row_cells[col] = raw
            continue
        if not ok:
            result.warnings.append(f"{where}.{key}.{col}: unreadable cell {_shown(raw)}")
            value = None
        elif problem == OUT_OF_RANGE:
            result.warnings.append(f"{where}.{key}.{col}: number out of range (not a count or "
                                   f"amount a report can hold), kept raw in cells: {_shown(raw)}")
        row_values[col] = value
        row_cells[col] = raw
    result.values[key] = row_values
    result.cells[key] = row_cells
    if (cache_key is not None and len(result.warnings) == warned
            and sum(map(len, vals)) <= _READ_ROWS_TEXT):
        if len(_READ_ROWS) >= _READ_ROWS_BOUND:
            _READ_ROWS.clear()
        _READ_ROWS[cache_key] = (row_values.copy(), row_cells.copy())


# --- Table 2 -------------------------------------------------------------------------------

def detect_template(rows: list[Row]) -> str | None:
    """"2021" or "2019" from the active-disclosure column headers, None if there are none."""
    # One string to search: no marker holds the separator, so none matches across two labels.
    labels = "\n".join({normalize(lab) for r in rows for lab in r.labels})
    scores = {}
    for template, markers in T.TEMPLATE_COLUMN_MARKERS.items():
        scores[template] = sum(1 for m in markers if m in labels)
    best = max(scores, key=scores.get)
    return best if scores[best] else None


_HEADER_UNIT = re.compile(r"^[^\d]{0,6}?(?:单位)?[:：]?(亿元|万元|元)")


def header_units(rows: list[Row]) -> dict[str, str]:
    """Money column -> the unit its header cell names (``采购总金额（元）`` -> ``元``). Read
    from the header text wherever it stands, so a merged header, or one followed by an
    empty cell, still gives its unit to the column."""
    units: dict[str, str] = {}
    for row in rows:
        for label in row.labels:
            for col, unit in _label_units(label):
                units[col] = unit
    return units


@functools.lru_cache(maxsize=8192)  # every label of a page is asked, and labels repeat
def _label_units(label: str) -> tuple[tuple[str, str], ...]:
    """(money column, unit) for each header word of the column, with a unit, in ``label``."""
    text = _BRACKETS.sub("", label)
    found = []
    for col, words in T.MONEY_COLUMN_HEADERS.items():
        for word in words:
            at = text.find(word)
            if at >= 0:
                m = _HEADER_UNIT.match(text[at + len(word):])
                if m:
                    found.append((col, m.group(1)))
    return tuple(found)


_ACTIVE_SPECS = {template: [(key, variants) for key, _, variants in rows]
                 for template, rows in T.ACTIVE_DISCLOSURE.items()}
_ACTIVE_COLUMNS = {template: {key: Columns(cols) for key, cols, _ in rows}
                   for template, rows in T.ACTIVE_DISCLOSURE.items()}


def read_active_disclosure(rows: list[Row], template: str) -> TableResult:
    specs = index_for(_ACTIVE_SPECS[template])
    columns = _ACTIVE_COLUMNS[template]
    units = header_units(rows)
    result = TableResult()
    cursor = -1
    for row in rows:
        if not row.values:
            continue
        key = _match_key(row, specs, cursor)
        if key is None:
            continue
        if key in result.values and row.nonblank() <= _nonblank(result.cells[key]):
            continue
        vals, note = align(row.values, len(columns[key]))
        if note and row.prose and note == "missing cells":
            continue
        if note:
            result.warnings.append(f"active_disclosure.{key}: {note}")
        _store(result, key, columns[key], vals, "active_disclosure", units)
        cursor = specs.position[key]
        if row.prose:
            result.used_blocks.add(row.block)
    return result


def _nonblank(cells: dict) -> int:
    return _count_nonblank(cells.values())


# --- Table 3 -------------------------------------------------------------------------------

_APPLICATION_COLUMNS = Columns((c, "count") for c in T.APPLICATION_COLUMNS)


def read_applications(rows: list[Row], template: str | None) -> TableResult:
    n = len(T.APPLICATION_COLUMNS)
    specs = index_for(T.APPLICATION_ROWS)
    keys = specs.keys
    entries: list[tuple[str | None, Row]] = []
    cursor = -1
    for row in rows:
        if not row.values:
            continue
        key = _match_key(row, specs, cursor)
        if key is not None:
            # (Counting blanks only for a short row: a full labelled row is a data row.)
            if len(row.values) < n and row.nonblank() == 0:
                continue  # a header cell such as 总计 with a blank after it, not a data row
            entries.append((key, row))
            cursor = specs.position[key]
        elif row.nonblank() > n // 2:
            entries.append((None, row))

    labelled = {k for k, _ in entries if k}
    if labelled & {"other_no_correction", "other_unpaid_fee", "other_other"}:
        variant = "2021"
    elif "other_handling" in labelled:
        variant = "2019"
    else:
        variant = template or "2021"
    order = T.APPLICATION_TEMPLATE_ROWS[variant]

    result = TableResult()
    assigned: dict[str, list[str]] = {}
    for key, row in entries:
        if key is None:
            continue
        vals, note = align(row.values, n)
        if key in assigned and _count_nonblank(vals) <= _count_nonblank(assigned[key]):
            continue
        if note:
            result.warnings.append(f"applications.{key}: {note}")
        assigned[key] = vals
        if row.prose:
            result.used_blocks.add(row.block)
    _fill_by_position(entries, order, assigned, result, n)
    for key in keys:
        if key in assigned:
            _store(result, key, _APPLICATION_COLUMNS, assigned[key], "applications")
    return result


def _count_nonblank(vals) -> int:
    if not isinstance(vals, list):
        vals = list(vals)
    return len(vals) - sum(map(is_blank, vals))


_ORDER_INDEXES: dict[int, tuple[list, dict[str, int]]] = {}


def _order_index(order: list[str]) -> dict[str, int]:
    """Row key -> place in a template's row order, built once per order list (held, so its id
    cannot be reused by another)."""
    hit = _ORDER_INDEXES.get(id(order))
    if hit is None or hit[0] is not order:
        if len(_ORDER_INDEXES) >= 64:
            _ORDER_INDEXES.clear()
        hit = _ORDER_INDEXES[id(order)] = (order, {k: i for i, k in enumerate(order)})
    return hit[1]


def _fill_by_position(entries, order, assigned, result: TableResult, n: int) -> None:
    """Give rows without a usable label the template rows missing between two labelled ones.

    Between two anchors (labelled rows, or the table's ends), when the unlabelled rows are
    exactly as many as the template rows missing there, they are assigned in order. When the
    rows' boundaries were lost too (one-cell-per-line dumps), their value cells are pooled and,
    if they divide evenly into the missing rows, each chunk's last ``n`` cells are used.
    """
    unplaced = [pos for pos, (key, _) in enumerate(entries) if key is None]
    if not unplaced:
        return  # every row kept its label: nothing to place
    index = _order_index(order)
    if not any(key in index for key, _ in entries):
        return  # no row kept its label: nothing says these numbers are this table at all
    anchors = [(-1, -1)]
    for pos, (key, _) in enumerate(entries):
        if key in index and (anchors[-1][1] < index[key]):
            anchors.append((pos, index[key]))
    anchors.append((len(entries), len(order)))
    for (pa, ia), (pb, ib) in zip(anchors, anchors[1:], strict=False):
        at = bisect.bisect_right(unplaced, pa)
        if at == len(unplaced) or unplaced[at] >= pb:
            continue  # no unlabelled row between these anchors
        unlabelled = [row for key, row in entries[pa + 1: pb] if key is None]
        missing = [k for k in order[ia + 1: ib] if k not in assigned]
        if not unlabelled or not missing:
            continue
        if len(unlabelled) == len(missing):
            chunks = [align(row.values, n)[0] for row in unlabelled]
        else:
            pooled = [v for row in unlabelled for v in row.values if not is_blank(v)]
            size, rest = divmod(len(pooled), len(missing))
            if rest or size < n:
                result.warnings.append(
                    f"applications: {len(unlabelled)} unlabelled rows could not be placed in "
                    f"{len(missing)} missing rows ({missing[0]}..{missing[-1]})")
                continue
            chunks = [pooled[i * size: (i + 1) * size][-n:] for i in range(len(missing))]
        for key, vals in zip(missing, chunks, strict=True):
            assigned[key] = vals
            result.positional.append(f"applications.{key}")


# --- Table 4 -------------------------------------------------------------------------------

_REVIEW_COLUMNS = Columns((c, "count") for c in T.REVIEW_COLUMNS)


def read_review_litigation(rows: list[Row]) -> TableResult:
    result = TableResult()
    width = len(T.REVIEW_COLUMNS)
    full = width * len(T.REVIEW_GROUPS)
    columns = _REVIEW_COLUMNS
    # The standard layout: one data row holding the three groups side by side.
    for row in rows:
        if row.nonblank() >= full - width:
            vals, note = align(row.values, full)
            if len(vals) != full:
                continue
            if note:
                result.warnings.append(f"review_litigation: {note}")
            for g, (group, _) in enumerate(T.REVIEW_GROUPS):
                _store(result, group, columns, vals[g * width:(g + 1) * width], "review_litigation")
            if row.prose:
                result.used_blocks.add(row.block)
            return result
    # A transposed layout: one labelled row per group. Group labels keep their bracketed
    # part (行政诉讼（未经复议直接起诉）): it is what tells the two litigation groups apart.
    for row in rows:
        if row.nonblank() < 2:
            continue
        group = _review_group(row.labels)
        if group and group not in result.values:
            vals, _ = align(row.values, width)
            _store(result, group, columns, vals, "review_litigation")
    # One small table per group (three Markdown tables, placeholder headers such as 数据1…数据6):
    # the group is named before its values, by a caption line or a header row, and the values
    # row carries no label of its own.
    current = None
    for row in rows:
        group = _review_group(row.labels)
        if group:
            current = group
            continue
        if current is None or current in result.values or row.labels or row.nonblank() == 0:
            continue
        vals, note = align(row.values, width)
        if note is None:
            _store(result, current, columns, vals, "review_litigation")
            current = None
    return result


def _review_group(labels: list[str]) -> str | None:
    """The review group the row's last group label names (the litigation groups first:
    their labels hold 复议 too)."""
    for label in reversed(labels):
        norm = _BRACKETS.sub("", label)
        for g, variants in reversed(T.REVIEW_GROUPS):
            if any(matches(norm, v) for v in variants) and not (g == "review" and "起诉" in norm):
                return g
    return None
