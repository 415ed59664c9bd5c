"""A listing's further pages, within LISTING_PAGE_BUDGET.

The CMS module of a listing (:mod:`crawler.cms`) says which requests fetch its further pages;
this module says which of them the spider sends. Pages of one listing are counted
(``meta[LISTING_PAGE]``, 1 for the column page itself) and a listing reads at most
LISTING_PAGE_BUDGET pages (0: no bound), statically or rendered, so that a pager without end
cannot hold a crawl. A further page keeps the depth of the page it was found on (``meta[PAGING]``,
crawler.middlewares.PagingDepthMiddleware) and its place below the disclosure section.
"""

from __future__ import annotations

import dataclasses
import logging

from crawler import meta as M
from crawler.cms import PageRequest

logger = logging.getLogger(__name__)

#: The pages a rendered listing may read when LISTING_PAGE_BUDGET is 0 (no bound).
UNBOUNDED_RENDERED_PAGES = 10_000


def next_pages(pages: list[PageRequest], response, budget: int, stats) -> list[PageRequest]:
    """The further pages of the listing ``response`` holds, their meta extended for the
    spider: none once the listing's budget is spent."""
    n = response.meta.get(M.LISTING_PAGE, 1)
    if pages and budget and n + 1 > budget:
        stats.inc_value("budget/listing_pages_stopped")
        logger.info("listing page budget (%d) reached at %s", budget, response.url)
        return []
    carried = {M.PAGING: True, M.LISTING_PAGE: n + 1, M.SECTION: response.meta.get(M.SECTION),
               M.IN_YEAR: response.meta.get(M.IN_YEAR),
               M.SUBSITE_DEPTH: response.meta.get(M.SUBSITE_DEPTH, 0)}
    return [dataclasses.replace(more, meta={**more.meta, **carried}) for more in pages]


def rendered_pages(response, budget: int) -> int:
    """How many pages of a rendered listing may be read: what is left of the budget, at
    least one."""
    if not budget:
        return UNBOUNDED_RENDERED_PAGES
    return max(budget - response.meta.get(M.LISTING_PAGE, 1), 1)
