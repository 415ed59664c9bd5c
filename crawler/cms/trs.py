"""TRS WCM static lists: a script writes the pager; page k of a column is ``index_k.html``.

Two pager forms:

- ``createPageHTML(...)``: the four-argument form ``createPageHTML(count, index, "index",
  "html")`` is 0-based (page k is ``index_k.html``, index 0 is the first page); the six-argument
  form ``createPageHTML('page_div', count, current, 'index', 'html', records)`` is 1-based
  (page 2 is ``index_2.html``).
- Inline pagers without ``createPageHTML``: ``var currentPage = 0; var countPage = 2;`` and a
  ``document.write("<a href=\\"index"+"_"+nextPage+"."+"html\\">下一页</a>")`` (0-based).

Only the *next* page is requested from each page: a page count the server announces (which can
be ``createPageHTML(1000000, …)``) never becomes a list of URLs, and the spider's listing page
budget stops the chain.
"""

from __future__ import annotations

import re

from . import Listing, Page, PageRequest, links, plain

_CALL = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_COUNT = re.compile(r"\bvar\s+countPage\s*=\s*['\"]?(\d+)")
_CURRENT = re.compile(r"\bvar\s+currentPage\s*=\s*['\"]?(\d+)")
# Adjacent string literals joined: "index"+"_"+nextPage -> "index_"+nextPage
_JOIN = re.compile(r"""(["'])\s*\+\s*\1""")
_NEXT_NAME = re.compile(r"""([\w.-]+)_["']\s*\+\s*nextPage\s*\+\s*["']\.(\w+)""")


def _args(page: Page) -> list[str] | None:
    m = _CALL.search(page.text)
    if not m:
        return None
    return [a.strip().strip("'\"") for a in m.group(1).split(",")]


def _inline(page: Page) -> tuple[int, int, str, str] | None:
    """(count, current, name, ext) of an inline countPage/currentPage pager."""
    count, current = _COUNT.search(page.text), _CURRENT.search(page.text)
    if not count:
        return None
    name = _NEXT_NAME.search(_JOIN.sub("", page.text.replace('\\"', '"')))
    if not name:
        return None
    return int(count.group(1)), int(current.group(1)) if current else 0, name.group(1), name.group(2)


def detect(page: Page) -> bool:
    return _args(page) is not None or _inline(page) is not None


def next_page_url(page: Page) -> str | None:
    """The URL of the page after this one, or None on the last page (or no pager)."""
    args = _args(page)
    try:
        if args and len(args) >= 6:  # ('page_div', count, current, name, ext, records): 1-based
            count, current, name, ext = int(args[1]), int(args[2]), args[3], args[4]
            nxt = current + 1
            return page.absolute(f"{name}_{nxt}.{ext}") if nxt <= count else None
        if args:  # (count, current, name, ext): 0-based, index_0 is index
            count, current, name, ext = int(args[0]), int(args[1]), args[2], args[3]
        else:
            inline = _inline(page)
            if inline is None:
                return None
            count, current, name, ext = inline
    except (ValueError, IndexError):
        return None
    nxt = current + 1
    return page.absolute(f"{name}_{nxt}.{ext}") if nxt < count else None


def follow(page: Page) -> Listing:
    url = next_page_url(page)
    pages = [PageRequest(url, cms="trs")] if url else plain.next_links(page)
    return Listing("trs", links(page.selector, page), pages)
