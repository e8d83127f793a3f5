"""Issue 4 acceptance against the sandbox: report backfill, identity enrichment, updates.

One Amazon account of a sandbox world is synced through ``custsync.app.sync_accounts`` (the
real engine, store and connector) on a *virtual* clock shared by the sandbox and custsync:
every quota wait and report poll advances it instead of sleeping, so the published quotas
(``time_scale=1``) are obeyed and counted exactly while a year of data syncs in seconds.

Phases: ``backfill`` (orders, returns, feedback from nothing) → ``enrichment`` (scheduled
order runs every 15 minutes until the backfilled orders have their buyers) → ``updates`` (one
order run after the world moved on: the orders changed since are picked up) → ``final``
(returns and feedback catch up). ``compare`` then checks the store against the world and the
truth files (``sandbox.truth.write_truth``).
"""

from __future__ import annotations

import csv
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from custsync import app
from custsync.connectors.amazon import AmazonConnector
from custsync.connectors.amazon.orders import GET_ORDER_QUOTA, SEARCH_ORDERS_QUOTA
from custsync.connectors.amazon.reports_api import (
    CREATE_REPORT_QUOTA,
    GET_DOCUMENT_QUOTA,
    GET_REPORT_QUOTA,
    GET_REPORTS_QUOTA,
)
from custsync.connectors.base import Connector
from custsync.connectors.factory import build_connector
from custsync.connectors.http import Clock
from custsync.demo import load_demo_rates
from custsync.records import StreamName
from custsync.sandbox import World, start_sandbox, write_accounts_file, write_truth
from custsync.sandbox.catalog import to_money
from custsync.settings import AccountConfig, AmazonAccount, load_accounts, load_settings
from custsync.store import schema
from custsync.store.db import Store
from custsync.sync import StreamResult, sync_account

ACCOUNT = "amazon-na"
PUBLISHED = {
    q.operation: q
    for q in (
        CREATE_REPORT_QUOTA,
        GET_REPORT_QUOTA,
        GET_REPORTS_QUOTA,
        GET_DOCUMENT_QUOTA,
        SEARCH_ORDERS_QUOTA,
        GET_ORDER_QUOTA,
    )
}
STATUS = {
    "PENDING": "pending",
    "UNSHIPPED": "unshipped",
    "SHIPPED": "shipped",
    "CANCELLED": "cancelled",
}
RUN_EVERY = timedelta(minutes=15)


class VirtualClock:
    """``custsync`` Clock and sandbox clock at once: sleeping moves time, nothing waits."""

    def __init__(self, start: datetime) -> None:
        self._start, self._elapsed_s = start, 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed_s)

    def __call__(self) -> datetime:
        return self.now()

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed_s

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed_s += seconds

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._elapsed_s = max(self._elapsed_s, (moment - self._start).total_seconds())


@dataclass
class Phase:
    name: str
    started: datetime
    ended: datetime
    requests: Counter[str]
    rate_limited: int
    runs: list[StreamResult] = field(default_factory=list)

    @property
    def elapsed_s(self) -> float:
        return (self.ended - self.started).total_seconds()

    @property
    def api_time_s(self) -> float:
        """Least time these requests need under the published quotas (slowest operation)."""
        times = [
            max(0, n - PUBLISHED[op].burst) / PUBLISHED[op].rate_per_s
            for op, n in self.requests.items()
            if op in PUBLISHED
        ]
        return max(times, default=0.0)

    @property
    def errors(self) -> list[str]:
        return [f"{r.stream.value}: {r.error}" for r in self.runs if r.error]

    def counted(self, what: str) -> int:
        return sum(getattr(r.counts, what) for r in self.runs)


