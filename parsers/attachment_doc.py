"""Attachments (PDF, DOCX, DOC/WPS/RTF, XLSX, XLS) to a :class:`~parsers.document.Document`.

:func:`read_attachment` picks the reader for a format :func:`parsers.formats.sniff` found in
the bytes and returns what :func:`parsers.record.build_record` needs besides the document:
``source`` additions (``pages`` for PDFs) and warnings. The binary Word and Excel formats are
converted by LibreOffice first; where it is missing, or fails, the record says so in its
warnings and ``source.kind`` still names the format. Nothing here raises on bad input.
"""

from __future__ import annotations

from .document import Document

#: The format a sniffed kind is reported as in ``source.kind`` (RTF is a Word document).
SOURCE_KIND = {"pdf": "pdf", "docx": "docx", "doc": "doc", "rtf": "doc", "xlsx": "xlsx",
               "xls": "xls", "zip": "zip", "ole": "ole"}


def read_attachment(kind: str, body: bytes) -> tuple[Document, dict, list[str]]:
    if kind == "pdf":
        from .pdf_doc import read_pdf

        return read_pdf(body)
    if kind == "docx":
        from .docx_doc import read_docx

        doc, warnings = read_docx(body)
        return doc, {}, warnings
    if kind == "xlsx":
        from .xlsx_doc import read_xlsx

        doc, warnings = read_xlsx(body)
        return doc, {}, warnings
    if kind in ("doc", "rtf", "xls"):
        return _via_office(kind, body)
    container = {"zip": "a zip container", "ole": "an OLE2 container"}.get(kind, f"a {kind} file")
    return Document(kind=SOURCE_KIND.get(kind, kind)), {}, [
        f"the body is {container} holding no Word, Excel or PDF document; not read"]


def _via_office(kind: str, body: bytes) -> tuple[Document, dict, list[str]]:
    from .office import ConversionFailed, OfficeUnavailable, convert

    target = "xlsx" if kind == "xls" else "docx"
    name = SOURCE_KIND[kind]
    try:
        converted = convert(body, kind, target)
    except OfficeUnavailable:
        return Document(kind=name), {}, [
            f"{name.upper()} files are read through LibreOffice, which is not installed "
            f"(Debian: libreoffice-{'calc' if target == 'xlsx' else 'writer'}-nogui); not read"]
    except (ConversionFailed, OSError) as exc:
        return Document(kind=name), {}, [f"the {name.upper()} file could not be converted: {exc}"]
    doc, extra, warnings = read_attachment(target, converted)
    doc.kind = name
    return doc, extra, warnings
