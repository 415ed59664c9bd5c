"""Script handling: traditional to simplified (OpenCC t2s) and phonetic annotations.

Some portals serve reports in traditional script (``/gate/big5/`` gateways, Xinjiang and Tibet
portals) and some pages carry pinyin after each character, as in ``領(lǐng)導(dǎo)``. The record is
always in simplified script; ``script`` keeps what the page was written in.
"""

from __future__ import annotations

import functools
import operator
import re

import opencc

# A parenthesised pinyin syllable (tone marks or tone digit) right after a Han character. The
# pattern starts with the bracket, so the regex engine skips to brackets; the lookbehind then
# checks the Han character before it.
_PINYIN = re.compile(
    r"[(（](?<=[\u4e00-\u9fff][(（])"
    r"[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{1,6}[1-5]?"
    r"[)）]"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
# The same annotation with each bracket as a literal first character, which the regex engine
# finds at C speed (a class of two first characters is tried at every position): a page
# without a match of either has no match of _PINYIN, which is most pages.
_PINYIN_ROUND, _PINYIN_FULL = (
    re.compile(re.escape(bracket) + r"(?<=[\u4e00-\u9fff]" + re.escape(bracket) + ")"
               r"[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{1,6}[1-5]?[)）]")
    for bracket in "(（")

#: Share of Han characters that t2s changes above which a page counts as traditional.
#: Simplified pages with a "繁體" link change a handful of characters; traditional ones
#: change a fifth or more.
HANT_THRESHOLD = 0.04


@functools.lru_cache(maxsize=1)
def _converter():
    return opencc.OpenCC("t2s")


def strip_pinyin(text: str) -> str:
    """Remove phonetic annotations such as the ``(lǐng)`` of ``領(lǐng)``."""
    if _PINYIN_ROUND.search(text) is None and _PINYIN_FULL.search(text) is None:
        return text
    return _PINYIN.sub("", text)


def _han_count(text: str) -> int:
    """Characters in U+4E00..U+9FFF, counted on the UTF-8 bytes at C speed: U+5000..U+9FFF are
    the 3-byte sequences led by E5..E9, U+4E00..U+4FFF those starting E4 B8..E4 BF (lead
    bytes never occur inside a sequence, so each count is exact)."""
    data = text.encode("utf-8", "surrogatepass")
    return (sum(data.count(lead) for lead in _HAN_LEADS)
            + sum(data.count(pair) for pair in _HAN_4E_4F))


_HAN_LEADS = [bytes([b]) for b in range(0xE5, 0xEA)]
_HAN_4E_4F = [bytes([0xE4, b]) for b in range(0xB8, 0xC0)]


def _changed(text: str, converted: str, enough: float = float("inf")) -> int:
    """Positions where two strings of the same length differ; equal 64-character chunks (most
    of a page) are skipped at C speed. Counting stops once the count exceeds ``enough``."""
    changed = 0
    for i in range(0, len(text), 64):
        a, b = text[i:i + 64], converted[i:i + 64]
        if a != b:
            changed += sum(map(operator.ne, a, b))
            if changed > enough:
                break
    return changed


def _script_of(text: str, converted: str) -> str:
    """"hant" when t2s changed more than :data:`HANT_THRESHOLD` of the Han characters.

    Bounds first, at C speed: the Han count lies between the count of U+5000..U+9FFF (lead
    bytes E5..E9) and that plus every E4 lead byte; most pages are decided by the bounds, and
    only the others count U+4E00..U+4FFF exactly. A traditional page is decided as soon as
    the changes counted so far exceed the threshold of the upper bound: the rest of the page
    cannot lower the count."""
    if len(converted) != len(text):  # phrase conversions changed the length: count characters
        han = _han_count(text)
        if not han:
            return "hans"
        changed = abs(_han_count(converted) - han) + sum(
            1 for a, b in zip(text, converted, strict=False) if a != b)
        return "hant" if changed / han > HANT_THRESHOLD else "hans"
    data = text.encode("utf-8", "surrogatepass")
    low = len(data) - len(data.translate(None, _HAN_LEAD_BYTES))
    high = low + data.count(b"\xe4")
    surely_hant = HANT_THRESHOLD * high * 1.000001
    changed = _changed(text, converted, surely_hant if high else float("inf"))
    if changed < HANT_THRESHOLD * low:
        return "hans"
    if high and changed > surely_hant:
        return "hant"
    han = low + sum(data.count(pair) for pair in _HAN_4E_4F)
    if not han:
        return "hans"
    return "hant" if changed / han > HANT_THRESHOLD else "hans"


_HAN_LEAD_BYTES = bytes(range(0xE5, 0xEA))


def to_simplified(text: str) -> tuple[str, str]:
    """Return ``(simplified_text, script)`` where script is ``"hans"`` or ``"hant"``."""
    text = strip_pinyin(text)
    converted = _converter().convert(text)
    if converted == text:  # nothing traditional at all: the common case
        return converted, "hans"
    return converted, _script_of(text, converted)
