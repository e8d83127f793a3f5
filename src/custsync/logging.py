"""structlog, configured once per process: JSON for workers, console on a TTY, never secrets."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

from custsync.connectors.redaction import redact_event

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    """A logger on ``sys.stderr`` as it is now (looked up per logger, not once: whoever
    embeds custsync, or captures its output, may swap the stream)."""
    return structlog.PrintLogger(sys.stderr)


def configure_logging(fmt: Literal["console", "json"], level: str = "info") -> None:
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer(sort_keys=True)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
