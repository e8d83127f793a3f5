"""Make the project's virtual environment from the fastest CPython 3.11+ on this machine.

custsync's identity work is plain Python, and two builds of one Python version can differ by a
fifth in how fast they run it: a build without profile-guided optimization (pyenv's default)
against a distribution's optimized one (README "The interpreter"). Each candidate interpreter
(``python3`` as the PATH finds it, and the system's) runs a short piece of work (calls, small
objects, dict look-ups, as the pipeline does); the environment is made from the fastest,
unless it beats the PATH's ``python3`` by less than ``MARGIN`` (the PATH's choice stands
then). A candidate that cannot make an environment is passed over. With
``--python`` only that interpreter is used.

    python3 tools/make_venv.py DEST [--python PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("python3", "/usr/bin/python3", "/usr/local/bin/python3")
MARGIN = 0.05  # another interpreter is chosen over the PATH's when this much faster
PROBE = """
import sys, timeit, venv, ensurepip
from dataclasses import dataclass
@dataclass(frozen=True, slots=True)
class Key:
    text: str
    count: int
def plus(total, step):
    return total + step
def work():
    seen, total = {}, 0
    for step in range(100_000):
        key = Key(str(step % 1000), step % 7)
        seen[key] = seen.get(key, 0) + 1
        total = plus(total, step & 3)
    return total
print(sys.version_info >= (3, 11), sys.executable, sys.version.split()[0])
print(min(timeit.repeat(work, number=1, repeat=5)))
"""


@dataclass(frozen=True, slots=True)
class Interpreter:
    executable: str
    version: str
    probe_seconds: float  # the best of 5 runs of ``PROBE``'s work


def probe(command: str) -> Interpreter | None:
    """How fast ``command`` runs ``PROBE``, if it is Python 3.11+ that has ``venv`` and
    ``ensurepip``."""
    found = shutil.which(command)
    if found is None:
        return None
    try:
        done = subprocess.run(
            [found, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 2 or not lines[0].startswith("True "):
        return None
    executable, version = lines[0].removeprefix("True ").rsplit(" ", 1)
    return Interpreter(executable, version, float(lines[1]))


def ranked(found: list[Interpreter]) -> list[Interpreter]:
    """``found`` (the PATH's ``python3`` first) in the order to try them: the fastest first,
    but the first stays first unless another is more than ``MARGIN`` faster; each executable
    once."""
    seen: dict[str, Interpreter] = {}
    for interpreter in found:
        seen.setdefault(os.path.realpath(interpreter.executable), interpreter)
    unique = list(seen.values())
    if not unique:
        return []
    first, *rest = unique
    rest.sort(key=lambda x: x.probe_seconds)
    if rest and rest[0].probe_seconds < first.probe_seconds * (1 - MARGIN):
        return [rest[0], first, *rest[1:]]
    return [first, *rest]


def make(dest: Path, interpreters: list[Interpreter]) -> Interpreter | None:
    """Make ``dest`` from the first of ``interpreters`` that can; returns which one did."""
    for interpreter in interpreters:
        done = subprocess.run([interpreter.executable, "-m", "venv", str(dest)], check=False)
        if done.returncode == 0:
            return interpreter
        shutil.rmtree(dest, ignore_errors=True)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--python", help="make it from this interpreter only")
    args = parser.parse_args(argv)
    if args.python:
        return subprocess.run([args.python, "-m", "venv", str(args.dest)], check=False).returncode
    found = [x for x in map(probe, CANDIDATES) if x is not None]
    chosen = make(args.dest, ranked(found))
    if chosen is None:
        tried = ", ".join(CANDIDATES)
        print(f"no Python 3.11+ that can make a virtual environment among {tried}", file=sys.stderr)
        return 1
    others = "; ".join(f"{x.executable} {x.probe_seconds:.3f} s" for x in found if x is not chosen)
    print(
        f"made {args.dest} from {chosen.executable} (Python {chosen.version}; the probe in"
        f" {chosen.probe_seconds:.3f} s{'; ' + others if others else ''})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
