"""Real ``custsync worker`` processes for integration tests, and polling with a deadline."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TypeVar

from sqlalchemy import select

from custsync.store import schema
from custsync.store.db import Store

T = TypeVar("T")
POLL_S = 0.1


def wait_for(
    condition: Callable[[], T | None],
    *,
    timeout_s: float,
    what: str,
    logs: Sequence[Path] = (),
    explain: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy; fail with ``what``, ``explain()``
    and the logs."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{_tail(p)}" for p in logs)
            detail = explain() if explain is not None else ""
            raise AssertionError(
                f"timed out after {timeout_s:.0f} s waiting for {what}\n{detail}\n{tails}"
            )
        time.sleep(POLL_S)


def _tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class WorkerProcess:
    """``python -m custsync worker`` with its log in ``log_path`` (JSON lines)."""

    def __init__(self, env: Mapping[str, str], log_path: Path, cwd: Path) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "custsync", "worker"],
            env=dict(env),
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def events(self) -> list[dict[str, object]]:
        found = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def worker_id(self) -> str | None:
        for event in self.events():
            if event.get("event") == "worker_started":
                return str(event["worker"])
        return None

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        return self.process.wait(timeout=timeout_s)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def worker_env(database_url: str, accounts_file: Path, **settings: str) -> dict[str, str]:
    """The environment of a worker: only the settings given, nothing from the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTSYNC_")}
    env |= {
        "CUSTSYNC_DATABASE_URL": database_url,
        "CUSTSYNC_ACCOUNTS_FILE": str(accounts_file),
        "CUSTSYNC_SETTINGS_FILE": str(accounts_file.parent / "no-settings.toml"),
        "CUSTSYNC_LOG_FORMAT": "json",
    }
    env |= {f"CUSTSYNC_{key.upper()}": value for key, value in settings.items()}
    return env


@contextmanager
def workers(
    count: int, env: Mapping[str, str], folder: Path, *, name: str = "worker"
) -> Iterator[list[WorkerProcess]]:
    """``count`` workers, killed on the way out if still running."""
    started = [WorkerProcess(env, folder / f"{name}-{index}.log", folder) for index in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            worker.close()


def stop_all(started: Sequence[WorkerProcess], *, timeout_s: float) -> list[tuple[int, float]]:
    """SIGTERM every worker; (exit code, seconds to exit) each."""
    sent = time.monotonic()
    for worker in started:
        worker.signal(signal.SIGTERM)
    return [(worker.wait(timeout_s), time.monotonic() - sent) for worker in started]


Run = tuple[str, str, str, str, datetime, datetime | None, int, str]


def runs(store: Store) -> list[Run]:
    """(run_id, account, stream, status, started, finished, fetched, worker) of every run."""
    r = schema.sync_runs
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                r.c.run_id,
                r.c.account_id,
                r.c.stream,
                r.c.status,
                r.c.started_at,
                r.c.finished_at,
                r.c.fetched,
                r.c.worker,
            ).order_by(r.c.started_at)
        ).all()
    return [tuple(row) for row in rows]


def overlaps(all_runs: Sequence[Run]) -> list[tuple[str, str]]:
    """Pairs of runs of one (account, stream) whose [started, finished] intervals overlap."""
    found = []
    by_stream: dict[tuple[str, str], list[Run]] = {}
    for run in all_runs:
        by_stream.setdefault((run[1], run[2]), []).append(run)
    for stream_runs in by_stream.values():
        ordered = sorted(stream_runs, key=lambda run: run[4])
        for earlier, later in itertools.pairwise(ordered):
            if earlier[5] is None or earlier[5] > later[4]:
                found.append((earlier[0], later[0]))
    return found
