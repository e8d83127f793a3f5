"""Make the project's virtual environment from the best CPython 3.11+ on this machine.

custsync's identity work is plain Python, and two builds of one Python version can differ by a
fifth in how fast they run it: an executable that calls into a shared ``libpython`` (pyenv's
default build: no profile-guided or link-time optimization either) against a distribution's
build with ``libpython`` linked into the executable (README "The interpreter"). Of the
candidates (``python3`` as the PATH finds it, then the system's), the environment is made from
the first whose executable has ``libpython`` linked in, else from the PATH's. A candidate that
is older than 3.11, or cannot make an environment, is passed over. With ``--python`` only that
interpreter is used. (A timed probe was tried first: on a machine with other work running, its
timings swung both ways by more than the difference it had to find.)

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
PROBE = """
import sys, venv, ensurepip
from pathlib import Path
maps = Path("/proc/self/maps")
shared = "libpython" in maps.read_text(errors="replace") if maps.exists() else None
print(sys.version_info >= (3, 11), shared, sys.executable, sys.version.split()[0])
"""


@dataclass(frozen=True, slots=True)
class Interpreter:
    executable: str
    version: str
    shared: bool | None  # runs through a shared ``libpython`` (``None``: cannot tell)


def probe(command: str) -> Interpreter | None:
    """What ``command`` is, if it is Python 3.11+ that has ``venv`` and ``ensurepip``."""
    found = shutil.which(command)
    if found is None:
        return None
    try:
        done = subprocess.run(
            [found, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = done.stdout.strip().split(" ")
    if done.returncode != 0 or len(fields) < 4 or fields[0] != "True":
        return None
    shared = {"True": True, "False": False}.get(fields[1])
    return Interpreter(" ".join(fields[2:-1]), fields[-1], shared)


def ranked(found: list[Interpreter]) -> list[Interpreter]:
    """``found`` (the PATH's ``python3`` first) in the order to try them, each executable
    once: those with ``libpython`` linked in first, otherwise in the order found."""
    seen: dict[str, Interpreter] = {}
    for interpreter in found:
        seen.setdefault(os.path.realpath(interpreter.executable), interpreter)
    return sorted(seen.values(), key=lambda x: x.shared is not False)


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
    others = ", ".join(sorted({x.executable for x in found} - {chosen.executable}))
    print(
        f"made {args.dest} from {chosen.executable} (Python {chosen.version}, {_linked(chosen)})"
        + (f"; also found: {others}" if others else "")
    )
    return 0


def _linked(interpreter: Interpreter) -> str:
    if interpreter.shared is None:
        return "libpython's linking unknown"
    return "through a shared libpython" if interpreter.shared else "libpython linked in"


if __name__ == "__main__":
    raise SystemExit(main())
