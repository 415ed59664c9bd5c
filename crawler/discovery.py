"""Where a page leads besides its listed reports: the way from a home page to the 年报 column.

From a home page, the disclosure pages (政府信息公开); from any page, the 年报 column; inside the
column, its year and organ sub-columns; below the disclosure section, department sub-sites
(:mod:`crawler.subsites` reads the ones drawn by script). Each way on is a :class:`Lead`; the
spider fetches it as a listing page.

The walk is bounded: four column steps below a start page (``meta[WALK_DEPTH]``), year
sub-columns never inside a year sub-column (calendar-like link spaces, 20xx年 nested without
end, stay one level deep), and SUBSITE_DEPTH levels of department sub-sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

from crawler import cms, picking, subsites
from crawler import meta as M

#: Column steps below a start page beyond which no link is followed (sub-sites aside).
MAX_WALK_DEPTH = 4


class Lead(NamedTuple):
    """A page to fetch as a listing: its URL, walk depth and the meta it adds."""

    url: str
    depth: int
    meta: dict


def parent_dir(path: str, levels: int) -> str:
    """The directory ``levels`` up from a page's path (``/a/b/c/index.html``, 1 -> ``/a/b/c/``)."""
    parts = path.rsplit("/", 1)[0].split("/")
    keep = parts[: max(len(parts) - (levels - 1), 2)]
    return "/".join(keep).rstrip("/") + "/"


def leads(page: cms.Page, meta: dict, depth: int, found_reports: bool, subsite_depth: int,
          stats) -> Iterator[Lead]:
    """Column links (年报), sub-columns (years, organs), department sub-sites below the
    disclosure section and, from a home page, the disclosure pages that lead to the column.

    ``meta`` is the page's request meta; ``found_reports``: the page listed reports (then it
    is a column: its sub-columns are followed from depth 0, and neither sub-sites nor
    disclosure pages are searched on it)."""
    if not found_reports:
        yield from subsite_leads(page, meta, depth, subsite_depth, stats)
    if depth >= MAX_WALK_DEPTH:
        return
    column_path = urlsplit(page.url).path.rsplit("/", 1)[0] + "/"
    in_year = meta.get(M.IN_YEAR)
    section = meta.get(M.SECTION)
    for link in cms.links(page.selector, page):
        path = urlsplit(link.url).path
        if picking.is_column_link(link.title):
            yield Lead(link.url, depth + 1, {M.SECTION: section or parent_dir(path, 2)})
        elif (picking.is_subcolumn_link(link.title) and path.startswith(column_path)
              and path != urlsplit(page.url).path and (found_reports or depth > 0)):
            year_link = picking.is_year_link(link.title)
            if year_link and in_year:
                stats.inc_value("bounds/nested_year_links_skipped")
                continue
            yield Lead(link.url, depth + 1, {M.IN_YEAR: in_year or year_link, M.SECTION: section})
        elif depth == 0 and not found_reports and picking.is_disclosure_link(link.title, link.url):
            yield Lead(link.url, depth + 1, {M.SECTION: parent_dir(path, 1)})


def subsite_leads(page: cms.Page, meta: dict, depth: int, subsite_depth: int,
                  stats) -> Iterator[Lead]:
    """Department sub-sites: links, script URL arrays and filled-in templates below the
    disclosure section, followed up to ``subsite_depth`` levels (walk depth unchanged, at most
    2, so each department's column is found as from the portal)."""
    section = meta.get(M.SECTION)
    level = meta.get(M.SUBSITE_DEPTH, 0)
    if not section or level >= subsite_depth or not urlsplit(page.url).path.startswith(section):
        return
    here = urlsplit(page.url).path
    found = [link.url for link in cms.links(page.selector, page)
             if picking.is_subsite_link(link.title)]
    found += subsites.script_urls(page) + subsites.templated_urls(page)
    seen = set()
    for url in found:
        path = urlsplit(url).path
        if url in seen or not path.startswith(section) or path == here:
            continue
        seen.add(url)
        stats.inc_value("subsites/followed")
        yield Lead(url, min(depth, 2), {M.SECTION: section, M.SUBSITE_DEPTH: level + 1})
