"""Hanweb 大汉 jcms columns: records in ``<datastore>`` XML, later pages from ``dataproxy.jsp``.

The column page carries its first records inline (``<recordset><record><![CDATA[<li>…``) and
the proxy URL in ``<nextgroup>``. Later pages are GET requests to that URL with ``page=N``;
the proxy answers XML with ``totalpage`` and the same CDATA records. Each proxy page asks for
the next one only, so an announced ``totalpage`` costs nothing until it is walked.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import parsel

from . import Listing, Page, PageRequest, links

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S)
_PROXY = re.compile(r"""["'(]((?:[^"'()\s]*)/module/(?:web/)?(?:jslib/jquery/)?jpage/dataproxy\.jsp\?[^"'()\s]*)""")
_TOTAL_PAGE = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>")


def detect(page: Page) -> bool:
    return "<datastore" in page.text or "dataproxy.jsp" in page.text


def _with_page(url: str, n: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode([("page", str(n)), *query])))


def _entries(page: Page):
    out = []
    for html in _RECORD.findall(page.text):
        out += links(parsel.Selector(text=html), page)
    return out


def follow(page: Page) -> Listing:
    entries = _entries(page)
    proxy_page = page.url.find("dataproxy.jsp") >= 0
    pages: list[PageRequest] = []
    if proxy_page:
        total = _TOTAL_PAGE.search(page.text)
        current = int(dict(parse_qsl(urlsplit(page.url).query)).get("page", "1"))
        if total and current < int(total.group(1)):  # one page at a time, whatever the total
            pages = [PageRequest(_with_page(page.url, current + 1), cms="hanweb")]
    else:
        if not entries:  # a column page without datastore: its links
            entries = links(page.selector, page)
        m = _NEXTGROUP.search(page.text)
        proxy = parsel.Selector(text=m.group(1)).css("a::attr(href)").get() if m else None
        if not proxy:
            m2 = _PROXY.search(page.text)
            proxy = m2.group(1) if m2 else None
        if proxy:
            pages = [PageRequest(_with_page(page.absolute(proxy), 2), cms="hanweb",
                                 headers={"X-Requested-With": "XMLHttpRequest", "Referer": page.url})]
    return Listing("hanweb", entries, pages)
