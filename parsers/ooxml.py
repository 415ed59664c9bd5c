"""DOCX and XLSX packages checked before python-docx or openpyxl open them.

Both libraries inflate every part of the zip and build objects for what they find, so a
small file can cost gigabytes: a deflate bomb, a DTD whose entities expand (billion laughs),
a sheet of a million formatting-only rows, a merged range over the whole sheet (openpyxl
makes an object for each covered cell). :func:`safe_package` reads the zip's central
directory first and refuses, before inflating anything, a package beyond
:mod:`parsers.limits` (entries, declared sizes, compression ratio); then it reads the XML
parts in bounded chunks (a member whose declared size lies fails there) and refuses any
that declares a DTD, which Office files never do. For
workbooks it also drops formatting-only cells and rows, and leaves out sheets, shared strings
and merged ranges beyond the limits; the package is then rewritten with what is kept.

Pure: bytes in, bytes (or None: refused) and warnings out. Never raises on bad input.
"""

from __future__ import annotations

import io
import re
import zipfile

from . import limits

_EMPTY_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*/>|<(?:\w+:)?c\b[^>/]*>\s*</(?:\w+:)?c>")
_EMPTY_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*/>|<(?:\w+:)?row\b[^>/]*>\s*</(?:\w+:)?row>")
_CELL = re.compile(rb"<(?:\w+:)?c\b")
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si\b")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"[^>]*/>')
_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b.*</(?:\w+:)?sheetData>|"
                         rb"<((?:\w+:)?)sheetData\b[^>]*/>", re.S)
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


class Refused(ValueError):
    """The package is beyond the limits; the message says why."""


def safe_package(body: bytes, kind: str) -> tuple[bytes | None, list[str]]:
    """``body`` (a ``docx`` or ``xlsx``) as it may be opened, or None when refused, and the
    warnings saying what was refused or left out."""
    name = kind.upper()
    try:
        return _check(body, kind)
    except Refused as exc:
        return None, [f"the {name} {exc}; not read"]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, KeyError) as exc:  # damaged zips raise many
        return None, [f"the {name} could not be opened: {type(exc).__name__}: {exc}"[:200]]


