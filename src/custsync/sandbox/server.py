"""The sandbox HTTP server: one loopback process serving every account of a world.

    with start_sandbox(World(seed=7, order_count=1000), time_scale=60) as sandbox:
        write_accounts_file(sandbox, Path("accounts.toml"))
        ...  # point custsync at sandbox.url

Standard library ``ThreadingHTTPServer`` on 127.0.0.1 (port 0: any free port). Amazon SP-API
(LWA, Orders v2026-01-01, Reports 2021-06-30 and the report documents), Shopify Admin (REST
and GraphQL) and eBay (OAuth, Fulfillment, Post-Order, Feedback) share the port; each request
is logged in ``request_log`` (account, operation, status, duration, injected fault).
``faults`` names a profile of ``custsync.sandbox.faults`` (or is a ``FaultProfile``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from custsync.collector import collector_paused
from custsync.records import MarketplaceKind
from custsync.sandbox import ebay_api, shopify_api
from custsync.sandbox.access import AccessTokens
from custsync.sandbox.amazon_api import AUTH_PATH, AmazonSandbox
from custsync.sandbox.amazon_index import OrderBook
from custsync.sandbox.amazon_reports import ReportsApi
from custsync.sandbox.catalog import AMAZON_ACCOUNTS, EBAY, SHOPIFY_STORE, Account
from custsync.sandbox.documents import DOCUMENTS_PATH, DocumentStore
from custsync.sandbox.ebay_api import EbaySandbox
from custsync.sandbox.faults import FaultPlan, FaultProfile
from custsync.sandbox.guard import Gate
from custsync.sandbox.lwa import ACCESS_TOKEN_TTL_S, TokenIssuer, credentials_for
from custsync.sandbox.market_index import AccountBook
from custsync.sandbox.orders import SimOrder
from custsync.sandbox.quota import Clock, RateLimiter
from custsync.sandbox.responses import ApiResponse, Transport
from custsync.sandbox.shopify_api import ShopifySandbox
from custsync.sandbox.world import World

MARKETPLACES = ("amazon", "shopify", "ebay")
MAX_BACKFILL_DAYS = 730  # what Amazon keeps, and the most an accounts file accepts


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    account: str | None
    operation: str
    status: int  # 0: the connection was dropped without an answer
    duration_ms: float
    fault: str | None = None


class Api(Protocol):
    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> ApiResponse: ...


class Router:
    """Which API answers a path (first match wins); documents are served without a token."""

    def __init__(
        self,
        amazon: AmazonSandbox,
        shopify: ShopifySandbox,
        ebay: EbaySandbox,
        documents: DocumentStore,
    ) -> None:
        self.amazon, self.shopify, self.ebay, self.documents = amazon, shopify, ebay, documents

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> ApiResponse:
        path, _, query = target.partition("?")
        if path.startswith(DOCUMENTS_PATH) and method == "GET":
            return self.documents.download(path, query)
        api: Api | None = None
        if self.amazon.handles(path):
            api = self.amazon
        elif self.shopify.handles(path):
            api = self.shopify
        elif self.ebay.handles(path):
            api = self.ebay
        if api is None:
            return ApiResponse(404, {"errors": [{"code": "NotFound", "message": "Not found."}]})
        return api.handle(method, target, headers, body)


class RunningSandbox:
    """A started sandbox; ``stop()`` (or leaving the ``with`` block) shuts it down."""

    def __init__(
        self,
        server: ThreadingHTTPServer,
        router: Router,
        time_scale: float,
        request_log: list[RequestLogEntry],
        faults: FaultPlan,
        *,
        backfill_days: int = MAX_BACKFILL_DAYS,
    ) -> None:
        self._server, self.router, self.time_scale = server, router, time_scale
        self.backfill_days = backfill_days  # reaches back to the world's first order
        self.api = router.amazon  # the Amazon API (kept for existing callers)
        self.faults = faults
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        for api in (router.shopify, router.ebay, router.documents):
            api.base_url = self.url
        self.request_log = request_log
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def requests_by_operation(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in list(self.request_log):
            counts[entry.operation] = counts.get(entry.operation, 0) + 1
        return counts

    def faults_seen(self) -> dict[str, int]:
        """How many times each injected fault was served (a request may carry several)."""
        counts: dict[str, int] = {}
        for entry in list(self.request_log):
            for fault in (entry.fault or "").split(","):
                if fault:
                    counts[fault] = counts.get(fault, 0) + 1
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
    world: World,
    *,
    port: int = 0,
    time_scale: float = 1.0,
    clock: Clock | None = None,
    faults: FaultProfile | str | None = None,
) -> RunningSandbox:
    """Index the world's orders and serve every account on ``127.0.0.1:port``."""
    clock = clock or system_clock
    plan = FaultPlan(faults, world.seed)
    router = build_router(world, time_scale=time_scale, clock=clock, faults=plan)
    log: list[RequestLogEntry] = []
    handler = partial(_Handler, router=router, log=log, slow_s=plan.profile.slow_s)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    days = (clock() - world.start).days + 1
    backfill_days = max(1, min(days, MAX_BACKFILL_DAYS))
    return RunningSandbox(server, router, time_scale, log, plan, backfill_days=backfill_days)


