from __future__ import annotations

from pathlib import Path

import pytest

from custsync.cli import main


@pytest.fixture(autouse=True)
def _workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("DATABASE_URL", "ACCOUNTS_FILE", "BASE_CURRENCY", "REPORT_DIR"):
        monkeypatch.delenv(f"CUSTSYNC_{key}", raising=False)
    monkeypatch.setenv("CUSTSYNC_LOG_FORMAT", "json")


def test_init_creates_database_and_starter_accounts_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    assert (tmp_path / "custsync.db").exists()
    text = (tmp_path / "config" / "accounts.toml").read_text()
    assert 'refresh_token_env = "AMAZON_NA_REFRESH_TOKEN"' in text
    assert main(["init"]) == 0
    assert "accounts file kept" in capsys.readouterr().out


def test_sync_without_accounts_file_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("custsync: accounts file config/accounts.toml not found")
    assert len(err.splitlines()) == 1


def test_sync_reports_missing_credential_variable_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["init"]) == 0
    for var in ("AMAZON_NA_REFRESH_TOKEN", "AMAZON_EU_REFRESH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    assert main(["sync", "--account", "amazon-na"]) == 1
    out = capsys.readouterr().out
    assert "amazon-na orders" in out
    assert "AMAZON_NA_REFRESH_TOKEN" in out
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert "last success never" in status
    assert "last error: account amazon-na: environment variable AMAZON_NA_REFRESH_TOKEN" in status


def test_unknown_account_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    main(["init"])
    assert main(["sync", "--account", "nope"]) == 1
    assert "known: amazon-na, amazon-eu" in capsys.readouterr().err


def test_report_on_empty_store_writes_headers_only(tmp_path: Path) -> None:
    assert main(["report", "--out", "out"]) == 0
    lines = (tmp_path / "out" / "all.csv").read_text().splitlines()
    assert lines[0].startswith("customer_id,name,email,phone,address,zip,city,state,country,")
    assert len(lines) == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "all.csv",
        "buyers.csv",
        "highest-value.csv",
        "index.html",
        "most-orders.csv",
        "most-returns.csv",
        "orders.csv",
        "promo-codes.csv",
        "watchlist.csv",
    ]


def test_bad_format_and_bad_setting_exit_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--format", "pdf"]) == 1
    assert "--format: unknown format(s) pdf" in capsys.readouterr().err
    monkeypatch.setenv("CUSTSYNC_BASE_CURRENCY", "euros")
    assert main(["status"]) == 1
    assert "CUSTSYNC_BASE_CURRENCY" in capsys.readouterr().err


def test_help_explains_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("init", "demo", "sync", "report", "status", "db", "sandbox"):
        assert command in out