class Acceptance:
    """A started sandbox and a store; ``run`` syncs, ``compare`` checks against the world."""

    def __init__(
        self,
        *,
        seed: int,
        order_count: int,
        db_url: str,
        work_dir: Path,
        backfill_before_end: timedelta,
        faults: str | None = None,
    ) -> None:
        self.world = World(seed=seed, order_count=order_count)
        self.settings = load_settings(database_url=db_url, base_currency="USD")
        self.store = app.open_upgraded_store(self.settings)
        load_demo_rates(self.store, "USD")
        self.work_dir = work_dir
        self.clock = VirtualClock(self.world.end - backfill_before_end)
        kwargs: dict[str, Any] = {"time_scale": 1.0, "clock": self.clock}
        if faults is not None:
            kwargs["faults"] = faults
        self.sandbox = start_sandbox(self.world, **kwargs)
        path = write_accounts_file(self.sandbox, work_dir / "accounts.toml", quota_scale=1.0)
        days = (self.clock.now() - self.world.start).days + 2
        self.accounts = {
            a.id: a.model_copy(update={"backfill_days": days})
            for a in load_accounts(path)
            if isinstance(a, AmazonAccount)
        }
        self.account = self.accounts[ACCOUNT]
        self.phases: list[Phase] = []

    def close(self) -> None:
        self.sandbox.stop()
        self.store.dispose()

    def run(
        self, name: str, streams: Sequence[StreamName] | None = None, *, enrich: bool = True
    ) -> Phase:
        """One sync of the account; ``enrich=False``: no buyer enrichment (to measure alone
        what picking up changes costs), and no customer refresh."""
        before = self._requests()
        limited = self._rate_limited()
        started = self.clock.now()
        if enrich:
            summary = app.sync_accounts(
                self.store, self.settings, [self.account], streams=streams, clock=self.clock
            )
            results = list(summary.results)
        else:
            results = sync_account(
                self.store, self.account, _without_enrichment, streams=streams, clock=self.clock
            )
        phase = Phase(
            name,
            started,
            self.clock.now(),
            self._requests() - before,
            self._rate_limited() - limited,
            results,
        )
        self.phases.append(phase)
        return phase

    def run_scheduled_orders(self, name: str, *, until_enriched: bool, max_runs: int) -> Phase:
        """Order runs every 15 minutes (virtual) until the enrichment is done."""
        merged: Phase | None = None
        for _ in range(max_runs):
            self.clock.advance(RUN_EVERY.total_seconds())
            phase = self.run(name, [StreamName.ORDERS])
            self.phases.pop()
            merged = phase if merged is None else _merge(merged, phase)
            if until_enriched and "enrich_from" not in self.cursor_extra(StreamName.ORDERS):
                break
        assert merged is not None
        self.phases.append(merged)
        return merged

    def run_until_complete(self, *, max_rounds: int, pause: timedelta) -> list[Phase]:
        """Sync rounds, ``pause`` apart (a scheduler's retry), until a round has no error and
        no report job is left open or set aside; the phases of every round."""
        rounds = []
        for number in range(1, max_rounds + 1):
            phase = self.run(f"round {number}")
            rounds.append(phase)
            streams = (StreamName.ORDERS, StreamName.RETURNS, StreamName.FEEDBACK)
            is_open = any(
                "step" in extra or "retry_later" in extra
                for extra in map(self.cursor_extra, streams)
            )  # a report window open, or report jobs set aside for a later run
            if not phase.errors and not is_open:
                break
            self.clock.advance(pause.total_seconds())
        return rounds

    def cursor_extra(self, stream: StreamName) -> dict[str, str]:
        from custsync.store.state import load_cursor

        return dict(load_cursor(self.store, self.account.account_id, stream).extra)

    def orders_changed_between(self, start: datetime, end: datetime) -> int:
        """Orders of the account with a status change in ``(start, end]``."""
        low, high = int(start.timestamp()), int(end.timestamp())
        return sum(
            1
            for order in self._orders()
            if any(low < change.at_s <= high for change in order.history)
        )

    def _orders(self) -> Iterator[Any]:
        return (o for o in self.world.iter_orders() if o.account.id == ACCOUNT)

    def _requests(self) -> Counter[str]:
        return Counter(
            e.operation for e in list(self.sandbox.request_log) if e.account in (ACCOUNT, None)
        )

    def _rate_limited(self) -> int:
        return sum(1 for e in list(self.sandbox.request_log) if e.status == 429)

    def rejects(self) -> tuple[set[str], int]:
        """Order ids named by stored rejects (kept, not lost), and rejects naming none."""
        r = schema.rejects
        with self.store.engine.connect() as conn:
            ids = [row.source_id for row in conn.execute(select(r.c.source_id))]
        return {i for i in ids if i}, sum(1 for i in ids if not i)

    def compare(self) -> dict[str, list[str]]:
        """Mismatches between the store and the world (final state); all empty = exact.

        Records the sandbox spoiled (``bad-records``) are expected in ``rejects`` instead:
        their orders are left out; as many as there are rejects without an id may be missing.
        """
        rejected, idless = self.rejects()
        expected = _expected(o for o in self._orders() if o.order_id not in rejected)
        stored = _stored(self.store)
        problems: dict[str, list[str]] = {}
        for kind in ("orders", "lines", "promo_uses", "returns", "feedback"):
            want, got = expected[kind], stored[kind]
            missing = sorted(set(want) - set(got))
            if kind == "orders" and len(missing) <= idless:
                gone = set(missing)  # spoiled beyond recognition: kept as id-less rejects
                for name, entries in expected.items():
                    expected[name] = {k: v for k, v in entries.items() if _order_of(k) not in gone}
                want, missing = expected[kind], []
            diff = [f"missing {k}: {want[k]}" for k in missing][:5]
            diff += [f"extra {k}: {got[k]}" for k in sorted(set(got) - set(want))][:5]
            diff += [
                f"differs {k}: want {want[k]} got {got[k]}"
                for k in sorted(set(want) & set(got))
                if want[k] != got[k]
            ][:5]
            problems[kind] = diff
        problems["metrics"] = self._compare_metrics(stored, rejected, set(expected["orders"]))
        return problems

    def _compare_metrics(
        self, stored: dict[str, dict[Any, Any]], rejected: set[str], kept: set[str]
    ) -> list[str]:
        truth_dir = self.work_dir / "truth"
        write_truth(self.world, truth_dir)
        person_of = {
            r["order_id"]: r["person_id"]
            for r in _csv(truth_dir / "orders.csv")
            if r["account_id"] == ACCOUNT
        }
        skipped = {person_of[o] for o in person_of if o in rejected or o not in kept}
        got = _metrics_by_person(stored, person_of)
        want = {
            (m["person_id"], m["currency"]): (
                int(m["orders"]),
                int(m["units"]),
                Decimal(m["amount_spent"]),
                Decimal(m["discount_received"]),
                m["promo_codes"],
                int(m["negative_feedbacks"]),
                int(m["returned_units"]),
            )
            for m in _csv(truth_dir / "metrics.csv")
            if m["account_id"] == ACCOUNT and m["person_id"] not in skipped
        }
        got = {k: v for k, v in got.items() if k[0] not in skipped}
        bad = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
        return [f"{k}: want {want.get(k)} got {got.get(k)}" for k in bad[:10]]

    def identity(self) -> dict[str, int]:
        """Orders tied to the right buyer, to none, and to a wrong one (by the truth files)."""
        truth_dir = self.work_dir / "truth"
        if not (truth_dir / "people.csv").exists():
            write_truth(self.world, truth_dir)
        keys = {
            (r["marketplace"], r["buyer_key"]): r["person_id"]
            for r in _csv(truth_dir / "people.csv")
            if r["account_id"] == ACCOUNT
        }
        person_of = {r["order_id"]: r["person_id"] for r in _csv(truth_dir / "orders.csv")}
        o = schema.orders
        counts: Counter[str] = Counter()
        exposed = {x.order_id for x in self._orders() if x.buyer_key is not None}
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(o.c.order_id, o.c.marketplace, o.c.buyer_key, o.c.is_weak_key)
            )
            for order_id, marketplace, key, is_weak in rows:
                if key is None:
                    counts["unlinked"] += 1
                    counts["unlinked_but_exposed"] += order_id in exposed
                elif is_weak:
                    counts["weak"] += 1
                elif keys.get((marketplace, key)) == person_of[order_id]:
                    counts["right"] += 1
                else:
                    counts["wrong"] += 1
        counts["exposed"] = len(exposed)
        return dict(counts)


