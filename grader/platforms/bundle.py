"""What every platform package shares: the grader's wheel and its dependencies' wheels for each
supported python (so grading never needs the network), the stdlib-only script that unpacks them,
the assignment without its solutions, and the small file helpers of the entry points."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError, UsageError

__all__ = ["INSTALL_WHEELS", "PLATFORMS", "PYTHON_VERSIONS", "assignment_files", "bundle_wheels", "project_root",
           "strip_solutions", "submitted_target", "write_json"]

PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = ("manylinux2014_{arch}", "manylinux_2_17_{arch}", "manylinux_2_28_{arch}", "linux_{arch}")

# Standard library only: runs with the image's python before the grader is installed.
INSTALL_WHEELS = r'''"""Unpack, per distribution, the one wheel made for this python and machine into a folder."""
import platform
import re
import sys
import zipfile
from pathlib import Path

WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<ver>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def score(py, abi, plat):
    """Higher is better; None when the wheel cannot run here."""
    major, minor = sys.version_info[:2]
    arch = platform.machine()
    plats = plat.split(".")
    if not any(p == "any" or (p.endswith("_" + arch) and ("linux" in p)) for p in plats):
        return None
    pys = py.split(".")
    here = f"cp{major}{minor}"
    if here in pys and abi in (here, "abi3", "none"):
        return 3
    if abi == "abi3":
        versions = [int(p[3:]) for p in pys if p.startswith("cp3") and p[3:].isdigit()]
        if versions and max(versions) <= minor:
            return 2
    if abi == "none" and any(p in ("py3", f"py{major}{minor}", "py2.py3") for p in pys):
        return 1
    return None


def main(wheels, target):
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    best = {}
    for wheel in sorted(Path(wheels).glob("*.whl")):
        m = WHEEL.match(wheel.name)
        if not m:
            continue
        s = score(m["py"], m["abi"], m["plat"])
        if s is None:
            continue
        name = m["name"].lower().replace("-", "_")
        if name not in best or s > best[name][0]:
            best[name] = (s, wheel)
    if not best:
        sys.exit(f"install_wheels: no wheel in {wheels} fits python {sys.version.split()[0]}")
    for _s, wheel in best.values():
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
        for data in target.glob("*.data"):
            for kind in ("purelib", "platlib"):
                for item in (data / kind).glob("*") if (data / kind).is_dir() else []:
                    item.rename(target / item.name)
        print(f"installed {wheel.name}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
'''


# The end of every platform's install script: the bundled wheels unpacked offline onto a private
# sys.path, and a `grader` launcher bound to the chosen interpreter ($PY) and source folder ($SRC).
INSTALL_AND_LAUNCH = """rm -rf "$SRC/pylib"
"$PY" -I "$SRC/install_wheels.py" "$SRC/wheels" "$SRC/pylib"
cat > /usr/local/bin/grader <<EOF
#!$PY -I
import sys
sys.path.insert(0, "$SRC/pylib")
from grader.cli import main
main()
EOF
chmod 755 /usr/local/bin/grader
chmod 700 "$SRC"
grader --version
"""


def project_root() -> Path:
    """The checkout this grader runs from (the wheel is built from it)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise UsageError("`grader package` builds the grader's wheel from its source checkout, and none was found "
                         f"next to {Path(__file__).resolve().parents[1]}",
                         hint="run it from a clone of the grader's repository (pip install -e .)")
    return root


