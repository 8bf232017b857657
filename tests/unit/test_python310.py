"""The grader runs on Python 3.10 (Gradescope's Ubuntu 22.04 image): no 3.11-only syntax or stdlib names.

Every module of grader/ is parsed with 3.10's grammar, and its imports and attribute uses are checked
against a denylist of what 3.10's standard library does not have. (The suite itself runs on the
project's own interpreter; this is what keeps a 3.11-only name from slipping back in.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "grader").rglob("*.py"))

# module -> names it gained after 3.10 (imported `from module import name`, or used as module.name)
NEW_IN_311 = {
    "tomllib": None,                                    # the whole module
    "wsgiref.types": None,
    "datetime": {"UTC"},
    "enum": {"StrEnum", "ReprEnum", "EnumCheck", "FlagBoundary", "verify", "member", "nonmember",
             "global_enum", "show_flag_values"},
    "typing": {"Self", "Never", "LiteralString", "TypeVarTuple", "Unpack", "assert_never", "assert_type",
               "reveal_type", "dataclass_transform", "Required", "NotRequired", "override", "get_overloads",
               "clear_overloads", "TypeAliasType"},
    "asyncio": {"TaskGroup", "Runner", "timeout", "timeout_at", "Barrier"},
    "contextlib": {"chdir"},
    "hashlib": {"file_digest"},
    "operator": {"call"},
    "math": {"cbrt", "exp2"},
    "itertools": {"batched"},
    "logging": {"getLevelNamesMapping"},
}
BUILTINS_NEW = {"ExceptionGroup", "BaseExceptionGroup"}


def problems(source: str, name: str = "<string>") -> list[str]:
    """What in `source` would not run on Python 3.10 (empty when nothing)."""
    try:
        tree = ast.parse(source, filename=name, feature_version=(3, 10))
    except SyntaxError as exc:
        return [f"{name}:{exc.lineno}: not 3.10 syntax: {exc.msg}"]
    found: list[str] = []
    aliases: dict[str, str] = {}                     # local name -> module it stands for
    for node in ast.walk(tree):
        try_star = getattr(ast, "TryStar", None)     # 3.11's node; parsed only when feature_version allows
        if try_star is not None and isinstance(node, try_star):
            found.append(f"{name}:{node.lineno}: except* is 3.11")
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                if alias.name in NEW_IN_311 and NEW_IN_311[alias.name] is None:
                    found.append(f"{name}:{node.lineno}: module {alias.name} is 3.11")
        elif isinstance(node, ast.ImportFrom) and node.module:
            added = NEW_IN_311.get(node.module, set())
            if added is None:
                found.append(f"{name}:{node.lineno}: module {node.module} is 3.11")
                continue
            for alias in node.names:
                if alias.name in added:
                    found.append(f"{name}:{node.lineno}: {node.module}.{alias.name} is 3.11")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id)
            added = NEW_IN_311.get(module or "", set())
            if module is not None and added and node.attr in added:
                found.append(f"{name}:{node.lineno}: {module}.{node.attr} is 3.11")
        elif isinstance(node, ast.Name) and node.id in BUILTINS_NEW:
            found.append(f"{name}:{node.lineno}: {node.id} is 3.11")
    return found


def test_grader_has_modules() -> None:
    assert len(MODULES) > 50


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_runs_on_python_310(path: Path) -> None:
    assert problems(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()) == []


@pytest.mark.parametrize("source", [
    "import tomllib\n",
    "from datetime import UTC, datetime\n",
    "import datetime\nx = datetime.UTC\n",
    "from typing import Self\n",
    "import typing as t\nx: t.Never\n",
    "from enum import StrEnum\n",
    "import asyncio\nasync def f():\n    async with asyncio.TaskGroup() as g: pass\n",
    "try:\n    pass\nexcept* ValueError:\n    pass\n",
    "raise ExceptionGroup('x', [ValueError()])\n",
    "def f[T](x: T) -> T: return x\n",
])
def test_the_check_catches_what_310_lacks(source: str) -> None:
    assert problems(source) != []


def test_the_check_passes_what_310_has() -> None:
    ok = ("from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\n"
          "from typing import Literal, TypeAlias\nimport enum\nclass C(str, enum.Enum): A = 'a'\n"
          "match x:\n    case _: pass\n")
    assert problems(ok) == []


def test_the_package_says_it_needs_310() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.10"' in text
    assert 'target-version = "py310"' in text


def _pick_python(tmp_path: Path, min_py: str) -> str:
    """Run the generated setup.sh's pick_python with a python3 on PATH that says it is 3.10."""
    import re
    import subprocess
    import sys

    from grader.platforms.gradescope import SETUP_SH

    script = SETUP_SH.format(source="/autograder/source", min_py=min_py, install_and_launch="")
    function = re.search(r"^pick_python\(\) \{\n.*?^\}\n", script, re.S | re.M)
    assert function is not None
    fake = tmp_path / "python3"
    fake.write_text(f'#!/bin/sh\nexec {sys.executable} -c "import sys; sys.version_info = (3, 10, 12); $2"\n')
    fake.chmod(0o755)
    proc = subprocess.run(["sh", "-c", f"MIN_PY={min_py}\n{function.group(0)}pick_python"], capture_output=True,
                          text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"}, check=False)
    return proc.stdout.strip()


def test_gradescope_setup_takes_the_system_python3_when_it_is_310(tmp_path: Path) -> None:
    assert _pick_python(tmp_path, "3.10") == str(tmp_path / "python3")
    # A floor above it: the fake 3.10 is passed over for a newer interpreter, if the machine has one.
    assert _pick_python(tmp_path, "3.11") != str(tmp_path / "python3")


def test_the_bundle_floor_is_the_package_floor() -> None:
    from grader.platforms.bundle import PYTHON_VERSIONS, _min_python

    assert _min_python(">=3.10") == (3, 10)
    assert PYTHON_VERSIONS[0] == "3.10"


def test_a_z_deadline_is_read_as_on_311() -> None:
    # Python 3.10's datetime.fromisoformat refuses a trailing Z; 3.11 reads it as UTC.
    from grader.intake.lms import _check_deadline

    assert _check_deadline("2024-03-01T23:59Z") == "2024-03-01T23:59:00+00:00"
    assert _check_deadline("2024-03-01T23:59+09:00") == "2024-03-01T23:59:00+09:00"
