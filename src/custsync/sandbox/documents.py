"""Report documents and their presigned URLs (what Amazon serves from S3).

``getReportDocument`` hands out ``{base}/sandbox-documents/{id}?X-Amz-Date=..&X-Amz-Expires=300
&X-Amz-Signature=..``: no access token, the signature is the credential, and the URL expires
five minutes (sandbox clock) after it was signed. Refusals are S3's XML errors (403
``AccessDenied`` "Request has expired", 403 ``SignatureDoesNotMatch``, 404 ``NoSuchKey``).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote

from custsync.sandbox.responses import ApiResponse

DOCUMENTS_PATH = "/sandbox-documents/"
URL_TTL_S = 300
OPERATION = "downloadReportDocument"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Document:
    content: bytes
    compression: str | None  # "GZIP" or None (plain)
    content_type: str
    account: str


class DocumentStore:
    def __init__(self, seed: int, clock: Clock) -> None:
        self._key = f"custsync-sandbox:{seed}:documents".encode()
        self._clock = clock
        self._documents: dict[str, Document] = {}
        self._lock = threading.Lock()
        self.base_url = ""  # set once the server has its port

    def put(self, document_id: str, document: Document) -> None:
        with self._lock:
            self._documents[document_id] = document

    def get(self, document_id: str) -> Document | None:
        with self._lock:
            return self._documents.get(document_id)

    def url(self, document_id: str, *, signed_at_s: int) -> str:
        stamp = datetime.fromtimestamp(signed_at_s, UTC).strftime(_DATE_FORMAT)
        signature = self._sign(document_id, stamp)
        return (
            f"{self.base_url}{DOCUMENTS_PATH}{quote(document_id, safe='')}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}"
            f"&X-Amz-Expires={URL_TTL_S}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )

    def download(self, path: str, query: str) -> ApiResponse:
        """``GET`` of a presigned URL."""
        document_id = path.removeprefix(DOCUMENTS_PATH)
        params: Mapping[str, Sequence[str]] = parse_qs(query)
        stamp = (params.get("X-Amz-Date") or [""])[0]
        signature = (params.get("X-Amz-Signature") or [""])[0]
        if not hmac.compare_digest(signature, self._sign(document_id, stamp)):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        signed = datetime.strptime(stamp, _DATE_FORMAT).replace(tzinfo=UTC)
        now = self._clock()
        if (now - signed).total_seconds() > URL_TTL_S:
            return _s3_error(403, "AccessDenied", "Request has expired", expired_at=signed, now=now)
        document = self.get(document_id)
        if document is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return ApiResponse(
            200,
            raw=document.content,
            content_type=document.content_type,
            operation=OPERATION,
            account=document.account,
        )

    def _sign(self, document_id: str, stamp: str) -> str:
        message = f"{document_id}|{stamp}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def _s3_error(
    status: int,
    code: str,
    message: str,
    *,
    expired_at: datetime | None = None,
    now: datetime | None = None,
) -> ApiResponse:
    extra = ""
    if expired_at is not None and now is not None:
        expires = expired_at.timestamp() + URL_TTL_S
        expires_text = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        extra = (
            f"<X-Amz-Expires>{URL_TTL_S}</X-Amz-Expires><Expires>{expires_text}</Expires>"
            f"<ServerTime>{now.strftime('%Y-%m-%dT%H:%M:%SZ')}</ServerTime>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
        "<RequestId>SANDBOX0000000000</RequestId><HostId>custsync-sandbox</HostId></Error>"
    )
    return ApiResponse(
        status, raw=xml.encode(), content_type="application/xml", operation=OPERATION
    )
