"""Matching a page's labels against the template's label variants.

Page labels come spaced (``商业 企业``), numbered in several styles (``（一）``, ``(一)``,
``一、``, ``1.``, ``1、``), with punctuation variants, footnotes in brackets, or scrambled by
vertical text extraction (``不 予 开 公``). ``normalize`` reduces a label to its bare words;
``matches`` compares a normalised label with one variant from :mod:`parsers.templates`.

:class:`LabelIndex` compiles a template's rows once and answers, per distinct normalised label
(and caches the answer), which rows it names: a page asks the same few labels again and again.
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


class LabelIndex:
    """The rows of one template table, ``[(key, variants), …]``, compiled for lookups.

    :meth:`rows` gives the indices (in template order) of the rows whose variants match a
    normalised label (:func:`match_any`); :meth:`exact_rows` those with a variant equal to it
    (prose lines name a row only by its exact label). Answers are cached per label.
    """

    _CACHE_SIZE = 8192

    def __init__(self, specs):
        self.specs = specs
        self.keys = [key for key, _ in specs]
        self.position = {key: i for i, key in enumerate(self.keys)}
        self._variants = [(i, v) for i, (_, variants) in enumerate(specs) for v in variants]
        self._exact: dict[str, tuple[int, ...]] = {}
        for i, v in self._variants:
            text = v[1] if isinstance(v, tuple) else v
            if i not in self._exact.get(text, ()):
                self._exact[text] = self._exact.get(text, ()) + (i,)
        self._rows: dict[str, tuple[int, ...]] = {}
        self._labels: dict[str, tuple[int, ...]] = {}

    def rows(self, norm: str) -> tuple[int, ...]:
        hit = self._rows.get(norm)
        if hit is None:
            found: list[int] = []
            if norm:
                for i, v in self._variants:
                    if (not found or found[-1] != i) and matches(norm, v):
                        found.append(i)
            if len(self._rows) >= self._CACHE_SIZE:
                self._rows.clear()
            hit = self._rows[norm] = tuple(found)
        return hit

    def label_rows(self, label: str) -> tuple[int, ...]:
        """:meth:`rows` of a page label as it stands, normalised once: cached per label, as
        a page asks the same labels of every row again."""
        hit = self._labels.get(label)
        if hit is None:
            if len(self._labels) >= self._CACHE_SIZE:
                self._labels.clear()
            hit = self._labels[label] = self.rows(normalize(label))
        return hit

    def exact_rows(self, norm: str) -> tuple[int, ...]:
        return self._exact.get(norm, ()) if norm else ()


_INDEXES: dict[int, tuple[object, LabelIndex]] = {}


def index_for(specs) -> LabelIndex:
    """The :class:`LabelIndex` of a template table, built once per table object (the table is
    held, so its id cannot be reused by another)."""
    if isinstance(specs, LabelIndex):
        return specs
    hit = _INDEXES.get(id(specs))
    if hit is None or hit[0] is not specs:
        if len(_INDEXES) >= 64:  # callers that build their tables afresh each time
            _INDEXES.clear()
        hit = _INDEXES[id(specs)] = (specs, LabelIndex(specs))
    return hit[1]
