"""Amazon Selling Partner API connector (Orders API v2026-01-01, LWA auth)."""

from custsync.connectors.amazon.connector import AmazonConnector, build_amazon_connector
from custsync.connectors.amazon.orders import AmazonOrdersStream

__all__ = ["AmazonConnector", "AmazonOrdersStream", "build_amazon_connector"]
