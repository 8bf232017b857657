"""Load an assignment file: YAML with line numbers -> normalised checks -> validated Assignment, or SpecError."""

from __future__ import annotations

import difflib
import hashlib
import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from grader.checks import CHECK_TYPES
from grader.errors import SpecError
from grader.spec.schema import VARIANT_ONLY, Assignment

__all__ = ["format_field", "load_assignment", "parse_assignment"]

Loc = tuple[str | int, ...]
# Stands in for a check already reported as malformed, so the rest of the file is still validated.
_STAND_IN = {"kind": "resource.memory"}


class _Located:
    """YAML turned into plain data, with the line of every mapping key and sequence item."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Loc, int] = {(): 1}
        self.problems: list[tuple[Loc, str]] = []
        self.line_of_problem: dict[str, int] = {}  # a problem's own line, where it differs from its field's
        self._loader = yaml.SafeLoader(text)
        try:
            node = self._loader.get_single_node()
        finally:
            self._loader.dispose()
        if node is not None:
            self.lines[()] = node.start_mark.line + 1
        self.data = self._build(node, ()) if node is not None else None

    def _build(self, node: yaml.Node, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._loader.construct_object(key_node, deep=True)
                if isinstance(key, bool) or key is None:
                    # YAML 1.1 reads a bare `on`, `off`, `yes`, `no` or `null` key as a boolean or null; no
                    # key of an assignment is one, so the key is the word the author wrote (`on: pipe`).
                    key = key_node.value
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    self.problems.append((loc, f"keys must be plain names, got {key!r}"))
                    continue
                key = str(key) if not isinstance(key, str) else key
                here = (*loc, key)
                if key in out:
                    message = f"duplicate key {key!r} (already given on line {self.lines[here]})"
                    self.problems.append((here, message))
                    self.line_of_problem[message] = key_node.start_mark.line + 1
                    continue
                self.lines[here] = key_node.start_mark.line + 1
                out[key] = self._build(value_node, here)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*loc, index)] = item.start_mark.line + 1
                items.append(self._build(item, (*loc, index)))
            return items
        return self._loader.construct_object(node, deep=True)

    def line(self, loc: Loc) -> int:
        """The line of the longest prefix of `loc` that exists in the file."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def format_field(loc: Loc) -> str:
    """('tests', 0, 'checks', 1, 'output.count', 'equals') -> 'tests[0].checks[1].output.count.equals'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _normalise_checks(data: Any, problems: list[tuple[Loc, str]]) -> None:
    """Turn each `- kind: {params}` / `- kind: scalar` into `{kind: ..., **params}` in place."""
    if not isinstance(data, dict):
        return
    _normalise_tests(data.get("tests"), ("tests",), problems)
    if isinstance(data.get("variants"), dict):
        for name, variant in data["variants"].items():
            if isinstance(variant, dict):
                _normalise_tests(variant.get("tests"), ("variants", name, "tests"), problems)


def _normalise_tests(tests: Any, where: Loc, problems: list[tuple[Loc, str]]) -> None:
    """_normalise_checks for one list of tests (the assignment's or a variant's), at `where`."""
    if not isinstance(tests, list):
        return
    for t, test in enumerate(tests):
        if not isinstance(test, dict) or not isinstance(test.get("checks"), list):
            continue
        checks = test["checks"]
        for c, item in enumerate(checks):
            loc: Loc = (*where, t, "checks", c)
            before = len(problems)
            _normalise_one(checks, c, item, loc, problems)
            if len(problems) > before:
                checks[c] = dict(_STAND_IN)


def _required(kind: str) -> list[str]:
    """The parameters a check kind cannot do without (by the names an author writes)."""
    fields = CHECK_TYPES[kind].model_fields
    return [f.alias or name for name, f in fields.items() if f.is_required() and name != "kind"]


def _written(kind: str, params: dict[str, Any] | None = None) -> str:
    """How to write a check item: `- process.no_zombies: {}`, `- output.count: {pattern: ..., ...}`."""
    shown = {**{name: "..." for name in _required(kind)}, **(params or {})}
    if not shown:
        return f"`- {kind}: {{}}`"
    inner = ", ".join(f"{k}: {v if v == '...' else _flow(v)}" for k, v in shown.items())
    return f"`- {kind}: {{{inner}}}`"


def _flow(value: Any) -> str:
    """A value as YAML flow text (for a suggestion)."""
    text = str(yaml.safe_dump(value, default_flow_style=True, width=1000)).strip()
    return text.removesuffix("...").strip()


def _not_one_key(item: Any) -> str:
    """Why a check item is not `kind: {parameters}`, and what to write instead."""
    if isinstance(item, str):
        word = item.strip()
        if word in CHECK_TYPES:
            return f"got {item!r}: write {_written(word)}"
        head, _, rest = word.partition(":")
        if head.strip() in CHECK_TYPES and rest:
            return f"got {item!r}: put a space after the colon, as in `- {head.strip()}: {rest.strip()}`"
        close = difflib.get_close_matches(word, list(CHECK_TYPES), n=1, cutoff=0.6)
        if close:
            return f"got {item!r}: write {_written(close[0])} (did you mean {close[0]!r}?)"
        return f"got {item!r}"
    if not isinstance(item, dict):
        return f"got {item!r}"
    keys = list(item)
    if isinstance(item.get("kind"), str) and item["kind"] in CHECK_TYPES:
        kind = item["kind"]
        return (f"got the kind as a `kind:` key; write the kind as the key: "
                f"{_written(kind, {k: v for k, v in item.items() if k != 'kind'})}")
    known = [k for k in keys if k in CHECK_TYPES]
    if known:
        return (f"has keys {', '.join(map(repr, keys))}; put {', '.join(k for k in keys if k not in known)} "
                f"inside {known[0]}'s mapping")
    if not keys:
        return "got an empty mapping: name the check kind, e.g. `- process.no_zombies: {}`"
    return f"got {item!r}"


def _normalise_one(checks: list[Any], c: int, item: Any, loc: Loc, problems: list[tuple[Loc, str]]) -> None:
    """Normalise one check item in place, or add a problem."""
    if not isinstance(item, dict) or len(item) != 1:
        problems.append((loc, f"a check is a one-key mapping `kind: {{parameters}}`, {_not_one_key(item)}"))
        return
    kind, value = next(iter(item.items()))
    cls = CHECK_TYPES.get(kind)
    if cls is None:
        head = str(kind).partition(":")[0].strip()
        fix = (f" (put a space after the colon: `- {head}: ...`)" if head in CHECK_TYPES and head != kind
               else _suggest(str(kind), CHECK_TYPES))
        problems.append(((*loc, kind), f"unknown check kind {kind!r}{fix}"))
        return
    if isinstance(value, dict):
        if "kind" in value:
            problems.append(((*loc, kind, "kind"), "the check's kind is its key; remove 'kind'"))
            return
        checks[c] = {"kind": kind, **value}
    elif value is None or value is True:
        checks[c] = {"kind": kind}
    elif cls.shorthand is not None:
        checks[c] = {"kind": kind, cls.shorthand: value}
    else:
        problems.append(((*loc, kind), f"expected a mapping of parameters (or nothing), got {value!r}: write "
                                       f"{_written(kind)}"))


def _strip(annotation: Any) -> Any:
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The schema model that the data at `loc` is validated against."""
    current: Any = Assignment
    for part in loc:
        current = _strip(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or name: f for name, f in current.model_fields.items()}
            fields.update(current.model_fields)
            if part not in fields:
                return None
            current = fields[part].annotation
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) in (Union, types.UnionType) and part in CHECK_TYPES:
            current = CHECK_TYPES[str(part)]
        else:
            return None
    current = _strip(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _describe(error: Any) -> tuple[Loc, str]:
    """(where, what) for one pydantic error, in plain words."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    got = repr(error.get("input"))
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = [f.alias or name for name, f in model.model_fields.items()] if model else []
        allowed = [a for a in allowed if a != "kind"]
        return loc, f"unknown key {loc[-1]!r}{_suggest(str(loc[-1]), allowed)}" + (
            f"; allowed: {', '.join(allowed)}" if allowed else ""
        )
    if kind == "missing":
        return loc, "this required field is missing"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        value = error.get("input")
        near = _suggest(value, choices) if isinstance(value, str) else ""
        return loc, f"expected one of {ctx.get('expected')}, got {got}{near}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"expected a mapping, got {got}"
    if kind == "list_type":
        return loc, f"expected a list, got {got}"
    if kind == "string_type":
        return loc, f"expected a string, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return loc, f"expected true or false, got {got}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing"):
        return loc, f"expected a number, got {got}"
    if kind == "too_short":
        if isinstance(error.get("input"), str):
            return loc, "expected a non-empty string"
        return loc, f"expected at least {ctx.get('min_length')} item(s), got {got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "?")
        return loc, f"expected a number {sign} {bound}, got {got}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return loc, "expected a check `kind: {parameters}`"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if error["type"] not in {"integer", "number", "regex", "role", "duration", "size", "signal", "path", "argv", "id",
                             "capture", "expression", "bounds", "limits", "tree", "writers", "happens_before"}:
        message = message[:1].lower() + message[1:] + f", got {got}"
    return loc, message


def _semantic_problems(assignment: Assignment, folder: Path) -> list[tuple[Loc, str]]:
    """Cross-field rules: unique test names, paths that exist, faulty `fails` that name real checks;
    with variants, each variant's own fields and each variant's solutions against its tests."""
    if not assignment.variants:
        problems: list[tuple[Loc, str]] = [
            ((name,), "this required field is missing") for name, value in
            (("language", assignment.language), ("files", assignment.files), ("run", assignment.run),
             ("tests", assignment.tests)) if not value]
        return problems or _variant_problems(assignment, folder, (), ())
    problems = [((name,), f"with variants, {name!r} belongs inside each variant (variants.<name>.{name})")
                for name in VARIANT_ONLY if name in assignment.model_fields_set]
    for name, spec in assignment.variants.items():
        if spec.tests is None and not assignment.tests:
            problems.append((("variants", name, "tests"),
                             "this variant needs its own tests: the assignment gives none to share"))
    if problems:
        return problems
    for name, spec in assignment.variants.items():
        resolved = assignment.for_variant(name)
        here: Loc = ("variants", name)
        problems.extend(_variant_problems(resolved, folder, here, here if spec.tests is not None else ()))
    return problems


def _variant_problems(assignment: Assignment, folder: Path, where: Loc, tests_at: Loc) -> list[tuple[Loc, str]]:
    """The cross-field rules for one plain assignment (or one resolved variant): its fields are at
    `where` in the file, its tests at `tests_at`."""
    problems: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for index, test in enumerate(assignment.tests):
        if test.name in seen:
            problems.append(((*tests_at, "tests", index, "name"),
                             f"test name {test.name!r} is already used by tests[{seen[test.name]}]"))
        seen.setdefault(test.name, index)
        ids = [c.id for c in test.checks if c.id]
        for c, check in enumerate(test.checks):
            if check.id and ids.count(check.id) > 1:
                problems.append(((*tests_at, "tests", index, "checks", c, check.kind, "id"),
                                 f"check id {check.id!r} is used twice"))
    if assignment.reference is not None and not (folder / assignment.reference).exists():
        problems.append(((*where, "reference"), f"file not found: {assignment.reference!r} (relative to {folder})"))
    known = assignment.check_ids()
    for index, faulty in enumerate(assignment.faulty):
        if not (folder / faulty.path).exists():
            problems.append(((*where, "faulty", index, "path"),
                             f"file not found: {faulty.path!r} (relative to {folder})"))
        for f, name in enumerate(faulty.fails):
            if name not in known:
                problems.append(((*where, "faulty", index, "fails", f),
                                 f"no check is called {name!r}{_suggest(name, known)}"))
    if len(set(assignment.files)) != len(assignment.files):
        problems.append(((*where, "files"), "a file is listed twice"))
    if assignment.sanitize is not None:
        try:
            assignment.build_command  # noqa: B018 - raises when the sanitizer's flags cannot be added
        except ValueError as err:
            problems.append(((*where, "sanitize"), str(err)))
    return problems


def parse_assignment(text: str, *, source: str = "<assignment>", folder: Path | None = None) -> Assignment:
    """Validate assignment YAML text; errors become one SpecError listing 'source:line: field: problem'."""
    try:
        located = _Located(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(err, "problem", None) or str(err)
        if "'['" in what:
            what += " (inside {...} or [...], quote values that contain brackets, e.g. 'child[0]')"
        raise SpecError(f"{source}:{line}: YAML syntax error: {what}") from None
    data = located.data
    if not isinstance(data, dict):
        raise SpecError(f"{source}:1: expected a mapping of assignment fields (id, title, ...), got {data!r}")
    problems = list(located.problems)
    _normalise_checks(data, problems)
    assignment: Assignment | None = None
    try:
        assignment = Assignment.model_validate(data)
    except ValidationError as err:
        problems.extend(_describe(e) for e in err.errors(include_url=False))
    if assignment is not None and not problems:
        problems.extend(_semantic_problems(assignment, folder or Path(".")))
    if problems:
        numbered = {}
        for loc, what in problems:
            line = located.line_of_problem.get(what) or located.line(loc)
            numbered[f"{source}:{line}: {format_field(loc)}: {what}"] = line
        lines = sorted(numbered.items(), key=lambda kv: kv[1])
        messages = [m for m, _ in lines]
        raise SpecError("\n".join(messages), problems=messages)
    assert assignment is not None
    assignment._folder = folder
    assignment._hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return assignment


def load_assignment(path: Path | str) -> Assignment:
    """Read and validate an assignment file (or a folder holding assignment.yaml)."""
    path = Path(path)
    if path.is_dir():
        path = path / "assignment.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"{path}: cannot read the assignment file: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: the assignment file is not UTF-8 text") from None
    assignment = parse_assignment(text, source=str(path), folder=path.parent.resolve())
    assignment._source = path.resolve()
    return assignment
