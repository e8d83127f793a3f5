"""How counts read in what custsync prints: "1 order", "2 orders"."""

from __future__ import annotations


def many(count: int, thing: str, things: str | None = None) -> str:
    """``count`` followed by ``thing``, or by its plural (``things``; by default ``thing`` with
    an ``s``) when the count is not one."""
    if count == 1:
        return f"1 {thing}"
    return f"{count} {things or thing + 's'}"