def _without_enrichment(account: AccountConfig, clock: Clock) -> Connector:
    connector = build_connector(account, clock)
    assert isinstance(connector, AmazonConnector)
    connector.orders.enriches_buyers = False
    return connector


def _order_of(key: Any) -> str:
    return str(key if isinstance(key, str) else key[0])


def _merge(a: Phase, b: Phase) -> Phase:
    return Phase(
        a.name,
        a.started,
        b.ended,
        a.requests + b.requests,
        a.rate_limited + b.rate_limited,
        a.runs + b.runs,
    )


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _expected(orders: Iterator[Any]) -> dict[str, dict[Any, Any]]:
    out: dict[str, dict[Any, Any]] = defaultdict(dict)
    for order in orders:
        money = partial(to_money, currency=order.currency)
        out["orders"][order.order_id] = (
            STATUS[order.final.status.value],
            order.currency,
            money(order.total_minor),
            order.units,
            money(order.discount_minor),
        )
        out["lines"][order.order_id] = sorted(
            (
                line.product.sku,
                line.qty,
                money(line.unit_price_minor),
                money(line.discount_minor),
                line.promo_code or "",
            )
            for line in order.lines
        )
        codes: dict[str, int] = defaultdict(int)
        for line in order.lines:
            if line.promo_code:
                codes[line.promo_code] += line.discount_minor
        for code, minor in codes.items():
            out["promo_uses"][(order.order_id, code)] = money(minor)
        returned: Counter[tuple[str, str]] = Counter()
        for item in order.returns:
            returned[(item.sku, _day(item.returned_at_s))] += item.qty
        for (sku, day), qty in returned.items():
            out["returns"][(order.order_id, sku, day)] = qty
        if order.feedback is not None and order.feedback.rating <= 3:
            out["feedback"][order.order_id] = (
                order.feedback.rating,
                _day(order.feedback.left_at_s),
            )
    return out


