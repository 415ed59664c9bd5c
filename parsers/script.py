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

#: Share of Han characters that t2s changes above which a page counts as traditional.
#: Simplified pages with a "繁體" link change a handful of characters; traditional ones
#: change a fifth or more.
HANT_THRESHOLD = 0.04


@functools.lru_cache(maxsize=1)
def _converter():
    return opencc.OpenCC("t2s")


def strip_pinyin(text: str) -> str:
    """Remove phonetic annotations such as the ``(lǐng)`` of ``領(lǐng)``."""
    return _PINYIN.sub("", text)


def to_simplified(text: str) -> tuple[str, str]:
    """Return ``(simplified_text, script)`` where script is ``"hans"`` or ``"hant"``."""
    text = strip_pinyin(text)
    converted = _converter().convert(text)
    han = len(_HAN.findall(text))
    if not han:
        return converted, "hans"
    if len(converted) == len(text):
        changed = sum(map(operator.ne, text, converted))
    else:  # phrase conversions changed the length: fall back to a character count.
        changed = abs(len(_HAN.findall(converted)) - han) + sum(
            1 for a, b in zip(text, converted, strict=False) if a != b)
    return converted, ("hant" if changed / han > HANT_THRESHOLD else "hans")
