"""Finding the six sections and their prose.

A heading is a short prose line whose words, once numbering and footnotes are removed, are one
of the section titles of :data:`parsers.templates.SECTIONS`. Headings numbered like
sub-headings (``（一）``, ``1.``) are not sections. A section whose title is non-standard is
still found by its top-level number (``六、下一步工作举措``) when it stands, in order, where the
missing section belongs. Page furniture (责任编辑, 扫一扫…) is dropped, and a footer marker
(相关链接, 版权所有…) ends the report body.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import templates as T
from .document import Line
from .labels import normalize

_CN_NUM = "一二三四五六七八九十"
_TOP_NUMBER = re.compile(r"^\s*(?:第)?([一二三四五六七八九十])(?:部分)?\s*[、.．]\s*|^\s*([1-9])\s*[、．]\s*")
_SUB_NUMBER = re.compile(r"^\s*[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|^\s*\d+\s*\.(?!\d)")
_MAX_HEADING = 40
_SENTENCE = re.compile(r"[。；;，,！!？?]")


@dataclass
class Heading:
    block: int
    number: int
    key: str
    title: str


def _top_number(text: str) -> int | None:
    m = _TOP_NUMBER.match(text)
    if not m:
        return None
    return _CN_NUM.index(m.group(1)) + 1 if m.group(1) else int(m.group(2))


#: Section title variant -> (its place in SECTIONS order, number, key).
_VARIANTS: dict[str, tuple[int, int, str]] = {}
for _number, _key, _variants in T.SECTIONS:
    for _v in _variants:
        _VARIANTS.setdefault(_v, (len(_VARIANTS), _number, _key))
_LONGEST = max(map(len, _VARIANTS))


@functools.lru_cache(maxsize=4096)  # headings repeat from report to report
def _title_key(text: str) -> tuple[int, str] | None:
    """The section a heading line names: its words are a title variant, or a variant followed
    by at most four more characters; the first such variant in SECTIONS order wins."""
    if len(text) > _MAX_HEADING or _SUB_NUMBER.match(text):
        return None
    norm = normalize(text)
    # The variant is a prefix of the label at most 4 characters shorter: look those up.
    hits = [_VARIANTS[norm[:n]] for n in range(max(1, len(norm) - 4), min(len(norm), _LONGEST) + 1)
            if norm[:n] in _VARIANTS]
    if not hits:
        return None
    _, number, key = min(hits)
    return number, key


# One search per line instead of one per marker (a line is asked about every marker).
_FURNITURE_DROP = re.compile("|".join(map(re.escape, T.FURNITURE_DROP)))
_FURNITURE_STOP = re.compile("|".join(map(re.escape, T.FURNITURE_STOP)))


def is_furniture(text: str) -> bool:
    return _FURNITURE_DROP.search(text) is not None


def body_end(blocks: list, start: int) -> int:
    """Index of the first footer line after ``start`` (the report body ends there)."""
    for i in range(start, len(blocks)):
        b = blocks[i]
        if isinstance(b, Line) and len(b.text) <= 60 and _FURNITURE_STOP.search(b.text):
            return i
    return len(blocks)


def find_headings(blocks: list) -> list[Heading]:
    found: dict[str, Heading] = {}
    for i, b in enumerate(blocks):
        # A paragraph is no heading: ruled out before the cache, which would hash it and hold it.
        if not isinstance(b, Line) or len(b.text) > _MAX_HEADING:
            continue
        hit = _title_key(b.text)
        if hit and hit[1] not in found:
            found[hit[1]] = Heading(i, hit[0], hit[1], b.text)
    # Second pass: a section missing by title, found by its number between its neighbours.
    by_number = {h.number: h for h in found.values()}
    for number, key, _ in T.SECTIONS:
        if key in found:
            continue
        lo = max((h.block for n, h in by_number.items() if n < number), default=-1)
        hi = min((h.block for n, h in by_number.items() if n > number), default=len(blocks))
        for i in range(lo + 1, hi):
            b = blocks[i]
            if (isinstance(b, Line) and len(b.text) <= 25 and not _SENTENCE.search(b.text)
                    and _top_number(b.text) == number and lo >= 0):
                found[key] = by_number[number] = Heading(i, number, key, b.text)
                break
    return sorted(found.values(), key=lambda h: h.block)


def regions(blocks: list, headings: list[Heading]) -> dict[str, range]:
    """Block index range of each found section, heading excluded."""
    end = body_end(blocks, headings[-1].block + 1) if headings else len(blocks)
    out = {}
    for h, nxt in zip(headings, headings[1:] + [None], strict=False):
        out[h.key] = range(h.block + 1, nxt.block if nxt else end)
    return out


def read_sections(blocks: list, headings: list[Heading], spans: dict[str, range],
                  skip: set[int]) -> list[dict]:
    """The sections in page order: ``{number, key, title, text}``; ``skip`` lists the blocks
    that were read as table rows."""
    out = []
    for h in headings:
        lines = [b.text for i in spans[h.key] if i not in skip
                 for b in (blocks[i],) if isinstance(b, Line) and not is_furniture(b.text)]
        out.append({"number": h.number, "key": h.key, "title": h.title, "text": "\n".join(lines)})
    return out
