"""Log output: JSON lines on whatever ``sys.stderr`` is when the event is logged."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator

import pytest
import structlog

from custsync.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_events_go_to_the_current_stderr_even_after_the_first_one_was_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("json", "info")
    log = structlog.get_logger()
    log.info("one", n=1)
    first.close()  # as a test runner closes a captured stream
    monkeypatch.setattr(sys, "stderr", second)
    log.info("two", n=2)
    log.debug("hidden")
    events = [json.loads(line) for line in second.getvalue().splitlines()]
    assert [(e["event"], e["n"], e["level"]) for e in events] == [("two", 2, "info")]
