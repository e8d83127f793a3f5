"""How fast this machine runs Python right now, to set a run's times beside another's.

The machines these benchmarks run on change speed from day to day (a full rebuild of the same
data took 436 s on one day and 961 s on another, with nearly the same code), and not evenly: a
loop that stays in the processor's caches and lookups at random in a large table, which is what
a rebuild, a sync and the metrics mostly do, need not slow down together (on the day of the
961-second rebuild, the loop below ran in 0.17-0.33 s from one minute to the next). So the pace
is two figures, each the best of a few rounds: that loop, and a million lookups in random order
in a dict of a million strings. Read two runs' times beside their paces before comparing them.
The interpreter's build counts too (README "The interpreter"), so its version, path and whether
it runs through a shared ``libpython`` are printed beside the pace.
"""

from __future__ import annotations

import platform
import random
import resource
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

STEPS = 5_000_000
ENTRIES = 1_000_000
ROUNDS = 3


def best_seconds(work: Callable[[], object]) -> float:
    """The best of ``ROUNDS`` runs of ``work``, in seconds."""
    return min(timeit.repeat(work, number=1, repeat=ROUNDS))


def loop_seconds() -> float:
    """Seconds for ``STEPS`` additions in a Python loop."""
    return best_seconds(lambda: sum_steps(STEPS))


def sum_steps(steps: int) -> int:
    total = 0
    for step in range(steps):
        total += step
    return total


def lookup_seconds() -> float:
    """Seconds for ``ENTRIES`` lookups in random order in a dict of ``ENTRIES`` strings (the
    table is made once, outside the time)."""
    draw = random.Random(7)
    keys = [f"key{draw.getrandbits(48)}" for _ in range(ENTRIES)]
    table = {key: index for index, key in enumerate(keys)}
    draw.shuffle(keys)
    return best_seconds(lambda: sum(table[key] for key in keys))


def peak_mb() -> float:
    """The peak memory of this process so far (resident set), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def interpreter() -> str:
    """Which Python runs the benchmark: version, executable, and whether it runs through a
    shared ``libpython`` (read from the process's mapped files, where the system has them: a
    distribution may build the library and still link its executable statically)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return f"Python {platform.python_version()} ({sys.executable})"
    shared = "libpython" in maps.read_text(encoding="utf-8", errors="replace")
    linked = "through a shared libpython" if shared else "libpython linked in"
    return f"Python {platform.python_version()} ({sys.executable}, {linked})"


def show_pace(when: str) -> None:
    print(
        f"machine pace {when}: {STEPS:,} loop steps {loop_seconds():.2f} s, {ENTRIES:,} random"
        f" lookups in a dict of {ENTRIES:,} {lookup_seconds():.2f} s (best of {ROUNDS} each),"
        f" {interpreter()}"
    )


if __name__ == "__main__":
    show_pace("now")
