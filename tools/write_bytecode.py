"""Write the bytecode of every module a ``custsync`` command imports, once, at install.

The installer leaves packages without their bytecode, and where ``PYTHONDONTWRITEBYTECODE``
is set (a common setting in containers and CI machines) Python never writes it either: each
command then compiles some 900 modules again before doing anything, about 2.2 s of every
``custsync customers show`` (README "The interpreter"). Python reads bytecode whatever that
variable says, and writes it as it imports when ``sys.dont_write_bytecode`` is off: so this
turns it off and imports every module of the packages given, and with them everything they
import.

    python tools/write_bytecode.py [PACKAGE ...]      (default: custsync)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterable


def import_all(packages: Iterable[str]) -> int:
    """Import each package and every module inside it (but ``__main__``, which would run);
    returns how many modules were imported, with what they import."""
    before = len(sys.modules)
    for name in packages:
        package = importlib.import_module(name)
        for found in pkgutil.walk_packages(package.__path__, f"{name}."):
            if not found.name.endswith(".__main__"):
                importlib.import_module(found.name)
    return len(sys.modules) - before


def main(argv: list[str]) -> int:
    sys.dont_write_bytecode = False  # whatever PYTHONDONTWRITEBYTECODE says
    packages = argv or ["custsync"]
    imported = import_all(packages)
    print(f"bytecode: {', '.join(packages)} and {imported} modules in all, written where missing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
