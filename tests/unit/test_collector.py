"""``collector_paused``: bulk work without the cycle collector, and what it leaves behind."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from custsync.collector import collector_paused


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        made = [Node() for _ in range(100)]
    assert not gc.isenabled()
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert all(id(o) in young for o in made)  # nothing was moved behind the caller's back


def test_what_the_work_made_leaves_the_young_generation_unscanned() -> None:
    with collector_paused():
        made = [Node() for _ in range(10_000)]
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(o) in young for o in made)
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(o) in oldest for o in made)


def test_cycles_made_while_paused_are_still_collected() -> None:
    with collector_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
    del a, b
    assert gone() is not None  # a cycle: reference counting alone never frees it
    gc.collect()
    assert gone() is None


def test_the_collector_stays_off_until_the_last_pause_in_any_thread_ends() -> None:
    inside, leave = threading.Event(), threading.Event()

    def serve() -> None:
        with collector_paused():
            inside.set()
            leave.wait(timeout=30)

    server = threading.Thread(target=serve)
    server.start()
    assert inside.wait(timeout=30)
    with collector_paused():
        leave.set()
        server.join(timeout=30)  # its pause, begun before this one, has ended
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pauses_nested_in_one_thread_resume_once() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
