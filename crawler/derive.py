"""One way to derive a stored record from a page: parse it, then add what the crawl knows.

The crawl pipeline, ``scrapy reparse`` and ``scrapy import-files`` all build records here, so a
record never depends on the command that built it: re-parsing a crawled page with the same
parser gives the same record. What the crawl knows beyond the bytes is its :class:`Origin`
(the site the page came from, and that site's region in the registry); it is stored on the
report (``site``, ``site_region``) so that re-parsing can apply it again without the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers import parse_page
from parsers.templates import PROVINCES


@dataclass(frozen=True)
class Origin:
    """Where a page came from: the registry site id and the site's 6-digit region code."""

    site: str | None = None
    site_region: str | None = None

    @classmethod
    def of_report(cls, report: dict) -> Origin:
        """The origin a stored report was derived with."""
        return cls(report.get("site"), report.get("site_region"))


def derive_record(body: bytes, url: str, content_type: str | None = None,
                  origin: Origin = Origin()) -> dict:
    """The record of a page as the store keeps it: :func:`parsers.parse_page`, then

    - ``site`` and ``site_region`` from the origin;
    - the region from the site where the page names none (its SiteIDCode and organ win):
      the registry's code and the province it starts with.
    """
    record = parse_page(body, url=url, content_type=content_type)
    region = record["region"]
    if not region.get("code") and origin.site_region:
        region["code"] = origin.site_region
        region["province"] = region.get("province") or PROVINCES.get(origin.site_region[:2])
    record["site"] = origin.site
    record["site_region"] = origin.site_region
    return record
