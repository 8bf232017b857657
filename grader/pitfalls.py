"""Pitfall warnings: what a submission's files show before anything runs.

Three pitfalls, each stated only where it is true of this submission and this sandbox image:

    stdlib_shadow  a file the program's Python finds first under a standard-library module's name
                   (`queue.py` next to the script: `import queue`, also inside multiprocessing, loads it)
    main_guard     multiprocessing processes made at a script's top level, outside
                   `if __name__ == "__main__":` (parsed with ast, never imported)
    crlf_shebang   a `#!` line that ends in a Windows line ending (the program it names gets a "\\r")

A warning is a Diagnosis (template and facts, so it is rendered in English and Korean) in
Result.warnings; it changes no score. `find_pitfalls` reads the files (the edge); the rest is pure.
"""

from __future__ import annotations

import ast
import posixpath
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.result import Diagnosis, Evidence, Message, N_

if TYPE_CHECKING:
    from grader.spec.schema import Assignment

__all__ = [
    "STDLIB_PYTHON",
    "STDLIB_SHADOWABLE",
    "PythonRun",
    "crlf_shebang",
    "find_pitfalls",
    "main_guard_calls",
    "python_runs",
    "shadowed_modules",
]

# The sandbox image's python3 and the top-level standard-library modules a file next to the script
# shadows there: sys.stdlib_module_names less the built-in and frozen modules, the modules already
# imported when a script starts, and the names this build does not have. Not the grader's own Python:
# it may be another version. Regenerate with `python -m grader.pitfalls stdlib` (runs STDLIB_GENERATOR
# in the sandbox); tests/engine/test_variants_engine.py checks this list against the image.
STDLIB_PYTHON = "3.11.2"
STDLIB_SHADOWABLE: frozenset[str] = frozenset("""
__future__ _aix_support _asyncio _bootsubprocess _bz2 _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp
_codecs_kr _codecs_tw _compat_pickle _compression _contextvars _crypt _ctypes _curses _curses_panel _dbm
_decimal _hashlib _json _lsprof _lzma _markupbase _multibytecodec _multiprocessing _osx_support
_posixshmem _py_abc _pydecimal _pyio _queue _sqlite3 _ssl _strptime _threading_local _typing _uuid
_weakrefset _zoneinfo aifc antigravity argparse ast asynchat asyncio asyncore audioop base64 bdb bisect
bz2 cProfile calendar cgi cgitb chunk cmd code codeop collections colorsys compileall concurrent
configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm decimal
difflib dis distutils doctest email enum filecmp fileinput fnmatch fractions ftplib functools getopt
getpass gettext glob graphlib gzip hashlib heapq hmac html http imaplib imghdr imp importlib inspect
ipaddress json keyword linecache locale logging lzma mailbox mailcap mimetypes mmap modulefinder
multiprocessing netrc nis nntplib nturl2path numbers opcode operator optparse ossaudiodev pathlib pdb
pickle pickletools pipes pkgutil platform plistlib poplib pprint profile pstats pty py_compile pyclbr
pydoc pydoc_data queue quopri random re readline reprlib resource rlcompleter sched secrets selectors
shelve shlex shutil signal smtpd smtplib sndhdr socket socketserver sqlite3 sre_compile sre_constants
sre_parse ssl statistics string stringprep struct subprocess sunau symtable sysconfig tabnanny tarfile
telnetlib tempfile termios textwrap this threading timeit token tokenize tomllib trace traceback
tracemalloc tty turtle types typing unittest urllib uu uuid venv warnings wave weakref webbrowser
wsgiref xdrlib xml xmlrpc zipapp zipfile zoneinfo
""".split())

# Run as a script in the sandbox, it prints the image's version and STDLIB_SHADOWABLE (one line).
STDLIB_GENERATOR = '''import sys
startup = set(sys.modules)
from importlib.machinery import FrozenImporter, PathFinder
names = sorted(n for n in sys.stdlib_module_names
               if n not in sys.builtin_module_names and n not in startup and FrozenImporter.find_spec(n) is None
               and PathFinder.find_spec(n, sys.path[1:]) is not None)
print(sys.version.split()[0], " ".join(names))
'''

SHADOW = N_("{file} has the name of the standard-library module {module}, and it sits next to {script}, "
            "where Python looks first: every `import {module}`, in your code or inside Python's own modules "
            "(multiprocessing imports queue, for one), loads your file instead. Rename your file.")
MAIN_GUARD = N_("{file}, line {line}: {call}(...) is called at the top level of the file, not under "
                "`if __name__ == \"__main__\":`. With the spawn or forkserver start method (the default on "
                "Windows and macOS, and on Linux from Python 3.14) every new process runs the file's top "
                "level again, and starting a process there stops with RuntimeError. Put the code that "
                "starts processes under the guard.")
CRLF_PROGRAM = N_("{file} starts with a #! line that ends in a Windows line ending (\\r\\n): the program it "
                  "names, {program}, gets an invisible carriage return at its end, and no program of that "
                  "name exists, so running the file directly (./{file}) fails. Save it with Unix line "
                  "endings (LF).")
