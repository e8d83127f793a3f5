"""``report``, ``export``, ``exports list``, ``customers show|search|note`` and ``watchlist``."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog

from custsync.cli import build_parser, main
from custsync.commands.customers_view import customers_subparsers
from custsync.store.db import open_store, upgrade
from tests.support.reports import customer_id_named, seed


@pytest.fixture(autouse=True)
def _workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("DATABASE_URL", "ACCOUNTS_FILE", "BASE_CURRENCY", "REPORT_DIR"):
        monkeypatch.delenv(f"CUSTSYNC_{key}", raising=False)
    monkeypatch.setenv("CUSTSYNC_LOG_FORMAT", "json")


@pytest.fixture
def url(db_url: str) -> str:
    structlog.reset_defaults()  # an earlier main() may have logged to a closed capture
    store = open_store(db_url)
    upgrade(store)
    seed(store, filler=12)
    store.dispose()
    return db_url


def _ids(url: str, name: str) -> str:
    store = open_store(url)
    try:
        return customer_id_named(store, name)
    finally:
        store.dispose()


def test_report_writes_every_asked_format(url: str, tmp_path: Path) -> None:
    assert main(["report", "--database-url", url, "--out", "r", "--format", "csv,html,xlsx"]) == 0
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert {"all.csv", "index.html", "customers.xlsx", "orders.csv"} <= names
    assert main(["report", "--database-url", url, "--out", "h", "--format", "html"]) == 0
    assert {p.name for p in (tmp_path / "h").iterdir()} == {"index.html"}


def test_export_filters_sorts_and_logs(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["export", "--database-url", url, "--tab", "all", "--columns", "name,orders"]
    args += ["--min-orders", "1", "--search", "filler 000", "--sort", "name", "--desc"]
    assert main([*args, "-o", "f.csv"]) == 0
    rows = list(csv.reader((tmp_path / "f.csv").open(encoding="utf-8")))
    assert rows[0] == ["name", "orders"]
    assert [r[0] for r in rows[1:]] == [f"Filler {i:04d}" for i in range(9, -1, -1)]
    assert main(["exports", "list", "--database-url", url, "--json"]) == 0
    out = capsys.readouterr().out
    (entry,) = json.loads(out[out.index("[") :])
    assert entry["tab"] == "all"
    assert entry["row_count"] == 10
    assert entry["filters"] == {"min_orders": "1", "search": "filler 000", "sort": "name desc"}
    assert entry["file"].endswith("f.csv")
    assert entry["exported_by"]


def test_export_default_name_bom_and_page(url: str, tmp_path: Path) -> None:
    args = ["export", "--database-url", url, "--tab", "most-orders", "--bom"]
    assert main([*args, "--page", "2", "--per-page", "10"]) == 0
    today = datetime.now(UTC).astimezone().date().isoformat()
    path = tmp_path / f"customers-most-orders-{today}.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcustomer_id,")
    assert len(raw.decode("utf-8-sig").splitlines()) == 1 + 7  # 17 customers, second page


def test_a_report_folder_the_file_system_refuses_gives_one_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("not a folder")
    assert main(["report", "--database-url", url, "--out", "taken"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == ["custsync: taken: File exists"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tab", "best"], "--tab: unknown tab 'best'"),
        ([], "--tab is required"),
        (["--tab", "all", "--columns", "name,shoe_size"], "--columns: unknown column 'shoe_size'"),
        (["--tab", "all", "--sort", "nope"], "--sort: unknown column 'nope'"),
        (["--tab", "all", "--min-spent", "lots"], "--min-spent: not an amount: 'lots'"),
        (["--tab", "all", "--max-orders", "2.5"], "--max-orders: not a whole number: '2.5'"),
        (["--tab", "all", "--since", "2026-13-01"], "--since: not a date: '2026-13-01'"),
        (["--tab", "all", "--per-page", "500"], "--per-page: expected 10..100, got 500"),
        (["--tab", "all", "--page", "0"], "--page: expected ≥ 1, got 0"),
        (["--tab", "all", "--country", "USA"], "--country: expected a two-letter code"),
        (
            ["--tab", "all", "--account", "nowhere"],
            "--account: no account 'nowhere' (known: eu, na)",
        ),
    ],
)
def test_bad_export_options_give_one_line_and_exit_2(
    url: str, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--database-url", url, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"custsync: {message}")
    assert len(err.splitlines()) == 1


def test_customers_show_search_notes_and_watchlist(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = _ids(url, "山田 太郎")
    db = ["--database-url", url]
    assert main(["customers", "search", "YAMADA", *db]) == 0
    assert "0 customers match" in capsys.readouterr().out
    assert main(["customers", "search", "taro@", *db]) == 0
    found = capsys.readouterr().out
    assert cid in found
    assert "  1 order  " in found  # a count of one reads in the singular
    assert found.rstrip().endswith("1 customer matches")
    assert main(["customers", "search", "filler 000", *db]) == 0
    assert capsys.readouterr().out.rstrip().endswith("10 customers match")
    assert main(["customers", "note", "add", cid, "asked for a refund", *db]) == 0
    assert main(["watchlist", "add", cid, "--reason", "returns a lot", *db]) == 0
    assert main(["watchlist", "list", *db]) == 0
    assert "returns a lot" in capsys.readouterr().out
    assert main(["customers", "show", cid, "--why", *db]) == 0
    text = capsys.readouterr().out
    assert "Watchlist: yes" in text
    assert "asked for a refund" in text
    assert "Identity links" in text
    assert main(["customers", "show", cid, "--json", *db]) == 0
    out = capsys.readouterr().out
    body = json.loads(out)
    assert body["watchlist"]["reason"] == "returns a lot"
    assert body["orders"][0]["summary"]["refunds_estimated"] == "40.00"
    assert main(["customers", "note", "list", cid, *db]) == 0
    note_id = capsys.readouterr().out.split()[0].lstrip("#")
    assert main(["customers", "note", "edit", note_id, "refund sent", *db]) == 0
    assert main(["customers", "note", "delete", note_id, *db]) == 0
    assert main(["watchlist", "remove", cid, *db]) == 0
    assert main(["customers", "note", "list", cid, *db]) == 0
    assert "no notes" in capsys.readouterr().out


def test_unknown_customer_fails_with_one_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["customers", "show", "C-nope", "--database-url", url]) == 1
    assert capsys.readouterr().err.strip() == "custsync: no customer 'C-nope'"


def test_other_modules_add_actions_to_the_same_customers_command() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    first = customers_subparsers(sub)
    first.add_parser("merge")
    assert customers_subparsers(sub) is first
    assert parser.parse_args(["customers", "merge"]).customers_command == "merge"
    full = build_parser()
    assert full.parse_args(["customers", "show", "X"]).customers_command == "show"
