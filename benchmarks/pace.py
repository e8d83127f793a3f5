"""How fast this machine runs plain Python right now, to set a run's times beside another's.

The machines these benchmarks run on change speed from day to day (a full rebuild took 436 s
on one day and 909 s on another, the same code on the same data). Every run prints the time of
a fixed pure-Python loop, the best of a few, before and after it: two runs' times compare in
proportion to their paces, not as they are.
"""

from __future__ import annotations

import time

STEPS = 5_000_000
ROUNDS = 3


def pace() -> float:
    """Seconds for ``STEPS`` additions in a Python loop, the best of ``ROUNDS``."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        total = 0
        for step in range(STEPS):
            total += step
        best = min(best, time.perf_counter() - started)
    return best


def show_pace(when: str) -> None:
    print(f"machine pace {when}: {STEPS:,} Python loop steps in {pace():.2f} s (best of {ROUNDS})")


if __name__ == "__main__":
    show_pace("now")
