"""Recognising anti-bot challenge responses (no bypass).

Ruishu/Botgate answers 412 with a long ``<meta content>`` token and an inline ``r="m"`` script;
Jiasule answers 521 with ``X-Via-JSL`` or ``__jsluid`` cookies and a cookie-setting script;
WZWS sets ``wzws_cid`` or redirects to ``/WZWSREL…``; 云锁 and 安全狗 block with their cookies
or block pages. ``kind(status, headers, body)`` names the product, or returns None.
"""

from __future__ import annotations

import re

_RUISHU_META = re.compile(rb"<meta[^>]+content=[\"'][^\"']{200,}[\"']", re.I)
_RUISHU_SCRIPT = re.compile(rb"<script[^>]*\br=[\"']m[\"']", re.I)
_COOKIE_JS = re.compile(rb"document\.cookie", re.I)


def _header(headers, name: str) -> str:
    values = headers.getlist(name) if hasattr(headers, "getlist") else [headers.get(name) or b""]
    return " ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values if v)


def kind(status: int, headers, body: bytes) -> str | None:
    cookies = _header(headers, "Set-Cookie")
    head = body[:8192]
    if status == 412 and (_RUISHU_META.search(head) or _RUISHU_SCRIPT.search(head)
                          or re.search(r"\w{8,}80[ST]=", cookies)):
        return "ruishu"
    if status == 521 or _header(headers, "X-Via-JSL") or "__jsl_clearance" in cookies:
        if status == 521 or _COOKIE_JS.search(head):
            return "jiasule"
    if "wzws_cid" in cookies or b"/WZWSREL" in head or "/WZWSREL" in _header(headers, "Location"):
        return "wzws"
    if status in (403, 405, 503) and ("yunsuo_session" in cookies or "safedog" in cookies
                                      or b"yunsuo" in head or b"safedog" in head
                                      or "网站防火墙".encode() in head):
        return "waf"
    return None
