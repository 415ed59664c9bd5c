"""Department sub-sites below a portal's disclosure section, where navigation is drawn by script.

Portals list their departments' own disclosure platforms (地方部门平台链接 / 部门信息公开), each
with its own 年报 column (``…/dfbmptlj/<group>/<dept>/zfxxgknb/``). The links are often not
``<a href>``: the department list is a script array of URL strings, and the anchors are
framework templates such as ``<a ms-attr-href="/zwgk/zfxxgk/{{paths[5]}}/{{paths[6]}}/zfxxgknb/">``
filled in per array item. This module reads both, with no script run:

- :func:`script_urls`: URL-like string literals inside ``<script>`` (site paths and http URLs);
- :func:`templated_urls`: every template link (``ms-attr-href``, ``ms-href``, ``:href``,
  ``v-bind:href``, ``ng-href``) filled in for each script URL: ``{{name[i]}}`` is segment ``i``
  of the URL split on ``/`` (as the templates' own ``url.split("/")`` does), ``{{name}}`` the URL.

The spider follows what lies below the disclosure section, up to SUBSITE_DEPTH levels.
"""

from __future__ import annotations

import re

from crawler.cms import Page

_STRING = re.compile(r"""["']((?:https?://[^"'\s<>]+|/[^"'\s<>]*?)/?)["']""")
_PAGE_LIKE = re.compile(r"(?:/|\.s?html?|\.jsp|\.shtml)$", re.I)
TEMPLATE_ATTRS = ("ms-attr-href", "ms-href", ":href", "v-bind:href", "ng-href")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_$][\w$.]*)\s*(?:\[\s*(\d+)\s*\])?\s*\}\}")


def script_urls(page: Page) -> list[str]:
    """Absolute URLs of the page-like string literals in the page's scripts, in order."""
    out, seen = [], set()
    for script in page.selector.css("script::text").getall():
        for s in _STRING.findall(script):
            if len(s) < 2 or "//" in s[8:] or not _PAGE_LIKE.search(s):
                continue
            url = page.absolute(s)
            if url not in seen:
                seen.add(url)
                out.append(url)
    return out


def _templates(page: Page) -> list[str]:
    out = []
    for attr in TEMPLATE_ATTRS:
        # XPath cannot name attributes with ':' portably: match on the attribute's name.
        for value in page.selector.xpath(f"//*/@*[name()='{attr}']").getall():
            if _PLACEHOLDER.search(value):
                out.append(value.strip())
    return out


def fill(template: str, item: str) -> str | None:
    """The template filled in for one array item (None: an index the item does not have)."""
    segments = item.split("/")
    missing = False

    def one(m: re.Match) -> str:
        nonlocal missing
        if m.group(2) is None:
            return item
        i = int(m.group(2))
        if i >= len(segments) or not segments[i]:
            missing = True
            return ""
        return segments[i]

    filled = _PLACEHOLDER.sub(one, template)
    return None if missing else filled


def templated_urls(page: Page, items: list[str] | None = None) -> list[str]:
    """Template links filled in for each script URL (the items as the script holds them:
    root-relative paths stay root-relative, so that the templates' segment indexes hold)."""
    templates = _templates(page)
    if not templates:
        return []
    raw = items if items is not None else [s for script in page.selector.css("script::text").getall()
                                           for s in _STRING.findall(script)]
    out, seen = [], set()
    for template in templates:
        for item in raw:
            filled = fill(template, item)
            if filled and "{{" not in filled:
                url = page.absolute(filled)
                if url not in seen:
                    seen.add(url)
                    out.append(url)
    return out
