"""Errors raised by custsync.

    CustsyncError
     ├── ConfigError      bad settings or accounts file, HTTP 400, 401/403 after one token
     │                    refresh: not retried; recorded in sync_state; tells the operator
     │                    what to fix.
     ├── TransientError   429, 5xx, network trouble: retried with backoff; once retries are
     │                    exhausted the run fails and the cursor does not move.
     ├── PayloadError     one record that does not fit the API's shape: becomes a rejects row;
     │                    the run goes on.
     ├── StoreError       the database refused (missing schema, unknown customer id, ...).
     │    └── LeaseLost   another worker took over this run's (account, stream) lease: the
     │                    page is not written (custsync.store.leases).
     ├── Interrupted      the worker is stopping: the run ends after its last committed page.
     └── UsageError       a bad command-line value (unknown column or tab, bad number or
                          date): one line naming the option, exit code 2.

Messages name the account, stream and record id; never secrets, tokens or buyer PII.
"""

from __future__ import annotations


class CustsyncError(Exception):
    """Base of every error custsync raises on purpose."""


class ConfigError(CustsyncError):
    """Something the operator must fix: settings, credentials, a rejected request."""


class TransientError(CustsyncError):
    """Worth retrying later: rate limits, server errors, network trouble."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PayloadError(CustsyncError):
    """One record from the marketplace does not fit the expected shape."""


class StoreError(CustsyncError):
    """The store cannot do what was asked."""


class Interrupted(CustsyncError):
    """The worker was asked to stop; the run ends after its last committed page."""


class LeaseLost(StoreError):
    """Another worker took over this run's (account, stream) lease; the page is not written."""


class UsageError(CustsyncError):
    """A command-line value custsync cannot use; the message names the option (exit code 2)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An error in one line for a message: its type and the start of its message's first line
    (a long message, like a database error's statement, is cut)."""
    text = str(exc).strip()
    head = text.splitlines()[0][:limit] if text else ""
    return f"{type(exc).__name__}: {head}" if head else type(exc).__name__
