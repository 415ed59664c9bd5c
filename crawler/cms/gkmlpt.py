"""Guangdong 政府信息公开目录平台 (gkmlpt): a JSON API behind a single-page app.

The entry page ``…/gkmlpt/index`` holds a config with ``SID:'…'`` and a category ``TREE``;
categories named 年报/年度报告 are listed through
``…/gkmlpt/api/all/{catId}?page={n}&sid={SID}``, which answers JSON with
``classify.post_count`` and ``articles[]``. Pages are requested until ``post_count`` articles
have been seen or a page comes back empty.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

from . import Entry, Listing, Page, PageRequest

_SID = re.compile(r"""SID\s*[:=]\s*['"]?(\d+)""")
_TREE = re.compile(r"TREE\s*[:=]\s*(\[.*?\])\s*[,;}\n]", re.S)
_NODE = re.compile(r"""["']?id["']?\s*:\s*["']?(\d+)["']?\s*,\s*["']?name["']?\s*:\s*["']([^"']+)""")
_REPORT_CATEGORY = re.compile(r"年报|年度报告")
PAGE_SIZE_HINT = 20


def detect(page: Page) -> bool:
    return "/gkmlpt/" in page.url or ("gkmlpt" in page.text and bool(_SID.search(page.text)))


def _api_base(url: str) -> str:
    path = urlsplit(url).path
    prefix = path[: path.rfind("/gkmlpt/")] if "/gkmlpt/" in path else ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{prefix}/gkmlpt/api/all"


def _categories(text: str) -> list[tuple[str, str]]:
    m = _TREE.search(text)
    source = m.group(1) if m else text
    return [(cid, name) for cid, name in _NODE.findall(source) if _REPORT_CATEGORY.search(name)]


def follow(page: Page) -> Listing:
    if "/gkmlpt/api/" in page.url:
        return _follow_api(page)
    sid = _SID.search(page.text)
    if not sid:
        return Listing("gkmlpt")
    base = _api_base(page.url)
    pages = [PageRequest(f"{base}/{cid}?page=1&sid={sid.group(1)}", cms="gkmlpt",
                         meta={"gkmlpt_category": name})
             for cid, name in _categories(page.text)]
    return Listing("gkmlpt", [], pages)


def _follow_api(page: Page) -> Listing:
    try:
        data = json.loads(page.text)
    except json.JSONDecodeError:
        return Listing("gkmlpt")
    articles = data.get("articles") or []
    entries = [Entry(page.absolute(a.get("url") or a.get("post_url") or ""), a.get("title") or "",
                     a.get("display_publish_time") or a.get("created_at"))
               for a in articles if a.get("url") or a.get("post_url")]
    query = dict(parse_qsl(urlsplit(page.url).query))
    n = int(query.get("page", "1"))
    total = int((data.get("classify") or {}).get("post_count") or 0)
    per_page = max(len(articles), 1)
    pages = []
    if articles and n * per_page < total:
        nxt = page.url.replace(f"page={n}", f"page={n + 1}", 1)
        pages.append(PageRequest(nxt, cms="gkmlpt"))
    return Listing("gkmlpt", entries, pages)
