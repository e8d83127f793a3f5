"""Redaction: no token, secret or buyer e-mail reaches a log line or a message."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
import structlog
from structlog.testing import capture_logs

from custsync.connectors.http import HttpClient, Quota, redact_event, scrub
from custsync.connectors.redaction import REDACTED, is_sensitive_key
from tests.unit.connectors.connector_fakes import FakeClock


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("token Atza|IwEBIAbc-123_xyz expired", "IwEBIAbc-123_xyz"),
        ("refresh Atzr|IwEBIRefresh+/= rejected", "IwEBIRefresh"),
        ("rdt Atz.sprdt|AbCdEf used", "AbCdEf"),
        ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi"),
        ("https://x.test/cb?access_token=s3cr3t&page=2", "s3cr3t"),
        ("grant_type=refresh_token&refresh_token=rt-value&client_secret=cs-value", "rt-value"),
        ("grant_type=refresh_token&refresh_token=rt-value&client_secret=cs-value", "cs-value"),
        ('{"access_token": "tok-json", "expires_in": 3600}', "tok-json"),
        ("x-amz-access-token: hdr-token-value", "hdr-token-value"),
        ("secret amzn1.oa2-cs.v1.abcdef0123456789 leaked", "abcdef0123456789"),
        ("buyer jane.doe+1@example.co.uk complained", "jane.doe"),
        (
            'violates unique constraint "pk_identity_keys"\n'
            "DETAIL:  Key (key, account_id)=(n:aiden|brown, acct) already exists.\n[SQL: INSERT",
            "aiden",
        ),
        ("violates check constraint\nDETAIL: Failing row contains (B1, Aiden Brown).", "Aiden"),
    ],
)
def test_scrub_removes_secrets(text: str, secret: str) -> None:
    scrubbed = scrub(text)
    assert secret not in scrubbed
    assert scrubbed != text


def test_scrub_keeps_ordinary_text() -> None:
    text = "searchOrders rejected: HTTP 400 (InvalidInput) page=2"
    assert scrub(text) == text


def test_scrub_keeps_what_a_database_refused_and_why() -> None:
    text = 'duplicate key value violates unique constraint "pk_identity_keys"\nDETAIL:  Key (k)=(v)'
    assert scrub(text).splitlines() == [text.splitlines()[0], "DETAIL:  [REDACTED]"]


def test_scrubbed_url_keeps_harmless_params() -> None:
    url = "https://api.test/orders?marketplaceIds=ATVPDKIKX0DER&access_token=abc"
    assert (
        scrub(url)
        == f"https://api.test/orders?marketplaceIds=ATVPDKIKX0DER&access_token={REDACTED}"
    )


@pytest.mark.parametrize(
    "key",
    [
        "access_token",
        "refresh_token",
        "client_secret",
        "Authorization",
        "buyer_email",
        "email",
        "phone",
        "name",
        "buyer_name",
        "postal_code",
        "shipping_address",
        "password",
    ],
)
def test_secret_and_pii_keys_are_sensitive(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["event", "operation", "status", "code", "wait_s", "account"])
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not is_sensitive_key(key)


def test_processor_drops_sensitive_keys_and_scrubs_values() -> None:
    log = structlog.get_logger()
    with capture_logs(processors=[redact_event]) as logs:
        log.info(
            "token_failed",
            refresh_token="Atzr|abc",
            buyer_email="a@b.test",
            name="Jane Doe",
            operation="lwaToken",
            detail="sent Bearer xyz.123 and Atza|qqq to https://t.test/?access_token=zz",
            nested={"client_secret": "cs", "status": 400},
            items=["Atza|list-token", 3],
        )
    (entry,) = logs
    assert entry["event"] == "token_failed"
    for key in ("refresh_token", "buyer_email", "name"):
        assert key not in entry
    assert entry["operation"] == "lwaToken"
    rendered = repr(entry)
    for secret in ("abc", "xyz.123", "qqq", "zz", "list-token", "a@b.test", "Jane"):
        assert secret not in rendered
    assert entry["nested"] == {"status": 400}


@pytest.fixture
def http(router: respx.MockRouter, clock: FakeClock) -> Iterator[HttpClient]:
    with HttpClient(clock=clock, transport=httpx.MockTransport(router.handler)) as client:
        yield client


def test_retry_log_lines_carry_no_tokens(http: HttpClient, router: respx.MockRouter) -> None:
    url = "https://api.test/things?access_token=Atza|leaky"
    router.get(url__startswith="https://api.test/things").mock(
        side_effect=[httpx.Response(500), httpx.Response(200)]
    )
    with capture_logs(processors=[redact_event]) as logs:
        http.request(
            "GET",
            url,
            operation="getThings",
            quota=Quota("getThings", 1, 1),
            headers={"Authorization": "Bearer leaky-bearer"},
        )
    retried = [entry for entry in logs if entry["event"] == "request_retried"]
    assert len(retried) == 1
    assert retried[0]["operation"] == "getThings"
    assert "leaky" not in repr(logs)
