"""Plain list pages: entries are the page's links; further pages by 下一页/尾页 links."""

from __future__ import annotations

import re

from . import Listing, Page, PageRequest, links

NEXT = re.compile(r"^(?:下一页|下页|后一页|next|>|›|»|>>)$", re.I)


def detect(page: Page) -> bool:
    return True


def next_links(page: Page) -> list[PageRequest]:
    out = []
    for e in links(page.selector, page):
        if NEXT.match(e.title.strip()) and e.url != page.url:
            out.append(PageRequest(e.url, cms="plain"))
    return out[:1]


def follow(page: Page) -> Listing:
    return Listing("plain", links(page.selector, page), next_links(page))
