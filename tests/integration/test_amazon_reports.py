"""Issue 4 end to end against the sandbox (a small world; ``benchmarks/amazon_backfill.py``
runs the 50,000-order one): report backfill, buyer enrichment, updates, exact data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from custsync.records import StreamName
from tests.support.amazon_acceptance import Acceptance

SEED = 5
ORDERS = 3000


@pytest.fixture
def acceptance(db_url: str, tmp_path: Path) -> Iterator[Acceptance]:
    run = Acceptance(
        seed=SEED,
        order_count=ORDERS,
        db_url=db_url,
        work_dir=tmp_path,
        backfill_before_end=timedelta(days=3),
    )
    yield run
    run.close()


def test_report_backfill_enrichment_and_updates_match_the_world(acceptance: Acceptance) -> None:
    backfill = acceptance.run("backfill")
    assert backfill.errors == []
    assert backfill.requests["searchOrders"] <= 20  # the tail and idle-quota enrichment only
    assert backfill.requests["createReport"] >= 3  # orders, returns (MFN + FBA), feedback
    assert backfill.api_time_s < 30 * 60

    enrichment = acceptance.run_scheduled_orders("enrichment", until_enriched=True, max_runs=200)
    assert enrichment.errors == []
    assert "enrich_from" not in acceptance.cursor_extra(StreamName.ORDERS)

    since = acceptance.clock.now()
    acceptance.clock.set(acceptance.world.end + timedelta(hours=2))
    changed = acceptance.orders_changed_between(since - timedelta(hours=1), acceptance.clock.now())
    updates = acceptance.run("updates", [StreamName.ORDERS], enrich=False)
    assert updates.errors == []
    assert updates.counted("inserted") + updates.counted("updated") >= changed > 0
    assert updates.requests["searchOrders"] <= 3
    buyers = acceptance.run_scheduled_orders("buyers", until_enriched=True, max_runs=50)
    assert buyers.errors == []

    final = acceptance.run("final", [StreamName.RETURNS, StreamName.FEEDBACK])
    assert final.errors == []

    assert acceptance.compare() == {
        "orders": [],
        "lines": [],
        "promo_uses": [],
        "returns": [],
        "feedback": [],
        "metrics": [],
    }
    identity = acceptance.identity()
    assert identity.get("wrong", 0) == 0
    assert identity.get("unlinked_but_exposed", 0) == 0  # every key Amazon shows is used


def test_revoked_account_is_told_to_reauthorize_in_every_stream_and_others_go_on(
    acceptance: Acceptance,
) -> None:
    from pydantic import SecretStr
    from sqlalchemy import select

    from custsync import app
    from custsync.settings import Credential
    from custsync.store import schema

    good = acceptance.accounts["amazon-eu"]
    revoked = acceptance.account.model_copy(
        update={"refresh_token": Credential(value=SecretStr("Atzr|revoked"))}
    )
    summary = app.sync_accounts(
        acceptance.store,
        acceptance.settings,
        [revoked, good],
        clock=acceptance.clock,
    )
    failed = {r.stream for r in summary.results if r.account_id == "amazon-na"}
    assert failed == {StreamName.ORDERS, StreamName.RETURNS, StreamName.FEEDBACK}
    assert all(
        "re-authorize account amazon-na" in (r.error or "")
        for r in summary.results
        if r.account_id == "amazon-na"
    )
    s = schema.sync_state
    with acceptance.store.engine.connect() as conn:
        rows = conn.execute(select(s.c.stream, s.c.last_error).where(s.c.account_id == "amazon-na"))
        errors = {row.stream: row.last_error for row in rows}
    assert set(errors) == {"orders", "returns", "feedback"}
    assert all("re-authorize account amazon-na" in e for e in errors.values())
    tokens = [e.status for e in acceptance.sandbox.request_log if e.operation == "token"]
    assert tokens.count(400) == 1  # one refusal, remembered by every stream of the account
    others = [r for r in summary.results if r.account_id == "amazon-eu"]
    assert len(others) == 3
    assert all(r.error is None for r in others)


@pytest.mark.parametrize(
    ("profile", "seed"),
    [
        ("rate-limits", SEED),
        ("server-errors", SEED),
        ("bad-records", SEED),
        ("paging", SEED),
        ("auth", SEED),
        ("reports", SEED),
        ("reports", 3),  # a window stays FATAL through every attempt of the first round
    ],
)
def test_fault_profile_ends_complete_with_errors_recorded_and_nothing_lost(
    sqlite_url: str, tmp_path: Path, profile: str, seed: int
) -> None:
    """Slow profiles (``network``, ``chaos``: real 35-second answers) run in the benchmark:
    ``python benchmarks/amazon_backfill.py 3000 --faults network``.

    A FATAL report is asked for again within the run, then set aside while the rest of the
    backfill goes on: the round after the error (two hours later) completes the data."""
    run = Acceptance(
        seed=seed,
        order_count=1500,
        db_url=sqlite_url,
        work_dir=tmp_path,
        backfill_before_end=timedelta(days=-1),  # a settled world: every run sees the same
        faults=profile,
    )
    try:
        rounds = run.run_until_complete(max_rounds=15, pause=timedelta(hours=2))
        assert not rounds[-1].errors, [r.errors for r in rounds]
        assert len(rounds) <= 2, [r.errors for r in rounds]
        for phase in rounds[:-1]:  # every failed round said why, naming the account
            assert phase.errors
            assert all("account amazon-na" in error for error in phase.errors)
        if (profile, seed) == ("reports", 3):
            assert len(rounds) == 2
            assert all("set aside" in error for error in rounds[0].errors)
        problems = run.compare()
        assert problems == {kind: [] for kind in problems}
        rejected, idless = run.rejects()
        if profile == "bad-records":
            assert rejected or idless  # spoiled rows are kept as rejects, not dropped
    finally:
        run.close()
