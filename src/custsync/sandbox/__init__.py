"""The sandbox: a deterministic synthetic seller world, its ground truth, and marketplace-
compatible HTTP APIs serving it on loopback.

Public API::

    World(seed, order_count, start=..., end=...)          the world (streams its orders)
    write_truth(world, out_dir)                           people.csv, orders.csv, metrics.csv
    start_sandbox(world, *, port=0, time_scale=1.0, clock=None, faults=None) -> RunningSandbox
    write_accounts_file(running, path, *, quota_scale=None, include=("amazon",))
    PROFILES, FaultProfile, FaultKind                     fault injection (``faults`` module)

Served: Amazon SP-API (LWA, Orders v2026-01-01 searchOrders/getOrder, Reports 2021-06-30 with
four report types), Shopify Admin 2026-07 (REST orders.json, GraphQL orders) and eBay (OAuth,
Fulfillment getOrders, Post-Order return search, Commerce Feedback). The sandbox imports
``custsync.records`` and ``custsync.settings`` only (import-linter).
"""

from custsync.sandbox.faults import PROFILES, FaultKind, FaultProfile
from custsync.sandbox.server import (
    RequestLogEntry,
    RunningSandbox,
    start_sandbox,
    write_accounts_file,
)
from custsync.sandbox.truth import write_truth
from custsync.sandbox.world import DEFAULT_END, DEFAULT_START, World

__all__ = [
    "DEFAULT_END",
    "DEFAULT_START",
    "PROFILES",
    "FaultKind",
    "FaultProfile",
    "RequestLogEntry",
    "RunningSandbox",
    "World",
    "start_sandbox",
    "write_accounts_file",
    "write_truth",
]
