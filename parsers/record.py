"""``parse_page``: one page in, one record (SCHEMA.md) out.

Pure: no I/O, no global state beyond a cached OpenCC converter. Any body gives a record; a page
that is not a report gives ``template: "unknown"`` and no tables.
"""

from __future__ import annotations

import hashlib
import re

from . import PARSER_VERSION, limits
from .attachment_doc import read_attachment
from .checks import run_checks
from .decode import decode
from .document import Document, Line
from .formats import sniff
from .html_doc import parse_html
from .metadata import read_metadata
from .script import to_simplified
from .sections import body_end, find_headings, read_sections, regions
from .tables import (
    detect_template,
    read_active_disclosure,
    read_applications,
    read_review_litigation,
)
from .tables import rows_in as _rows_in
from .text_doc import parse_text

_HTML_SNIFF = re.compile(r"<\s*(html|body|div|table|p|span|meta|head|tr|td|br|!doctype)\b", re.I)
_TABLE_SECTIONS = ("active_disclosure", "applications", "review_litigation")


def looks_like_html(text: str, content_type: str | None = None) -> bool:
    if content_type:
        ct = content_type.lower()
        if "html" in ct or "xml" in ct:
            return True
        if ct.startswith("text/plain"):
            return False
    found = _HTML_SNIFF.finditer(text, 0, 20000)
    return next(found, None) is not None and next(found, None) is not None


def _cut(raw: bytes) -> bytes:
    """The first :data:`~parsers.limits.MAX_BYTES` of a page, ended before a ``<`` or a line
    break: neither byte is ever inside a multi-byte character of UTF-8, GBK or GB18030."""
    end = limits.MAX_BYTES
    safe = max(raw.rfind(b"<", end - 65536, end), raw.rfind(b"\n", end - 65536, end))
    return raw[: safe if safe > 0 else end]


def parse_page(body: bytes | str, url: str | None = None, content_type: str | None = None) -> dict:
    """Parse one report page (HTML or a text dump, bytes or str) or attachment (PDF, DOCX,
    DOC/WPS, XLSX, XLS: told apart by their bytes, whatever ``url`` and ``content_type``
    say) into a record. DOC, WPS and XLS are converted by a LibreOffice subprocess.

    Never raises on any body: what could not be read is said in the record's ``warnings``.
    Pages beyond :mod:`parsers.limits` are cut there (a real report is far smaller)."""
    kind = sniff(body) if not isinstance(body, str) else None
    if kind is not None:
        raw = bytes(body)
        doc, source, warnings = read_attachment(kind, raw)
        record = build_record(doc, url=url, sha256=hashlib.sha256(raw).hexdigest(),
                              script=_simplify(doc), encoding=None,
                              warnings=warnings + doc.warnings)
        record["source"].update(source)
        return record
    warnings = []
    if isinstance(body, str):
        raw = body.encode("utf-8", "surrogatepass")
        text, encoding, readable = body, None, None
        if len(text) > limits.MAX_BYTES:
            warnings.append(f"page cut: read the first {limits.MAX_BYTES} of {len(text)} "
                            f"characters")
            text = text[: limits.MAX_BYTES]
    else:
        raw = bytes(body)
        readable = raw
        if len(raw) > limits.MAX_BYTES:
            readable = _cut(raw)
            warnings.append(f"page cut: read the first {len(readable)} of {len(raw)} bytes")
        decoded = decode(readable, content_type)
        text, encoding = decoded.text, decoded.encoding
        if decoded.mismatch:
            warnings.insert(0, f"declared encoding {decoded.declared} did not decode the page; "
                               f"read as {decoded.encoding}")
        if decoded.unusable:
            warnings.insert(0, f"declared charset {decoded.unusable[:40]!r} is not a text "
                               f"encoding; read as {decoded.encoding}")
    utf8 = None
    # A NUL in text decoded from UTF-8 is a 0 byte: found at memchr speed on the bytes.
    if b"\x00" in readable if encoding == "utf-8" else "\x00" in text:
        text = text.replace("\x00", "")
    elif encoding == "utf-8" and not readable.startswith(b"\xef\xbb\xbf"):
        utf8 = readable  # the text is these bytes decoded: lxml can read them as they are
    if looks_like_html(text, content_type):
        doc = parse_html(text, utf8=utf8)
    else:
        doc = parse_text(text)
    script = _simplify(doc)
    return build_record(doc, url=url, sha256=hashlib.sha256(raw).hexdigest(), script=script,
                        encoding=encoding, warnings=warnings + doc.warnings)


