"""Choosing the connector for an account, by its declared kind (no auto-detection)."""

from __future__ import annotations

from custsync.connectors.amazon.connector import build_amazon_connector
from custsync.connectors.base import Connector
from custsync.connectors.http import Clock
from custsync.errors import ConfigError
from custsync.settings import AccountConfig, AmazonAccount


def build_connector(account: AccountConfig, clock: Clock) -> Connector:
    if isinstance(account, AmazonAccount):
        return build_amazon_connector(account, clock=clock)
    raise ConfigError(
        f"account {account.id}: custsync cannot sync {account.kind.value} accounts yet "
        "(Amazon only); set enabled = false for it in the accounts file"
    )
