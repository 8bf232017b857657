"""The authors' reference of assignment files (docs/checks.md), generated from the schema itself.

Every check kind in the registry (grader.checks.CHECK_TYPES) gets a section: what it asserts (its
docstring), its parameters with types and defaults (its fields' descriptions; durations and sizes
with their units), a minimal example (EXAMPLES, or the class's own `examples`), and the sentences a
student sees when it fails (the check message templates its code names, grader.checks.messages).
Roles, placeholders, the `output.values` expressions, `fails:` names and the assignment and test
keys come from the same models. tests/unit/test_reference_doc.py fails when the file is stale or
when something the reference needs (a description, an example) is missing.

    python -m grader.spec.reference -o docs/checks.md      # or: grader docs checks -o docs/checks.md
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import importlib.util
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from grader.checks import CHECK_TYPES, CheckBase
from grader.checks import params as P
from grader.checks.base import SubjectCheck
from grader.checks.captures import CapturePattern
from grader.checks.messages import CLAUSES, TEMPLATES
from grader.spec import schema as S

__all__ = [
    "EXAMPLES",
    "REGENERATE",
    "check_examples",
    "example_assignment",
    "failure_templates",
    "missing",
    "render_reference",
    "write_reference",
]

REGENERATE = "python -m grader.spec.reference -o docs/checks.md"

# One or more minimal check items per kind, as an author writes them under `checks:`. A check class may
# carry its own instead (`examples: ClassVar[tuple[str, ...]]`); either way the test loads each one.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "output.exact": ('- output.exact: "hello os\\nhello os\\n"',),
    "output.contains": ("- output.contains: done", "- output.contains: {text: Traceback, stream: stderr, absent: true}"),
    "output.regex": ("- output.regex: '^sum = \\d+$'",),
    "output.count": ("- output.count: {pattern: '^hello os$', equals: 3}",
                     "- output.count: {pattern: '^child', role: children, min: 2}"),
    "output.unordered": ("- output.unordered: [child 1 done, child 2 done, parent done]",),
    "output.ordered": ("- output.ordered: ['^start', '^done']",),
    "output.process_order": ("- output.process_order: {patterns: ['^begin', '^end'], role: children}",),
    "output.happens_before": ("- output.happens_before: {before: {pattern: '^child done', role: children}, "
                              "after: {pattern: '^parent done', role: root}}",),
    "output.ids": ("- output.ids: {pattern: 'child pid={pid} ppid={ppid}', role: children, min: 2}",),
    "output.values": ("- output.values:\n"
                      "    captures:\n"
                      "      child: {pattern: 'child x={x}', role: children}\n"
                      "      parent: {pattern: 'parent x={x}', role: root}\n"
                      "    expect: ['child.x == 1', 'parent.x == 0']",),
    "output.writers": ("- output.writers: {pattern: '^hello os$', distinct_processes: 3}",
                       "- output.writers: {pattern: '^parent got:', written_by: root}"),
    "process.count": ("- process.count: 3", "- process.count: {min: 2, max: 4}"),
    "process.children": ("- process.children: {role: root, equals: 2}",),
    "process.tree": ("- process.tree: {chain: 3}",
                     "- process.tree: {shape: {children: [{children: [{}]}, {}]}}"),
    "process.siblings": ("- process.siblings: 3",),
    "process.exec": ("- process.exec: {program: ls, role: children}",),
    "thread.count": ("- thread.count: {role: root, equals: 4}",),
    "thread.same_process": ("- thread.same_process: 4",),
    "thread.work": ("- thread.work: {pattern: '^worker \\d+ done', min: 4}",),
    "process.reaped": ("- process.reaped: all",),
    "process.no_zombies": ("- process.no_zombies: {}",),
    "process.no_orphans": ("- process.no_orphans: {}",),
    "process.exit_code": ("- process.exit_code: 0", "- process.exit_code: {role: children, equals: 3}"),
    "process.killed": ("- process.killed: {role: 'child[0]', signal: SIGSEGV}", "- process.killed: {signal: 9}"),
    "process.concurrent": ("- process.concurrent: {role: children, min: 2}",),
    "ipc.used": ("- ipc.used: pipe",),
    "ipc.flow": ("- ipc.flow: {from: children, to: root, mechanism: pipe, min_bytes: 5}",),
    "ipc.cleanup": ("- ipc.cleanup: {}",),
    "resource.time": ("- resource.time: 2s",),
    "resource.memory": ("- resource.memory: {}",),
    "resource.pids": ("- resource.pids: {max: 8}",),
    "process.zombie": ("- process.zombie: {role: children, min: 200ms}",),
    "process.reap_order": ("- process.reap_order: reverse", "- process.reap_order: {order: ['child[1]', 'child[0]']}"),
    "process.blocked_in": ("- process.blocked_in: {role: root, call: read, on: pipe}",),
    "thread.joined": ("- thread.joined: {}",),
    "signal.sent": ("- signal.sent: {from: root, to: children, signal: SIGTERM, min: 1}",),
    "signal.delivered": ("- signal.delivered: {role: root, signal: SIGUSR1, equals: 3}",),
    "signal.handler": ("- signal.handler: {role: root, signal: SIGINT}",),
    "process.group": ("- process.group: {role: children, leader: true}",),
    "process.session": ("- process.session: {role: children, min: 1}",),
    "file.contents": ("- file.contents: {path: out.txt, contains: done}",),
}

# A whole assignment file, the smallest that shows the usual keys (the test loads it too).
ASSIGNMENT_EXAMPLE = """\
id: fork-hello
title: Fork twice, print hello from every process
language: python
files: [hello.py]
run: [python3, hello.py]
limits: {timeout: 5s, memory: 128MiB, pids: 32}
repeat: 3
tests:
  - name: three processes say hello
    points: 2
    checks:
      - output.count: {pattern: '^hello os$', equals: 3}
      - output.writers: {pattern: '^hello os$', distinct_processes: 3}
      - process.reaped: all
      - process.no_zombies: {}
