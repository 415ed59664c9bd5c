"""Host policy: which URLs a site's crawl may fetch, decided on the parsed host name.

A URL is allowed when its host name (``urlsplit(url).hostname``, never a split of the netloc,
so ``http://x.gov.cn:1@127.0.0.1:8000/`` is host 127.0.0.1) is listed for the site, with or
without its port, or ends in ``.gov.cn``. IP-literal hosts are refused unless listed: official
portals have names, and a bare address is how clones and odd redirects escape the policy.
URLs carrying credentials (``user:pass@``) are refused: no government page links that way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def refusal(url: str, allowed: Iterable[str]) -> str | None:
    """Why ``url`` may not be fetched for a site allowing ``allowed`` hosts (None: it may)."""
    try:
        parts = urlsplit(url)
        name = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "malformed host or port"
    if not name:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL"
    listed = {h.lower() for h in allowed}
    if name in listed or (port and f"{name}:{port}" in listed):
        return None
    if is_ip_literal(name):
        return f"IP-literal host {name} not listed for the site"
    if name.endswith(".gov.cn"):
        return None
    return f"host {name} is not .gov.cn nor listed for the site"
