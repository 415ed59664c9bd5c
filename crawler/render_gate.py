"""Which listing pages the spider sends to Chromium, and how (:mod:`crawler.rendering` tells
the signs of a script-drawn list and walks its pager).

A listing page is rendered when its render mode asks for it (``meta[RENDER]``: the crawl's
``render`` argument, else the site's registry field, else ``auto``: pages showing signs of a
script-drawn list); never twice, and never without a browser: then the page is counted
(``render/skipped_no_browser``), said once when first met and once more at the close, and the
crawl goes on with the static page.

Settings read: RENDER_BROWSER, RENDER_TIMEOUT.
"""

from __future__ import annotations

import logging

from crawler import cms, rendering
from crawler import meta as M

logger = logging.getLogger(__name__)


class RenderGate:
    def __init__(self, settings):
        self.browser = settings.get("RENDER_BROWSER")
        self.can_render = rendering.browser_available(self.browser)
        #: Seconds per rendered page and per pager click.
        self.timeout = settings.getfloat("RENDER_TIMEOUT")
        self._told_no_browser = False

    def wants(self, response, page: cms.Page, stats) -> bool:
        """Is this listing page to be rendered (and can it be)? Without Chromium: counted,
        said once."""
        if response.meta.get(M.RENDERED):
            return False
        render, signs = rendering.should_render(response.meta.get(M.RENDER) or "auto", page)
        if not render:
            return False
        if not self.can_render:
            stats.inc_value("render/skipped_no_browser")
            if not self._told_no_browser:
                self._told_no_browser = True
                logger.warning("script-drawn lists skipped: no browser at %s (install Debian's "
                               "chromium, or set RENDER_BROWSER); first at %s (%s)",
                               self.browser, response.url, ", ".join(signs))
            return False
        stats.inc_value("render/requested")
        logger.info("rendering %s: %s", response.url, ", ".join(signs) or "render=always")
        return True

    def note_skipped(self, stats) -> None:
        """At the close: how many script-drawn listing pages went unread for want of a browser."""
        skipped = stats.get_value("render/skipped_no_browser", 0)
        if skipped:
            logger.warning("%d script-drawn listing page(s) skipped: no browser (RENDER_BROWSER=%s)",
                           skipped, self.browser)


def rendering_meta(response) -> dict:
    """The meta of the request that renders the listing page ``response`` holds: through
    scrapy-playwright, its tab kept open for the pager walk, loaded when the network is idle."""
    return {"playwright": True, "playwright_include_page": True, M.RENDERED: True, M.PAGING: True,
            M.SECTION: response.meta.get(M.SECTION),
            M.SUBSITE_DEPTH: response.meta.get(M.SUBSITE_DEPTH, 0),
            "playwright_page_goto_kwargs": {"wait_until": "networkidle"}}


async def close_tab(page) -> None:
    """Close a rendered page's tab, which may already be closed with its context."""
    try:
        await page.close()
    except Exception:  # already closed with its context
        pass