reference: solution
faulty:
  - path: faulty/no_wait
    fails: [process.reaped]
"""

# Readable names of the shared parameter types (the Annotated aliases of grader.checks.params and the schema).
_TYPE_NAMES: list[tuple[Any, str]] = [
    (P.RoleOrAll, "`all` or a role"),
    (P.Role, "role"),
    (P.Regex, "regex"),
    (P.Duration, "duration"),
    (S.Memory, "size (at least 4MiB)"),
    (P.Size, "size"),
    (P.Signal, "signal"),
    (P.Count, "integer >= 0"),
    (P.PositiveInt, "integer >= 1"),
    (P.Weight, "number > 0"),
    (P.Points, "number >= 0"),
    (S.Argv, "command: a list of strings"),
    (S.RelativePath, "path, relative to the assignment file"),
    (S.AssignmentId, "id"),
    (CapturePattern, "pattern with placeholders"),
]
_MODEL_NAMES: list[tuple[type[BaseModel], str]] = [
    (S.TestSpec, "test (see [Test keys](#test-keys))"),
    (S.LimitsSpec, "mapping (see [Limits](#limits))"),
    (S.FaultySpec, "faulty solution (see [Faulty solution keys](#faulty-solution-keys))"),
]
_PLAIN_NAMES: dict[Any, str] = {bool: "true or false", str: "string", int: "integer", float: "number"}
# Ids of the check message templates; a template that says the check held (its id has an "ok" part).
_PASSED_PART = "ok"


# ----------------------------------------------------------------- what the models say

def _metadata(annotation: Any) -> tuple[Any, ...]:
    return tuple(get_args(annotation)[1:]) if get_origin(annotation) is Annotated else ()


def _alias_name(metadata: tuple[Any, ...]) -> str | None:
    for alias, name in _TYPE_NAMES:
        wanted = _metadata(alias)
        if wanted and all(any(m is w for m in metadata) for w in wanted):
            return name
    # A parameter type defined elsewhere names itself in its JSON Schema: "a signal: SIGUSR1, ..." -> "signal".
    for item in metadata:
        described = getattr(item, "json_schema", None)
        text = described.get("description", "") if isinstance(described, dict) else ""
        head = text.split(":", 1)[0].removeprefix("a ").removeprefix("an ")
        if ":" in text and 0 < len(head.split()) <= 3:
            return head
    return None


def _constraints(metadata: tuple[Any, ...]) -> str:
    words = []
    for item in metadata:
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            if isinstance(item, getattr(annotated_types, attr.capitalize())):
                words.append(f"{sign} {getattr(item, attr):g}")
    return (" " + ", ".join(words)) if words else ""


def type_name(annotation: Any, metadata: tuple[Any, ...] = ()) -> str:
    """An annotation in an author's words: 'role', 'list of regex', 'one of stdout, stderr'."""
    if metadata:
        named = _alias_name(metadata)
        return named if named else type_name(annotation) + _constraints(metadata)
    if get_origin(annotation) is Annotated:
        return type_name(get_args(annotation)[0], _metadata(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) > 1 and all(isinstance(a, type) and issubclass(a, CheckBase) for a in options):
            return "check (see [Check kinds](#check-kinds))"
        return " or ".join(type_name(a) for a in options)
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(annotation))
    if get_origin(annotation) is list:
        return f"list of {type_name(get_args(annotation)[0])}"
    if get_origin(annotation) is dict:
        return f"mapping: name -> {type_name(get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for model, name in _MODEL_NAMES:
            if annotation is model:
                return name
        keys = [_key(n, f) for n, f in annotation.model_fields.items()]
        return "{" + ", ".join(keys) + "}" if len(keys) <= 4 else "mapping"
    return _PLAIN_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def _field_type(field: FieldInfo) -> str:
    return type_name(field.annotation, tuple(field.metadata))


