"""SQLite's checkpoints, off the committing thread.

In WAL mode a write transaction appends the pages it changed to the write-ahead log, and a
checkpoint copies them back into the database file. By default SQLite checkpoints inside the
commit that takes the log past 1,000 pages, and that commit waits for it: a sync of 1,000
orders into a store of a million changes about 36,000 pages (new buyers' keys land all over
the key index), and its commit spent about 0.5 s copying them.

The store's connections leave that to a background thread instead (``wal_autocheckpoint``
off): after each write transaction it checkpoints the file on a connection of its own,
PASSIVE (it never waits for a reader or a writer; what it cannot copy yet, the next one
does). The log restarts from its beginning at the first write after a complete checkpoint,
as it does with SQLite's own. A log left larger than ``LOG_KEEP_BYTES`` once all of it is
copied is cut to nothing right there, if no reader is on it; otherwise the next write cuts
it back, inside its commit (0.8 s for a small commit after a log of 2.9 GB, measured).
Closing the last connection to a file checkpoints it anyway, and a process that ends waits
for the checkpoints it asked for: a copy of the database file taken after a command has
ended holds what the command wrote.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
import time
from urllib.parse import quote

import structlog

log = structlog.get_logger()

# What the write-ahead log may keep of its size (in bytes): SQLite reuses the file from its
# beginning rather than shrink it, so a full rebuild of a million orders (a log of several
# GB) would otherwise leave the log that large on disk for good. The store's connections set
# it as their ``journal_size_limit``; a checkpoint cuts a larger log once it is all copied.
LOG_KEEP_BYTES = 64 * 1024 * 1024


class Checkpointer:
    """One daemon thread that checkpoints the files asked for, each once per request burst."""

    def __init__(self) -> None:
        self._pending: set[str] = set()
        self._busy = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self, path: str) -> None:
        """Checkpoint ``path`` soon (several requests before it starts make one)."""
        with self._wake:
            self._pending.add(path)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="custsync-checkpoint", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every requested checkpoint has run (False: ``timeout`` seconds
        passed first)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._wake.wait()
                path = self._pending.pop()
                self._busy = True
            try:
                checkpoint(path)
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()


def checkpoint(path: str) -> tuple[int, int] | None:
    """Checkpoint the file at ``path`` (never creating it): the pages in its log and how
    many of them are in the file now; None when it could not be opened."""
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=1)
    except sqlite3.Error as exc:
        log.debug("checkpoint_skipped", reason=str(exc))  # the file is gone
        return None
    try:
        _, pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if pages == copied and _log_bytes(path) > LOG_KEEP_BYTES:
            conn.execute("PRAGMA busy_timeout=0")  # a reader on the log: leave it to a writer
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_BUSY":  # another connection is
            log.debug("checkpoint_busy")  # checkpointing or holds the file: it copies the rest
        else:
            log.warning("checkpoint_failed", reason=str(exc))
        return None
    finally:
        conn.close()
    return int(pages), int(copied)


def _log_bytes(path: str) -> int:
    try:
        return os.path.getsize(f"{path}-wal")
    except OSError:
        return 0


CHECKPOINTS = Checkpointer()
atexit.register(CHECKPOINTS.wait)
