"""Test doubles and data for connector tests (imported by conftest and the tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from custsync.settings import AmazonAccount, Credential

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared/fixtures/amazon-sp-api"
ORDERS_FIXTURES = FIXTURES / "orders-2026-01-01"
SP_API = "https://sellingpartnerapi-na.amazon.com"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"
REFRESH_TOKEN = "Atzr|IwEBIRefreshTokenSecretValue123"
CLIENT_SECRET = "amzn1.oa2-cs.v1.clientsecretvalue987"
CLIENT_ID = "amzn1.application-oa2-client.clientid42"
NOW = datetime(2026, 2, 1, 12, 0, 30, 500000, tzinfo=UTC)


class FakeClock:
    """Never sleeps: ``sleep`` records the request and advances monotonic time."""

    def __init__(self, now: datetime = NOW) -> None:
        self.start = now
        self.elapsed_s = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed_s)

    def monotonic(self) -> float:
        return self.elapsed_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed_s += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.elapsed_s += seconds


def make_account(**overrides: object) -> AmazonAccount:
    values: dict[str, object] = {
        "id": "amazon-na",
        "region": "na",
        "marketplace_ids": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        "client_id": Credential(value=SecretStr(CLIENT_ID)),
        "client_secret": Credential(value=SecretStr(CLIENT_SECRET)),
        "refresh_token": Credential(value=SecretStr(REFRESH_TOKEN)),
        "backfill_days": 30,
    }
    values.update(overrides)
    return AmazonAccount.model_validate(values)


def load_fixture(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((ORDERS_FIXTURES / name).read_text(encoding="utf-8"))
    return data


def token_response(token: str = "Atza|AccessTokenOne", expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": token, "expires_in": expires_in, "token_type": "bearer"}
    )


def load_api_fixture(name: str) -> dict[str, object]:
    """An official fixture of the top folder (Orders v0, Reports, Tokens)."""
    data: dict[str, object] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def tsv(header: list[str], *rows: list[str]) -> str:
    """A flat-file report: tab-separated, header first."""
    return "\n".join("\t".join(line) for line in [header, *rows]) + "\n"