def _day(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).date().isoformat()


def _stored(store: Store) -> dict[str, dict[Any, Any]]:
    out: dict[str, dict[Any, Any]] = defaultdict(dict)
    o, lines, p, r, f = (
        schema.orders,
        schema.order_lines,
        schema.promo_uses,
        schema.returns,
        schema.feedback,
    )
    with store.engine.connect() as conn:
        for row in conn.execute(
            select(o.c.order_id, o.c.status, o.c.currency, o.c.total, o.c.units, o.c.discount)
        ):
            out["orders"][row.order_id] = (
                row.status,
                row.currency,
                row.total,
                row.units,
                row.discount,
            )
        grouped: dict[str, list[Any]] = defaultdict(list)
        for line in conn.execute(select(lines)):
            grouped[line.order_id].append(
                (line.sku, line.qty, line.unit_price, line.promo_discount, line.promo_codes)
            )
        out["lines"] = {k: sorted(v) for k, v in grouped.items()}
        for use in conn.execute(select(p.c.order_id, p.c.code, p.c.discount)):
            out["promo_uses"][(use.order_id, use.code)] = use.discount
        returned: Counter[tuple[str, str, str]] = Counter()
        for back in conn.execute(select(r.c.order_id, r.c.sku, r.c.qty, r.c.returned_at)):
            returned[(back.order_id, back.sku, back.returned_at.date().isoformat())] += back.qty
        out["returns"] = dict(returned)
        for said in conn.execute(select(f.c.order_id, f.c.rating, f.c.left_at)):
            out["feedback"][said.order_id] = (said.rating, said.left_at.date().isoformat())
    return out


def _metrics_by_person(
    stored: dict[str, dict[Any, Any]], person_of: dict[str, str]
) -> dict[tuple[str, str], tuple[Any, ...]]:
    acc: dict[tuple[str, str], list[Any]] = {}
    returned: Counter[str] = Counter()
    for (order_id, _sku, _day), qty in stored["returns"].items():
        returned[order_id] += qty
    for order_id, (status, currency, total, units, discount) in stored["orders"].items():
        key = (person_of[order_id], currency)
        cell = acc.setdefault(key, [0, 0, Decimal(0), Decimal(0), set(), 0, 0])
        rating = stored["feedback"].get(order_id, (5, ""))[0]
        cell[5] += rating <= 2
        cell[6] += returned[order_id]
        if status == "cancelled":
            continue
        cell[0] += 1
        cell[1] += units
        cell[2] += total
        cell[3] += discount
        cell[4] |= {code for (oid, code) in stored["promo_uses"] if oid == order_id}
    return {k: (v[0], v[1], v[2], v[3], ";".join(sorted(v[4])), v[5], v[6]) for k, v in acc.items()}
