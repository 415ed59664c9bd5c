"""The HTML report in a real browser: headless Chromium (the system's, through Playwright)
renders it without a script error, a screenshot is taken, and a failing check opens against
its source in two clicks (the report, then its review page)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, scrapy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium): browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def test_report_renders_and_reviews_open_in_two_clicks(browser, tmp_path):
    data = tmp_path / "data"
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "realdocs"),
                  data_dir=data)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "report.html"
    proc = scrapy("report", "-o", str(out), "--today", "2026-06-01", data_dir=data)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\+ [1-9]\d* review pages", proc.stderr), proc.stderr
    errors, requests = [], []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000 and errors == []
    for heading in ("Coverage", "Timeliness", "Failing checks", "Totals"):
        assert page.locator(f"h2:has-text('{heading}')").count() == 1
    assert page.locator("svg rect").count() > 10  # the charts drew
    assert "拉萨市财政局" in page.inner_text("body")
    # Click 2: the first failing report's review page.
    page.locator("a:has-text('review') >> visible=true").first.click()
    page.wait_for_load_state()
    assert "_review/" in page.url
    assert page.locator("td.fail").count() > 0
    frame = page.locator("iframe")
    if frame.count():
        assert frame.get_attribute("sandbox") == ""
    assert errors == [] or all("sandboxed" in e for e in errors)  # the source's scripts stay off
    assert all(u.startswith(("file:", "about:", "data:")) for u in requests), requests
    page.screenshot(path=str(tmp_path / "review.png"))
    page.close()
