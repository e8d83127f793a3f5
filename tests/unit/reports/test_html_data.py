from __future__ import annotations

from decimal import Decimal

from custsync.reports.html_data import ClientStats, Interner, cents, to_json


def test_json_for_a_script_element_escapes_every_less_than() -> None:
    text = to_json(["</script><!--", "ü"])
    assert "<" not in text
    assert "ü" in text


def test_cents_are_exact() -> None:
    assert cents(Decimal("0.29")) == 29
    assert cents(Decimal("-12.30")) == -1230


def test_interner_stores_each_value_once() -> None:
    strings = Interner()
    assert [strings("US"), strings("CA"), strings("US"), strings(None), strings("")] == [
        0,
        1,
        0,
        2,
        2,
    ]
    assert strings.values == ["US", "CA", ""]


def test_repeat_rate_counts_buying_customers_only() -> None:
    stats = ClientStats()
    for orders, spent in ((0, 0), (1, 1000), (2, 3000), (3, 500)):
        stats.add(orders, spent, "USD")
    assert (stats.buying_customers, stats.repeat_customers) == (3, 2)
    assert round(stats.repeat_rate, 4) == 0.6667
    assert stats.aov_cents == 750
