"""The review page of one report: its stored source on one side, the parsed tables on the other,
the cells a failing check is about highlighted.

The source page is shown as it was stored, and safely: inside an ``<iframe sandbox>`` (no
scripts, no forms, no same-origin access) given the page as ``srcdoc``, under a Content Security
Policy that lets it load nothing from the network. Text pages are shown as preformatted text;
a PDF or other binary body is named, not rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
from html import escape

from parsers import templates as T
from parsers.decode import decode
from parsers.html_doc import embedded_content

from .checks import all_checks, cells_of

#: Nothing may be fetched: the review of a report must not call its portal.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self' about:; "
       "font-src data:")
STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222}
header{padding:10px 16px;background:#f4f6f8;border-bottom:1px solid #ccd}
header h1{font-size:18px;margin:0 0 4px} header p{margin:2px 0;font-size:13px}
.split{display:flex;height:calc(100vh - 96px)} .pane{flex:1;overflow:auto;border-right:1px solid #ccd}
iframe{width:100%;height:100%;border:0;background:#fff} .parsed{padding:8px 14px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 14px} td,th{border:1px solid #bbb;padding:2px 5px}
th{background:#eef} td.num{text-align:right} td.fail{background:#ffd2d2;outline:2px solid #d62728}
small.raw{color:#888} .checks td{vertical-align:top} .bad{color:#b00}
pre.source{white-space:pre-wrap;padding:10px;font-size:13px}
p.note{margin:4px 8px;font-size:12px;color:#666} .pane{display:flex;flex-direction:column}
.pane iframe{flex:1} .parsed{display:block}
"""


_SCRIPTS = re.compile(r"<script\b.*?</script>", re.S | re.I)


def slug(url: str) -> str:
    """The review page's file name for a report url."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16] + ".html"


def source_html(page: dict | None) -> str:
    """The stored page as a sandboxed iframe (HTML), preformatted text, or a note."""
    if page is None:
        return "<p>The source page is not in the store.</p>"
    body: bytes = page.get("body") or b""
    content_type = (page.get("content_type") or "").lower()
    if body[:5] == b"%PDF-" or "pdf" in content_type or b"\0" in body[:1024]:
        return (f"<p>The source is a binary file ({escape(content_type or 'unknown type')}, "
                f"{len(body):,} bytes, sha256 {escape(str(page.get('sha256', ''))[:16])}…): "
                "open it from the portal.</p>")
    text = decode(body, page.get("content_type")).text
    if "html" in content_type or "<html" in text[:2000].lower() or "<table" in text.lower():
        note = ""
        article = embedded_content(text)
        if article and "<table" not in _SCRIPTS.sub("", text).lower():
            # A single-page-app portal (gkmlpt) fills the page from a script, which stays off
            # here: show the article the page carries, as the parser read it.
            note = ('<p class="note">This portal builds the page with a script (disabled here); '
                    "shown is the article the stored page carries for it.</p>")
            text = article
        guarded = (f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
                   '<meta charset="utf-8">' + text)
        return (f'{note}<iframe sandbox="" referrerpolicy="no-referrer" title="stored source page" '
                f'srcdoc="{escape(guarded, quote=True)}"></iframe>')
    return f'<pre class="source">{escape(text)}</pre>'


def _value(v) -> str:
    if v is None:
        return ""
    return f"{v:g}" if isinstance(v, float) else str(v)


def tables_html(record: dict, flagged: dict[str, list[dict]]) -> str:
    """The three tables with the templates' Chinese labels; flagged cells marked."""
    parts = []
    cells = record.get("cells") or {}
    for table, rows in (record.get("tables") or {}).items():
        if not rows:
            continue
        cols: list[str] = []
        for values in rows.values():
            cols += [c for c in values if c not in cols]
        labels = T.COLUMN_TITLES.get(table, {})
        parts.append(f"<h3>{escape(T.TABLE_TITLES.get(table, table))}</h3><table><tr><th></th>"
                     + "".join(f'<th title="{escape(c)}">{escape(labels.get(c, c))}</th>' for c in cols)
                     + "</tr>")
        for row, values in rows.items():
            label = T.ROW_TITLES.get(table, {}).get(row, row)
            parts.append(f'<tr><th title="{escape(row)}" style="text-align:left">{escape(label)}</th>')
            for col in cols:
                key = f"{table}.{row}.{col}"
                raw = cells.get(table, {}).get(row, {}).get(col)
                shown = _value(values.get(col)) if col in values else ""
                extra = (f' <small class="raw">{escape(str(raw))}</small>'
                         if raw not in (None, shown) else "")
                if key in flagged:
                    why = "; ".join(f"{c['rule']}: expected {c['expected']}, page {c['actual']}"
                                    for c in flagged[key])
                    parts.append(f'<td class="num fail" data-cell="{escape(key)}" '
                                 f'title="{escape(why)}">{escape(shown)}{extra}</td>')
                else:
                    parts.append(f'<td class="num" data-cell="{escape(key)}">{escape(shown)}{extra}</td>')
            parts.append("</tr>")
        parts.append("</table>")
    return "".join(parts) or "<p>No statistical table was read from this page.</p>"


