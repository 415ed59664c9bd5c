"""The download handler of rendered requests (:mod:`crawler.rendering`): scrapy-playwright's,
with one browser per crawl process, launched on the first rendered page only.

A module of its own: importing scrapy-playwright (and Playwright) costs a few tenths of a
second, which every ``scrapy`` command paid when the spider's module imported it; now only a
crawl whose settings route requests through this handler loads it
(:func:`crawler.rendering.playwright_settings`).
"""

from __future__ import annotations

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class RenderingHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler with one browser per crawl process, started lazily.

    Scrapy makes one handler per URL scheme; the first one made renders for all (the others
    hand it their rendered requests), and Playwright starts with the first rendered page, so a
    crawl that renders nothing starts no browser. Requests without ``meta["playwright"]`` go
    through Scrapy's ordinary HTTP/1.1 handler."""

    def __init__(self, crawler):
        primary = getattr(crawler, "_rendering_handler", None)
        if primary is not None:
            # Plain HTTP for this scheme; rendered requests go to the primary handler.
            super(ScrapyPlaywrightDownloadHandler, self).__init__(crawler=crawler)
            self.primary = primary
            return
        super().__init__(crawler)
        self.primary = None
        self._launched = False
        crawler._rendering_handler = self

    async def _maybe_launch_in_thread(self) -> None:
        return None  # not at engine start: at the first rendered page

    async def download_request(self, request):
        if request.meta.get("playwright") and self.primary is not None:
            return await self.primary.download_request(request)
        if request.meta.get("playwright") and not self._launched:
            async with self.context_launch_lock:
                if not self._launched:
                    await self._launch()
                    self._launched = True
        return await super().download_request(request)

    async def close(self) -> None:
        if self.primary is not None:
            # Only the HTTP/1.1 part is ours; the primary closes the browser.
            return await super(ScrapyPlaywrightDownloadHandler, self).close()
        if not self._launched:
            return await super(ScrapyPlaywrightDownloadHandler, self).close()
        return await super().close()
