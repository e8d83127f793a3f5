"""Settings and the accounts file.

Precedence: command-line option > environment (``CUSTSYNC_*``) > settings file
(``custsync.toml`` in the working folder, or the file named by ``CUSTSYNC_SETTINGS_FILE``).
The accounts file (TOML) names credentials by environment variable; only sandbox accounts may
hold them inline.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from custsync.errors import ConfigError
from custsync.records import AccountId, MarketplaceKind, StreamName

DEFAULT_DATABASE_URL = "sqlite:///custsync.db"
SETTINGS_FILE_ENV = "CUSTSYNC_SETTINGS_FILE"

# ``every <n><s|m|h|d>``, ``cron <minute> <hour> <day> <month> <day_of_week>`` (UTC) or ``off``.
SCHEDULE_PATTERN = r"^(every \d+(\.\d+)?[smhd]|cron \S+ \S+ \S+ \S+ \S+|off)$"
ScheduleSpec = Annotated[str, Field(pattern=SCHEDULE_PATTERN)]
DEFAULT_SCHEDULES: dict[StreamName, str] = {
    StreamName.ORDERS: "every 15m",
    StreamName.RETURNS: "every 1d",
    StreamName.FEEDBACK: "every 1d",
    StreamName.PROMOTIONS: "every 1d",
}


class Settings(BaseSettings):
    """Process-wide settings (see the "Settings contract")."""

    model_config = SettingsConfigDict(env_prefix="CUSTSYNC_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    accounts_file: Path = Path("config/accounts.toml")
    report_dir: Path = Path("reports")
    base_currency: str = "USD"
    log_format: Literal["console", "json"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # The worker (``custsync worker``) and leases; see README "Operating custsync".
    schedule: dict[StreamName, ScheduleSpec] = Field(default_factory=dict)  # stream → spec
    schedule_jitter_s: float = Field(default=30.0, ge=0)
    worker_max_syncs: int = Field(default=4, ge=1, le=64)
    lease_ttl_s: float = Field(default=120.0, gt=0)
    shutdown_timeout_s: float = Field(default=30.0, gt=0)
    reports_after_sync: bool = False

    @field_validator("base_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError("must be a 3-letter ISO 4217 code such as USD")
        return code

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if sys.stderr.isatty() else "json"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get(SETTINGS_FILE_ENV, "custsync.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))


def load_settings(**overrides: object) -> Settings:
    """Settings from options (``overrides``, ``None`` meaning "not given"), env and file."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc, "setting CUSTSYNC_", upper=True)) from None


class Credential(BaseModel):
    """A secret given inline (sandbox only) or, for real accounts, by environment variable."""

    model_config = ConfigDict(frozen=True)

    env: str | None = None
    value: SecretStr | None = None

    def resolve(self, account_id: str, name: str) -> str:
        if self.value is not None:
            return self.value.get_secret_value()
        if self.env is None:
            raise ConfigError(f"account {account_id}: {name} is not set (give {name}_env)")
        found = os.environ.get(self.env)
        if not found:
            raise ConfigError(
                f"account {account_id}: environment variable {self.env} ({name}) is not set"
            )
        return found


class AccountBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str | None = None
    enabled: bool = True
    schedule: dict[StreamName, ScheduleSpec] = Field(default_factory=dict)  # stream → spec

    @property
    def account_id(self) -> AccountId:
        return AccountId(self.id)


class AmazonAccount(AccountBase):
    kind: Literal[MarketplaceKind.AMAZON] = MarketplaceKind.AMAZON
    region: Literal["na", "eu", "fe"]
    marketplace_ids: list[str] = Field(min_length=1, max_length=50)
    client_id: Credential
    client_secret: Credential
    refresh_token: Credential
    endpoint: str | None = None
    token_endpoint: str | None = None
    is_sandbox: bool = False
    quota_scale: float = Field(default=1.0, gt=0)
    backfill_days: int = Field(default=730, ge=1, le=730)


class ShopifyAccount(AccountBase):
    kind: Literal[MarketplaceKind.SHOPIFY] = MarketplaceKind.SHOPIFY
    shop: str
    access_token: Credential
    endpoint: str | None = None
    is_sandbox: bool = False


class EbayAccount(AccountBase):
    kind: Literal[MarketplaceKind.EBAY] = MarketplaceKind.EBAY
    marketplace_id: str = "EBAY_US"
    client_id: Credential
    client_secret: Credential
    refresh_token: Credential
    endpoint: str | None = None
    token_endpoint: str | None = None
    is_sandbox: bool = False


class FileAccount(AccountBase):
    kind: Literal[MarketplaceKind.FILE] = MarketplaceKind.FILE


AccountConfig = Annotated[
    AmazonAccount | ShopifyAccount | EbayAccount | FileAccount, Field(discriminator="kind")
]


class AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: list[AccountConfig] = Field(default_factory=list)

    @field_validator("accounts")
    @classmethod
    def _unique_ids(cls, accounts: list[AccountConfig]) -> list[AccountConfig]:
        seen: set[str] = set()
        for account in accounts:
            if account.id in seen:
                raise ValueError(f"account id {account.id!r} appears twice")
            seen.add(account.id)
        return accounts


_SECRET_KEYS = ("client_id", "client_secret", "refresh_token", "access_token")


def load_accounts(path: Path) -> list[AccountConfig]:
    """Read and validate the accounts file; every problem names the key and the account."""
    if not path.exists():
        raise ConfigError(
            f"accounts file {path} not found (set CUSTSYNC_ACCOUNTS_FILE; "
            "config/accounts.example.toml documents every key)"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"accounts file {path}: {exc}") from None
    for entry in raw.get("accounts", []):
        if isinstance(entry, dict):
            _fold_credentials(entry)
    try:
        return AccountsFile.model_validate(raw).accounts
    except ValidationError as exc:
        raise ConfigError(_describe(exc, f"accounts file {path}: ")) from None


def _fold_credentials(entry: dict[str, object]) -> None:
    """``client_id_env = "VAR"`` or (sandbox) ``client_id = "value"`` → one Credential."""
    is_sandbox = entry.get("is_sandbox") is True
    for key in _SECRET_KEYS:
        env_key = f"{key}_env"
        if env_key in entry:
            entry[key] = {"env": entry.pop(env_key)}
        elif isinstance(entry.get(key), str):
            if not is_sandbox:
                raise ConfigError(
                    f"account {entry.get('id')}: {key} must not be written in the accounts "
                    f"file; name an environment variable with {env_key} instead"
                )
            entry[key] = {"value": entry[key]}


def _describe(exc: ValidationError, prefix: str, *, upper: bool = False) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        where = where.upper() if upper else where
        problems.append(f"{prefix}{where}: {error['msg']}")
    return "; ".join(problems)
