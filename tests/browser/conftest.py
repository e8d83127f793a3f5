"""Browser fixtures: one Chromium per session, a report page per test (fresh local storage)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from playwright.sync_api import Browser, Page, sync_playwright

from custsync.reports.files import write_report_files
from custsync.store.annotations import watch
from custsync.store.db import Store, open_store, upgrade
from tests.browser.chromium import launch, open_report, require_chromium
from tests.support.reports import NOW, customer_id_named, seed, seed_linked

FILLER = 60


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report with 65 customers (two watched) and its CSV files, to compare against."""
    out = tmp_path_factory.mktemp("report")
    store = _new_store(out)
    seed(store, filler=FILLER)
    watch(store, customer_id_named(store, "山田 太郎"), "returns a lot", now=NOW)
    watch(store, customer_id_named(store, "Filler 0007"), None, now=NOW)
    write_report_files(store, out, ("csv", "html"), now=NOW)
    store.dispose()
    return out


@pytest.fixture(scope="session")
def linked_report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of customers made of several buyers: linked, merged by an operator, alone."""
    out = tmp_path_factory.mktemp("linked")
    store = _new_store(out)
    seed_linked(store)
    write_report_files(store, out, ("html",), now=NOW)
    store.dispose()
    return out


def _new_store(folder: Path) -> Store:
    structlog.reset_defaults()
    store = open_store(f"sqlite:///{folder / 'custsync.db'}")
    upgrade(store)
    return store


def csv_ids(report_dir: Path, tab: str) -> list[str]:
    with (report_dir / f"{tab}.csv").open(encoding="utf-8", newline="") as handle:
        return [row["customer_id"] for row in csv.DictReader(handle)]


@pytest.fixture
def page(browser: Browser, report_dir: Path) -> Iterator[Page]:
    """The report in a fresh context; fails the test on a script error or a network request."""
    yield from _opened(browser, report_dir)


@pytest.fixture
def linked_page(browser: Browser, linked_report_dir: Path) -> Iterator[Page]:
    """``page`` for the report of ``linked_report_dir``."""
    yield from _opened(browser, linked_report_dir)


def _opened(browser: Browser, report_dir: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    tab.on(
        "request",
        lambda req: (
            None
            if req.url.startswith(("file://", "blob:", "data:"))
            else problems.append(f"network request: {req.url}")
        ),
    )
    open_report(tab, report_dir / "index.html")
    yield tab
    context.close()
    assert problems == []