CRLF_ARGUMENT = N_("{file} starts with a #! line that ends in a Windows line ending (\\r\\n): its last word, "
                   "{word}, reaches the program as {word} with an invisible carriage return at its end, so "
                   "running the file directly (./{file}) may fail. Save it with Unix line endings (LF).")
LINE_LABEL = N_("the line")
WORK_FOLDER = N_("the work folder")     # where `python3 -m module` looks first

_PYTHONS = frozenset({"python", "python3", "/usr/bin/python3", "/usr/bin/python", "/usr/local/bin/python3"})
_OPTIONS_WITH_VALUE = frozenset("WXQ")           # python3 -W arg, -X opt: the next word is not the script
# Calls that make processes (or a server or pool of them) in multiprocessing and concurrent.futures.
_PROCESS_MAKERS = frozenset({"Process", "Pool", "Manager", "ProcessPoolExecutor"})
_PROCESS_MODULES = ("multiprocessing", "concurrent.futures", "concurrent")
MAX_SOURCE_BYTES = 1 << 20                        # a larger script is not parsed (no warning, never a guess)
SHEBANG_BYTES = 4096


@dataclass(frozen=True, slots=True)
class PythonRun:
    """A command that runs Python: the script it runs (None with -m or -c) and where Python looks first."""

    script: str | None            # relative path of the script, as in the command
    first_dir: str | None         # the folder put first on sys.path ("" = the work dir); None: none (-I, -P, -c)


def python_runs(commands: Iterable[Sequence[str]]) -> list[PythonRun]:
    """The Python invocations among `commands` (argv lists), once each."""
    found: dict[PythonRun, None] = {}
    for argv in commands:
        if not argv or (argv[0] not in _PYTHONS and not posixpath.basename(argv[0]).startswith("python3")):
            continue
        script: str | None = None
        first: str | None = ""
        words = iter(argv[1:])
        for word in words:
            if word.startswith("-") and len(word) > 1 and not word.startswith("--"):
                flags = word[1:]
                if "I" in flags or "P" in flags:
                    first = None
                if "c" in flags:
                    first = None
                    break
                if "m" in flags:
                    break                # a module run: the work dir is first on sys.path
                if flags[-1] in _OPTIONS_WITH_VALUE and len(flags) == 1:
                    next(words, None)
                continue
            if word.startswith("--"):
                continue
            script = posixpath.normpath(word)
            if first is not None:
                first = posixpath.dirname(script)
            break
        found[PythonRun(script, first)] = None
    return list(found)


def shadowed_modules(files: Iterable[str], folder: str, known: frozenset[str] = STDLIB_SHADOWABLE) -> dict[str, str]:
    """Standard-library module name -> the submitted file in `folder` that Python finds instead of it."""
    out: dict[str, str] = {}
    for name in sorted(files):
        parent, base = posixpath.split(name)
        if base.endswith(".py") and parent == folder and base[:-3] in known:
            out.setdefault(base[:-3], name)
        elif base == "__init__.py" and parent and posixpath.dirname(parent) == folder:
            module = posixpath.basename(parent)
            if module in known:
                out.setdefault(module, name)
    return out


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names bound to multiprocessing-like modules or contexts, process-making names imported directly)."""
    modules: set[str] = set()
    makers: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("multiprocessing", "concurrent"):
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(_PROCESS_MODULES):
            for alias in node.names:
                if alias.name in _PROCESS_MAKERS:
                    makers.add(alias.asname or alias.name)
                elif alias.name in ("get_context", "pool", "context", "futures", "process"):
                    modules.add(alias.asname or alias.name)
    # ctx = multiprocessing.get_context(...): ctx.Process(...) makes processes too.
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and _root(node.value.func) in modules and _last(node.value.func) == "get_context"):
            modules.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return modules, makers


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Call):
        return _root(node.func)
    return node.id if isinstance(node, ast.Name) else None


def _last(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _top_level(body: Sequence[ast.stmt]) -> Iterable[ast.AST]:
    """The nodes that run when the module is imported, outside functions, classes and the main guard."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(statement, ast.If):
            yield statement.test
            if not _is_main_guard(statement.test):
                yield from _top_level(statement.body)
            yield from _top_level(statement.orelse)
            continue
        nested = [getattr(statement, name) for name in ("body", "orelse", "finalbody")
                  if isinstance(getattr(statement, name, None), list)]
        handlers = getattr(statement, "handlers", None) or getattr(statement, "cases", None) or []
        if nested or handlers:
            for field_name, value in ast.iter_fields(statement):
                if isinstance(value, ast.AST):
                    yield value
                elif field_name in ("items",) and isinstance(value, list):
                    yield from value
            for block in nested:
                yield from _top_level(block)
            for handler in handlers:
                yield from _top_level(handler.body)
            continue
        yield statement


