"""Report pages, their files and cover letters: what is fetched and what the pipeline gets.

A page linked under a report's title is stored as a report (a :class:`crawler.items.PageItem`
of kind ``report``), unless it is in fact a list of reports (:func:`is_listing`). The files it
links (:func:`file_links`: PDF, Word, WPS, Excel, archives, download handlers), at most
ATTACHMENTS_PER_REPORT of them, are fetched and handed on with it, so that a report published
only as a PDF is read from the PDF (crawler.derive). A cover letter (关于报送《…》的函) is stored
as a page of kind ``attachment`` and the file it sends is fetched as the report.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler import cms, picking, rendering
from crawler import meta as M
from crawler import sites as registry
from crawler.items import FetchedFile, PageItem
from crawler.responses import kept_headers

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".zip", ".rar", ".ofd")


def file_links(page: cms.Page) -> list[cms.Entry]:
    """The links of a page to files (PDF, Word, Excel, archives, download handlers)."""
    return [link for link in cms.links(page.selector, page)
            if urlsplit(link.url).path.lower().endswith(ATTACHMENT_SUFFIXES)
            or "downfile.jsp" in link.url.lower()]


def is_listing(page: cms.Page) -> bool:
    """A page linked under a report's title that is in fact a list of reports (a column
    named like a report, a hostile page): read as a listing, never stored as a report."""
    if rendering.holds_report_text(page):
        return False
    listing = cms.listing(page)
    titles = {e.title for e in listing.entries if picking.is_report_title(e.title)}
    return len(titles) >= 3 or (len(titles) >= 2 and bool(listing.pages))


def attachments_to_fetch(page: cms.Page | None, limit: int, stats) -> list[str]:
    """The URLs of the files a report page links, each once, at most ``limit`` of them (the
    rest counted as ``attachments/over_limit``)."""
    files = list(dict.fromkeys(f.url for f in file_links(page))) if page else []
    if len(files) > limit:
        stats.inc_value("attachments/over_limit", len(files) - limit)
    return files[:limit]


def report_item(response, site: registry.Site) -> PageItem:
    """A report page as fetched, waiting for its files (``attachments``)."""
    return PageItem(url=response.request.url, final_url=response.url, body=response.body,
                    status=response.status, headers=kept_headers(response), site=site.id,
                    region=site.region, kind="report", years=response.meta.get(M.YEARS))


def fetched_file(response) -> FetchedFile:
    """A report page's file as fetched."""
    return FetchedFile(url=response.request.url, final_url=response.url, body=response.body,
                       status=response.status, headers=kept_headers(response))


def cover_report(files: list[cms.Entry]) -> cms.Entry:
    """The file a cover letter sends as the report: one titled as a report, else the first."""
    named = [f for f in files if picking.is_report_title(f.title)
             or picking.COVER_INNER.search(picking.clean_title(f.title))]
    return (named or files)[0]


def cover_item(response, report_url: str) -> PageItem:
    """A cover letter's page, stored as a page of the report it sends."""
    return PageItem(url=response.request.url, final_url=response.url, body=response.body,
                    status=response.status, headers=kept_headers(response),
                    site=response.meta[M.SITE], kind="attachment", report_url=report_url)
