"""tools/make_venv.py: which interpreter the environment is made from."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "make_venv.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_venv", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_venv"] = module  # dataclasses resolve the module by name
    spec.loader.exec_module(module)
    return module


mv = _load()


def _interpreter(executable: str, seconds: float) -> object:
    return mv.Interpreter(executable, "3.11.9", seconds)


def test_a_faster_interpreter_goes_first_only_past_the_margin() -> None:
    path_python = _interpreter("/opt/a/python3", 0.300)
    slightly = _interpreter("/usr/bin/python3", 0.290)  # 3 % faster: the PATH's stays first
    clearly = _interpreter("/usr/local/bin/python3", 0.200)
    assert mv.ranked([path_python, slightly]) == [path_python, slightly]
    assert mv.ranked([path_python, slightly, clearly]) == [clearly, path_python, slightly]
    assert mv.ranked([]) == []


def test_one_executable_is_tried_once(tmp_path: Path) -> None:
    real = tmp_path / "python3.11"
    real.write_text("")
    alias = tmp_path / "python3"
    alias.symlink_to(real)
    first = _interpreter(str(alias), 0.3)
    assert mv.ranked([first, _interpreter(str(real), 0.1)]) == [first]


def test_probe_reads_this_interpreter_and_passes_over_what_is_not_one() -> None:
    found = mv.probe(sys.executable)
    assert found is not None
    assert found.version == sys.version.split()[0]
    assert found.probe_seconds > 0
    assert mv.probe("/bin/false") is None
    assert mv.probe("no-such-python-here") is None


def test_an_interpreter_that_cannot_make_it_is_passed_over(tmp_path: Path) -> None:
    broken = _interpreter("/bin/false", 0.01)
    working = _interpreter(sys.executable, 0.5)
    made = mv.make(tmp_path / "env", [broken, working])
    assert made == working
    assert (tmp_path / "env" / "bin" / "python").exists()
    assert mv.make(tmp_path / "other", [broken]) is None
    assert not (tmp_path / "other").exists()