def strip_solutions(text: str) -> str:
    """The assignment file without its `reference:` and `faulty:` entries (their paths are not shipped).

    Top-level keys (and each variant's) are cut as text so line numbers in error messages and every
    other byte stay the author's; the result is checked to parse to the same data less those keys."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError("the assignment file is not a mapping")
    out: list[str] = []
    skipping: int | None = None          # the indent of the key being cut, while its block lasts
    keys: list[tuple[int, str]] = []     # (indent, key) of the mapping keys enclosing this line
    for line in text.splitlines(keepends=True):
        key = re.match(r"^( *)([A-Za-z_][\w-]*)\s*:", line)
        indent = len(line) - len(line.lstrip(" "))
        if skipping is not None and line.strip() and not line.lstrip().startswith("#") and indent <= skipping:
            skipping = None
        if key and skipping is None:
            keys = [(i, k) for i, k in keys if i < indent] + [(indent, key.group(2))]
            path = [k for _, k in keys]
            # top-level reference/faulty, and each variant's (variants: <name>: reference/faulty)
            if path in (["reference"], ["faulty"]) or (len(path) == 3 and path[0] == "variants"
                                                       and path[2] in ("reference", "faulty")):
                skipping = indent
        if skipping is None:
            out.append(line)
    stripped = "".join(out)
    expected = {k: v for k, v in data.items() if k not in ("reference", "faulty")}
    if isinstance(expected.get("variants"), dict):   # each variant's solutions stay home too
        expected["variants"] = {name: {k: v for k, v in spec.items() if k not in ("reference", "faulty")}
                                if isinstance(spec, dict) else spec for name, spec in expected["variants"].items()}
    if yaml.safe_load(stripped) != expected:
        stripped = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)
    return stripped


def assignment_files(assignment_path: Path) -> tuple[str, list[tuple[Path, str]]]:
    """The stripped assignment text and (source, name in the zip) of every other file that may go in."""
    from grader.spec.loader import load_assignment

    spec = load_assignment(assignment_path)
    folder = assignment_path.resolve().parent
    excluded = [folder / p for v in spec.resolved_variants() for p in ([v.reference] if v.reference else [])] + [
        folder / f.path for v in spec.resolved_variants() for f in v.faulty]
    excluded = [p.resolve() for p in excluded]
    files: list[tuple[Path, str]] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.resolve() == assignment_path.resolve():
            continue
        real = path.resolve()
        if any(real == ex or ex in real.parents for ex in excluded):
            continue
        rel = path.relative_to(folder)
        if rel.parts[0] in ("solution", "solutions", "faulty") or "__pycache__" in rel.parts:
            continue   # the folders that hold known solutions stay home whole
        files.append((path, rel.as_posix()))
    return strip_solutions(assignment_path.read_text(encoding="utf-8")), files


def _requires(wheel: Path) -> tuple[list[str], str]:
    """The wheel's Requires-Dist (without extras) and Requires-Python."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode("utf-8")
    requires = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]
    requires = [r for r in requires if "extra ==" not in r]
    python = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                   if line.startswith("Requires-Python:")), ">=3")
    return requires, python


def _min_python(spec: str) -> tuple[int, int]:
    m = re.search(r">=\s*(\d+)\.(\d+)", spec)
    return (int(m.group(1)), int(m.group(2))) if m else (3, 8)


def _pip(args: Sequence[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise GraderError(f"pip {args[0]} failed: " + " | ".join(tail))


def bundle_wheels(wheels: Path, *, python_versions: Sequence[str] | None = None,
                  arch: str = "x86_64") -> tuple[list[str], tuple[int, int]]:
    """Build this project's wheel into `wheels` and download its dependencies' wheels for every
    supported python on manylinux `arch`. Returns the python versions bundled and the floor."""
    # setuptools builds in the source tree (build/, *.egg-info): two packagers at once would clash there.
    root = project_root()
    with open(Path(tempfile.gettempdir()) / f"grader-wheel-{hashlib.sha256(str(root).encode()).hexdigest()[:12]}.lock",
              "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _pip(["wheel", "--no-deps", "--quiet", "-w", str(wheels), str(root)])
    own = next(wheels.glob("*.whl"))
    requires, requires_python = _requires(own)
    floor = _min_python(requires_python)
    versions = [v for v in (python_versions or PYTHON_VERSIONS)
                if tuple(int(x) for x in v.split(".")) >= floor]
    if not versions:
        raise UsageError(f"the grader needs python {requires_python}: none of {list(python_versions or [])} fits")
    for version in versions:
        platform_args = [a for p in PLATFORMS for a in ("--platform", p.format(arch=arch))]
        _pip(["download", "--quiet", "--only-binary=:all:", "--python-version", version,
              "--implementation", "cp", *platform_args, "-d", str(wheels), *requires])
    return versions, floor


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def submitted_target(folder: Path) -> Path:
    """What the student handed in: the folder, or the one archive it holds (Gradescope unpacks
    zips itself, not tarballs; a broken archive must be refused as the student's, in words)."""
    from grader.submission import is_archive

    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_file() and is_archive(entries[0]):
        return entries[0]
    return folder
