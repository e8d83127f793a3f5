"""What a sandbox API handler answers: status, JSON body, headers, and what to log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: Mapping[str, object]
    headers: Mapping[str, str] = field(default_factory=dict)
    operation: str = "unknown"
    account: str | None = None


def amazon_error(
    status: int, code: str, message: str, *, operation: str, account: str | None = None
) -> ApiResponse:
    """The SP-API error body: ``{"errors": [{"code", "message", "details"}]}``."""
    body = {"errors": [{"code": code, "message": message, "details": ""}]}
    return ApiResponse(status, body, operation=operation, account=account)
