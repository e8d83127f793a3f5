from __future__ import annotations

from pathlib import Path

import pytest

from custsync.errors import ConfigError
from custsync.settings import AmazonAccount, load_accounts, load_settings

EXAMPLE = Path(__file__).parents[2] / "config" / "accounts.example.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("DATABASE_URL", "ACCOUNTS_FILE", "BASE_CURRENCY", "LOG_FORMAT", "REPORT_DIR"):
        monkeypatch.delenv(f"CUSTSYNC_{key}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_option_beats_environment_beats_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "custsync.toml").write_text('base_currency = "GBP"\nreport_dir = "out"\n')
    assert load_settings().base_currency == "GBP"
    monkeypatch.setenv("CUSTSYNC_BASE_CURRENCY", "eur")
    assert load_settings().base_currency == "EUR"
    assert load_settings(base_currency="CAD").base_currency == "CAD"
    assert load_settings().report_dir == Path("out")


def test_defaults_are_an_embedded_sqlite_file() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///custsync.db"
    assert settings.base_currency == "USD"


def test_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTSYNC_BASE_CURRENCY", "dollars")
    with pytest.raises(ConfigError, match="CUSTSYNC_BASE_CURRENCY"):
        load_settings()
    monkeypatch.setenv("CUSTSYNC_BASE_CURRENCY", "USD")
    monkeypatch.setenv("CUSTSYNC_DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigError, match="CUSTSYNC_DATABASE_URL"):
        load_settings()


def test_plain_postgresql_urls_use_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTSYNC_DATABASE_URL", "postgresql://u:p@h/db")
    assert load_settings().database_url == "postgresql+psycopg://u:p@h/db"


def test_example_accounts_file_is_valid_and_secrets_come_from_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts = load_accounts(EXAMPLE)
    assert [a.id for a in accounts] == ["amazon-na", "amazon-eu"]
    first = accounts[0]
    assert isinstance(first, AmazonAccount)
    with pytest.raises(ConfigError, match="AMAZON_NA_REFRESH_TOKEN"):
        first.refresh_token.resolve(first.id, "refresh_token")
    monkeypatch.setenv("AMAZON_NA_REFRESH_TOKEN", "Atzr|secret")
    assert first.refresh_token.resolve(first.id, "refresh_token") == "Atzr|secret"


def test_inline_secret_in_a_real_account_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(
        '[[accounts]]\nid = "a"\nkind = "amazon"\nregion = "na"\n'
        'marketplace_ids = ["ATVPDKIKX0DER"]\nclient_id = "x"\n'
        'client_secret_env = "S"\nrefresh_token_env = "R"\n'
    )
    with pytest.raises(ConfigError, match="client_id must not be written"):
        load_accounts(path)


def test_accounts_file_errors_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text('[[accounts]]\nid = "a"\nkind = "amazon"\nregion = "mars"\n')
    with pytest.raises(ConfigError, match=r"accounts\.0\.amazon\.region"):
        load_accounts(path)
    with pytest.raises(ConfigError, match="not found"):
        load_accounts(tmp_path / "missing.toml")