def build_router(world: World, *, time_scale: float, clock: Clock, faults: FaultPlan) -> Router:
    by_account: dict[str, list[SimOrder]] = {}
    with collector_paused():
        for order in world.iter_orders():
            by_account.setdefault(order.account.id, []).append(order)
    amazon_orders = [o for a in AMAZON_ACCOUNTS for o in by_account.get(a.id, [])]
    book = OrderBook(amazon_orders)
    gate = Gate(RateLimiter(clock, time_scale), faults)
    documents = DocumentStore(world.seed, clock)
    lwa_tokens = AccessTokens(
        seed=world.seed, prefix="Atza|", ttl_s=ACCESS_TOKEN_TTL_S, clock=clock, faults=faults
    )
    reports = ReportsApi(book, documents, seed=world.seed, clock=clock, faults=faults)
    amazon = AmazonSandbox(
        book, reports, TokenIssuer(AMAZON_ACCOUNTS, lwa_tokens), gate, seed=world.seed, clock=clock
    )
    shopify = ShopifySandbox(
        AccountBook(by_account.get(SHOPIFY_STORE.id, [])), gate, seed=world.seed, clock=clock
    )
    ebay_tokens = AccessTokens(
        seed=world.seed, prefix="v^1.1#i^1#p^3#", ttl_s=ebay_api.TOKEN_TTL_S, clock=clock,
        faults=faults,
    )  # fmt: skip
    ebay = EbaySandbox(
        AccountBook(by_account.get(EBAY.id, [])), ebay_tokens, gate, seed=world.seed, clock=clock
    )
    return Router(amazon, shopify, ebay, documents)


def write_accounts_file(
    running: RunningSandbox,
    path: Path,
    *,
    quota_scale: float | None = None,
    include: Sequence[str] = ("amazon",),
) -> Path:
    """A TOML accounts file (``custsync.settings.load_accounts``) pointing at ``running``.

    ``include`` picks the marketplaces: Amazon only by default (custsync has no Shopify or eBay
    connector yet, and ``connectors.factory`` refuses those kinds); ``("amazon", "shopify",
    "ebay")`` writes every account of the world. ``quota_scale`` (default: the sandbox's
    ``time_scale``) is written for Amazon, the only kind whose settings carry it.
    """
    unknown = sorted(set(include) - set(MARKETPLACES))
    if unknown:
        raise ValueError(f"unknown marketplace {unknown[0]!r} (known: {', '.join(MARKETPLACES)})")
    scale = running.time_scale if quota_scale is None else quota_scale
    blocks: list[dict[str, object]] = []
    if "amazon" in include:
        blocks.extend(
            _amazon_account(account, running.url, scale, running.backfill_days)
            for account in AMAZON_ACCOUNTS
        )
    if "shopify" in include:
        blocks.append(
            {
                "id": SHOPIFY_STORE.id,
                "kind": MarketplaceKind.SHOPIFY.value,
                "name": f"{SHOPIFY_STORE.name} (sandbox)",
                "shop": shopify_api.SHOP,
                "is_sandbox": True,
                "access_token": shopify_api.ACCESS_TOKEN,
                "endpoint": running.url,
            }
        )
    if "ebay" in include:
        blocks.append(
            {
                "id": EBAY.id,
                "kind": MarketplaceKind.EBAY.value,
                "name": f"{EBAY.name} (sandbox)",
                "marketplace_id": "EBAY_US",
                "is_sandbox": True,
                "client_id": ebay_api.CLIENT_ID,
                "client_secret": ebay_api.CLIENT_SECRET,
                "refresh_token": ebay_api.REFRESH_TOKEN,
                "endpoint": running.url,
                "token_endpoint": running.url + ebay_api.TOKEN_PATH,
            }
        )
    tables = [
        "[[accounts]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in block.items()) + "\n"
        for block in blocks
    ]
    header = "# Written by the custsync sandbox: sandbox credentials are not secrets.\n\n"
    path.write_text(header + "\n".join(tables), encoding="utf-8")
    return path


def _amazon_account(
    account: Account, url: str, scale: float, backfill_days: int
) -> dict[str, object]:
    credentials = credentials_for(account)
    return {
        "id": account.id,
        "kind": account.kind.value,
        "name": f"{account.name} (sandbox)",
        "region": account.region,
        "marketplace_ids": list(account.marketplace_ids),
        "is_sandbox": True,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        "endpoint": url,
        "token_endpoint": url + AUTH_PATH,
        "quota_scale": scale,
        "backfill_days": backfill_days,
    }


_REQUEST_ID_HEADERS = {"/admin/": "X-Request-Id", "/sell/": "X-EBAY-C-REQUEST-ID"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def __init__(
        self,
        *args: Any,
        router: Router,
        log: list[RequestLogEntry],
        slow_s: float,
        **kwargs: Any,
    ) -> None:
        self._router, self._log, self._slow_s = router, log, slow_s
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is ``RunningSandbox.request_log``."""

    def _answer(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        response = self._router.handle(self.command, self.path, headers, body)
        if response.transport is Transport.SLOW:
            time.sleep(self._slow_s)
        dropped = response.transport is Transport.DROP
        # Logged before the answer leaves: a client that has its answer finds it in the log.
        self._log.append(
            RequestLogEntry(
                response.account,
                response.operation,
                0 if dropped else response.status,
                (time.perf_counter() - started) * 1000,
                response.fault,
            )
        )
        if dropped:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(response)

    def _send(self, response: ApiResponse) -> None:
        payload = response.payload()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self._send_request_id()
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if response.transport is Transport.TRUNCATE:
                self.wfile.write(payload[: len(payload) // 2])
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (slow answers)
            self.close_connection = True

    def _send_request_id(self) -> None:
        name = next(
            (
                header
                for prefix, header in _REQUEST_ID_HEADERS.items()
                if self.path.startswith(prefix)
            ),
            "x-amzn-RequestId",
        )
        self.send_header(name, str(uuid.uuid4()))
