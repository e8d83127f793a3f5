"""SP-API endpoints per region and what each marketplace id means (country, currency)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from custsync.settings import AmazonAccount

Region = Literal["na", "eu", "fe"]

ENDPOINTS: Mapping[Region, str] = MappingProxyType(
    {
        "na": "https://sellingpartnerapi-na.amazon.com",
        "eu": "https://sellingpartnerapi-eu.amazon.com",
        "fe": "https://sellingpartnerapi-fe.amazon.com",
    }
)
SANDBOX_ENDPOINTS: Mapping[Region, str] = MappingProxyType(
    {
        "na": "https://sandbox.sellingpartnerapi-na.amazon.com",
        "eu": "https://sandbox.sellingpartnerapi-eu.amazon.com",
        "fe": "https://sandbox.sellingpartnerapi-fe.amazon.com",
    }
)
LWA_TOKEN_ENDPOINT = "https://api.amazon.com/auth/o2/token"  # noqa: S105 (a URL)


@dataclass(frozen=True, slots=True)
class Marketplace:
    marketplace_id: str
    country_code: str
    currency: str
    region: Region


_TABLE: tuple[tuple[str, str, str, Region], ...] = (
    ("ATVPDKIKX0DER", "US", "USD", "na"),
    ("A2EUQ1WTGCTBG2", "CA", "CAD", "na"),
    ("A1AM78C64UM0Y8", "MX", "MXN", "na"),
    ("A2Q3Y263D00KWC", "BR", "BRL", "na"),
    ("A1F83G8C2ARO7P", "GB", "GBP", "eu"),
    ("A1PA6795UKMFR9", "DE", "EUR", "eu"),
    ("A13V1IB3VIYZZH", "FR", "EUR", "eu"),
    ("APJ6JRA9NG5V4", "IT", "EUR", "eu"),
    ("A1RKKUPIHCS9HS", "ES", "EUR", "eu"),
    ("A1805IZSGTT6HS", "NL", "EUR", "eu"),
    ("A2NODRKZP88ZB9", "SE", "SEK", "eu"),
    ("A1C3SOZRARQ6R3", "PL", "PLN", "eu"),
    ("AMEN7PMS3EDWL", "BE", "EUR", "eu"),
    ("A28R8C7NBKEWEA", "IE", "EUR", "eu"),
    ("A33AVAJ2PDY3EV", "TR", "TRY", "eu"),
    ("A2VIGQ35RCS4UG", "AE", "AED", "eu"),
    ("A17E79C6D8DWNP", "SA", "SAR", "eu"),
    ("ARBP9OOSHTCHU", "EG", "EGP", "eu"),
    ("AE08WJ6YKNBMC", "ZA", "ZAR", "eu"),
    ("A21TJRUUN4KGV", "IN", "INR", "eu"),
    ("A1VC38T7YXB528", "JP", "JPY", "fe"),
    ("A39IBJ37TRP1C6", "AU", "AUD", "fe"),
    ("A19VAU5U5O7RUS", "SG", "SGD", "fe"),
)

MARKETPLACES: Mapping[str, Marketplace] = MappingProxyType(
    {mid: Marketplace(mid, country, currency, region) for mid, country, currency, region in _TABLE}
)


def marketplace_currency(marketplace_id: str) -> str | None:
    found = MARKETPLACES.get(marketplace_id)
    return found.currency if found else None


def base_url(account: AmazonAccount) -> str:
    """The account's SP-API base URL: the ``endpoint`` override, else its region's host."""
    if account.endpoint:
        return account.endpoint.rstrip("/")
    return (SANDBOX_ENDPOINTS if account.is_sandbox else ENDPOINTS)[account.region]


def token_url(account: AmazonAccount) -> str:
    return account.token_endpoint or LWA_TOKEN_ENDPOINT
