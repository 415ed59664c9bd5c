"""One way to derive a stored record from a page: parse it, then add what the crawl knows.

The crawl pipeline, ``scrapy reparse`` and ``scrapy import-files`` all build records here, so a
record never depends on the command that built it: re-parsing a crawled page with the same
parser gives the same record. What the crawl knows beyond the bytes is

- its :class:`Origin` (the site the page came from, and that site's region in the registry),
  stored on the report (``site``, ``site_region``) so that re-parsing applies it again without
  the registry;
- the files the page links (:class:`Attachment`: PDF, Word, Excel). Many bodies publish the
  report only as such a file. When the page's own body holds no tables, the record is read
  from the first linked file that is a report (:func:`parsers.attachments.report_attachment_links`
  ranks them) and filed under the page's URL, with ``attachment_url``. Every file given is
  listed in the record's ``attachments`` (url, sha256, content type), so re-parsing finds the
  same bytes in the store's pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.analysis import divisions
from parsers import parse_page
from parsers.attachments import report_attachment_links


@dataclass(frozen=True)
class Origin:
    """Where a page came from: the registry site id and the site's 6-digit region code."""

    site: str | None = None
    site_region: str | None = None

    @classmethod
    def of_report(cls, report: dict) -> Origin:
        """The origin a stored report was derived with."""
        return cls(report.get("site"), report.get("site_region"))


@dataclass(frozen=True)
class Attachment:
    """A file linked from a report page, as fetched."""

    url: str
    body: bytes
    content_type: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def derive_record(body: bytes, url: str, content_type: str | None = None,
                  origin: Origin = Origin(), attachments: Sequence[Attachment] = ()) -> dict:
    """The record of a page as the store keeps it: :func:`parsers.parse_page` of the page (or,
    when its body holds no tables, of the report file it links), then

    - ``site`` and ``site_region`` from the origin;
    - the region as fine as the organ's name allows (:func:`divisions.refine`: ``拉萨市财政局``
      is ``540100``), the page's SiteIDCode or else the site's registry code deciding between
      divisions of one name and standing where the name names none;
    - ``attachments``: the files given, and ``attachment_url``: the one the record was read
      from (None when it was read from the page).
    """
    record = parse_page(body, url=url, content_type=content_type)
    read_from = None
    if attachments and not record["tables"]:
        by_url = {a.url: a for a in attachments}
        ranked = report_attachment_links(body, url, content_type, record=record).candidates
        for candidate in [u for u in ranked if u in by_url]:
            attachment = by_url[candidate]
            inner = parse_page(attachment.body, url=attachment.url,
                               content_type=attachment.content_type)
            if inner["tables"]:
                record = _filed_under_page(inner, record)
                read_from = attachment.url
                break
    record["region"] = divisions.refine(record["region"], record["organ"], origin.site_region)
    record["site"] = origin.site
    record["site_region"] = origin.site_region
    record["attachment_url"] = read_from
    record["attachments"] = [{"url": a.url, "sha256": a.sha256, "content_type": a.content_type}
                             for a in attachments]
    return record


def _filed_under_page(inner: dict, page: dict) -> dict:
    """A record read from an attachment, under the page's URL; what the file lacks and the
    page shows (title, publication date, organ) is taken from the page."""
    record = dict(inner, url=page["url"])
    for key in ("title", "published_at", "organ"):
        if not record.get(key) and page.get(key):
            record[key] = page[key]
    record["warnings"] = list(inner.get("warnings") or []) + [
        f"read from the attached file {inner['url']}: the page itself holds no tables"]
    return record
