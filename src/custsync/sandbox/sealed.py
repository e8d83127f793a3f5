"""Opaque, tamper-evident continuation tokens (Shopify ``page_info``, Reports ``nextToken``).

A token carries the query it continues (the follow-up request repeats nothing), signed with a
key derived from the seed: the same seed issues the same tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping


class BadToken(ValueError):
    """A token this sandbox did not issue (or one that was altered)."""


class Sealer:
    def __init__(self, seed: int, purpose: str) -> None:
        self._key = f"custsync-sandbox:{seed}:{purpose}".encode()

    def seal(self, payload: Mapping[str, object]) -> str:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        mac = hmac.new(self._key, text, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + text).decode().rstrip("=")

    def open(self, token: str) -> dict[str, object]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise BadToken("not a token") from None
        mac, text = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(self._key, text, hashlib.sha256).digest()[:12]):
            raise BadToken("not a token of this sandbox")
        try:
            payload = json.loads(text)
        except ValueError:
            raise BadToken("not a token") from None
        if not isinstance(payload, dict):
            raise BadToken("not a token")
        return payload
