"""Rendering script-drawn lists in a real browser (Debian's Chromium through scrapy-playwright).

Many portals draw part or all of a column's list with script: avalon ``ms-controller``/``ms-for``
containers, Vue ``v-for``, ``fetch`` + ``innerHTML``, pagers made of ``javascript:`` links.
The HTML Scrapy downloads then holds fewer links than the column has records. This module

- tells such listing pages apart (:func:`signs`), from the static HTML alone: empty framework
  containers, a record count larger than the links present, ``javascript:`` pagers, scripts that
  load a list. Pages that hold a report's own text are never rendered (:func:`holds_report_text`);
- walks a rendered list (:func:`walk`): reads the drawn page, clicks the pager's next control,
  and stops at the last page, at a page whose records are all older than the years asked for,
  or at the listing page budget;
- names the download handler (:class:`crawler.rendering_handler.RenderingHandler`, a module of
  its own so that commands which render nothing never import scrapy-playwright):
  scrapy-playwright's, with one browser per crawl process, launched on the first rendered page
  only, Chromium given by ``executable_path`` (no browser download).

When rendering happens is the spider's ``render`` argument (``auto``: pages with signs,
``never``, ``always``: every listing page) or a site's registry ``render`` field. Without
Chromium the crawl runs on, logs once that script-drawn lists were skipped and counts them as
``render/skipped_no_browser``.

Settings read: RENDER_BROWSER (path of chromium), RENDER_PAGES (tabs at once), RENDER_TIMEOUT
(seconds per page and per pager click).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable

from crawler.cms import Page, links

logger = logging.getLogger(__name__)

MODES = ("auto", "never", "always")

# Attributes with which avalon, Vue and Angular templates mark containers they fill in.
FRAMEWORK_ATTRS = ("ms-controller", "ms-for", "ms-repeat", "ms-include-src", "v-for", "v-html",
                   "ng-repeat")
_RECORD_COUNT = re.compile(r"""(?:recordCount|totalRecord|totalCount|total)\s*["']?\s*[:=]\s*["']?(\d{1,7})"""
                           r"|共\s*(\d{1,7})\s*条")
_LIST_SCRIPT = re.compile(r"listModel\s*\(|trsapi|\bfetch\s*\(|\$\.(?:ajax|get|post|getJSON)\s*\("
                          r"|XMLHttpRequest|axios\.")
_LISTISH = re.compile(r"list|page|record|channel|column|chnl", re.I)
_PAGER_TEXT = re.compile(r"^(?:下一页|下页|后页|尾页|末页|\d{1,4}|>|»|next)$", re.I)
# A report's own text: the 2019/2021 template's table labels and statistics period.
_REPORT_TEXT = re.compile(r"本年新收|上年结转|予以公开|统计期限|主动公开政府信息情况|行政复议")


def holds_report_text(page: Page) -> bool:
    """Does the page already hold a report's text (then it is never rendered)?"""
    return len(_REPORT_TEXT.findall(page.text)) >= 2


def signs(page: Page) -> list[str]:
    """Signs that the page's list is drawn by script (empty list: plain HTML is enough)."""
    if holds_report_text(page):
        return []
    sel = page.selector
    found = []
    for attr in FRAMEWORK_ATTRS:
        for el in sel.xpath(f"//*[@{attr}]"):
            if not el.css("a[href]"):  # a container the framework fills in, still empty
                found.append(f"empty-container:{attr}")
                break
    anchors = links(sel, page)
    m = _RECORD_COUNT.search(page.text)
    if m:
        count = int(m.group(1) or m.group(2))
        if count > len(anchors):
            found.append(f"record-count:{count}>{len(anchors)}")
    for a in sel.css("a"):
        href = (a.attrib.get("href") or "").strip().lower()
        text = "".join(a.css("::text").getall()).strip()
        if href.startswith("javascript") and _PAGER_TEXT.match(text):
            found.append("javascript-pager")
            break
    scripts = " ".join(sel.css("script::text").getall())
    if _LIST_SCRIPT.search(scripts) and _LISTISH.search(scripts) and (found or len(anchors) < 5):
        found.append("list-script")
    return found


