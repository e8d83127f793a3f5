"""SP-API endpoints per region and what each marketplace id means (country, currency)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


# The ``sales-channel`` of flat-file order reports names the marketplace by its domain.
SALES_CHANNELS: Mapping[str, str] = MappingProxyType(
    {
        "amazon.com": "ATVPDKIKX0DER",
        "amazon.ca": "A2EUQ1WTGCTBG2",
        "amazon.com.mx": "A1AM78C64UM0Y8",
        "amazon.com.br": "A2Q3Y263D00KWC",
        "amazon.co.uk": "A1F83G8C2ARO7P",
        "amazon.de": "A1PA6795UKMFR9",
        "amazon.fr": "A13V1IB3VIYZZH",
        "amazon.it": "APJ6JRA9NG5V4",
        "amazon.es": "A1RKKUPIHCS9HS",
        "amazon.nl": "A1805IZSGTT6HS",
        "amazon.se": "A2NODRKZP88ZB9",
        "amazon.pl": "A1C3SOZRARQ6R3",
        "amazon.com.be": "AMEN7PMS3EDWL",
        "amazon.ie": "A28R8C7NBKEWEA",
        "amazon.com.tr": "A33AVAJ2PDY3EV",
        "amazon.ae": "A2VIGQ35RCS4UG",
        "amazon.sa": "A17E79C6D8DWNP",
        "amazon.eg": "ARBP9OOSHTCHU",
        "amazon.co.za": "AE08WJ6YKNBMC",
        "amazon.in": "A21TJRUUN4KGV",
        "amazon.co.jp": "A1VC38T7YXB528",
        "amazon.com.au": "A39IBJ37TRP1C6",
        "amazon.sg": "A19VAU5U5O7RUS",
    }
)


def marketplace_of_channel(
    sales_channel: str, currency: str | None, marketplace_ids: Sequence[str]
) -> str:
    """The marketplace of a report row: by sales channel, else the account's one with the
    row's currency (if only one has it), else the account's first marketplace."""
    found = SALES_CHANNELS.get(sales_channel.strip().casefold())
    if found:
        return found
    same_currency = [m for m in marketplace_ids if marketplace_currency(m) == currency]
    return same_currency[0] if len(same_currency) == 1 else marketplace_ids[0]


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
