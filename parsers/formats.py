"""What a body is, read from its bytes: the name and the Content-Type of an attachment lie.

:func:`sniff` tells the attachment formats apart by their content only:

- ``pdf``: ``%PDF-`` near the start (some servers prepend a few bytes);
- ``docx`` / ``xlsx``: a zip holding ``word/document.xml`` / ``xl/workbook.xml``;
- ``doc`` / ``xls``: an OLE2 compound file with a ``WordDocument`` stream (Word 97, and WPS,
  whose files are Word-97-like) / a ``Workbook`` or ``Book`` stream (Excel 97 / 5);
- ``rtf``: ``{\\rtf`` (Word's "save as .doc" often writes RTF);
- ``zip`` / ``ole``: a container holding none of these (the record says so).

Anything else (HTML, a text dump, or an empty body) is ``None``: the page readers decide.
"""

from __future__ import annotations

import io
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ATTACHMENT_KINDS = ("pdf", "docx", "doc", "xlsx", "xls")


def sniff(body: bytes) -> str | None:
    head = body[:1024]
    if b"%PDF-" in head:
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
        names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _ole_kind(body: bytes) -> str:
    import olefile  # small and pure Python, but only OLE2 bodies need it

    try:
        with olefile.OleFileIO(io.BytesIO(body)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir()}
    except (OSError, ValueError, IndexError, TypeError):
        return "ole"
    if "worddocument" in streams:
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    return "ole"