def _is(field: FieldInfo, alias: Any) -> bool:
    wanted = _metadata(alias)
    pool = list(field.metadata)
    for arg in get_args(field.annotation):
        pool.extend(_metadata(arg))
    return all(any(m is w for m in pool) for w in wanted)


def _yaml_scalar(value: Any) -> str:
    if value is True or value is False:
        return "`true`" if value else "`false`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""` (empty)'
    return f"`{value}`"


def default_text(field: FieldInfo) -> str:
    """A field's default as an author would write it, durations and sizes with their unit."""
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is None:
        return "not given"
    if isinstance(value, BaseModel):
        return "see its section"
    if isinstance(value, (list, dict)) and not value:
        return "none"
    if isinstance(value, int) and not isinstance(value, bool):
        if _is(field, P.Duration):
            return _yaml_scalar(P.format_duration(value))
        if _is(field, P.Size) or _is(field, S.Memory):
            return _yaml_scalar(P.format_size(value))
    return _yaml_scalar(value)


def _own_fields(cls: type[BaseModel], skip: tuple[type[BaseModel], ...]) -> list[tuple[str, FieldInfo]]:
    """A model's fields without those of `skip` (the common keys), its own first, then inherited ones."""
    common = {name for base in skip for name in base.model_fields}
    fields = [(n, f) for n, f in cls.model_fields.items() if n not in common and n != "kind"]
    own = vars(cls).get("__annotations__", {})
    return [p for p in fields if p[0] in own] + [p for p in fields if p[0] not in own]


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def _summary(obj: Any) -> str:
    return _doc(obj).split("\n\n")[0].replace("\n", " ")


