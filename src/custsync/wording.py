"""How counts read in what custsync prints: "1 order", "2 orders"."""

from __future__ import annotations


def many(count: int, thing: str) -> str:
    """``count`` followed by ``thing``, with an ``s`` when the count is not one."""
    return f"{count} {thing}" if count == 1 else f"{count} {thing}s"
