"""Which linked files of a report page hold the report: for the crawl's attachment wiring.

Many bodies publish their annual report only as an attachment: the page shows a title and a
link to a PDF, Word or Excel file. :func:`report_attachment_links` reads one page and says

- ``body_has_tables``: the page's own body holds the statistical tables. Then its attachments
  are stored and not parsed (the page is the report; the files are copies or appendices).
- ``candidates``: otherwise, the linked attachments that may be the report, best first: a
  link whose text or file name names a report (年度报告, 年报) before the others, and PDF
  before Word before Excel (the order in which they hold the whole report). Look-alikes
  (解读, 图解, 通知 …) are never candidates. The crawl parses the first candidate whose record
  has tables and files that record under the report page's URL.
- ``links``: every linked file in a report format (pdf, doc, docx, wps, xls, xlsx, et), with
  the format its name says, for storing. The name may lie: the parser reads the format from
  the bytes (:mod:`parsers.formats`).

Pure: bytes in, a value out; no I/O. Pass the page's parsed ``record`` when there is one, so
the page is not parsed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import lxml.etree

from .decode import decode

#: File name suffix -> the format the name claims.
SUFFIXES = {"pdf": "pdf", "doc": "doc", "docx": "docx", "wps": "doc", "xls": "xls",
            "xlsx": "xlsx", "et": "xls"}
_ORDER = {"pdf": 0, "docx": 1, "doc": 1, "xlsx": 2, "xls": 2}
_REPORT = re.compile(r"年度报告|年报|工作报告")
_LOOKALIKE = re.compile(r"解读|图解|通知|公告|报表|附表说明|目录|指南|征求意见")
_SUFFIX = re.compile(r"\.(" + "|".join(SUFFIXES) + r")$", re.I)
_PARSER = lxml.etree.HTMLParser(remove_comments=True, no_network=True, encoding="utf-8")


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    text: str
    #: The format the link's file name claims ("pdf", "doc", "docx", "xls", "xlsx").
    kind: str


@dataclass(frozen=True)
class ReportAttachments:
    body_has_tables: bool
    candidates: list[str] = field(default_factory=list)
    links: list[AttachmentLink] = field(default_factory=list)


def report_attachment_links(body: bytes | str, url: str, content_type: str | None = None,
                            record: dict | None = None) -> ReportAttachments:
    """What the page's attachments are for (see the module docstring)."""
    if record is None:
        from . import parse_page  # noqa: PLC0415  (parsers/__init__ imports this package)

        record = parse_page(body, url=url, content_type=content_type)
    links = attachment_links(body, url, content_type)
    if record.get("tables"):
        return ReportAttachments(True, [], links)
    ranked = sorted(
        (link for link in links if not _LOOKALIKE.search(link.text + " " + _file_name(link.url))),
        key=lambda link: (not _REPORT.search(link.text + " " + _file_name(link.url)),
                          _ORDER.get(link.kind, 3)))
    return ReportAttachments(False, [link.url for link in ranked], links)


def attachment_links(body: bytes | str, url: str, content_type: str | None = None) -> list[AttachmentLink]:
    """Every ``<a href>`` of the page naming a file in a report format, in page order, once."""
    text = body if isinstance(body, str) else decode(bytes(body), content_type).text
    try:
        root = lxml.etree.fromstring(text.encode("utf-8", "replace"), _PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    out: list[AttachmentLink] = []
    seen: set[str] = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        label = re.sub(r"\s+", " ", "".join(a.itertext())).strip() or (a.get("title") or "")
        target = urljoin(url, href)
        kind = _kind(target, label)
        if kind and target not in seen:
            seen.add(target)
            out.append(AttachmentLink(target, label, kind))
    return out


def _file_name(url: str) -> str:
    parts = urlsplit(url)
    names = [unquote(parts.path.rsplit("/", 1)[-1])]
    # Download handlers (downfile.jsp?filename=…) carry the file name in the query.
    names += [unquote(v) for _, v in parse_qsl(parts.query) if "." in v]
    return " ".join(names)


def _kind(url: str, label: str) -> str | None:
    """The format a link names: its path, a file name in its query, or its text
    (``附件：2023年度报告.pdf``)."""
    for name in (*_file_name(url).split(" "), label):
        m = _SUFFIX.search(name.strip())
        if m:
            return SUFFIXES[m.group(1).lower()]
    return None
