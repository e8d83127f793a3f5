"""What a sandbox API handler answers: status, body, headers, and what to log.

A body is JSON (``body``) or raw bytes (``raw``: report documents, S3-style XML errors).
``transport`` asks the HTTP layer to misbehave (fault injection): drop the connection, answer
late, or cut the body short; ``fault`` names the injected fault for the request log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

JSON_TYPE = "application/json; charset=utf-8"


class Transport(StrEnum):
    """How the HTTP layer delivers a response (anything but ``None`` is a fault)."""

    DROP = "drop"  # close the connection without answering
    SLOW = "slow"  # answer after the fault profile's ``slow_s``
    TRUNCATE = "truncate"  # announce the full length, send half, close


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: Mapping[str, object] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    operation: str = "unknown"
    account: str | None = None
    raw: bytes | None = None
    content_type: str = JSON_TYPE
    fault: str | None = None
    transport: Transport | None = None

    def payload(self) -> bytes:
        """The bytes to send (JSON bodies are encoded compactly, UTF-8, non-ASCII kept)."""
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


def amazon_error(
    status: int,
    code: str,
    message: str,
    *,
    operation: str,
    account: str | None = None,
    details: str = "",
) -> ApiResponse:
    """The SP-API error body: ``{"errors": [{"code", "message", "details"}]}``."""
    body = {"errors": [{"code": code, "message": message, "details": details}]}
    return ApiResponse(status, body, operation=operation, account=account)