def _markdown(text: str) -> str:
    """A docstring in Markdown: an indented block after a line ending in '::' becomes a code block."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.endswith("::"):
            out.append(line[:-1])
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out.extend(["", "```text", *textwrap.dedent("\n".join(block)).strip("\n").split("\n"), "```", ""])
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _examples(kind: str) -> tuple[str, ...]:
    own = getattr(CHECK_TYPES[kind], "examples", None)
    if isinstance(own, (tuple, list)) and own:
        return tuple(own)
    return EXAMPLES.get(kind, ())


# ----------------------------------------------------------------- the messages a check can give

def _functions_in(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id


def _self_methods(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
            yield sub.attr


def _strings(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


@functools.cache
def _module_tree(name: str) -> dict[str, ast.AST]:
    """The top-level classes and functions of a module, by name, parsed once."""
    tree = ast.parse(inspect.getsource(sys.modules[name]))
    return {node.name: node for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}


def _node(obj: Any) -> ast.AST | None:
    """The syntax tree of a class, function or method (by its qualified name), or None."""
    parts = obj.__qualname__.split(".")
    node = _module_tree(obj.__module__).get(parts[0])
    for part in parts[1:]:
        body = getattr(node, "body", [])
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == part), None)
    return node


def failure_templates(cls: type[CheckBase]) -> list[str]:
    """The ids of the templates a check kind's code can fail with, in messages.TEMPLATES order.

    Read from the code: the string constants of the class and of the grader.checks functions and
    inherited methods it calls (transitively); an id built as `"killed.few" + suffix` is found when
    both parts are constants there. Templates whose id has an "ok" part say that the check held.
    """
    seen: set[int] = set()
    strings: set[str] = set()
    todo: list[tuple[Any, ast.AST | None]] = [(cls, _node(cls))]
    while todo:
        owner, tree = todo.pop()
        if tree is None:
            continue
        strings.update(_strings(tree))
        module = sys.modules[owner.__module__]
        for name in set(_functions_in(tree)):
            target = vars(module).get(name)
            if inspect.isfunction(target) and target.__module__.startswith("grader.checks") and id(target) not in seen:
                seen.add(id(target))
                todo.append((target, _node(target)))
        for name in set(_self_methods(tree)):
            for base in cls.__mro__[1:]:
                method = vars(base).get(name)
                if inspect.isfunction(method):
                    if id(method) not in seen and base.__module__.startswith("grader.checks"):
                        seen.add(id(method))
                        todo.append((method, _node(method)))
                    break
    found = {s for s in strings if s in TEMPLATES}
    found |= {a + b for a in found for b in strings if b and a + b in TEMPLATES}
    return [key for key in TEMPLATES if key in found and not _passes(key)]


def _passes(key: str) -> bool:
    return _PASSED_PART in key.split(".", 1)[1].split("_")


def template_sentence(key: str) -> str:
    """A template in plain words: each <slot> filled with its simplest clause, {params} left as they are."""
    text = TEMPLATES[key]
    while "<" in text:
        start = text.index("<")
        end = text.index(">", start)
        family = CLAUSES[text[start + 1:end]]
        clause = family.get("none", next(iter(family.values())))
        text = text[:start] + clause + text[end + 1:]
    return text


# ----------------------------------------------------------------- completeness

def check_examples() -> list[tuple[str, str]]:
    """(kind, example item) for every example of every kind."""
    return [(kind, item) for kind in CHECK_TYPES for item in _examples(kind)]


def example_assignment(item: str) -> str:
    """A whole assignment file around one example check item (to load it through the real loader)."""
    body = textwrap.indent(item, " " * 6)
    return ("id: example\ntitle: example\nlanguage: python\nfiles: [a.py]\nrun: [python3, a.py]\n"
            f"tests:\n  - name: t\n    checks:\n{body}\n")


def _models() -> list[tuple[str, type[BaseModel]]]:
    """(key, model) of the assignment and of every mapping its keys hold (limits, tests, faulty, ...)."""
    found: list[tuple[str, type[BaseModel]]] = [("assignment", S.Assignment)]

    def visit(key: str, annotation: Any) -> None:
        for arg in (annotation, *get_args(annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and not issubclass(arg, CheckBase):
                if all(model is not arg for _, model in found):
                    found.append((key, arg))
                    for name, field in arg.model_fields.items():
                        visit(_key(name, field), field.annotation)
            elif arg is not annotation and get_args(arg):
                visit(key, arg)

    for name, field in S.Assignment.model_fields.items():
        visit(_key(name, field), field.annotation)
    return found


def missing() -> list[str]:
    """What the reference lacks: a check kind without a docstring or an example, a key without a description."""
    where = f"(then run `{REGENERATE}`)"
    problems: list[str] = []
    for kind, cls in CHECK_TYPES.items():
        if not _doc(cls) or _doc(cls) == _doc(SubjectCheck) or _doc(cls) == _doc(CheckBase):
            problems.append(f"check kind {kind}: {cls.__name__} has no docstring saying what it asserts {where}")
        if not _examples(kind):
            problems.append(f"check kind {kind}: no example; give {cls.__name__} `examples: ClassVar[tuple[str, ...]] "
                            f"= ('- {kind}: ...',)` or add one to grader/spec/reference.py EXAMPLES {where}")
        for name, field in cls.model_fields.items():
            if name != "kind" and not field.description:
                problems.append(f"check kind {kind}: parameter {_key(name, field)!r} has no description; add "
                                f"Field(description=...) to {cls.__name__}.{name} {where}")
        for model in _nested_models(cls):
            for name, field in model.model_fields.items():
                if not field.description:
                    problems.append(f"check kind {kind}: {model.__name__}.{name} has no description {where}")
    for label, model in _models():
        for name, field in model.model_fields.items():
            if not field.description:
                problems.append(f"{label} key {_key(name, field)!r} has no description; add Field(description=...) "
                                f"to {model.__name__}.{name} in grader/spec/schema.py {where}")
    return problems


def _nested_models(cls: type[BaseModel]) -> list[type[BaseModel]]:
    out: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        for arg in (annotation, *get_args(annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg is not cls and arg not in out:
                out.append(arg)
                for field in arg.model_fields.values():
                    visit(field.annotation)
            elif get_args(arg) and arg is not annotation:
                visit(arg)

    for name, field in cls.model_fields.items():
        if name != "kind":
            visit(field.annotation)
    return out


# ----------------------------------------------------------------- the document

def _table(rows: list[tuple[str, FieldInfo]]) -> list[str]:
    out = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in rows:
        meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
        kind = _field_type(field).replace("|", "\\|")
        out.append(f"| `{_key(name, field)}` | {kind} | {default_text(field)} | {meaning} |")
    return out


def _anchor(kind: str) -> str:
    return kind.replace(".", "")


def _check_section(kind: str, cls: type[CheckBase]) -> list[str]:
    out = [f"### `{kind}`", "", _markdown(_doc(cls)), ""]
    rows = _own_fields(cls, (SubjectCheck if issubclass(cls, SubjectCheck) else CheckBase,))
    required = [_key(n, f) for n, f in rows if f.is_required()]
    if rows:
        out += _table(rows)
        out.append("")
    if issubclass(cls, P.Bounds):
        out += ["Give `equals`, or `min` and/or `max`.", ""]
    common = "the [common keys](#common-keys)" + (" and `if_none`" if issubclass(cls, SubjectCheck) else "")
    out += [f"Also takes {common}.", ""]
    if cls.shorthand is not None:
        out += [f"Shorthand: `- {kind}: VALUE` stands for `- {kind}: {{{cls.shorthand}: VALUE}}`.", ""]
    elif not required:
        out += [f"With no parameters: `- {kind}: {{}}`.", ""]
    examples = _examples(kind)
    if examples:
        out += ["Example:" if len(examples) == 1 else "Examples:", "", "```yaml", *examples, "```", ""]
    sentences = failure_templates(cls)
    if sentences:
        out += ["What the student reads when it fails:", ""]
        out += [f"- {template_sentence(key)}" for key in sentences]
        out.append("")
    return out


def _roles_section() -> list[str]:
    return [
        "## Roles",
        "",
        "A role names tasks of the run. Processes are counted in the order the kernel created them (the",
        "order of their fork/clone calls), from the trace, never from what the program printed. The",
        "language runtime's own helper processes (e.g. multiprocessing's resource tracker or forkserver)",
        "belong to no role.",
        "",
        "| role | the tasks |",
        "|---|---|",
        "| `root` | the program's first process (the one the grader started) |",
        "| `children` | the child processes of the root, in creation order |",
        "| `child[i]` | the i-th child process of the root, counting from 0 in creation order: `child[0]` is the "
        "first one forked; write it quoted inside `{...}`: `role: 'child[0]'` |",
        "| `descendants` | every process but the root: children, their children, and so on |",
        "| `threads` | every thread other than a process's main thread, in any of the program's processes |",
        "",
        "`role` means the same in every check: it picks which tasks, or which lines, the check",
        "considers. For a line, a role owns it only when one task of the role wrote every byte of it: a",
        "line assembled from writes by several processes, or holding bytes no traced call wrote,",
        "belongs to no role (and the failure message says which line and why). A process role owns the",
        "lines any of its processes' threads wrote; `threads` owns the lines written by one non-main",
        "thread. Keys that *require* who did something have their own names: `written_by` in",
        "`output.writers`, `from` and `to` in `ipc.flow`. `process.reaped` takes `of: all` (every",
        "process but the root) or a role.",
        "",
    ]


def _placeholders_section() -> list[str]:
    return [
        "## Placeholders",
        "",
        "The patterns of `output.ids` and of the captures of `output.values` are regular expressions with",
        "placeholders:",
        "",
        "- `{name}` matches an integer (`-?\\d+`) and captures it as `name`;",
        "- `{name:REGEX}` matches REGEX instead, e.g. `{word:[a-z]+}` or `{x:-?\\d+(\\.\\d+)?}`; what it",
        "  captured is a number when it reads as one, else text;",
        "- `\\{` is a literal brace.",
        "",
        "The names `pid`, `ppid` and `tid` are bound to the trace: on every matching line the printed",
        "value must be the real pid, parent pid or thread id of the task that wrote that line (a line",
        "written by several processes cannot be checked and fails). `output.ids` needs at least one of",
        "them; `output.values` checks them too wherever they appear. The pattern is searched in each",
        "line (use `^` and `$` to anchor it). In YAML, quote patterns with single quotes: `'child {pid}'`.",
        "",
    ]


def _values_section() -> list[str]:
    spec = importlib.util.find_spec("grader.checks.expr")
    if spec is not None:
        module = importlib.import_module("grader.checks.expr")
        text = _doc(module)
    else:
        from grader.checks import captures

        text = _doc(captures.OutputValues)
    return ["## Expressions of `output.values`", "", _markdown(text), ""]


def _fails_section() -> list[str]:
    return [
        "## Faulty solutions and naming checks in `fails:`",
        "",
        "`grader validate` runs the reference solution (it must score full marks: every check passed in",
        "every run) and each faulty solution: every check its `fails:` names must fail (or be flaky), and",
        "every other check must pass. A name in `fails:` is one of:",
        "",
        "| name | names |",
        "|---|---|",
        "| `KIND`, e.g. `process.reaped` | every check of that kind, in every test |",
        "| `ID`, e.g. `done-from-root` | the checks whose `id:` is that, in every test |",
        "| `TEST NAME::KIND`, e.g. `hello::output.count` | the checks of that kind in the test of that name |",
        "| `TEST NAME::ID` | the check with that id in the test of that name |",
        "",
        "A name that matches no check is a load error that suggests the nearest name. Give a check an",
        "`id` when a test has two checks of one kind and a faulty solution fails only one of them.",
        "",
    ]


def _values_formats_section() -> list[str]:
    example_signals = ", ".join(f"{n} = {name}" for n, name in list(P.SIGNALS.items())[:15])
    return [
        "## Durations, sizes, signals and patterns",
        "",
        "- **Duration** (`timeout`, `resource.time`): a number with its unit, `ms`, `s` or `m`"
        " (`min`): `10s`, `1500ms`, `2m`. A bare number is refused, with the fix in the error"
        " (`timeout: 10000` -> \"write '10000ms' (= 10s) or '10000s'\"): the grader's own API counts"
        " milliseconds and many tools count seconds, so a bare number would be wrong by a factor of"
        " 1000 for half of the authors, silently.",
        "- **Size** (`memory`, `output`, `tmpfs`, `file_size`, `trace`): `128MiB`, `64KiB`, `1GiB`"
        " (binary), `1MB` (decimal), or a whole number of bytes (`65536`). A size too small to be"
        " meant as bytes (memory below 4MiB) is an error that suggests the unit.",
        "- **Signal** (`process.killed.signal`): a name with or without `SIG` (`SIGSEGV`, `SEGV`,"
        " `segv`) or its Linux number (`11`), as a program prints it; real-time signals as `SIGRTMIN+n`,"
        " `SIGRTMAX-n` or 32 to 64 (strace's `SIGRT_n` is signal 32 + n). Numbers are Linux's, whatever"
        f" machine the grader runs on: {example_signals}, ...",
        "- **Regular expression**: Python's `re` syntax, searched in each line (not anchored unless"
        " you write `^`/`$`). Quote it with single quotes in YAML (`'^child \\d+$'`): inside single"
        " quotes a backslash is an ordinary character. Inside `{...}` or `[...]` flow mappings, quote"
        " every value that holds `[`, `]`, `{`, `}`, `,`, `:` or `#`.",
        "",
    ]


def _checks_intro() -> list[str]:
    ended = [c for k, c in CLAUSES["ended"].items() if k != "none"]
    return [
        "## Writing a check",
        "",
        "Each item under a test's `checks:` is a one-key mapping, the check's kind and its parameters:",
        "",
        "```yaml",
        "checks:",
        "  - output.count: {pattern: '^hello os$', equals: 3}   # kind: {parameters}",
        "  - process.count: 3                                   # a shorthand value (see each kind)",
        "  - process.no_zombies: {}                             # no parameters",
        "```",
        "",
        "Every check passes or fails once per run; over the runs of a test (`repeat`) it is passed (in",
        "every run), flaky (in some) or failed (in none). A mistake in a check is a load error with the",
        "file, line and field, and the fix when there is an obvious one.",
        "",
        "### Common keys",
        "",
        "Every check also takes:",
        "",
        *_table([(n, f) for n, f in CheckBase.model_fields.items() if n != "kind"]),
        "",
        "Checks about something the program must have made (children, threads, matching lines, data",
        "flows, IPC objects) also take:",
        "",
        *_table([(n, f) for n, f in SubjectCheck.model_fields.items() if n not in CheckBase.model_fields]),
        "",
        "When such a check finds nothing to judge because the program ended early, its message says how:",
        *[f"\"...{c}\"" + ("," if i < len(ended) - 1 else ".") for i, c in enumerate(ended)],
        "",
    ]


_SECTION_TITLES: dict[str, str] = {"limits": "Limits", "tests": "Test keys", "faulty": "Faulty solution keys"}


def _model_sections() -> list[str]:
    """A section with a table of keys for each mapping an assignment holds (limits, a test, ...)."""
    out: list[str] = []
    for key, model in _models()[1:]:
        summary = _summary(model)
        if model is S.LimitsSpec:
            summary = "`limits:` applies to every run of every test."
        elif model is S.TestSpec:
            summary += " Keys not given take the assignment's value."
        out += [f"## {_SECTION_TITLES.get(key, f'`{key}` keys')}", "", summary, "",
                *_table(list(model.model_fields.items())), ""]
    return out


def render_reference() -> str:
    """The whole reference, as Markdown."""
    kinds = list(CHECK_TYPES.items())
    out: list[str] = [
        "# Assignment files: the reference",
        "",
        f"<!-- Generated from the schema by `{REGENERATE}` (or `grader docs checks -o docs/checks.md`). -->",
        "<!-- Do not edit by hand: tests/unit/test_reference_doc.py fails when this file is stale. -->",
        "",
        "An assignment file is YAML: what to build and run, the tests, and each test's checks. `grader",
        "validate` proves it; `grader schema` prints its JSON Schema for editors. Every example below is",
        "loaded by the test suite through the real loader.",
        "",
        "```yaml",
        ASSIGNMENT_EXAMPLE.rstrip("\n"),
        "```",
        "",
        "## Assignment keys",
        "",
        _summary(S.Assignment),
        "",
        *_table(list(S.Assignment.model_fields.items())),
        "",
        *_model_sections(),
        *_fails_section(),
        *_values_formats_section(),
        *_roles_section(),
        *_placeholders_section(),
        *_checks_intro(),
        *_values_section(),
        "## Check kinds",
        "",
        *[f"- [`{kind}`](#{_anchor(kind)}): {_summary(cls)}" for kind, cls in kinds],
        "",
    ]
    for kind, cls in kinds:
        out += _check_section(kind, cls)
    return "\n".join(out).rstrip("\n") + "\n"


def write_reference(out: str | Path, *, echo: Callable[[str], Any] | None = None) -> str:
    """Write the reference to `out` ('-': standard output); returns the text."""
    text = render_reference()
    if str(out) == "-":
        (echo or sys.stdout.write)(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
    return text


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.spec.reference",
                                     description="Write the reference of assignment files (Markdown).")
    parser.add_argument("-o", "--out", default="-", help="the file to write, '-' for standard output (default)")
    args = parser.parse_args(argv)
    write_reference(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
