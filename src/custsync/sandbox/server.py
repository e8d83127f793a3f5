"""The sandbox HTTP server: one loopback process serving every Amazon account of a world.

    with start_sandbox(World(seed=7, order_count=1000), time_scale=60) as sandbox:
        write_accounts_file(sandbox, Path("accounts.toml"))
        ...  # point custsync at sandbox.url

Standard library ``ThreadingHTTPServer`` on 127.0.0.1 (port 0: any free port). Every request
is logged in ``request_log`` (account, operation, status, duration).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from custsync.sandbox.amazon_api import AUTH_PATH, AmazonSandbox
from custsync.sandbox.catalog import AMAZON_ACCOUNTS
from custsync.sandbox.lwa import Clock, credentials_for
from custsync.sandbox.responses import ApiResponse
from custsync.sandbox.world import World


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    account: str | None
    operation: str
    status: int
    duration_ms: float


class RunningSandbox:
    """A started sandbox; ``stop()`` (or leaving the ``with`` block) shuts it down."""

    def __init__(
        self,
        server: ThreadingHTTPServer,
        api: AmazonSandbox,
        time_scale: float,
        request_log: list[RequestLogEntry],
    ) -> None:
        self._server, self.api, self.time_scale = server, api, time_scale
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.request_log = request_log
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def requests_by_operation(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in list(self.request_log):
            counts[entry.operation] = counts.get(entry.operation, 0) + 1
        return counts

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_sandbox(
    world: World, *, port: int = 0, time_scale: float = 1.0, clock: Clock | None = None
) -> RunningSandbox:
    """Index the world's Amazon orders and serve them on ``127.0.0.1:port``."""
    api = AmazonSandbox(world, time_scale=time_scale, clock=clock)
    log: list[RequestLogEntry] = []
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, api=api, log=log))
    server.daemon_threads = True
    return RunningSandbox(server, api, time_scale, log)


def write_accounts_file(
    running: RunningSandbox, path: Path, *, quota_scale: float | None = None
) -> Path:
    """A TOML accounts file (``custsync.settings.load_accounts``) for the Amazon accounts."""
    scale = running.time_scale if quota_scale is None else quota_scale
    blocks = []
    for account in AMAZON_ACCOUNTS:
        credentials = credentials_for(account)
        values: dict[str, object] = {
            "id": account.id,
            "kind": account.kind.value,
            "name": f"{account.name} (sandbox)",
            "region": account.region,
            "marketplace_ids": list(account.marketplace_ids),
            "is_sandbox": True,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
            "endpoint": running.url,
            "token_endpoint": running.url + AUTH_PATH,
            "quota_scale": scale,
        }
        lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        blocks.append("[[accounts]]\n" + "\n".join(lines) + "\n")
    header = "# Written by the custsync sandbox: sandbox credentials are not secrets.\n\n"
    path.write_text(header + "\n".join(blocks), encoding="utf-8")
    return path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(
        self, *args: Any, api: AmazonSandbox, log: list[RequestLogEntry], **kwargs: Any
    ) -> None:
        self._api, self._log = api, log
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is ``RunningSandbox.request_log``."""

    def _answer(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        response = self._api.handle(self.command, self.path, headers, body)
        self._send(response)
        duration_ms = (time.perf_counter() - started) * 1000
        self._log.append(
            RequestLogEntry(response.account, response.operation, response.status, duration_ms)
        )

    def _send(self, response: ApiResponse) -> None:
        payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