def checks_html(record: dict, review_href=None) -> str:
    bad = [c for c in all_checks(record) if not c.get("ok")]
    if not bad:
        return "<p>Every check passes.</p>"
    rows = []
    for c in bad:
        other = ""
        if c.get("other_url"):
            href = review_href(c["other_url"]) if review_href else c["other_url"]
            other = f'<a href="{escape(href)}">{escape(str(c.get("other_year")))} report</a>'
        rows.append(f"<tr><td>{escape(c['rule'])}</td><td>{escape(str(c['where']))}</td>"
                    f"<td class=num>{escape(_value(c['expected']))}</td>"
                    f"<td class=num>{escape(_value(c['actual']))}</td><td>{other}</td></tr>")
    return ('<table class="checks"><tr><th>rule</th><th>where</th><th>expected</th>'
            "<th>on the page</th><th>other report</th></tr>" + "".join(rows) + "</table>")


def render(record: dict, page: dict | None, *, review_href=None, back: str | None = None) -> str:
    """The whole review page. ``review_href(url)`` links a cross-year check's other report
    (default: its source URL); ``back`` links the report page this one was opened from."""
    flagged: dict[str, list[dict]] = {}
    for c in all_checks(record):
        if not c.get("ok"):
            for key in cells_of(c):
                flagged.setdefault(key, []).append(c)
    n_bad = sum(1 for c in all_checks(record) if not c.get("ok"))
    region = record.get("region") or {}
    place = " ".join(x for x in (region.get("province"), region.get("city"), region.get("county"))
                     if x)
    nav = f'<a href="{escape(back)}">← report</a> · ' if back else ""
    meta = json.dumps({k: record.get(k) for k in ("site", "template", "published_at")},
                      ensure_ascii=False, default=str)
    return f"""<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<title>{escape(str(record.get('organ') or ''))} {record.get('year') or ''} · review</title>
<style>{STYLE}</style></head><body>
<header><h1>{escape(str(record.get('title') or record.get('organ') or record.get('url')))}</h1>
<p>{nav}{escape(str(record.get('organ') or '(organ unknown)'))} · {record.get('year') or '?'} ·
{escape(place or '(region unknown)')} · <span class="bad">{n_bad} failing check(s)</span> ·
<code>{escape(meta)}</code></p>
<p>source: <a href="{escape(record.get('url') or '')}" rel="noreferrer">{escape(record.get('url') or '')}</a></p>
</header>
<div class="split"><div class="pane">{source_html(page)}</div>
<div class="pane parsed"><h2>Failing checks</h2>{checks_html(record, review_href)}
<h2>Parsed tables</h2>{tables_html(record, flagged)}</div></div>
</body></html>
"""