def _simplify(doc: Document) -> str:
    script = "hans"

    def convert(joined: str) -> str:
        nonlocal script
        converted, script = to_simplified(joined)
        return converted

    doc.map_text(convert)
    return script


def build_record(doc: Document, *, url, sha256, script, encoding, warnings) -> dict:
    blocks = doc.blocks
    headings = find_headings(blocks)
    spans = regions(blocks, headings)
    end = body_end(blocks, headings[-1].block + 1) if headings else len(blocks)

    everything = range(end)
    cache: dict = {}  # each block's rows, split once

    def rows_in(blocks, indices):
        return _rows_in(blocks, indices, cache)

    def read(key, reader):
        """A table is read in its own section; if that section is missing or holds no such
        table (pages merge tables, or put one under the wrong heading), in the whole page.
        The three tables' labels are disjoint, so reading everywhere cannot confuse them."""
        result = reader(rows_in(blocks, spans[key])) if key in spans else None
        if result is None or not result.values:
            result = reader(rows_in(blocks, everything))
        return result

    template = detect_template(rows_in(blocks, spans.get("active_disclosure", everything)))
    if template is None and "active_disclosure" in spans:
        template = detect_template(rows_in(blocks, everything))
    active = read("active_disclosure", lambda rows: read_active_disclosure(rows, template or "2021"))
    if not template and active.values:
        template = "2019" if {"other_management_services", "centralized_procurement"} & set(
            active.values) else "2021"
    apps = read("applications", lambda rows: read_applications(rows, template))
    review = read("review_litigation", read_review_litigation)
    tables, cells, positional, used = {}, {}, [], set()
    for key, result in zip(_TABLE_SECTIONS, (active, apps, review), strict=True):
        if result.values:
            tables[key] = result.values
            cells[key] = result.cells
        positional += result.positional
        warnings = warnings + result.warnings
        used |= result.used_blocks
    if not tables:
        template = "unknown"
    elif not template:
        template = "2019" if "other_handling" in tables.get("applications", {}) else "2021"

    sections = read_sections(blocks, headings, spans, used)
    overview = next((s["text"] for s in sections if s["key"] == "overview"), None)
    meta = read_metadata(doc, overview, end)
    record = {
        "url": url,
        "title": meta["title"],
        "organ": meta["organ"],
        "year": meta["year"],
        "published_at": meta["published_at"],
        "region": meta["region"],
        "script": script,
        "template": template,
        "sections": sections,
        "tables": tables,
        "checks": run_checks(tables),
        "cells": cells,
        "parser_version": PARSER_VERSION,
        "content_sha256": sha256,
        # Additions to the SCHEMA keys: how the record was read.
        "read_by_position": positional,
        "warnings": warnings,
        "source": {"kind": doc.kind, "encoding": encoding,
                   "site_id_code": doc.meta.get("siteidcode")},
    }
    if not any(isinstance(b, Line) for b in blocks) and not tables:
        record["warnings"] = record["warnings"] + ["no text found on the page"]
    if len(record["warnings"]) > limits.MAX_WARNINGS:
        kept = record["warnings"][: limits.MAX_WARNINGS - 1]
        record["warnings"] = kept + [f"{len(record['warnings']) - len(kept)} more warnings"]
    return record
