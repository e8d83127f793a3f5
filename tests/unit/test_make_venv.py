"""tools/make_venv.py: which interpreter the environment is made from."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.tools import load_tool

mv = load_tool("make_venv")


def _interpreter(executable: str, shared: bool | None) -> object:
    return mv.Interpreter(executable, "3.11.9", shared)


def test_an_interpreter_with_libpython_linked_in_goes_first() -> None:
    path_python = _interpreter("/opt/a/python3", True)
    unknown = _interpreter("/opt/b/python3", None)
    system = _interpreter("/usr/bin/python3", False)
    assert mv.ranked([path_python, unknown, system]) == [system, path_python, unknown]
    assert mv.ranked([path_python, unknown]) == [path_python, unknown]  # the PATH's first
    assert mv.ranked([]) == []


def test_one_executable_is_tried_once(tmp_path: Path) -> None:
    real = tmp_path / "python3.11"
    real.write_text("")
    alias = tmp_path / "python3"
    alias.symlink_to(real)
    first = _interpreter(str(alias), True)
    assert mv.ranked([first, _interpreter(str(real), False)]) == [first]


def test_probe_reads_this_interpreter_and_passes_over_what_is_not_one() -> None:
    found = mv.probe(sys.executable)
    assert found is not None
    assert found.version == sys.version.split()[0]
    maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    assert found.shared == ("libpython" in maps)
    assert mv.probe("/bin/false") is None
    assert mv.probe("no-such-python-here") is None


def test_an_interpreter_that_cannot_make_it_is_passed_over(tmp_path: Path) -> None:
    broken = _interpreter("/bin/false", False)
    working = _interpreter(sys.executable, True)
    made = mv.make(tmp_path / "env", [broken, working])
    assert made == working
    assert (tmp_path / "env" / "bin" / "python").exists()
    assert mv.make(tmp_path / "other", [broken]) is None
    assert not (tmp_path / "other").exists()
