"""Keeping a lease alive between pages: a daemon thread renews it every third of its TTL.

Pages renew the lease too (inside their transaction), but one page may wait minutes for an
API quota; the heartbeat covers that wait. A lost lease is only logged here: the next page's
fence (``store.leases.extend_lease``) stops the run before it writes anything.
"""

from __future__ import annotations

import contextvars
import threading
from types import TracebackType

import structlog

from custsync.connectors.http import Clock
from custsync.errors import LeaseLost
from custsync.store.db import Store
from custsync.store.leases import Lease, renew_lease

log = structlog.get_logger()


class LeaseHeartbeat:
    """``with LeaseHeartbeat(store, lease, clock):`` renews ``lease`` until the block ends."""

    def __init__(
        self, store: Store, lease: Lease, clock: Clock, *, interval_s: float | None = None
    ) -> None:
        self._store, self._lease, self._clock = store, lease, clock
        self._interval_s = interval_s if interval_s is not None else lease.ttl_s / 3
        self._done = threading.Event()
        context = contextvars.copy_context()  # keep run_id, account and stream in the logs
        self._thread = threading.Thread(
            target=context.run,
            args=(self._beat,),
            name=f"lease-{lease.account_id}-{lease.stream.value}",
            daemon=True,
        )

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._done.wait(self._interval_s):
            try:
                renew_lease(self._store, self._lease, now=self._clock.now())
            except LeaseLost as exc:
                log.warning("lease_lost", reason=str(exc))
                return
            except Exception as exc:  # the database may be back at the next beat
                log.warning("lease_renewal_failed", error=type(exc).__name__)
