"""What the spider reads off a downloaded response: its page as text, and its kept headers.

A page is decoded by :func:`parsers.decode.decode` (BOM, UTF-8, declared charset, GB18030...),
not by Scrapy's guess, so that list pages and report pages read the same text the parser reads;
a JSON or XML answer of a CMS's API is taken as Scrapy decodes it.
"""

from __future__ import annotations

from crawler import cms
from crawler.store import KEPT_HEADERS
from parsers.decode import decode


def content_type(response, default: bytes = b"") -> str:
    return response.headers.get(b"Content-Type", default).decode("latin-1")


def page_of(response) -> cms.Page:
    """The response as a :class:`crawler.cms.Page` (url, text, content type)."""
    kind = content_type(response)
    if "json" in kind or "xml" in kind:
        return cms.Page(response.url, response.text, kind)
    return cms.Page(response.url, decode(response.body, kind).text, kind)


def kept_headers(response) -> dict:
    """The response headers stored with a page (:data:`crawler.store.KEPT_HEADERS`)."""
    return {k: response.headers.get(k, b"").decode("latin-1") for k in KEPT_HEADERS
            if response.headers.get(k)}