def should_render(mode: str, page: Page) -> tuple[bool, list[str]]:
    """(render?, signs) for a listing page under ``mode`` (auto|never|always)."""
    if mode == "never" or holds_report_text(page):
        return False, []
    found = signs(page)
    return (mode == "always" or bool(found)), found


def browser_available(path: str | None) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


# Memory: no GPU process, no extensions or background traffic, renderers shared across tabs
# (lists of one site do not need site isolation), /tmp instead of a small /dev/shm.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-extensions", "--disable-background-networking",
                 "--disable-features=site-per-process,Translate,MediaRouter",
                 "--renderer-process-limit=1", "--no-first-run", "--mute-audio")


def playwright_settings(settings) -> dict:
    """Scrapy settings that route rendered requests through one Chromium."""
    timeout_ms = int(settings.getfloat("RENDER_TIMEOUT", 20) * 1000)
    return {
        "DOWNLOAD_HANDLERS": {"http": "crawler.rendering_handler.RenderingHandler",
                              "https": "crawler.rendering_handler.RenderingHandler"},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": settings.get("RENDER_BROWSER"),
                                      "headless": True,
                                      "args": list(CHROMIUM_ARGS)},
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": settings.getint("RENDER_PAGES", 2),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.rendering.skip_resource",
    }


#: What a list does not need to be drawn: the browser does not fetch these.
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})


def skip_resource(request) -> bool:
    """Playwright request filter: images, media and fonts are not fetched (time, memory and
    the sites' bandwidth); documents, scripts, XHR/fetch and stylesheets are."""
    return request.resource_type in SKIPPED_RESOURCES


# The pager's "next" control of a drawn list: a link or button reading 下一页 (or ›, >, next)
# that is not disabled. Evaluated in the page; returns whether it clicked.
_CLICK_NEXT = """() => {
  const words = /^(下一页|下页|后页|next|›|>|»)$/i;
  const els = Array.from(document.querySelectorAll('a, button, span, li'));
  for (const el of els) {
    const text = (el.innerText || '').trim();
    if (!words.test(text)) continue;
    const cls = (el.className || '') + ' ' + ((el.parentElement && el.parentElement.className) || '');
    if (/disabled|disable|nopage|unable/i.test(cls) || el.hasAttribute('disabled')) return false;
    const href = (el.getAttribute('href') || '').trim();
    if (href && !href.toLowerCase().startsWith('javascript') && href !== '#') return false;
    el.click();
    return true;
  }
  return false;
}"""


async def walk(page, url: str, on_page: Callable[[Page], bool], *, max_pages: int,
               timeout: float) -> int:
    """Read the rendered list page by page: ``on_page(Page)`` gets each drawn page and returns
    whether to go on (False: the records are older than the years asked for). Follows the
    pager's next control (``javascript:`` links, buttons) until there is none, the drawn list
    stops changing, or ``max_pages`` pages were read. Returns the number of pages read."""
    read = 0
    previous = None
    while read < max_pages:
        html = await page.content()
        if html == previous:
            break  # the click changed nothing: the last page
        previous = html
        read += 1
        if not on_page(Page(url, html)) or read >= max_pages:
            break
        snapshot = await page.evaluate("() => document.documentElement.outerHTML")
        if not await page.evaluate(_CLICK_NEXT):
            break
        await _settle(page, snapshot, timeout)
    return read


async def _settle(page, before: str, timeout: float) -> None:
    """Wait until the page's network is idle and its HTML differs from ``before`` (or time out:
    then :func:`walk` sees the same HTML and stops)."""
    ms = int(timeout * 1000)
    try:
        await page.wait_for_function("(b) => document.documentElement.outerHTML !== b",
                                     arg=before, timeout=ms)
        await page.wait_for_load_state("networkidle", timeout=ms)
    except Exception as exc:  # a timeout of a pager click ends the walk, not the crawl
        logger.info("rendered pager did not settle: %s", exc)
