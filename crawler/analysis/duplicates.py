"""The same report on two portals: a department's report is often also posted on its city's
portal. Such copies are one report in counts; exports keep every row with the key so analysts
can drop the copies.

The key is stable across crawls and parser runs that read the same figures: the organ, the
statistics year and a fingerprint of the tables' values (not of the page bytes, which differ
between portals). A report without tables is keyed by its page content instead, so two pages
that read no figures are never taken for one another.
"""

from __future__ import annotations

import hashlib
import json


def table_fingerprint(tables: dict | None) -> str:
    """A short hash of the tables' values, independent of key order."""
    text = json.dumps(tables or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def report_key(record: dict) -> str:
    """``organ|year|fingerprint``: equal for copies of one report, whatever the portal."""
    tables = record.get("tables") or {}
    if any(tables.values()):
        fingerprint = table_fingerprint(tables)
    else:
        fingerprint = "page:" + str(record.get("content_sha256") or record.get("url"))[:16]
    return f"{record.get('organ') or ''}|{record.get('year') or ''}|{fingerprint}"
