"""Fixtures of the sandbox tests: a small world, its truth files, a running sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from custsync.sandbox import RunningSandbox, World, start_sandbox, write_truth
from tests.unit.sandbox.sandbox_helpers import ORDERS, SEED, FakeClock


@pytest.fixture(scope="session")
def world() -> World:
    return World(SEED, ORDERS)


@pytest.fixture(scope="session")
def truth_dir(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    write_truth(world, out)
    return out


@pytest.fixture(scope="module")
def sandbox(world: World) -> Iterator[RunningSandbox]:
    """Quotas out of the way: a clock that moves 1 s per read, rates x 10,000."""
    with start_sandbox(world, time_scale=10_000, clock=FakeClock(step_s=1)) as running:
        yield running
