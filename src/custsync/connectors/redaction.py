"""Keep secrets and buyer PII out of logs and error messages.

``scrub`` rewrites a string (message, URL, header dump); ``redact_event`` is a structlog
processor that drops keys named like secrets or PII and scrubs every remaining string value.
Put it last before the renderer in the logging configuration.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping

REDACTED = "[REDACTED]"

_SECRET_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "credential",
    "client_id",
)
_PII_KEY_PARTS = ("email", "phone", "address", "postal", "zip", "buyer", "recipient")
_PII_KEYS = frozenset({"name", "full_name", "first_name", "last_name", "ship_to"})

_SECRET_PARAMS = (
    r"access_token|refresh_token|id_token|client_secret|client_id|password|api_key|"  # noqa: S105
    r"x-amz-access-token|restricted_data_token|code"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # LWA access/refresh tokens and restricted data tokens: Atza|..., Atzr|..., Atz.sprdt|...
    (re.compile(r"(Atz[a-z.]*\|)[^\s\"'&,;]+"), r"\1" + REDACTED),
    (re.compile(r"(amzn1\.oa2-cs\.v1\.)[A-Za-z0-9]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1" + REDACTED),
    # query strings and form bodies: access_token=...&
    (re.compile(rf"(?i)\b({_SECRET_PARAMS})=[^&\s\"']+"), r"\1=" + REDACTED),
    # JSON and reprs: "refresh_token": "..."
    (
        re.compile(rf"(?i)([\"']({_SECRET_PARAMS})[\"']\s*:\s*)[\"'][^\"']*[\"']"),
        r"\1'" + REDACTED + "'",
    ),
    # header dumps: x-amz-access-token: ...
    (re.compile(r"(?i)(x-amz-access-token:\s*)\S+"), r"\1" + REDACTED),
    # a database's account of the row it refused: PostgreSQL's "DETAIL:  Key (key)=(...)",
    # "Failing row contains (...)" quote buyer data
    (re.compile(r"(?m)^(DETAIL:\s*).+$"), r"\1" + REDACTED),
    # e-mail addresses (buyer PII, marketplace aliases included)
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[email]"),
)


def scrub(text: str) -> str:
    """``text`` with tokens, secrets, secret query params and e-mail addresses replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in _PII_KEYS or (lowered.endswith("_name") and lowered != "event_name"):
        return True
    return any(part in lowered for part in _SECRET_KEY_PARTS + _PII_KEY_PARTS)


def redact_event(
    logger: object, method_name: str, event_dict: MutableMapping[str, object]
) -> MutableMapping[str, object]:
    """structlog processor: drop secret/PII keys, scrub string values (one level deep)."""
    for key in [k for k in event_dict if k != "event" and is_sensitive_key(k)]:
        del event_dict[key]
    for key, value in event_dict.items():
        event_dict[key] = _scrub_value(value)
    return event_dict


def _scrub_value(value: object) -> object:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return type(value)(scrub(v) if isinstance(v, str) else v for v in value)
    if isinstance(value, dict):
        return {
            k: _scrub_value(v)
            for k, v in value.items()
            if not (isinstance(k, str) and is_sensitive_key(k))
        }
    return value
