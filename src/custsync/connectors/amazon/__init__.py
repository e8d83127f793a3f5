"""Amazon Selling Partner API connector (Orders API v2026-01-01, Reports API, LWA auth)."""

from custsync.connectors.amazon.connector import AmazonConnector, build_amazon_connector
from custsync.connectors.amazon.feedback import AmazonFeedbackStream
from custsync.connectors.amazon.orders import AmazonOrdersStream
from custsync.connectors.amazon.returns import AmazonReturnsStream

__all__ = [
    "AmazonConnector",
    "AmazonFeedbackStream",
    "AmazonOrdersStream",
    "AmazonReturnsStream",
    "build_amazon_connector",
]
