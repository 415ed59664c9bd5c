"""One module per CMS: how its list pages carry entries and how they page.

Every module offers ``detect(page) -> bool`` and ``follow(page) -> Listing``; :func:`listing`
tries them in order and falls back to :mod:`crawler.cms.plain`. A :class:`Page` is what the
spider fetched (url, decoded text, a parsel Selector); a :class:`Listing` holds the report-ish
entries found and the requests that fetch further pages of the same column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

import parsel


@dataclass
class Page:
    url: str
    text: str
    content_type: str = "text/html"
    _selector: parsel.Selector | None = None

    @property
    def selector(self) -> parsel.Selector:
        if self._selector is None:
            self._selector = parsel.Selector(text=self.text or "<html></html>", type="html")
        return self._selector

    def absolute(self, href: str) -> str:
        return urljoin(self.url, href.strip())


@dataclass
class Entry:
    url: str
    title: str
    date: str | None = None


@dataclass
class PageRequest:
    """A further page to fetch: the spider turns it into a scrapy Request."""

    url: str
    method: str = "GET"
    body: str | None = None
    headers: dict = field(default_factory=dict)
    #: Which module parses the response (the name of a CMS module).
    cms: str = "plain"
    meta: dict = field(default_factory=dict)


@dataclass
class Listing:
    cms: str
    entries: list[Entry] = field(default_factory=list)
    pages: list[PageRequest] = field(default_factory=list)


def links(selector: parsel.Selector, base: Page) -> list[Entry]:
    """Every link of a page fragment, with its title (the title attribute, else the text)."""
    out = []
    for a in selector.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = a.attrib.get("title") or " ".join(a.css("::text").getall())
        date = " ".join(a.xpath("following-sibling::span[1]//text()").getall()).strip() or None
        out.append(Entry(base.absolute(href), " ".join(title.split()), date))
    return out


def modules():
    from . import gkmlpt, hanweb, jpaas, plain, trs

    return {"gkmlpt": gkmlpt, "hanweb": hanweb, "jpaas": jpaas, "trs": trs, "plain": plain}


def listing(page: Page, cms: str | None = None) -> Listing:
    """Entries and further pages of a column page, by the CMS named or detected."""
    mods = modules()
    if cms and cms in mods:
        return mods[cms].follow(page)
    for name in ("gkmlpt", "jpaas", "hanweb", "trs"):
        if mods[name].detect(page):
            return mods[name].follow(page)
    return mods["plain"].follow(page)
