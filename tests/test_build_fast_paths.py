"""The record builder's fast paths give what the plain definitions they replace gave.

:func:`parsers.tables.split_row` splits a row of labels then values with two slices;
:func:`parsers.tables._store` copies a row it has read before instead of reading its cells
again; :func:`parsers.tables.align` returns a row that fits as it is; ``is_value`` and
``is_blank`` answer from a bounded dict; :meth:`parsers.labels.LabelIndex.label_rows` caches
per raw label; the metadata block reader skips lines without a colon. Hypothesis builds rows of
labels, numbers, blanks, units, unreadable and out-of-range cells, and compares each with the
previous code (kept here) or the definition.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import tables
from parsers.tables import Columns, TableResult, _shown, _store, split_row
from parsers.values import OUT_OF_RANGE, is_blank, is_value, read_value

SETTINGS = settings(max_examples=400, deadline=None)

CELL = st.sampled_from(["规章", "（一）予以公开", "三、本年度办理结果", "1.属于国家秘密", "", "/", "—",
                        "无", "0", "12", "1,234", "减 3", "3.5", "251000元", "7件", "x", "0 0 0",
                        "9" * 30, "\u3000", "合计"])


def reference_split_row(cells: list[str], prose: bool = False, block: int = -1):
    """split_row before its fast path: label cells up to the last label, blanks dropped."""
    kinds = [is_value(c) for c in cells]
    last = len(kinds) - 1 - kinds[::-1].index(False) if False in kinds else -1
    labels = list(itertools.filterfalse(is_blank, cells[: last + 1]))
    return labels, cells[last + 1:]


@SETTINGS
@given(st.lists(CELL, max_size=10))
def test_split_row_matches_the_reference(cells):
    row = split_row(cells, True, 3)
    assert (row.labels, row.values) == reference_split_row(cells)
    assert (row.prose, row.block) == (True, 3)


def reference_store(result: TableResult, key: str, columns, vals: list[str], where: str,
                    units=None) -> None:
    """_store before rows were kept: every cell read, every time."""
    row_values, row_cells = {}, {}
    for (col, kind), raw in zip(columns, vals, strict=False):
        if units and col in units:
            ok, value, problem = read_value(raw + units[col], kind)
            if not ok:
                ok, value, problem = read_value(raw, kind)
        else:
            ok, value, problem = read_value(raw, kind)
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


PAIRS = [[("a", "count"), ("b", "count"), ("c", "count")],
         [("projects", "count"), ("amount_10k_yuan", "money")],
         [("amount_10k_yuan", "money")]]
COLUMNS = [Columns(p) for p in PAIRS]
UNITS = st.sampled_from([None, {}, {"amount_10k_yuan": "元"}, {"amount_10k_yuan": "亿元"},
                         {"other": "元"}])


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(PAIRS) - 1), st.lists(CELL, max_size=4), UNITS),
                min_size=1, max_size=6),
       st.booleans())
def test_store_matches_the_reference(rows, cold):
    """Rows read in any order, repeated or not, with or without header units: each gives the
    reference's values, cells and warnings, in dicts of its own."""
    if cold:
        tables._READ_ROWS.clear()
    got, want = TableResult(), TableResult()
    for n, (c, vals, units) in enumerate(rows * 2):  # every row read a second time
        _store(got, f"k{n}", COLUMNS[c], vals, "t", units)
        reference_store(want, f"k{n}", PAIRS[c], vals, "t", units)
    assert (got.values, got.cells, got.warnings) == (want.values, want.cells, want.warnings)
    for a, b in itertools.combinations(list(got.values.values()) + list(got.cells.values()), 2):
        assert a is not b


@pytest.mark.parametrize("vals", [["0", "0", "0"], ["1", "", "/"]])
def test_a_kept_row_is_copied_not_shared(vals):
    first, second = TableResult(), TableResult()
    _store(first, "k", COLUMNS[0], vals, "t")
    first.values["k"]["a"] = 99  # what a caller may do with its record
    first.cells["k"]["a"] = "99"
    _store(second, "k", COLUMNS[0], vals, "t")
    reference = TableResult()
    reference_store(reference, "k", PAIRS[0], vals, "t")
    assert (second.values, second.cells) == (reference.values, reference.cells)


@SETTINGS
@given(st.lists(st.one_of(CELL, st.text(max_size=6)), max_size=30))
def test_per_text_predicates_match_their_definitions(texts):
    """is_value and is_blank answer from a bounded dict filled on first sight: whatever was
    asked before, and across the bound's emptying, they answer as their definitions do."""
    from parsers.values import NULL_FORMS, _PerText, clean

    values, blanks = _PerText(lambda t: read_value(t)[0]), _PerText(lambda t: clean(t) in NULL_FORMS)
    values._BOUND = blanks._BOUND = 4  # empty often
    for text in texts * 2:
        assert values[text] is is_value(text) is read_value(text)[0]
        assert blanks[text] is is_blank(text) is (clean(text) in NULL_FORMS)
    assert len(values) <= 4 and len(blanks) <= 4


def reference_align(values: list[str], n: int):
    """align before rows that fit were returned as they are."""
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


@SETTINGS
@given(st.lists(CELL, max_size=10), st.integers(1, 8))
def test_align_matches_the_reference(values, n):
    before = list(values)
    assert tables.align(values, n) == reference_align(values, n)
    assert values == before  # the row is never modified


LABEL = st.one_of(CELL, st.sampled_from(["（一）予以公开", "(二)部分公开", "3.其他", "七、总计", "行政 许可",
                                         "其他对外管理服务事项", "本年新收政府信息公开申请数量"]),
                  st.text(alphabet="予以公开其他总计规章（）(一)1. ", max_size=12))


@SETTINGS
@given(st.lists(LABEL, max_size=20))
def test_label_rows_match_rows_of_the_normalised_label(labels):
    """LabelIndex.label_rows answers per raw label what rows(normalize(label)) answers."""
    from parsers import templates as T
    from parsers.labels import LabelIndex, normalize

    for specs in (T.APPLICATION_ROWS, tables._ACTIVE_SPECS["2019"]):
        index = LabelIndex(specs)
        index._CACHE_SIZE = 5  # emptied often
        for label in labels * 2:
            assert index.label_rows(label) == index.rows(normalize(label))


@SETTINGS
@given(st.lists(st.sampled_from(["发布机构", "发布日期", "来源", "信息来源", "成文日期", "：", ":", " ",
                                 "2022-03-10", "本局", "日", "12:30", "|", "公开", "x"]), max_size=14))
def test_metadata_lines_without_a_colon_name_no_field(words):
    """_kv skips blocks without a colon: _KV_INLINE never matches one."""
    from parsers.metadata import _KV_INLINE

    text = "".join(words)
    if ":" not in text and "：" not in text:
        assert _KV_INLINE.search(text) is None
