"""Bytes to text: the page's encoding, whatever its headers say.

Order of trust: a BOM; valid UTF-8 (which GBK text virtually never is); the charset declared
in the Content-Type header or the page's ``<meta>``; GB18030 (a superset of GB2312 and GBK,
the usual undeclared encoding of older portals); charset-normalizer's guess; and last UTF-8
with replacement characters, so that decoding never fails.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-:.]+)", re.I)

# Labels that mean a Chinese national encoding; GB18030 decodes all of them.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "hz-gb-2312",
              "chinese", "csgb2312", "iso-ir-58", "ms936", "windows-936"}
_SINGLE_BYTE = {"latin-1", "iso8859-1", "iso8859-15", "cp1252", "ascii", "windows-1252"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared: str | None
    #: True when the declared encoding could not decode the page and another one was used.
    mismatch: bool = False
    #: A charset the page declared that names no usable text encoding ("undefined", "rot13").
    unusable: str | None = None


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # Codecs that are not text encodings (base64, rot13) or decode nothing ("undefined").
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        return None
    return info.name


def declared_encoding(body: bytes, content_type: str | None) -> str | None:
    """The charset named by the Content-Type header, else by the page's ``<meta>``."""
    return _declared(body, content_type)[0]


def _declared(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """(usable declared encoding, the declared label when it names no usable encoding)."""
    unusable = None
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m and _canonical(m.group(1)):
            return _canonical(m.group(1)), None
        unusable = m.group(1) if m else None
    m = _META_CHARSET.search(body[:4096])
    if m:
        label = m.group(1).decode("ascii", "ignore")
        canonical = _canonical(label)
        return canonical, (unusable or (label if canonical is None else None))
    return None, unusable


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    declared, unusable = _declared(body, content_type)
    decoded = _decode(body, declared)
    if unusable:
        return Decoded(decoded.text, decoded.encoding, decoded.declared, decoded.mismatch,
                       unusable)
    return decoded


def _decode(body: bytes, declared: str | None) -> Decoded:
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return Decoded(body[len(bom):].decode(enc, "replace"), enc, declared)
    candidates = ["utf-8"]
    # A Western single-byte charset decodes any bytes, so it is tried after GB18030: servers
    # that default to ISO-8859-1 send it for GBK pages.
    if declared and declared not in candidates and declared not in _SINGLE_BYTE:
        candidates.append(declared)
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    if declared in _SINGLE_BYTE:
        candidates.append(declared)
    for enc in candidates:
        try:
            text = body.decode(enc)
        except (UnicodeError, LookupError):  # UnicodeError: codecs that refuse to decode at all
            continue
        return Decoded(text, enc, declared, mismatch=bool(declared) and enc != declared
                       and not body.isascii())
    guessed = _guess(body)
    if guessed:
        try:
            return Decoded(body.decode(guessed, "replace"), guessed, declared,
                           mismatch=bool(declared))
        except (UnicodeError, LookupError):
            pass
    return Decoded(body.decode("utf-8", "replace"), "utf-8", declared, mismatch=bool(declared))


def _guess(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a hard dependency, but decoding must not fail
        return None
    best = from_bytes(body[:65536]).best()
    return _canonical(best.encoding) if best else None
