"""Workers starting together on an empty PostgreSQL migrate it once, without colliding."""

from __future__ import annotations

import threading

import pytest

from custsync.store.db import is_current, open_store, upgrade


@pytest.mark.postgres
def test_concurrent_upgrades_of_an_empty_database_all_succeed(pg_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start_worker() -> None:
        store = open_store(pg_url)
        barrier.wait()
        try:
            upgrade(store)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=start_worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = open_store(pg_url)
    assert is_current(store)
    store.dispose()
