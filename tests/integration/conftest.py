"""End-to-end fixtures: a sandbox world served on loopback and the accounts pointing at it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from custsync.demo import DEMO_TIME_SCALE
from custsync.sandbox.server import start_sandbox, write_accounts_file
from custsync.sandbox.truth import write_truth
from custsync.sandbox.world import World
from custsync.settings import AccountConfig, load_accounts

SEED = 11
ORDERS = 1500


@dataclass(frozen=True)
class Truth:
    orders: dict[tuple[str, str], str]  # (account_id, order_id) -> person_id
    metrics: list[dict[str, str]]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def world() -> World:
    return World(seed=SEED, order_count=ORDERS)


@pytest.fixture(scope="session")
def truth(world: World, tmp_path_factory: pytest.TempPathFactory) -> Truth:
    out = tmp_path_factory.mktemp("truth")
    write_truth(world, out)
    orders = {
        (r["account_id"], r["order_id"]): r["person_id"] for r in read_csv(out / "orders.csv")
    }
    return Truth(orders, read_csv(out / "metrics.csv"))


@pytest.fixture(scope="session")
def sandbox_accounts(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[AccountConfig]]:
    path = tmp_path_factory.mktemp("sandbox") / "accounts.toml"
    with start_sandbox(world, time_scale=DEMO_TIME_SCALE) as running:
        write_accounts_file(running, path)
        yield load_accounts(path)
