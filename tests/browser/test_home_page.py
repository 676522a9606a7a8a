"""The home page in a real browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1200, "height": 900}), live_server.url
        finally:
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_the_home_page_shows_the_labs_in_talk_order(page):
    tab, url = page
    tab.goto(url + "/")
    titles = tab.locator("#labs tbody tr td:first-child a").all_inner_texts()
    assert len(titles) >= 2
    assert "volution" in titles[0] and "ontainers" in titles[1]
    tab.click("#labs tbody tr:first-child td:first-child a")
    assert tab.locator("article.step").count() >= 3
