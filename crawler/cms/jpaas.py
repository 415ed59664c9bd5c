"""Jiangsu jpaas lists: ``queryData="{…}"`` on the column page, pages from a JSON API.

``GET /api-gateway/jpaas-publish-server/front/page/build/unit`` with the queryData
parameters plus ``paramJson={"pageNo":n,"pageSize":rows}`` answers ``{success, data:{html}}``;
the fragment holds ``li.clearfix`` items and a ``div.pagination`` with ``rows`` and ``count``.
"""

from __future__ import annotations

import html as htmllib
import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import parsel

from . import Listing, Page, PageRequest, links

_QUERY = re.compile(r"""queryData\s*=\s*(['"])(.*?)\1""", re.S)
API = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def detect(page: Page) -> bool:
    return API in page.url or bool(_QUERY.search(page.text))


def _request(page: Page, params: dict, n: int, rows: int) -> PageRequest:
    query = dict(params, paramJson=json.dumps({"pageNo": n, "pageSize": rows}, separators=(",", ":")))
    parts = urlsplit(page.url)
    return PageRequest(f"{parts.scheme}://{parts.netloc}{API}?{urlencode(query)}", cms="jpaas",
                       meta={"jpaas_params": params})


def follow(page: Page) -> Listing:
    if API not in page.url:
        m = _QUERY.search(page.text)
        try:
            params = json.loads(htmllib.unescape(m.group(2))) if m else None
        except json.JSONDecodeError:
            params = None
        if not isinstance(params, dict):
            return Listing("jpaas", links(page.selector, page), [])
        return Listing("jpaas", [], [_request(page, params, 1, int(params.get("pageSize", 15)))])
    try:
        data = json.loads(page.text)
        fragment = (data.get("data") or {}).get("html") or ""
    except (json.JSONDecodeError, AttributeError):
        return Listing("jpaas")
    sel = parsel.Selector(text=fragment or "<div></div>")
    items = sel.css("li.clearfix")
    entries = [e for item in (items or [sel]) for e in links(item, page)]
    query = dict(parse_qsl(urlsplit(page.url).query))
    pages = []
    try:
        current = json.loads(query.get("paramJson", "{}")).get("pageNo", 1)
        pager = sel.css("div.pagination")
        rows = int(pager.attrib.get("rows", "15"))
        count = int(pager.attrib.get("count", "0"))
        params = {k: v for k, v in query.items() if k != "paramJson"}
        if current < math.ceil(count / rows):  # the next page only: counts are the server's word
            pages = [_request(page, params, current + 1, rows)]
    except (ValueError, AttributeError):
        pass
    return Listing("jpaas", entries, pages)
