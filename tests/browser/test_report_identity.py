"""index.html in headless Chromium: which buyers make up a customer, and why."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.test_report_page import rendered

pytestmark = pytest.mark.browser


def _open(page: Page, query: str) -> str:
    rendered(page, lambda: page.fill("#cs-search", query))
    page.click("#cs-grid tbody button.cs-name")
    return page.text_content("#cs-panel-body") or ""


def test_the_panel_lists_the_buyers_and_the_links_that_join_them_first(
    linked_page: Page,
) -> None:
    body = _open(linked_page, "ann")
    assert "Buyers (3)" in body
    buyers = linked_page.eval_on_selector_all(
        ".cs-buyers li", "items => items.map(i => i.textContent)"
    )
    assert buyers == ["eu:1001", "na:ann.lee@x", "na:ann@x"]
    heads = linked_page.eval_on_selector_all(
        "#cs-panel-body > .cs-links .cs-link-head", "items => items.map(i => i.textContent)"
    )
    assert [h.split(":")[0] for h in heads] == ["Buyer 1 ↔ buyer 2", "Buyer 1 ↔ buyer 3"]
    assert all(h.startswith("Buyer ") and ": rule phone, score " in h for h in heads)
    assert all(h.endswith(", sure") for h in heads)
    evidence = linked_page.text_content(".cs-links .cs-kv") or ""
    assert evidence.startswith("phonesame phone +12065550142name")
    assert "same postal code 10001; same house number" in evidence
    more = linked_page.locator("details.cs-more-links")
    assert more.locator("summary").text_content() == "1 more link between these buyers"
    assert not more.locator(".cs-link-head").is_visible()
    more.locator("summary").click()
    assert (more.locator(".cs-link-head").text_content() or "").startswith("Buyer 2 ↔ buyer 3")
    assert "joined by an operator" not in body
    assert "custsync customers split C" in body


def test_a_customer_merged_by_an_operator_says_so(linked_page: Page) -> None:
    body = _open(linked_page, "fox")
    assert "Buyers (2)" in body
    assert linked_page.query_selector(".cs-link-head") is None
    assert "Some of these buyers were joined by an operator (custsync customers merge)" in body


def test_a_single_buyer_has_no_explanation(linked_page: Page) -> None:
    body = _open(linked_page, "bo lee")
    assert "Buyers (1)" in body
    assert "eu:bo" in body
    assert "Why one customer" not in body


def test_search_finds_a_customer_by_any_of_its_buyer_keys(linked_page: Page) -> None:
    rendered(linked_page, lambda: linked_page.fill("#cs-search", "ANN@X"))
    assert linked_page.eval_on_selector_all(
        "#cs-grid tbody button.cs-name", "names => names.map(n => n.textContent)"
    ) == ["Ann Lee"]
    rendered(linked_page, lambda: linked_page.fill("#cs-search", "DM-77"))  # not the buyer shown
    assert linked_page.text_content("#cs-grid tbody button.cs-name") == "Cy Fox"
