"""index.html in headless Chromium: tabs, search, sort, paging, columns, panel, export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.chromium import ARTIFACTS
from tests.browser.conftest import FILLER, csv_ids
from tests.support.reports import XSS_NAME

pytestmark = pytest.mark.browser
CUSTOMERS = 5 + FILLER


def rendered(page: Page, action: Callable[[], object]) -> None:
    """Run ``action`` and wait until the page has rendered its result."""
    page.evaluate("document.body.dataset.ready = 'false'")
    action()
    page.wait_for_selector("body[data-ready=true]")


def visible_ids(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#cs-grid tbody tr[data-customer]", "rows => rows.map(r => r.dataset.customer)"
    )
    return ids


def column_texts(page: Page, column: str) -> list[str]:
    index = page.eval_on_selector_all(
        "#cs-grid thead th", f"ths => ths.findIndex(th => th.dataset.col === '{column}')"
    )
    texts: list[str] = page.eval_on_selector_all(
        "#cs-grid tbody tr[data-customer]",
        f"rows => rows.map(r => r.children[{index}].textContent)",
    )
    return texts


def show_100(page: Page) -> None:
    rendered(page, lambda: page.select_option("#cs-per-page", "100"))


def test_statistics_and_tab_counts(page: Page) -> None:
    assert page.text_content("[data-stat=customers]") == str(CUSTOMERS)
    revenue = page.text_content("[data-stat=revenue]", timeout=1000)
    assert revenue is not None
    assert revenue.endswith(" USD")
    counts = page.eval_on_selector_all(
        "#cs-tabs button", "bs => bs.map(b => [b.dataset.tab, b.lastChild.textContent])"
    )
    assert dict(counts) == {
        "all": str(CUSTOMERS),
        "highest-value": str(CUSTOMERS),
        "most-orders": str(CUSTOMERS),
        "most-returns": "1",
        "promo-codes": "2",
        "watchlist": "2",
    }


@pytest.mark.parametrize(
    "tab", ["all", "highest-value", "most-orders", "most-returns", "promo-codes", "watchlist"]
)
def test_each_tab_lists_customers_in_the_csv_order(page: Page, report_dir: Path, tab: str) -> None:
    show_100(page)
    rendered(page, lambda: page.click(f"#cs-tabs [data-tab='{tab}']"))
    assert page.get_attribute(f"#cs-tabs [data-tab='{tab}']", "aria-selected") == "true"
    assert visible_ids(page) == csv_ids(report_dir, tab)


def test_search_is_instant_partial_and_case_insensitive(page: Page) -> None:
    rendered(page, lambda: page.fill("#cs-search", "ÉLODIE"))
    assert column_texts(page, "name") == ["Élodie Dupont"]
    rendered(page, lambda: page.fill("#cs-search", "frères"))  # company
    assert column_texts(page, "name") == ["Élodie Dupont"]
    rendered(page, lambda: page.fill("#cs-search", "555 010 2030"))  # phone, any spacing
    assert column_texts(page, "name") == ["Élodie Dupont"]
    rendered(page, lambda: page.fill("#cs-search", "filler 001"))
    assert page.text_content("#cs-range") == "Showing 1–10 of 10 customers"
    rendered(page, lambda: page.fill("#cs-search", "nobody at all"))
    grid = page.text_content("#cs-grid tbody")
    assert grid is not None
    assert "No customer matches" in grid
    rendered(page, lambda: page.fill("#cs-search", ""))
    assert page.text_content("#cs-range") == f"Showing 1–25 of {CUSTOMERS} customers"


def test_sorting_by_a_column_and_back(page: Page) -> None:
    show_100(page)
    rendered(page, lambda: page.click("th[data-col=amount_spent] button"))
    assert page.get_attribute("th[data-col=amount_spent]", "aria-sort") == "descending"
    spent = [float(v.replace(",", "")) for v in column_texts(page, "amount_spent")]
    assert spent == sorted(spent, reverse=True)
    rendered(page, lambda: page.click("th[data-col=amount_spent] button"))
    assert page.get_attribute("th[data-col=amount_spent]", "aria-sort") == "ascending"
    spent = [float(v.replace(",", "")) for v in column_texts(page, "amount_spent")]
    assert spent == sorted(spent)
    rendered(page, lambda: page.click("th[data-col=name] button"))
    names = column_texts(page, "name")
    assert page.get_attribute("th[data-col=name]", "aria-sort") == "ascending"
    collated = page.evaluate(
        "names => [...names].sort(new Intl.Collator(undefined, "
        "{sensitivity: 'base', numeric: true}).compare)",
        names,
    )
    assert names == collated
    assert names[-1] == "山田 太郎"


def test_paging_with_totals(page: Page) -> None:
    assert page.text_content("#cs-range") == f"Showing 1–25 of {CUSTOMERS} customers"
    assert page.text_content("#cs-page-of") == "Page 1 of 3"
    assert page.is_disabled("[data-page=prev]")
    rendered(page, lambda: page.select_option("#cs-per-page", "10"))
    rendered(page, lambda: page.click("[data-page=next]"))
    assert page.text_content("#cs-range") == f"Showing 11–20 of {CUSTOMERS} customers"
    rendered(page, lambda: page.click("[data-page=last]"))
    assert page.text_content("#cs-range") == f"Showing 61–{CUSTOMERS} of {CUSTOMERS} customers"
    assert page.is_disabled("[data-page=next]")
    assert len(visible_ids(page)) == CUSTOMERS - 60
    assert page.text_content("#cs-grid tfoot td:first-child") == f"Total ({CUSTOMERS})"
    orders = page.text_content("#cs-grid tfoot [data-total=orders]")
    assert orders == str(6 + FILLER)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#cs-per-page") == "10"  # remembered


def test_hiding_a_column_is_remembered_until_reset(page: Page) -> None:
    assert page.is_visible("th[data-col=email]")
    assert not page.query_selector("th[data-col=customer_id]")  # hidden by default
    page.click("#cs-columns summary")
    rendered(page, lambda: page.uncheck("#cs-column-list [data-col=email]"))
    assert not page.query_selector("th[data-col=email]")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert not page.query_selector("th[data-col=email]")
    page.click("#cs-columns summary")
    assert not page.is_checked("#cs-column-list [data-col=email]")
    rendered(page, lambda: page.click("#cs-columns-reset"))
    assert page.is_visible("th[data-col=email]")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.is_visible("th[data-col=email]")


def test_customer_panel_has_timeline_orders_and_summary(page: Page) -> None:
    rendered(page, lambda: page.fill("#cs-search", "taro"))
    page.click("#cs-grid tbody button.cs-name")
    panel = page.locator("#cs-panel")
    assert panel.is_visible()
    assert page.text_content("#cs-panel-title") == "山田 太郎"
    body = page.text_content("#cs-panel-body") or ""
    assert "On the watchlist: returns a lot" in body
    events = page.eval_on_selector_all(".cs-timeline li", "items => items.map(i => i.className)")
    assert events == ["cs-ev-watch", "cs-ev-feedback", "cs-ev-return", "cs-ev-order"]
    assert page.is_hidden("tr.cs-summary")
    page.click("tr.cs-order[data-order=E-1]")
    summary = page.text_content("tr.cs-summary") or ""
    assert "Refunds (est.)40.00 USD" in summary
    assert "Net40.00 USD" in summary
    assert "WELCOME" in summary
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    rendered(page, lambda: page.fill("#cs-search", "élodie"))  # not on the watchlist
    page.click("#cs-grid tbody button.cs-name")
    body = page.text_content("#cs-panel-body") or ""
    assert body.startswith("Details")
    assert "Dupont Frères SARL" in body


def test_watchlisted_customers_are_marked(page: Page) -> None:
    rendered(page, lambda: page.click("#cs-tabs [data-tab=watchlist]"))
    rows = page.locator("#cs-grid tbody tr")
    assert rows.count() == 2
    for i in range(2):
        assert "cs-watched" in (rows.nth(i).get_attribute("class") or "")
        assert rows.nth(i).locator("svg.cs-eye").count() == 1


def test_untrusted_names_stay_text(page: Page) -> None:
    rendered(page, lambda: page.fill("#cs-search", "onerror"))
    assert column_texts(page, "name") == [XSS_NAME]
    assert page.title() != "pwned"
    assert page.locator("#cs-grid img").count() == 0


def test_export_all_pages_escapes_formulas(page: Page, tmp_path: Path) -> None:
    rendered(page, lambda: page.click("#cs-tabs [data-tab=promo-codes]"))
    page.click("#cs-export summary")
    with page.expect_download() as download:
        page.click("#cs-export-all")
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name.startswith("customers-promo-codes-")
    text = target.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("name,email,phone,address,zip,city,state,country,orders,")
    assert lines[1].startswith('"\'=HYPERLINK(""http://x"")"')
    assert len(lines) == 3


def test_screenshots_are_kept_as_artifacts(page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.click("#cs-grid tbody button.cs-name >> nth=0")
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling of the page; the table scrolls in its box
