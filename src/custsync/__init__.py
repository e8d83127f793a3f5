"""custsync: one customer record per real person across marketplace seller accounts."""

__version__ = "0.1.0"
