"""tools/write_bytecode.py: bytecode written as the modules are imported, whatever
PYTHONDONTWRITEBYTECODE says."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from tests.support.tools import TOOLS, load_tool

wb = load_tool("write_bytecode")


def test_bytecode_is_written_for_every_module_of_a_package_though_the_variable_is_set(
    tmp_path: Path,
) -> None:
    package = tmp_path / "sample"
    (package / "inner").mkdir(parents=True)
    for source in ("__init__.py", "one.py", "inner/__init__.py", "inner/two.py"):
        (package / source).write_text("ANSWER = 42\n", encoding="utf-8")
    (package / "__main__.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    env = os.environ | {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path)}
    script = str(TOOLS / "write_bytecode.py")
    done = subprocess.run(
        [sys.executable, script, "sample"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bytecode: sample and ")
    for source in ("__init__.py", "one.py", "inner/__init__.py", "inner/two.py"):
        assert Path(importlib.util.cache_from_source(str(package / source))).is_file()
    assert not Path(importlib.util.cache_from_source(str(package / "__main__.py"))).exists()


def test_every_custsync_module_is_imported_but_the_one_that_runs_the_command_line() -> None:
    wb.import_all(["custsync"])
    assert "custsync.comparison" in sys.modules
    assert "custsync.sandbox.server" in sys.modules
    assert "custsync.__main__" not in sys.modules
