"""Each CMS module on the demo portal's pages, without Scrapy: detection, the entries of a
column page and the requests of its further pages, followed to the last page."""

from __future__ import annotations

import urllib.request

import pytest
from conftest import EXPECTED, path_of

from crawler import cms, picking
from parsers.decode import decode

COLUMNS = {  # CMS module -> the demo column it serves
    "trs": "/trs/zfxxgk/zfxxgknb/index.html",
    "hanweb": "/hanweb/col/col1001/index.html",
    "gkmlpt": "/gkmlpt/gkmlpt/index",
    "jpaas": "/jpaas/col/zfxxgknb/index.html",
    "plain": "/plain/xxgk/nb/index.html",
}


def fetch(url, method="GET", body=None, headers=None) -> cms.Page:
    request = urllib.request.Request(url, method=method, headers=headers or {},
                                     data=body.encode() if body else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        raw = response.read()
    text = raw.decode("utf-8") if "json" in content_type or "xml" in content_type else decode(
        raw, content_type).text
    return cms.Page(response.url, text, content_type)


def walk(portal, name):
    """Every entry of a column, following the module's page requests (each request once, as
    Scrapy's duplicate filter does: every TRS page announces all the others); the number of
    pages fetched."""
    first = fetch(portal.base_url + COLUMNS[name])
    listing = cms.listing(first)
    assert listing.cms == name
    entries, queue, fetched = list(listing.entries), list(listing.pages), 1
    seen = {(first.url, None)}
    while queue:
        more = queue.pop(0)
        if (more.url, more.body) in seen:
            continue
        seen.add((more.url, more.body))
        page = fetch(more.url, more.method, more.body, more.headers)
        fetched += 1
        assert fetched < 20, "paging does not end"
        listing = cms.listing(page, more.cms)
        entries += listing.entries
        queue += listing.pages
    return entries, fetched


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_each_cms_lists_its_reports_to_the_last_page(portal, name):
    entries, fetched = walk(portal, name)
    reports = {path_of(portal, e.url) for e in entries if picking.is_report_title(e.title)}
    site = COLUMNS[name].split("/")[1]
    expected = {p for p in EXPECTED if p.startswith(f"/{site}/")}
    assert fetched >= 2  # every demo column has at least two pages
    if name == "plain":
        # Its 2019 report sits in a year sub-column (the spider finds it); the column also
        # lists the pages that fail on purpose (truncated, challenge, an off-site clone).
        assert {p for p in expected if "/2019/" not in p} < reports
    else:
        assert reports == expected


def test_detection_is_by_page_content_not_url():
    trs_page = cms.Page("https://a.gov.cn/x.html", '<ul></ul><script>createPageHTML(3, 0, "index", "html");</script>')
    hanweb_page = cms.Page("https://a.gov.cn/x.html", "<datastore><recordset></recordset></datastore>")
    plain_page = cms.Page("https://a.gov.cn/trs/index.html", '<a href="list_2.html">下一页</a>')
    assert cms.listing(trs_page).cms == "trs"
    assert cms.listing(hanweb_page).cms == "hanweb"
    assert cms.listing(plain_page).cms == "plain"
