"""Fast draws from ``random.Random`` (``randint``/``choice`` cost 5x more; this runs per order)."""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

T = TypeVar("T")


def between(rng: Random, low: int, high: int) -> int:
    """Uniform integer in ``[low, high]``."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: Random, items: Sequence[T]) -> T:
    """Uniform element of a non-empty sequence."""
    return items[int(rng.random() * len(items))]