def _calls(node: ast.AST) -> Iterable[ast.Call]:
    """Calls in `node` that run with it (not those inside a lambda's body)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Lambda):
            continue
        if isinstance(item, ast.Call):
            yield item
        stack.extend(ast.iter_child_nodes(item))


def main_guard_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) of each process-making multiprocessing call at the script's top level, outside
    `if __name__ == "__main__":`; [] when the file does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    modules, makers = _aliases(tree)
    if not modules and not makers:
        return []
    found: list[tuple[int, str]] = []
    for node in _top_level(tree.body):
        for call in _calls(node):
            last = _last(call.func)
            if isinstance(call.func, ast.Name) and call.func.id in makers:
                found.append((call.lineno, call.func.id))
            elif isinstance(call.func, ast.Attribute) and last in _PROCESS_MAKERS and _root(call.func) in modules:
                found.append((call.lineno, ast.unparse(call.func)))
    return sorted(set(found))


def crlf_shebang(head: bytes) -> tuple[str, str] | None:
    """("program" | "argument", the word that gets the "\\r") when `head` starts with a #! line ending
    in \\r\\n; else None."""
    if not head.startswith(b"#!"):
        return None
    line, sep, _ = head.partition(b"\n")
    if not sep or not line.endswith(b"\r"):
        return None
    words = line[2:].rstrip(b"\r").decode("utf-8", "replace").split()
    if not words:
        return None
    if len(words) == 1:
        return "program", words[0]
    if posixpath.basename(words[0]) == "env" and len(words) == 2 and not words[1].startswith("-"):
        return "program", words[1]
    return "argument", words[-1]


def _warning(code: str, message: Message, evidence: list[Evidence] | None = None) -> Diagnosis:
    return Diagnosis(code=code, message=message.english, params=dict(message.params), evidence=evidence or [],
                     template=message.template)


def _commands(assignment: Assignment) -> list[list[str]]:
    commands = [list(t.run) for t in assignment.tests if t.run]
    if assignment.run:
        commands.insert(0, list(assignment.run))
    return commands


def _read(path: Path, limit: int) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except OSError:
        return None


def find_pitfalls(assignment: Assignment, submission_dir: Path, files: Sequence[str] | None = None) -> list[Diagnosis]:
    """The warnings one submission's files earn for this (resolved) assignment, in a stable order.

    files: the submission's relative POSIX paths (default: every file under `submission_dir`).
    """
    root = Path(submission_dir)
    if files is None:
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    warnings: list[Diagnosis] = []
    runs = python_runs(_commands(assignment))
    told: set[str] = set()
    for run in runs:
        if run.first_dir is None:
            continue
        for module, name in shadowed_modules(files, run.first_dir).items():
            if name in told:
                continue
            told.add(name)
            warnings.append(_warning("stdlib_shadow", Message(SHADOW, {
                "file": name, "module": module, "script": run.script or Message(WORK_FOLDER)})))
    checked: set[str] = set()
    for run in runs:
        if run.script is None or run.script in checked or run.script not in files:
            continue
        checked.add(run.script)
        data = _read(root / run.script, MAX_SOURCE_BYTES)
        if data is None or len(data) > MAX_SOURCE_BYTES:
            continue
        source = data.decode("utf-8", "replace")
        lines = source.splitlines()
        for line, call in main_guard_calls(source)[:1]:    # the first one says it; the fix is the same
            shown = lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""
            warnings.append(_warning("main_guard", Message(MAIN_GUARD, {"file": run.script, "line": line,
                                                                        "call": call}),
                                     [Evidence(label=LINE_LABEL, lines=[f"{line}: {shown}"])] if shown else []))
    for name in files:
        head = _read(root / name, SHEBANG_BYTES)
        found = crlf_shebang(head or b"")
        if found is None:
            continue
        kind, word = found
        if kind == "program":
            warnings.append(_warning("crlf_shebang", Message(CRLF_PROGRAM, {"file": name, "program": word})))
        else:
            warnings.append(_warning("crlf_shebang", Message(CRLF_ARGUMENT, {"file": name, "word": word})))
    return warnings


def _main(argv: list[str]) -> int:
    """`python -m grader.pitfalls stdlib`: print the image's STDLIB_PYTHON and STDLIB_SHADOWABLE."""
    if argv[:1] != ["stdlib"]:
        print("usage: python -m grader.pitfalls stdlib", file=sys.stderr)
        return 2
    import tempfile

    from grader.api import default_sandbox
    from grader.sandbox.records import Limits, RunRequest

    with tempfile.TemporaryDirectory(prefix="grader-stdlib-") as tmp:
        (Path(tmp) / "stdlib_names.py").write_text(STDLIB_GENERATOR, encoding="utf-8")
        request = RunRequest(name="stdlib", command=("/usr/bin/python3", "stdlib_names.py"), trace=False)
        outcome = default_sandbox().run(Path(tmp), [request], limits=Limits())
    records = outcome.runs.get("stdlib") or []
    if not records or records[0].exit_code != 0:
        print(f"the sandbox did not run the generator: {outcome.internal_error or records}", file=sys.stderr)
        return 1
    print(records[0].stdout.decode("utf-8").strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
