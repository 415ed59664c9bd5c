"""Table cell values: from the text a page shows to a count or an amount.

``parse_value(text, kind)`` returns ``(ok, value)``: ``ok`` is False when the text is not a
value at all (a label, a garbled cell); ``value`` is None for the blank forms (``""``, ``/``,
``—``, ``-``, ``无``). Counts are ints; money is a float in 万元 (``251000元`` is 25.1).
"""

from __future__ import annotations

import functools
import re
import unicodedata

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


def clean(text: str) -> str:
    """The cell text reduced to what a value is read from: NFKC (full-width digits and
    punctuation become ASCII), stray marks and all white space removed."""
    text = unicodedata.normalize("NFKC", text)
    text = _STRAY.sub("", text)
    return _SPACE.sub("", text)


@functools.lru_cache(maxsize=4096)  # tables repeat the same few cell texts ("0", "")
def parse_value(text: str, kind: str = "count") -> tuple[bool, int | float | None]:
    """Read one cell. ``kind`` is ``"count"`` or ``"money"`` (万元)."""
    s = clean(text)
    if s in NULL_FORMS:
        return True, None
    m = _NUMBER.match(s)
    if not m:
        return False, None
    num = m["num"].replace(",", "")
    sign = -1 if m["sign"] in ("减", "减少", "-") else 1
    unit = m["unit"]
    if kind == "money" or unit in _MONEY_SCALE:
        amount = float(num) * _MONEY_SCALE.get(unit or "万元", 1.0) * sign
        return True, round(amount, 6) + 0.0
    if "." in num:
        f = float(num) * sign
        return True, int(f) if f.is_integer() else f
    return True, int(num) * sign


def is_value(text: str) -> bool:
    """True when the cell holds a value or a blank, False when it holds a label."""
    return parse_value(text)[0]


def is_blank(text: str) -> bool:
    return clean(text) in NULL_FORMS
