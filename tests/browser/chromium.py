"""Debian's Chromium driven by Playwright (never a downloaded browser), and report screenshots.

``python -m tests.browser.chromium REPORT.html OUT.png [TAB]`` takes the README screenshot: the
report on ``TAB`` (default most-orders) with its first customer's panel open.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def require_chromium() -> None:
    """Skip locally when Chromium is missing; in CI (``CI=true``) that is a failure."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: browser tests must run in CI (apt install chromium)")
    pytest.skip(f"{CHROMIUM} not installed (apt install chromium)")


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def open_report(page: Page, html: Path) -> None:
    page.goto(html.resolve().as_uri())
    page.wait_for_selector("body[data-ready=true]")


def screenshot(
    html: Path, out: Path, *, tab: str = "most-orders", width: int = 1440, height: int = 900
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": width, "height": height})
        open_report(page, html)
        page.click(f"#cs-tabs [data-tab='{tab}']")
        page.click("#cs-grid tbody button.cs-name >> nth=0")
        page.wait_for_selector("#cs-panel:not([hidden])")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]), tab=(sys.argv[3:] or ["most-orders"])[0])