def _check(body: bytes, kind: str) -> tuple[bytes, list[str]]:
    # Counted in the bytes before zipfile builds an object for each entry.
    if body.count(b"PK\x01\x02") > limits.MAX_ZIP_ENTRIES:
        raise Refused(f"zip has over {limits.MAX_ZIP_ENTRIES} entries")
    zf = zipfile.ZipFile(io.BytesIO(body))
    infos = zf.infolist()
    if len(infos) > limits.MAX_ZIP_ENTRIES:
        raise Refused(f"zip has {len(infos)} entries (limit {limits.MAX_ZIP_ENTRIES})")
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > limits.MAX_ZIP_MEMBER:
            raise Refused(f"part {info.filename} would inflate to {size} bytes "
                          f"(limit {limits.MAX_ZIP_MEMBER})")
        if size > limits.ZIP_RATIO_FROM and size > limits.MAX_ZIP_RATIO * max(1, info.compress_size):
            raise Refused(f"part {info.filename} would inflate {size // max(1, info.compress_size)} "
                          f"times its compressed size (a zip bomb; limit {limits.MAX_ZIP_RATIO})")
        if _is_xml(info.filename) and not _WORKSHEET.match(info.filename) \
                and size > limits.MAX_XML_PART:
            raise Refused(f"part {info.filename} has {size} bytes of XML "
                          f"(limit {limits.MAX_XML_PART})")
    if total > limits.MAX_ZIP_TOTAL:
        raise Refused(f"zip would inflate to {total} bytes (limit {limits.MAX_ZIP_TOTAL})")
    parts: dict[str, bytes] = {}
    for info in infos:
        data = _inflate(zf, info)
        if _is_xml(info.filename):
            parts[info.filename] = data
    for part, data in parts.items():
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise Refused(f"part {part} declares a DTD (XML entities), which Office files never do")
    if kind != "xlsx":
        return body, []
    warnings: list[str] = []
    changed = _bound_workbook(parts, warnings)
    if not changed:
        return body, warnings
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
        for info in infos:
            data = parts[info.filename] if info.filename in parts else zf.read(info)
            new.writestr(info.filename, data)
    return out.getvalue(), warnings


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member inflated in bounded chunks. ``ZipFile.read`` inflates all of a member's data
    whatever its declared size says (and cuts after): a member that declares 200 KB and
    holds a bomb would inflate to gigabytes. Read in chunks, it stops at the declared size
    and fails its CRC check (``BadZipFile``), so python-docx and openpyxl are only ever given
    packages whose every member inflates to what it declares."""
    chunks = []
    with zf.open(info) as member:
        while chunk := member.read(1024 * 1024):
            chunks.append(chunk)
    return b"".join(chunks)


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def _bound_workbook(parts: dict[str, bytes], warnings: list[str]) -> set[str]:
    """Workbook parts rewritten within the limits (in ``parts``); the names changed."""
    changed: set[str] = set()
    strings = parts.get("xl/sharedStrings.xml", b"")
    n_strings = sum(1 for _ in _SHARED_STRING.finditer(strings))
    if n_strings > limits.MAX_SHARED_STRINGS:
        raise Refused(f"workbook has {n_strings} shared strings (limit {limits.MAX_SHARED_STRINGS})")
    book_cells = 0
    merges = _Merges()
    left_out: list[str] = []
    for part in sorted((p for p in parts if _WORKSHEET.match(p)), key=_natural):
        data = parts[part]
        sheet = part.rsplit("/", 1)[-1]
        cleaned = _EMPTY_ROW.sub(b"", _EMPTY_CELL.sub(b"", data))
        cells = sum(1 for _ in _CELL.finditer(cleaned))
        if cells > limits.MAX_SHEET_CELLS:
            warnings.append(f"sheet {sheet} has {cells} cells with values "
                            f"(limit {limits.MAX_SHEET_CELLS}); not read")
        elif book_cells + cells > limits.MAX_BOOK_CELLS:
            left_out.append(sheet)
        else:
            book_cells += cells
            cleaned = merges.bound(cleaned, sheet)
        if cells > limits.MAX_SHEET_CELLS or sheet in left_out:
            cleaned = _SHEET_DATA.sub(lambda m: b"<%ssheetData/>" % (m.group(1) or m.group(2)
                                                                   or b""), cleaned, count=1)
            cleaned = _MERGE.sub(b"", cleaned)
        if cleaned != data:
            parts[part] = cleaned
            changed.add(part)
    if left_out:
        warnings.append(f"workbook cut at {limits.MAX_BOOK_CELLS} cells with values: "
                        f"{len(left_out)} sheets not read ({', '.join(left_out[:3])}"
                        f"{' ...' if len(left_out) > 3 else ''})")
    if merges.dropped:
        warnings.append(f"{merges.dropped} merged ranges in {len(merges.sheets)} sheets left "
                        f"unmerged (limits {limits.MAX_MERGED_RANGES} ranges, "
                        f"{limits.MAX_MERGED_CELLS} merged cells a workbook)")
    return changed


class _Merges:
    """The merged ranges kept across a workbook's sheets, within ``MAX_MERGED_RANGES`` and
    ``MAX_MERGED_CELLS``; the others are left out of the sheet (their cells read unmerged)."""

    def __init__(self):
        self.ranges = self.cells = self.dropped = 0
        self.sheets: set[str] = set()

    def bound(self, sheet_xml: bytes, sheet: str) -> bytes:
        def keep(m: re.Match) -> bytes:
            c1, r1 = _column(m.group(1)), int(m.group(2))
            c2, r2 = (_column(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
            area = (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)
            if (self.cells + area > limits.MAX_MERGED_CELLS
                    or self.ranges >= limits.MAX_MERGED_RANGES):
                self.dropped += 1
                self.sheets.add(sheet)
                return b""
            self.cells += area
            self.ranges += 1
            return m.group(0)

        return _MERGE.sub(keep, sheet_xml)


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))
