"""Matching a page's labels against the template's label variants.

Page labels come spaced (``商业 企业``), numbered in several styles (``（一）``, ``(一)``,
``一、``, ``1.``, ``1、``), with punctuation variants, footnotes in brackets, or scrambled by
vertical text extraction (``不 予 开 公``). ``normalize`` reduces a label to its bare words;
``matches`` compares a normalised label with one variant from :mod:`parsers.templates`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_NUMBERING = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十]+[)）、.．]|[（(]?\d{1,2}[)）、.．](?!\d)|第[一二三四五六七八九十]+[部分项条]?[、.．]?)+"
)
_PUNCT = re.compile(r"[\s\u3000\xa0,，、。.．:：;；\"“”'‘’/／|()（）〈〉<>《》【】\[\]「」『』·\-—_*]+")
_FOOTNOTE = re.compile(r"[（(][^（()）]{6,}[)）]")


@functools.lru_cache(maxsize=4096)
def normalize(label: str) -> str:
    """The label without numbering, bracketed footnotes, punctuation and white space."""
    s = unicodedata.normalize("NFKC", label).strip()
    s = re.sub(r"\s+", "", s)
    # Numbering can repeat: "三、(一)予以公开" -> "予以公开".
    s = _NUMBERING.sub("", s)
    s = _FOOTNOTE.sub("", s)
    s = _PUNCT.sub("", s)
    return _NUMBERING.sub("", s)


def matches(norm: str, variant) -> bool:
    """Does the normalised label match one variant (a string, or ``("exact", text)``)?"""
    if not norm:
        return False
    if isinstance(variant, tuple):
        return norm == variant[1]
    return variant in norm


def match_any(norm: str, variants) -> bool:
    return any(matches(norm, v) for v in variants)


def anagram_match(norm: str, variants) -> bool:
    """A scrambled short label (vertical text read out of order) holds the same characters."""
    return any(isinstance(v, str) and len(v) >= 3 and sorted(norm) == sorted(v) for v in variants)
