"""Operator commands without a marketplace: resync refused by a held lease, runs, accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog

from custsync.cli import main
from custsync.records import AccountId, StreamName
from custsync.store.db import open_store
from custsync.store.leases import claim_lease
from custsync.store.state import register_account


@pytest.fixture(autouse=True)
def _workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("DATABASE_URL", "ACCOUNTS_FILE", "BASE_CURRENCY", "REPORT_DIR", "SCHEDULE"):
        monkeypatch.delenv(f"CUSTSYNC_{key}", raising=False)
    monkeypatch.setenv("CUSTSYNC_LOG_FORMAT", "json")
    for var in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"AMAZON_NA_LWA_{var}", raising=False)
        monkeypatch.delenv(f"AMAZON_NA_{var}", raising=False)
    assert main(["init"]) == 0


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield None
    structlog.reset_defaults()  # main() logs to the captured stderr, closed after the test


def test_resync_tells_who_holds_the_lease(capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store("sqlite:///custsync.db")
    now = datetime.now(UTC)
    register_account(store, AccountId("amazon-na"), "amazon", None, now=now)
    claim_lease(
        store,
        AccountId("amazon-na"),
        StreamName.ORDERS,
        owner="box:42:abc/0123",
        ttl_s=600,
        now=now,
    )
    capsys.readouterr()
    assert main(["resync", "--account", "amazon-na", "--stream", "orders"]) == 1
    captured = capsys.readouterr()
    assert "amazon-na orders: skipped — lease held by box:42:abc/0123 until" in captured.out
    assert "was not resynced: lease held by box:42:abc/0123" in captured.err
    assert main(["status"]) == 0
    assert "lease held by box:42:abc/0123" in capsys.readouterr().out


def test_resync_refuses_a_date_in_the_future(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resync", "--account", "amazon-na", "--since", "2999-01-01"]) == 1
    assert "in the future" in capsys.readouterr().err


def test_runs_lists_failed_runs_with_their_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--account", "amazon-na", "--stream", "orders"]) == 1
    capsys.readouterr()
    assert main(["runs", "--account", "amazon-na"]) == 0
    out = capsys.readouterr().out
    assert "amazon-na orders failed" in out
    assert "error: account amazon-na: environment variable AMAZON_NA_REFRESH_TOKEN" in out
    assert main(["runs", "--json", "--limit", "1"]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert (run["account_id"], run["status"]) == ("amazon-na", "failed")


def test_accounts_list_and_check_say_which_variable_is_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMAZON_NA_LWA_CLIENT_ID", "amzn1.application-oa2-client.x")
    capsys.readouterr()
    assert main(["accounts", "list"]) == 0
    out = capsys.readouterr().out
    assert "amazon-na (amazon, enabled) Amazon North America" in out
    assert "orders every 15m" in out
    assert "$AMAZON_NA_LWA_CLIENT_ID (set)" in out
    assert "$AMAZON_NA_REFRESH_TOKEN (NOT SET)" in out
    assert main(["accounts", "check", "--account", "amazon-na"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("amazon-na: FAILED — ")
    assert "AMAZON_NA_LWA_CLIENT_SECRET (client_secret) is not set" in out
    assert "AMAZON_NA_REFRESH_TOKEN (refresh_token) is not set" in out
    assert "AMAZON_NA_LWA_CLIENT_ID" not in out
