"""SQLite checkpoints run in the background, after the write transaction has committed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs

from custsync.store import checkpoint as checkpoint_module
from custsync.store.checkpoint import CHECKPOINTS, checkpoint
from custsync.store.db import open_store


def _in_file(path: Path) -> int | None:
    """Rows of ``t`` in the database file itself, the log left out (None: no table yet)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


_ROWS = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
    INSERT INTO t SELECT randomblob(3000) FROM n"""


def test_a_write_transaction_reaches_the_database_file_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(f"sqlite:///{path}")
    with store.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
        conn.execute(text("INSERT INTO t VALUES (randomblob(10)), (randomblob(10))"))
    assert CHECKPOINTS.wait()
    assert _in_file(path) == 2  # in the file while the store's connection is still open
    store.dispose()


def test_a_large_commit_leaves_the_copying_to_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(CHECKPOINTS, "request", asked.append)
    path = tmp_path / "s.db"
    store = open_store(f"sqlite:///{path}")
    with store.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
    with store.begin() as conn:  # about 2,000 pages: past SQLite's own threshold of 1,000
        conn.execute(text(_ROWS))
    assert asked == [str(path.resolve())] * 2
    assert _in_file(path) is None  # everything is still in the log only
    found = checkpoint(asked[0])
    assert found is not None
    assert found[0] == found[1] > 1000
    assert _in_file(path) == 2000
    store.dispose()


def test_the_log_of_a_large_transaction_is_cut_once_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log larger than the size kept is cut by the checkpoint that copied it all, not by
    the next writer's commit; while a reader is on it, it is left as it is."""
    monkeypatch.setattr(checkpoint_module, "LOG_KEEP_BYTES", 1024 * 1024)
    path = tmp_path / "s.db"
    log = tmp_path / "s.db-wal"
    store = open_store(f"sqlite:///{path}")
    with store.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
        conn.execute(text(_ROWS))
    assert CHECKPOINTS.wait()
    assert log.stat().st_size == 0
    assert _in_file(path) == 2000
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(_ROWS)
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM t").fetchone() == (4000,)  # on the log
    with capture_logs() as logs:
        pages, copied = checkpoint(str(path)) or (0, -1)
    assert pages == copied > 1000
    assert log.stat().st_size > 4 * 1024 * 1024  # copied, but the reader is on it
    assert logs == []
    reader.close()
    assert checkpoint(str(path)) == (pages, copied)  # the same log, cut this time
    assert log.stat().st_size == 0
    assert _in_file(path) == 4000
    writer.close()
    store.dispose()


def test_a_disposed_store_has_everything_in_its_file(tmp_path: Path) -> None:
    """Once ``dispose`` returns, the file alone holds what was written and has no log beside
    it (a copy of it is whole), even right after a large transaction."""
    path = tmp_path / "s.db"
    store = open_store(f"sqlite:///{path}")
    with store.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
    for _ in range(5):
        with store.begin() as conn:
            conn.execute(text(_ROWS))
    store.dispose()
    assert not (tmp_path / "s.db-wal").exists()
    assert _in_file(path) == 10_000


def test_a_file_held_by_another_connection_is_left_for_later_without_a_warning(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x BLOB)")
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with capture_logs() as logs:
            assert checkpoint(str(path)) is None
    finally:
        holder.close()
    assert [(x["event"], x["log_level"]) for x in logs] == [("checkpoint_busy", "debug")]


def test_checkpointing_a_file_that_is_gone_creates_nothing(tmp_path: Path) -> None:
    gone = tmp_path / "gone.db"
    assert checkpoint(str(gone)) is None
    assert not gone.exists()


def test_a_command_that_ends_leaves_what_it_wrote_in_the_database_file(tmp_path: Path) -> None:
    """A copy of the file alone (a backup taken after a command has ended) holds its writes,
    even when another process has the file open (so the command's last close is no
    checkpoint of SQLite's own)."""
    path = tmp_path / "s.db"
    store = open_store(f"sqlite:///{path}")
    with store.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
    store.dispose()
    other = sqlite3.connect(path)  # another process's connection, idle
    other.execute("SELECT COUNT(*) FROM t").fetchone()
    script = f"""
from sqlalchemy import text
from custsync.store.db import open_store
store = open_store("sqlite:///{path}")
with store.begin() as conn:
    conn.execute(text('''{_ROWS}'''))
"""
    try:
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
        assert _in_file(path) == 2000
    finally:
        other.close()
