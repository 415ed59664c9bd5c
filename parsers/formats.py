"""What a body is, read from its bytes: the name and the Content-Type of an attachment lie.

:func:`sniff` tells the attachment formats apart by their content only:

- ``pdf``: ``%PDF-`` and a version digit in the first 1024 bytes (some servers prepend a few
  bytes), not after markup: an HTML page that mentions ``%PDF-`` in its head stays a page;
- ``docx`` / ``xlsx``: a zip holding ``word/document.xml`` / ``xl/workbook.xml``;
- ``doc`` / ``xls``: an OLE2 compound file with a ``WordDocument`` stream (Word 97, and WPS,
  whose files are Word-97-like) / a ``Workbook`` or ``Book`` stream (Excel 97 / 5);
- ``rtf``: ``{\\rtf`` (Word's "save as .doc" often writes RTF);
- ``zip`` / ``ole``: a container holding none of these (the record says so).

Anything else (HTML, a text dump, or an empty body) is ``None``: the page readers decide.

Sniffing is bounded: a zip's entries are named from its central directory only when there
are not too many of them (:data:`parsers.limits.MAX_ZIP_ENTRIES`), and a zip whose central
directory is missing or damaged (a truncated download) is named by the part names its local
headers carry, so the record says a DOCX could not be opened rather than "a zip".
"""

from __future__ import annotations

import io
import re
import zipfile

from . import limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ATTACHMENT_KINDS = ("pdf", "docx", "doc", "xlsx", "xls")


def sniff(body: bytes) -> str | None:
    head = body[:1024]
    pdf = _PDF.search(head)
    if pdf and b"<" not in head[: pdf.start()]:
        return "pdf"
    if body.startswith(b"PK\x03\x04"):
        return _zip_kind(body)
    if body.startswith(OLE_MAGIC):
        return _ole_kind(body)
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{\\rtf"):
        return "rtf"
    return None


def _zip_kind(body: bytes) -> str:
    try:
        if body.count(b"PK\x01\x02") > limits.MAX_ZIP_ENTRIES:
            raise zipfile.BadZipFile("too many entries to list")  # the reader says so
        names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError):
        # The part names as the local file headers carry them.
        names = {m.group(1).decode("ascii", "replace") for m in _LOCAL_NAME.finditer(body)}
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


_PDF = re.compile(rb"%PDF-\d")
_OLE_NAMES = re.compile(b"|".join(re.escape(name.encode("utf-16-le"))
                                  for name in ("WordDocument", "Workbook")))
_LOCAL_NAME = re.compile(rb"PK\x03\x04[\s\S]{26}(word/document\.xml|xl/workbook\.xml)")


def _ole_kind(body: bytes) -> str:
    import olefile  # small and pure Python, but only OLE2 bodies need it

    try:
        with olefile.OleFileIO(io.BytesIO(body)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir()}
    except Exception:  # noqa: BLE001 - olefile raises many kinds on damaged files; sniffing
        # must not. A damaged or truncated file is named by the stream names its directory
        # still shows (LibreOffice then reads what it can, or says it cannot).
        streams = {name.decode("utf-16-le").lower() for name in _OLE_NAMES.findall(body)}
    if "worddocument" in streams:
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    return "ole"
