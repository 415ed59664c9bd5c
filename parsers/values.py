"""Table cell values: from the text a page shows to a count or an amount.

``parse_value(text, kind)`` returns ``(ok, value)``: ``ok`` is False when the text is not a
value at all (a label, a garbled cell); ``value`` is None for the blank forms (``""``, ``/``,
``—``, ``-``, ``无``). Counts are ints; money is a float in 万元 (``251000元`` is 25.1).

A number out of a sane range (a count beyond a signed 64-bit integer, an amount that is not a
finite float below :data:`parsers.limits.MAX_MONEY`, more digits than any real figure) is a value
cell whose value is None: :func:`read_value` says why, and the table reader keeps the raw text
in ``cells`` and a warning in the record. Such numbers would otherwise break JSON (``Infinity``),
MongoDB (integers beyond 64 bits) or ``int()`` itself (over 4,300 digits).

Every function here is cached per distinct text: tables repeat the same few cell texts
(``0``, ``""``, ``/``), and each cell is asked about several times.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from .limits import MAX_COUNT, MAX_DIGITS, MAX_MONEY

NULL_FORMS = frozenset({"", "/", "／", "\\", "—", "——", "-", "--", "－", "–", "无", "空", "_", "×", "x"})

# Stray marks that survive copy-paste around digits: replacement chars, question marks from a
# lost encoding, zero-width spaces, bullets.
_STRAY = re.compile(r"[?？\ufffd\u200b\u200c\u200d\ufeff•·*]")
# White space is dropped except between two digits: "0 0" is two numbers, not one.
_SPACE = re.compile(r"(?<!\d)\s+|\s+(?!\d)")
_NUMBER = re.compile(
    r"^(?P<sign>增加|增|减少|减|\+|-)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<unit>亿元|万元|元|件|个|项|条|次|人次|宗)?$"
)
_MONEY_SCALE = {"亿元": 10000.0, "万元": 1.0, "元": 0.0001}
OUT_OF_RANGE = "out of range"


def clean(text: str) -> str:
    """The cell text reduced to what a value is read from: NFKC (full-width digits and
    punctuation become ASCII), stray marks and all white space removed."""
    text = unicodedata.normalize("NFKC", text)
    text = _STRAY.sub("", text)
    return _SPACE.sub("", text)


@functools.lru_cache(maxsize=16384)
def read_value(text: str, kind: str = "count") -> tuple[bool, int | float | None, str | None]:
    """Read one cell: ``(ok, value, problem)``. ``kind`` is ``"count"`` or ``"money"`` (万元);
    ``problem`` is :data:`OUT_OF_RANGE` for a number that cannot be stored (value None)."""
    s = clean(text)
    if s in NULL_FORMS:
        return True, None, None
    m = _NUMBER.match(s)
    if not m:
        return False, None, None
    num = m["num"].replace(",", "")
    if len(num.partition(".")[0]) > MAX_DIGITS:
        return True, None, OUT_OF_RANGE
    sign = -1 if m["sign"] in ("减", "减少", "-") else 1
    unit = m["unit"]
    if kind == "money" or unit in _MONEY_SCALE:
        amount = float(num) * _MONEY_SCALE.get(unit or "万元", 1.0) * sign
        if not math.isfinite(amount) or abs(amount) > MAX_MONEY:
            return True, None, OUT_OF_RANGE
        return True, round(amount, 6) + 0.0, None
    if "." in num:
        f = float(num) * sign
        if not math.isfinite(f) or abs(f) > MAX_COUNT:
            return True, None, OUT_OF_RANGE
        return True, int(f) if f.is_integer() else f, None
    value = int(num) * sign
    if abs(value) > MAX_COUNT:
        return True, None, OUT_OF_RANGE
    return True, value, None


def parse_value(text: str, kind: str = "count") -> tuple[bool, int | float | None]:
    """Read one cell: ``(ok, value)`` (see :func:`read_value`)."""
    return read_value(text, kind)[:2]


class _PerText(dict):
    """``text -> predicate(text)``, computed on first sight. Asked about every cell of a page
    (through ``map``), so a hit is one dict lookup in C: an ``lru_cache`` costs twice that,
    as it moves the entry in its recency list. Emptied past a bound."""

    _BOUND = 16384

    def __init__(self, predicate):
        super().__init__()
        self.predicate = predicate

    def __missing__(self, text: str) -> bool:
        if len(self) >= self._BOUND:
            self.clear()
        answer = self[text] = self.predicate(text)
        return answer


def _is_value(text: str) -> bool:
    return read_value(text)[0]


def _is_blank(text: str) -> bool:
    return clean(text) in NULL_FORMS


#: ``is_value(text)``: True when the cell holds a value or a blank, False when it holds a label.
is_value = _PerText(_is_value).__getitem__
#: ``is_blank(text)``: True when the cell holds one of the blank forms (:data:`NULL_FORMS`).
is_blank = _PerText(_is_blank).__getitem__
