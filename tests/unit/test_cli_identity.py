from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from custsync.cli import main

LIST = """\
id,name,phone,address,city,zip,country
1,Ann Lee,(206) 555-0142,12 Oak Avenue,Seattle,98101,US
2,Lee Ann,206 555 0142,12 Oak Ave,Seattle,98101,US
3,Bob Kay,,5 Pine Street,Austin,78701,US
4,,,,,,
"""


@pytest.fixture(autouse=True)
def _workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for key in ("DATABASE_URL", "ACCOUNTS_FILE", "BASE_CURRENCY", "REPORT_DIR"):
        monkeypatch.delenv(f"CUSTSYNC_{key}", raising=False)
    monkeypatch.setenv("CUSTSYNC_LOG_FORMAT", "json")
    yield
    structlog.reset_defaults()  # main() bound logging to this test's captured stderr


def _ids(out: str) -> list[str]:
    return re.findall(r"C[0-9A-F]{12}", out)


def _imported(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> dict[str, str]:
    """``text`` imported as the list of account ``shop-list``: each row's customer id."""
    (tmp_path / "list.csv").write_text(text, encoding="utf-8")
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    capsys.readouterr()
    return _customer_by_key(tmp_path)


def _customer_by_key(tmp_path: Path) -> dict[str, str]:
    from custsync.store.db import open_store

    store = open_store(f"sqlite:///{tmp_path / 'custsync.db'}")
    with store.engine.connect() as conn:
        found = conn.exec_driver_sql("select buyer_key, customer_id from buyers").all()
    store.dispose()
    return dict(found)


def test_import_prints_counts_and_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.csv").write_text(LIST, encoding="utf-8")
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    out = capsys.readouterr().out
    assert "imported 3 (3 new, 0 changed, 0 unchanged), skipped 1" in out
    assert "skipped 1: no name" in out
    assert "customers refreshed: 2" in out
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    assert "imported 3 (0 new, 0 changed, 3 unchanged)" in capsys.readouterr().out


def test_import_keeps_unnamed_rows_with_a_phone_when_asked_and_matches_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.csv").write_text(LIST + "5,,+1 206 555 0142,,,,\n", encoding="utf-8")
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    hint = "1 row without a name has an e-mail or a phone: --keep-unnamed brings it in"
    assert hint in capsys.readouterr().out
    assert main(["import", "list.csv", "--account", "shop-list", "--keep-unnamed"]) == 0
    out = capsys.readouterr().out
    assert "imported 4 (1 new, 0 changed, 3 unchanged), skipped 1" in out
    assert "skipped 1: no name, e-mail or phone" in out
    assert "--keep-unnamed brings" not in out
    assert "customers refreshed: 2" in out
    assert main(["customers", "search", "Ann Lee"]) == 0
    (found,) = set(_ids(capsys.readouterr().out))
    assert main(["customers", "show", found]) == 0
    assert "Buyer: shop-list file 5" in capsys.readouterr().out


def test_import_refuses_an_unknown_field_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.csv").write_text(LIST, encoding="utf-8")
    assert main(["import", "list.csv", "--account", "x", "--map", "zip=zipcode"]) != 0
    err = capsys.readouterr().err.strip()
    assert "unknown field 'zipcode'" in err
    assert len(err.splitlines()) == 1


def test_merge_then_split_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _imported(tmp_path, capsys, LIST)
    assert main(["customers", "split", "XXX", "--buyer", "shop-list:1"]) != 0
    assert "no customer 'XXX'" in capsys.readouterr().err
    from custsync.store.db import open_store
    from custsync.store.identity import identity_links_for

    assert rows["1"] == rows["2"] != rows["3"]
    store = open_store(f"sqlite:///{tmp_path / 'custsync.db'}")
    assert {x.rule for x in identity_links_for(store, rows["1"])} == {"phone"}
    store.dispose()
    assert main(["customers", "merge", rows["1"], rows["3"]]) == 0
    merged = _ids(capsys.readouterr().out)[-1]
    assert main(["customers", "split", merged, "--buyer", "shop-list:3"]) == 0
    (new_id,) = _ids(capsys.readouterr().out)
    assert new_id not in (merged,)


def test_fx_set_list_and_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fx", "set", "eur", "1.10", "--from", "2026-01-01"]) == 0
    (tmp_path / "rates.csv").write_text("currency,rate,valid_from\nGBP,1.27,2025-01-01\n")
    (tmp_path / "rates.toml").write_text('[[rates]]\ncurrency = "CAD"\nrate = "0.73"\n')
    assert main(["fx", "load", "rates.csv"]) == 0
    assert main(["fx", "load", "rates.toml"]) == 0
    capsys.readouterr()
    assert main(["fx", "list"]) == 0
    out = capsys.readouterr().out
    assert "EUR → USD  1.1  from 2026-01-01" in out
    assert "GBP → USD  1.27  from 2025-01-01" in out
    assert "CAD → USD  0.73  from 1970-01-01" in out
    assert main(["fx", "set", "EUR", "-1"]) != 0
    assert "rate must be a positive number" in capsys.readouterr().err


def test_fx_set_says_when_a_later_rate_leaves_the_new_one_only_older_orders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["fx", "set", "EUR", "1.080000", "--from", "2020-01-01"]) == 0
    assert capsys.readouterr().out.splitlines() == ["1 EUR = 1.08 USD from 2020-01-01"]
    assert main(["fx", "set", "EUR", "1.1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1 EUR = 1.1 USD from 1970-01-01",
        "  only for orders before 2020-01-01: a rate of EUR from that day on is stored "
        "(`custsync fx list`); --from YYYY-MM-DD sets one from a day on",
    ]
    assert main(["fx", "set", "EUR", "1.12", "--from", "2026-06-01"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_import_of_a_damaged_workbook_fails_in_one_line_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.csv").write_text(LIST, encoding="utf-8")
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    before = _ids(_search_all(capsys))
    (tmp_path / "more.xlsx").write_bytes(b"PK\x03\x04" + bytes(200))
    assert main(["import", "more.xlsx", "--account", "shop-list"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("custsync: more.xlsx: not a readable XLSX workbook (")
    assert len(err.splitlines()) == 1
    assert _ids(_search_all(capsys)) == before


def test_import_names_the_rows_it_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.csv").write_text(LIST + ",,555 0100,,,,\n", encoding="utf-8")
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    out = capsys.readouterr().out
    assert "skipped 2: no name (rows 5, 6)" in out
    assert "1 row without a name has an e-mail or a phone: --keep-unnamed brings it in" in out


def test_import_names_the_rows_whose_email_or_phone_identifies_no_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{n},Person {n},n/a,+1 206 555 01{n:02d},,,98101,US" for n in range(1, 7)]
    rows += ["7,Ann Lee,ann@,12,,,98101,US", "8,Bob Kay,bob@gmail.com,555 0100,,,,"]
    text = "id,name,email,phone,address,city,zip,country\n" + "\n".join(rows) + "\n"
    (tmp_path / "list.csv").write_text(text, encoding="utf-8")
    assert main(["import", "list.csv", "--account", "shop-list"]) == 0
    out = capsys.readouterr().out
    assert "imported 8 (8 new, 0 changed, 0 unchanged), skipped 0" in out
    assert (
        "e-mail not usable for matching in 7 rows, kept as written (rows 2, 3, 4, 5, 6 and 2 more)"
        in out
    )  # a placeholder and an address without its domain
    assert "phone not usable for matching in 2 rows, kept as written (rows 8, 9)" in out
    assert main(["customers", "search", "Ann Lee"]) == 0
    (found,) = set(_ids(capsys.readouterr().out))
    assert main(["customers", "show", found]) == 0
    assert "ann@" in capsys.readouterr().out  # kept as written


def test_an_unexpected_error_is_one_line_and_the_traceback_comes_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: object) -> int:
        raise LookupError("ann@example.com\nsecond line")

    monkeypatch.setattr("custsync.commands.identity.cmd_import", broken)
    monkeypatch.delenv("CUSTSYNC_LOG_LEVEL", raising=False)
    assert main(["import", "list.csv", "--account", "x"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        "custsync: unexpected error: LookupError: ann@example.com "
        "(CUSTSYNC_LOG_LEVEL=debug prints where)"
    ]
    monkeypatch.setenv("CUSTSYNC_LOG_LEVEL", "debug")
    assert main(["import", "list.csv", "--account", "x"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def _search_all(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    main(["customers", "search", ""])
    return capsys.readouterr().out


HOUSEHOLD = """\
id,name,phone,address,city,zip,country
1,Ann Lee,(206) 555-0142,12 Oak Avenue,Seattle,98101,US
2,Tom Lee,206 555 0142,12 Oak Avenue,Seattle,98101,US
3,Ann Lee,,40 Elm Street,Portland,97201,US
"""


def test_compare_says_why_two_customers_are_two_and_after_a_merge_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _imported(tmp_path, capsys, HOUSEHOLD)
    assert len(set(ids.values())) == 3
    assert main(["customers", "compare", ids["1"], ids["2"]]) == 0
    out = capsys.readouterr().out
    assert f"{ids['1']} (Ann Lee, 1 buyer) and {ids['2']} (Tom Lee, 1 buyer) are two" in out
    assert "  shop-list:1 ≠ shop-list:2  kept apart (rule phone, score 1.00)\n" in out
    assert "      why: two people behind one phone: their first names differ\n" in out
    assert "      phone: same phone +12065550142" in out
    assert main(["customers", "compare", ids["3"], ids["1"], "--json"]) == 0
    (pair,) = json.loads(capsys.readouterr().out)["pairs"]
    assert (pair["a"], pair["b"], pair["outcome"], pair["rule"]) == (
        "shop-list:3",
        "shop-list:1",
        "no link",
        None,
    )
    assert pair["reason"] == "no house number, city or postal code in common, and no phones alike"
    assert main(["customers", "compare", ids["1"]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{ids['1']} (Ann Lee, 1 buyer): 2 customers compared with it, closest first"
    assert lines[1] == f"  {ids['2']} (Tom Lee, 1 buyer): kept apart (rule phone, score 1.00)"
    assert lines[2] == "      shop-list:1 ≠ shop-list:2"
    assert f"  {ids['3']} (Ann Lee, 1 buyer): no link" in lines
    assert lines[-1] == f"  custsync customers compare {ids['1']} {ids['2']}"
    assert main(["customers", "compare", ids["1"], "--limit", "1"]) == 0
    assert "  and 1 more customer: 1 no link" in capsys.readouterr().out
    assert main(["customers", "compare", ids["1"], "--limit", "0"]) == 2
    assert "--limit: expected ≥ 1, got 0" in capsys.readouterr().err
    assert main(["customers", "merge", ids["1"], ids["3"]]) == 0
    survivor = _ids(capsys.readouterr().out)[-1]
    gone = ({ids["1"], ids["3"]} - {survivor}).pop()
    assert main(["customers", "compare", gone, survivor]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{gone} (Ann Lee, 2 buyers, now part of {survivor}) and {survivor} (Ann Lee, 2 buyers)"
        f" are one customer: {survivor}"
    )
    assert main(["customers", "compare", ids["2"], "C000000000000"]) != 0
    assert "no customer 'C000000000000'" in capsys.readouterr().err
