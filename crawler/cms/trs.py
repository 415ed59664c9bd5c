"""TRS WCM static lists: ``createPageHTML(...)`` writes the pager.

Page 1 is ``index.html``; the four-argument form ``createPageHTML(count, index, "index",
"html")`` is 0-based (page k is ``index_k.html``, index 0 is the first page), the six-argument
form ``createPageHTML('page_div', count, current, 'index', 'html', records)`` is 1-based
(page 2 is ``index_2.html``). Every page of the column is requested from the first one seen;
Scrapy's duplicate filter drops the repeats.
"""

from __future__ import annotations

import re

from . import Listing, Page, PageRequest, links, plain

_CALL = re.compile(r"createPageHTML\s*\(([^)]*)\)")


def _args(page: Page) -> list[str] | None:
    m = _CALL.search(page.text)
    if not m:
        return None
    return [a.strip().strip("'\"") for a in m.group(1).split(",")]


def detect(page: Page) -> bool:
    return _args(page) is not None


def page_urls(page: Page) -> list[str]:
    args = _args(page)
    if not args:
        return []
    try:
        if len(args) >= 6:  # ('page_div', count, current, name, ext, records): 1-based
            count, name, ext, first = int(args[1]), args[3], args[4], 2
            numbers = range(first, count + 1)
        else:  # (count, current, name, ext): 0-based, index_0 is index
            count, name, ext = int(args[0]), args[2], args[3]
            numbers = range(1, count)
    except (ValueError, IndexError):
        return []
    return [page.absolute(f"{name}_{n}.{ext}") for n in numbers]


def follow(page: Page) -> Listing:
    urls = page_urls(page)
    pages = [PageRequest(u, cms="trs") for u in urls] or plain.next_links(page)
    return Listing("trs", links(page.selector, page), pages)
