"""What people see on the terminal: progress while syncing, short summaries after."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from custsync.records import AccountId, StreamName
from custsync.store.ingest import PageCounts
from custsync.sync import ProgressFn

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def sync_progress() -> Iterator[ProgressFn]:
    """A live line per (account, stream) on a terminal; nothing extra when piped."""
    if not sys.stderr.isatty():
        yield lambda _a, _s, _c: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        tasks: dict[tuple[AccountId, StreamName], TaskID] = {}

        def update(account: AccountId, stream: StreamName, counts: PageCounts) -> None:
            key = (account, stream)
            if key not in tasks:
                tasks[key] = progress.add_task("", total=None)
            progress.update(
                tasks[key],
                description=f"{account} {stream.value}: {counts.fetched} fetched, "
                f"{counts.inserted} new, {counts.updated} updated, {counts.rejected} rejected",
            )

        yield update
