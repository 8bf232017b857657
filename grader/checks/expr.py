r"""Binding expressions: a small, safe language over printed values and the kernel's account of the run.

An `output.values` check names *captures* (lines matched by a pattern with `{name}` placeholders)
and lists expressions in `expect`. Each expression is parsed once, when the assignment is loaded,
by the grammar below (a recursive-descent parser owned by this module: nothing is ever handed to
Python's `eval`). A typo is a load error naming the field and the nearest known name.

Captures (the `captures:` of an output.values check): `pattern` is a regular expression with
placeholders. `{x}` captures an integer (`-?\d+`), `{x:regex}` what `regex` matches (a number when it
looks like one, else text). A placeholder may appear more than once: in alternatives
(`^(?:pid={p} tid={t}|tid={t} pid={p})$` accepts either order) or twice in a row (`{x} and {x}`,
which matches only where both print the same value). A placeholder inside an optional group
(`(?: exited with {code})?`) is absent on the lines that do not print it. `role` keeps only lines
written entirely by one task of the role; `line: first` or `line: last` keeps only the first or last
line of the stream (written by the role), which must then match. Placeholders named pid, ppid and tid
are also checked against the line's writer, as output.ids checks them: name a pid the line reports
about another process otherwise (`child {c} exited`).

Grammar (lowest precedence first)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "//" | "%") unary)*
    unary      := "-" unary | postfix
    postfix    := atom ("." NAME | "[" expr "]")*
    atom       := NUMBER | STRING | "true" | "false" | "none" | NAME | NAME "(" [expr ("," expr)*] ")"
                | "(" expr ")" | "[" [expr ("," expr)*] "]"

Comparisons do not chain (`a < b < c` is refused: write `a < b and b < c`). Strings are quoted
with ' or ". Integer division is `//`; there is no `/`. Arithmetic with `none` gives `none`.

Names:

- a capture `c` stands for one of its lines; `c.x` is what placeholder `{x}` captured on it (an
  integer when it looks like one, else text), `c.writer` the process that wrote the whole line (from
  the trace, never from the text), `c.thread` the thread that wrote it, `c.line` its 1-based line
  number in the stream, `c.text` its text;
- `writer`, `thread`, `line`, `text` alone mean the same for the one capture the expression is about;
- `root` (also `first`): the program's first process; `procs`: every process of the run (the language
  runtime's helpers left out), in creation order; `threads`: every thread besides the main ones;
- `proc(N)`: the task (process or thread) whose id is N; the trace must have it.

A process (or thread) has: `pid`, `tid`, `ppid`, `parent`, `children` (creation order),
`descendants`, `depth` (how many parents above it in the run: 0 for the first process), `threads`,
`exit_status` (none when a signal killed it or it never ended), `signal` (e.g. 'SIGSEGV', none when
it exited), `signo` (the signal's number, e.g. 11), `py_exitcode` (multiprocessing's
`Process.exitcode`: the exit status, or -N when signal N killed it), `core_dumped`, `reaped_by` (the
process whose wait collected it, or none), `reaped` (the children it collected, in the order it
collected them), `received_from` (the processes whose bytes it read through a pipe, socket, FIFO,
message queue or file), `sent_to` (the processes that read its bytes), `bytes_received` (how many
bytes it read that other processes wrote), `zombie`, `orphan`, `program` (the path it last exec'd).
An attribute of a list of processes is the list of their attributes: `writer.children.pid`.
`list[i]` indexes from 0 (`[-1]` is the last item).

Functions: `count(x)`, `len(x)`, `distinct(x)` (how many different values), `sum`, `min`, `max`,
`first`, `last`, `sorted`, `any`, `all`, `abs`, `proc(N)`, `reaped_by(p)` (= `p.reaped`).

Quantifiers: an expression that mentions a capture outside any function above must hold for every
line of that capture (for every pair of lines, with two captures; at most MAX_COMBINATIONS). Inside
`count`, `distinct`, `sum`, `min`, `max`, `first`, `last`, `sorted`, `any`, `all` and `len`, a
capture always gathers all its lines: `count(c)` is the number of its lines, `last(total.n)` the
value on its last line, `all(c.x > 0)` says the comparison holds on each, and `c.x == max(c.x)` is
judged on each line against the largest value of all. A line lacking an optional placeholder the
expression reads is not judged by that expression (and not counted by `count(c.x)`).

Examples (placeholders about another process are not named pid, see Captures)::

    c.p == c.writer.pid                                # "child pid=15": a child prints its own pid
    c.pp == c.writer.parent.pid                        # ... and its parent's
    st.c in st.writer.children.pid                     # "child 15 exited with status 3": one of its children
    proc(st.c).exit_status == st.code                  # ... and that child's real exit status
    proc(k.c).signo == k.sig                           # "child 15 killed by signal 11"
    [r.a, r.b] == r.writer.reaped.pid                  # "reaped 15 then 16", in the order of the waits
    m.pp == root.pid                                   # "my parent is 14 (the first process)"
    got.n == got.writer.bytes_received                 # "child got 15 bytes"
    count(c) == 3 and distinct(c.p) == 3
    last(total.n) == 4 * 100000
"""

from __future__ import annotations

import difflib
import itertools
import signal as signal_module
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGGREGATES",
    "FUNCTIONS",
    "MAX_COMBINATIONS",
    "GLOBALS",
    "PROCESS_ATTRIBUTES",
    "ROW_ATTRIBUTES",
    "Binding",
    "ExprError",
    "Fact",
    "Failure",
    "Judgement",
    "NoFact",
    "Node",
    "ProcessView",
    "Row",
    "Skip",
    "TraceView",
    "compile_expression",
    "evaluate",
    "judge",
    "parse",
    "reads_trace",
]


class ExprError(ValueError):
    """A malformed or ill-named expression (an assignment author's error), with where it is."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


# ----------------------------------------------------------------------------- tokens
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "none", "True", "False", "None"}
_OPERATORS = ("==", "!=", "<=", ">=", "//", "<", ">", "+", "-", "*", "%", "(", ")", "[", "]", ".", ",")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str          # "num", "str", "name", "op", "kw", "end"
    text: str
    start: int
    value: Any = None


def _tokens(source: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if ch.isdigit():
            j = i
            while j < n and source[j].isdigit():
                j += 1
            is_float = j + 1 < n and source[j] == "." and source[j + 1].isdigit()
            if is_float:
                j += 1
                while j < n and source[j].isdigit():
                    j += 1
            text = source[i:j]
            out.append(_Token("num", text, i, float(text) if is_float else int(text)))
            i = j
            continue
        if ch in "'\"":
            j = source.find(ch, i + 1)
            if j < 0:
                raise ExprError(f"the text starting at {source[i:i + 12]!r} has no closing {ch}", i)
            out.append(_Token("str", source[i:j + 1], i, source[i + 1:j]))
            i = j + 1
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < n and (source[j].isalnum() or source[j] == "_"):
                j += 1
            text = source[i:j]
            out.append(_Token("kw" if text in _KEYWORDS else "name", text, i))
            i = j
            continue
        for op in _OPERATORS:
            if source.startswith(op, i):
                out.append(_Token("op", op, i))
                i += len(op)
                break
        else:
            hint = " (use '==' to compare)" if ch == "=" else " (use '//' for integer division)" if ch == "/" else ""
            raise ExprError(f"unexpected character {ch!r}{hint}", i)
    out.append(_Token("end", "", n))
    return out


# ----------------------------------------------------------------------------- syntax tree
@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Attr:
    obj: Node
    name: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Index:
    obj: Node
    index: Node
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Node, ...]
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Unary:
    op: str           # "-" or "not"
    operand: Node
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Binary:
    op: str           # + - * // % and or
    left: Node
    right: Node
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Compare:
    op: str           # == != < <= > >= in "not in"
    left: Node
    right: Node
    span: tuple[int, int]


Node = Literal | Name | Attr | Index | Call | ListExpr | Unary | Binary | Compare

_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.pos = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str) -> _Token:
        if not self.at(kind, text):
            token = self.peek()
            got = "the end" if token.kind == "end" else repr(token.text)
            raise ExprError(f"expected {text!r} but found {got}", token.start)
        return self.take()

    def parse(self) -> Node:
        node = self.expression()
        if not self.at("end"):
            token = self.peek()
            more = " (comparisons do not chain: write 'a < b and b < c')" if token.text in _COMPARISONS else ""
            raise ExprError(f"unexpected {token.text!r}{more}", token.start)
        return node

    def expression(self) -> Node:
        return self.disjunction()

    def disjunction(self) -> Node:
        left = self.conjunction()
        while self.at("kw", "or"):
            self.take()
            right = self.conjunction()
            left = Binary("or", left, right, (left.span[0], right.span[1]))
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.at("kw", "and"):
            self.take()
            right = self.negation()
            left = Binary("and", left, right, (left.span[0], right.span[1]))
        return left

    def negation(self) -> Node:
        if self.at("kw", "not"):
            start = self.take().start
            operand = self.negation()
            return Unary("not", operand, (start, operand.span[1]))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.peek()
        op: str | None = None
        if token.kind == "op" and token.text in _COMPARISONS:
            op = token.text
            self.take()
        elif token.kind == "kw" and token.text == "in":
            op = "in"
            self.take()
        elif token.kind == "kw" and token.text == "not" and self.peek(1).kind == "kw" and self.peek(1).text == "in":
            op = "not in"
            self.take()
            self.take()
        if op is None:
            return left
        right = self.sum()
        return Compare(op, left, right, (left.span[0], right.span[1]))

    def sum(self) -> Node:
        left = self.product()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            right = self.product()
            left = Binary(op, left, right, (left.span[0], right.span[1]))
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "//", "%"):
            op = self.take().text
            right = self.unary()
            left = Binary(op, left, right, (left.span[0], right.span[1]))
        return left

    def unary(self) -> Node:
        if self.at("op", "-"):
            start = self.take().start
            operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) \
                    and not isinstance(operand.value, bool):
                return Literal(-operand.value, (start, operand.span[1]))
            return Unary("-", operand, (start, operand.span[1]))
        return self.postfix()

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            if self.at("op", "."):
                self.take()
                token = self.peek()
                if token.kind not in ("name", "kw"):
                    raise ExprError("expected a name after '.'", token.start)
                self.take()
                node = Attr(node, token.text, (node.span[0], token.start + len(token.text)))
            elif self.at("op", "["):
                self.take()
                index = self.expression()
                end = self.expect("op", "]")
                node = Index(node, index, (node.span[0], end.start + 1))
            else:
                return node

    def items(self, closing: str) -> tuple[tuple[Node, ...], int]:
        items: list[Node] = []
        if not self.at("op", closing):
            items.append(self.expression())
            while self.at("op", ","):
                self.take()
                items.append(self.expression())
        end = self.expect("op", closing)
        return tuple(items), end.start + 1

    def atom(self) -> Node:
        token = self.peek()
        if token.kind in ("num", "str"):
            self.take()
            return Literal(token.value, (token.start, token.start + len(token.text)))
        if token.kind == "kw" and token.text in ("true", "false", "none", "True", "False", "None"):
            self.take()
            value = {"true": True, "false": False, "none": None}[token.text.lower()]
            return Literal(value, (token.start, token.start + len(token.text)))
        if token.kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args, end = self.items(")")
                return Call(token.text, args, (token.start, end))
            return Name(token.text, (token.start, token.start + len(token.text)))
        if token.kind == "op" and token.text == "(":
            self.take()
            inner = self.expression()
            self.expect("op", ")")
            return inner
        if token.kind == "op" and token.text == "[":
            start = self.take().start
            items, end = self.items("]")
            return ListExpr(items, (start, end))
        got = "the end" if token.kind == "end" else repr(token.text)
        raise ExprError(f"expected a value (a number, 'text', a name or a call) but found {got}", token.start)


def parse(source: str) -> Node:
    """The syntax tree of `source`; ExprError (with the offending position) when it is not an expression."""
    return _Parser(source).parse()


# ----------------------------------------------------------------------------- names and their kinds
# The kind of a value, for load-time checks: "num", "str", "bool", "proc", "procs" (a list of processes),
# "list", "row" (a capture's line) or "any" (not known before the run).
PROCESS_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "pid": ("num", "its process id (a thread's own id for a thread)"),
    "tid": ("num", "its task id (the same as pid for a process)"),
    "ppid": ("num", "the pid of the process that created it"),
    "parent": ("proc", "the process that created it"),
    "children": ("procs", "its child processes, in creation order"),
    "descendants": ("procs", "its children, their children, and so on"),
    "depth": ("num", "how many parents above it in the run: 0 for the first process, 1 for its children"),
    "threads": ("procs", "its threads besides the main one, in creation order"),
    "exit_status": ("num", "the status it exited with; none when a signal killed it or it never ended"),
    "signal": ("str", "the signal that killed it, e.g. 'SIGSEGV'; none when it exited"),
    "signo": ("num", "the number of the signal that killed it, e.g. 11; none when it exited"),
    "py_exitcode": ("num", "multiprocessing's Process.exitcode: the exit status, or -N when signal N killed it"),
    "core_dumped": ("bool", "whether it dumped core when it was killed"),
    "reaped_by": ("proc", "the process whose wait collected it; none when nothing did"),
    "reaped": ("procs", "the children it collected with wait, in the order it collected them"),
    "received_from": ("procs", "the processes whose bytes it read through a pipe, socket, FIFO, queue or file, "
                               "in the order the first bytes came"),
    "sent_to": ("procs", "the processes that read bytes it wrote through a pipe, socket, FIFO, queue or file"),
    "bytes_received": ("num", "how many bytes it read that other processes wrote (pipes, sockets, FIFOs, queues, "
                              "files)"),
    "zombie": ("bool", "whether it was left a zombie"),
    "orphan": ("bool", "whether it outlived its parent"),
    "program": ("str", "the path of the program it last exec'd; none when it exec'd nothing"),
}
ROW_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "writer": ("proc", "the process that wrote the whole line (from the trace)"),
    "thread": ("proc", "the thread that wrote the whole line (from the trace)"),
    "line": ("num", "the line's 1-based number in the stream"),
    "text": ("str", "the line's text"),
}
GLOBALS: dict[str, tuple[str, str]] = {
    "root": ("proc", "the program's first process"),
    "first": ("proc", "the program's first process (the same as root)"),
    "procs": ("procs", "every process of the run, the runtime's helpers left out, in creation order"),
    "threads": ("procs", "every thread of the run besides the main ones, in creation order"),
}
# Functions that gather a capture's lines when their argument mentions one (see the module docstring).
AGGREGATES = frozenset({"count", "len", "distinct", "sum", "min", "max", "first", "last", "sorted", "any", "all"})
FUNCTIONS: dict[str, tuple[int, str, str]] = {   # name -> (arguments, result kind, meaning)
    "count": (1, "num", "how many lines (or items)"),
    "len": (1, "num", "how many items"),
    "distinct": (1, "num", "how many different values"),
    "sum": (1, "num", "the sum"),
    "min": (1, "any", "the smallest value"),
    "max": (1, "any", "the largest value"),
    "first": (1, "any", "the first value"),
    "last": (1, "any", "the last value"),
    "sorted": (1, "list", "the values in increasing order"),
    "any": (1, "bool", "whether some value is true"),
    "all": (1, "bool", "whether every value is true"),
    "abs": (1, "num", "the absolute value"),
    "proc": (1, "proc", "the task with this id; the trace must have it"),
    "reaped_by": (1, "procs", "the children a process collected, in order"),
}
_ROW_NAMES = frozenset(ROW_ATTRIBUTES)


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True, slots=True)
class Binding:
    """One parsed `expect` expression and the captures it is about."""

    source: str
    tree: Node
    iterated: tuple[str, ...]        # captures it must hold for on every line of (in order of mention)

    def text(self, node: Node) -> str:
        """The source text of a sub-expression."""
        return self.source[node.span[0]:node.span[1]].strip()


class _Checker:
    """Resolves names, checks kinds and finds which captures an expression iterates over."""

    def __init__(self, source: str, captures: dict[str, frozenset[str]]) -> None:
        self.source = source
        self.captures = captures
        self.iterated: list[str] = []

    def free_captures(self, node: Node, inside: bool = False) -> None:
        if isinstance(node, Name):
            if node.name in self.captures and not inside and node.name not in self.iterated:
                self.iterated.append(node.name)
            return
        if isinstance(node, Call):
            for arg in node.args:
                self.free_captures(arg, inside or node.func in AGGREGATES)
            return
        for child in _children(node):
            self.free_captures(child, inside)

    def kind(self, node: Node, gathered: frozenset[str] = frozenset()) -> str:
        if isinstance(node, Literal):
            value = node.value
            if value is None:
                return "any"
            if isinstance(value, bool):
                return "bool"
            return "str" if isinstance(value, str) else "num"
        if isinstance(node, Name):
            if node.name in self.captures:
                if node.name not in self.iterated and node.name not in gathered:
                    raise ExprError(f"{node.name} is a capture: name one of its placeholders, e.g. "
                                    f"{node.name}.{min(self.captures[node.name] or {'line'})}", node.span[0])
                return "row"
            if node.name in _ROW_NAMES:
                if len(self.iterated) != 1:
                    which = "no capture" if not self.iterated else "captures " + ", ".join(self.iterated)
                    raise ExprError(f"{node.name!r} alone needs the expression to be about one capture (it is about "
                                    f"{which}): write <capture>.{node.name}", node.span[0])
                return ROW_ATTRIBUTES[node.name][0]
            if node.name in GLOBALS:
                return GLOBALS[node.name][0]
            known = sorted(set(self.captures) | set(GLOBALS) | _ROW_NAMES)
            raise ExprError(f"unknown name {node.name!r} (captures: {', '.join(sorted(self.captures)) or 'none'}; "
                            f"also root, procs, threads, proc(N)){_suggest(node.name, known)}", node.span[0])
        if isinstance(node, Attr):
            if isinstance(node.obj, Name) and node.obj.name in self.captures:
                self.kind(node.obj, gathered)
                placeholders = self.captures[node.obj.name]
                if node.name in placeholders:
                    return "any"
                if node.name in ROW_ATTRIBUTES:
                    return ROW_ATTRIBUTES[node.name][0]
                known = sorted(placeholders | _ROW_NAMES)
                raise ExprError(
                    f"capture {node.obj.name!r} has no placeholder {{{node.name}}} (it has "
                    f"{', '.join('{' + p + '}' for p in sorted(placeholders)) or 'none'}; a line also has "
                    f"writer, thread, line, text){_suggest(node.name, known)}", node.span[0])
            if isinstance(node.obj, Name) and node.obj.name not in GLOBALS and node.obj.name not in _ROW_NAMES:
                raise ExprError(f"no capture named {node.obj.name!r} (captures: "
                                f"{', '.join(sorted(self.captures)) or 'none'})"
                                f"{_suggest(node.obj.name, sorted(self.captures))}", node.span[0])
            base = self.kind(node.obj, gathered)
            if base in ("proc", "procs", "any"):
                if node.name not in PROCESS_ATTRIBUTES:
                    raise ExprError(f"a process has no {node.name!r} (it has "
                                    f"{', '.join(PROCESS_ATTRIBUTES)}){_suggest(node.name, list(PROCESS_ATTRIBUTES))}",
                                    node.span[0])
                result = PROCESS_ATTRIBUTES[node.name][0]
                if base == "procs":
                    return "procs" if result in ("proc", "procs") else "list"
                return result
            raise ExprError(f"{self.text(node.obj)} is a {_KIND_WORDS[base]}, which has no attribute "
                            f"{node.name!r}", node.span[0])
        if isinstance(node, Index):
            base = self.kind(node.obj, gathered)
            if self.kind(node.index, gathered) not in ("num", "any"):
                raise ExprError(f"the index in {self.text(node)} must be a number", node.index.span[0])
            if base == "procs":
                return "proc"
            if base in ("list", "any"):
                return "any"
            raise ExprError(f"{self.text(node.obj)} is a {_KIND_WORDS[base]}, not a list", node.span[0])
        if isinstance(node, Call):
            if node.func not in FUNCTIONS:
                raise ExprError(f"unknown function {node.func!r} (functions: {', '.join(FUNCTIONS)})"
                                f"{_suggest(node.func, list(FUNCTIONS))}", node.span[0])
            arity, result, _ = FUNCTIONS[node.func]
            if len(node.args) != arity:
                raise ExprError(f"{node.func}() takes {arity} argument(s), got {len(node.args)}", node.span[0])
            inner = gathered
            if node.func in AGGREGATES:
                inner = gathered | {n for n in _names(node.args[0]) if n in self.captures}
            kinds = [self.kind(arg, inner) for arg in node.args]
            if node.func in ("proc",) and kinds[0] not in ("num", "any"):
                raise ExprError(f"proc() takes a task id (a number), not a {_KIND_WORDS[kinds[0]]}", node.span[0])
            if node.func == "reaped_by" and kinds[0] not in ("proc", "any"):
                raise ExprError(f"reaped_by() takes a process, not a {_KIND_WORDS[kinds[0]]}", node.span[0])
            if node.func in ("first", "last", "min", "max") and kinds[0] == "procs":
                return "proc"
            if node.func == "sorted" and kinds[0] == "procs":
                return "procs"
            return result
        if isinstance(node, ListExpr):
            for item in node.items:
                self.kind(item, gathered)
            return "list"
        if isinstance(node, Unary):
            inner_kind = self.kind(node.operand, gathered)
            if node.op == "-":
                self.numeric(node.operand, inner_kind)
                return "num"
            return "bool"
        if isinstance(node, Binary):
            left, right = self.kind(node.left, gathered), self.kind(node.right, gathered)
            if node.op in ("and", "or"):
                return "bool"
            self.numeric(node.left, left)
            self.numeric(node.right, right)
            return "num"
        if isinstance(node, Compare):
            left, right = self.kind(node.left, gathered), self.kind(node.right, gathered)
            if node.op in ("in", "not in"):
                if right not in ("list", "procs", "str", "any"):
                    raise ExprError(f"{self.text(node.right)} is a {_KIND_WORDS[right]}, not a list to look in",
                                    node.right.span[0])
                return "bool"
            if "any" not in (left, right) and left != right and {left, right} != {"list", "procs"}:
                hint = " (compare its .pid)" if "proc" in (left, right) else ""
                raise ExprError(f"{self.text(node.left)} is a {_KIND_WORDS[left]} and {self.text(node.right)} is a "
                                f"{_KIND_WORDS[right]}: they cannot be compared{hint}", node.span[0])
            if node.op not in ("==", "!=") and (left in ("proc", "procs", "row", "bool")
                                                or right in ("proc", "procs", "row", "bool")):
                raise ExprError(f"{node.op} compares numbers or text, not {_KIND_WORDS[left]}s", node.span[0])
            return "bool"
        raise AssertionError(node)

    def numeric(self, node: Node, kind: str) -> None:
        if kind not in ("num", "any"):
            raise ExprError(f"{self.text(node)} is a {_KIND_WORDS[kind]}, not a number", node.span[0])

    def text(self, node: Node) -> str:
        return self.source[node.span[0]:node.span[1]].strip()


_KIND_WORDS = {"num": "number", "str": "text", "bool": "true/false value", "proc": "process",
               "procs": "list of processes", "list": "list", "row": "captured line", "any": "value"}


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Attr):
        return (node.obj,)
    if isinstance(node, Index):
        return (node.obj, node.index)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    return ()


def _names(node: Node) -> Iterator[str]:
    if isinstance(node, Name):
        yield node.name
    for child in _children(node):
        yield from _names(child)


def reads_trace(node: Node) -> bool:
    """Whether an expression reads the trace's model (a writer, a process, the tree), not only printed values."""
    if isinstance(node, Name) and (node.name in GLOBALS or node.name in ("writer", "thread")):
        return True
    if isinstance(node, Attr) and node.name in ("writer", "thread"):
        return True
    if isinstance(node, Call) and node.func in ("proc", "reaped_by"):
        return True
    return any(reads_trace(child) for child in _children(node))


def compile_expression(source: str, captures: dict[str, frozenset[str]]) -> Binding:
    """Parse and check one `expect` expression against the captures' placeholder names.

    Raises ExprError for a syntax error, an unknown name (with the nearest known one), a value of the
    wrong kind, or an expression that is not a condition (true or false).
    """
    if not isinstance(source, str) or not source.strip():
        raise ExprError("an expression is empty", 0)
    tree = parse(source)
    checker = _Checker(source, captures)
    checker.free_captures(tree)
    kind = checker.kind(tree)
    if kind not in ("bool", "any") or (kind == "any" and not isinstance(tree, Call)):
        raise ExprError(f"{source.strip()!r} is a {_KIND_WORDS[kind]}, not a condition: compare it, e.g. "
                        f"'{source.strip()} == 1'", 0)
    return Binding(source, tree, tuple(checker.iterated))


# ----------------------------------------------------------------------------- the trace, as expressions see it
@dataclass(frozen=True, slots=True)
class Fact:
    """One thing the trace said while an expression was evaluated (for the failure message)."""

    kind: str              # "end", "writer", "thread", "parent", "children", "threads", "reaped", "reaper", "procs",
                           # "root", "depth", "received_from", "sent_to", "bytes_received"
    task: int | None       # the task the fact is about
    value: Any = None


class NoFact(Exception):
    """The trace cannot give what the expression asks for (no such process, a line without one writer, ...)."""

    def __init__(self, template: str, params: dict[str, Any]) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


class Skip(Exception):
    """This line cannot be judged by this expression (an optional placeholder it reads was not printed)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One captured line: where it is, who wrote it, and what each placeholder captured."""

    capture: str
    index: int                        # 0-based line index in the stream
    text: str
    values: dict[str, Any]
    owner_process: int | None         # the one process that wrote all of it
    owner: int | None                 # the one task that wrote all of it
    processes: tuple[int, ...]        # every process whose bytes are in it
    unknown_bytes: int
    thread_unknown: bool = False      # its thread cannot be known (a shared stdio buffer)


class TraceView:
    """Read-only access to the run for expressions: tasks by id and the student's processes."""

    def __init__(self, tasks: dict[int, Any], processes: Sequence[Any], root: int | None,
                 flows: Sequence[Any] = ()) -> None:
        self.tasks = tasks
        self.processes = list(processes)
        self.student = {p.tid for p in self.processes}
        self.root = root
        self.flows = sorted(flows, key=lambda f: f.first_time)

    def process_of(self, tid: int) -> int:
        task = self.tasks.get(tid)
        return int(task.tgid) if task is not None else tid

    def received(self, pid: int) -> int:
        """Bytes `pid` read that another process wrote."""
        return sum(f.nbytes for f in self.flows
                   if self.process_of(f.reader) == pid and self.process_of(f.writer) != pid)

    def peers(self, pid: int, *, reading: bool) -> list[ProcessView]:
        """The processes `pid` read bytes from (reading) or that read its bytes, in order of the first bytes."""
        found: list[int] = []
        for flow in self.flows:
            me, other = (flow.reader, flow.writer) if reading else (flow.writer, flow.reader)
            if self.process_of(me) != pid:
                continue
            peer = self.process_of(other)
            if peer != pid and peer not in found and peer in self.tasks:
                found.append(peer)
        return [self.view(p) for p in found]

    def view(self, tid: int) -> ProcessView:
        return ProcessView(self.tasks[tid], self)

    def children(self, pid: int) -> list[ProcessView]:
        return [ProcessView(t, self) for t in self.processes if t.ppid == pid and t.tid != pid]


class ProcessView:
    """A task as an expression sees it; equal to another view of the same task."""

    __slots__ = ("task", "trace")

    def __init__(self, task: Any, trace: TraceView) -> None:
        self.task = task
        self.trace = trace

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProcessView) and other.task.tid == self.task.tid

    def __hash__(self) -> int:
        return hash(self.task.tid)

    def __repr__(self) -> str:
        return f"pid {self.task.tid}"


def _signo(name: str | None) -> int | None:
    if not name:
        return None
    try:
        return int(signal_module.Signals[name].value)
    except KeyError:
        return None


# ----------------------------------------------------------------------------- evaluation
@dataclass
class _Env:
    trace: TraceView
    rows: dict[str, Row]
    gather: dict[str, list[Row]]
    binding: Binding
    facts: list[Fact] = field(default_factory=list)
    reads: list[tuple[str, str, Any]] = field(default_factory=list)   # (capture, placeholder, value) read
    totals: dict[int, Any] = field(default_factory=dict)   # id(Call) -> its value, for aggregates over whole
                                                          # captures (the same on every line: computed once)


def _end_fact(task: Any) -> Fact:
    return Fact("end", task.tid)


def _process_attr(view: ProcessView, name: str, env: _Env) -> Any:
    task, trace = view.task, view.trace
    if name == "pid" or name == "tid":
        return task.tid
    if name == "ppid":
        env.facts.append(Fact("parent", task.tid, task.ppid))
        return task.ppid
    if name == "parent":
        env.facts.append(Fact("parent", task.tid, task.ppid))
        if task.ppid is None or task.ppid not in trace.tasks:
            raise NoFact("bind.noparent", {"pid": task.tid})
        return trace.view(task.ppid)
    if name == "children":
        kids = trace.children(task.tid)
        env.facts.append(Fact("children", task.tid, [k.task.tid for k in kids]))
        return kids
    if name == "descendants":
        out: list[ProcessView] = []
        todo = [task.tid]
        while todo:
            for kid in trace.children(todo.pop()):
                out.append(kid)
                todo.append(kid.task.tid)
        env.facts.append(Fact("children", task.tid, [k.task.tid for k in out]))
        return out
    if name == "depth":
        depth, seen, current = 0, {task.tgid}, trace.tasks.get(task.tgid, task)
        while current.ppid is not None and current.ppid in trace.tasks and current.ppid not in seen:
            seen.add(current.ppid)
            current = trace.tasks[current.ppid]
            depth += 1
        env.facts.append(Fact("depth", task.tgid, depth))
        return depth
    if name == "threads":
        found = sorted((t for t in trace.tasks.values() if t.kind == "thread" and t.tgid == task.tid),
                       key=lambda t: (t.start, t.tid))
        env.facts.append(Fact("threads", task.tid, [t.tid for t in found]))
        return [ProcessView(t, trace) for t in found]
    if name in ("exit_status", "signal", "signo", "py_exitcode", "core_dumped"):
        env.facts.append(_end_fact(task))
        if name == "exit_status":
            return task.exit_code if not task.signal else None
        if name == "signal":
            return task.signal
        if name == "signo":
            return _signo(task.signal)
        if name == "core_dumped":
            return bool(task.core_dumped)
        number = _signo(task.signal)
        if task.signal:
            return -number if number is not None else None
        return task.exit_code
    if name == "reaped_by":
        env.facts.append(Fact("reaper", task.tid, task.reaped_by))
        return trace.view(task.reaped_by) if task.reaped_by in trace.tasks else None
    if name == "reaped":
        return _reaped(view, env)
    if name == "bytes_received":
        count = trace.received(task.tgid)
        env.facts.append(Fact("bytes_received", task.tgid, count))
        return count
    if name in ("received_from", "sent_to"):
        peers = trace.peers(task.tgid, reading=name == "received_from")
        env.facts.append(Fact(name, task.tgid, [p.task.tid for p in peers]))
        return peers
    if name == "zombie":
        return bool(task.zombie)
    if name == "orphan":
        return bool(task.orphan)
    if name == "program":
        return task.program
    raise AssertionError(name)


def _reaped(view: ProcessView, env: _Env) -> list[ProcessView]:
    trace = view.trace
    tid = view.task.tid
    tids = {t.tid for t in trace.tasks.values() if t.tgid == tid}
    found = sorted((t for t in trace.tasks.values() if t.kind == "process" and t.reaped_by in tids),
                   key=lambda t: (t.reaped_at if t.reaped_at is not None else float("inf"), t.tid))
    env.facts.append(Fact("reaped", tid, [t.tid for t in found]))
    return [ProcessView(t, trace) for t in found]


def _row_attr(row: Row, name: str, env: _Env) -> Any:
    if name in row.values or (name not in ROW_ATTRIBUTES):
        if name not in row.values:
            raise Skip(name)
        value = row.values[name]
        env.reads.append((row.capture, name, value))
        return value
    if name == "line":
        env.reads.append((row.capture, name, row.index + 1))
        return row.index + 1
    if name == "text":
        env.reads.append((row.capture, name, row.text))
        return row.text
    where = {"line": row.index + 1, "text": repr(row.text if len(row.text) <= 60 else row.text[:60] + "...")}
    if row.owner_process is None or row.owner_process not in env.trace.tasks:
        processes = list(dict.fromkeys(row.processes))
        if len(processes) == 2:
            raise NoFact("ids.mixed2", {**where, "a": processes[0], "b": processes[1]})
        if len(processes) > 2:
            raise NoFact("ids.mixed", {**where, "pids": processes})
        if processes and row.unknown_bytes:
            raise NoFact("ids.unknown", where)
        raise NoFact("ids.untraced", where)
    if name == "writer":
        env.facts.append(Fact("writer", row.owner_process))
        return env.trace.view(row.owner_process)
    if row.thread_unknown:
        raise Skip("thread")
    if row.owner is None or row.owner not in env.trace.tasks:
        raise NoFact("ids.untraced", where)
    env.facts.append(Fact("thread", row.owner))
    return env.trace.view(row.owner)


def _attr(value: Any, name: str, env: _Env, node: Node) -> Any:
    if isinstance(value, Row):
        return _row_attr(value, name, env)
    if isinstance(value, ProcessView):
        return _process_attr(value, name, env)
    if isinstance(value, list):
        return [_attr(item, name, env, node) for item in value]
    if value is None:
        return None
    raise NoFact("bind.kind", {"what": env.binding.text(node), "kind": _kind_word(value)})


def _kind_word(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, ProcessView):
        return "process"
    if isinstance(value, list):
        return "list"
    return "value"


def _arith(op: str, left: Any, right: Any, env: _Env, node: Node) -> Any:
    if left is None or right is None:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
        raise NoFact("bind.kind", {"what": env.binding.text(node), "kind": _kind_word(
            left if not isinstance(left, (int, float)) else right)})
    if op in ("//", "%") and right == 0:
        return None
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    }
    return operations[op](left, right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("in", "not in"):
        if isinstance(right, str):
            found = isinstance(left, str) and left in right
        elif isinstance(right, list):
            found = left in right
        else:
            found = False
        return found if op == "in" else not found
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    try:
        orders: dict[str, Callable[[Any, Any], bool]] = {
            "<": lambda a, b: bool(a < b), "<=": lambda a, b: bool(a <= b),
            ">": lambda a, b: bool(a > b), ">=": lambda a, b: bool(a >= b),
        }
        return orders[op](left, right)
    except TypeError:
        return False


def _aggregate(func: str, values: list[Any]) -> Any:
    if func in ("count", "len"):
        return len(values)
    if func == "distinct":
        return len({repr(v) if isinstance(v, list) else v for v in values})
    if func == "any":
        return any(bool(v) for v in values)
    if func == "all":
        return all(bool(v) for v in values)
    present = [v for v in values if v is not None]
    if func == "sorted":
        try:
            return sorted(present, key=lambda v: v.task.tid if isinstance(v, ProcessView) else v)
        except TypeError:
            raise NoFact("bind.kind", {"what": func, "kind": "list of mixed values"}) from None
    if not present:
        raise NoFact("values.nothing", {})
    if func == "first":
        return values[0]
    if func == "last":
        return values[-1]
    try:
        if func == "sum":
            return sum(present)
        if func == "min":
            return min(present)
        return max(present)
    except TypeError:
        raise NoFact("bind.kind", {"what": func, "kind": "list of mixed values"}) from None


MAX_COMBINATIONS = 100_000   # lines (or pairs of lines, with two captures) one expression is judged on


def _combinations(captures: Sequence[str], env: _Env) -> int:
    count = 1
    for name in captures:
        count *= len(env.gather[name])
    return count


def _rows_of(captures: Sequence[str], env: _Env) -> Iterator[dict[str, Row]]:
    lists = [env.gather[name] for name in captures]
    for combo in itertools.product(*lists):
        yield dict(zip(captures, combo, strict=True))


def _literal(node: Any, env: _Env) -> Any:
    return node.value


def _name(node: Any, env: _Env) -> Any:
    if node.name in env.rows:
        return env.rows[node.name]
    if node.name in _ROW_NAMES and env.binding.iterated:
        return _row_attr(env.rows[env.binding.iterated[0]], node.name, env)
    trace = env.trace
    if node.name in ("root", "first"):
        if trace.root is None or trace.root not in trace.tasks:
            raise NoFact("trace.none", {})
        env.facts.append(Fact("root", trace.root))
        return trace.view(trace.root)
    if node.name == "procs":
        env.facts.append(Fact("procs", None, [p.tid for p in trace.processes]))
        return [ProcessView(p, trace) for p in trace.processes]
    if node.name == "threads":
        return [ProcessView(t, trace) for t in sorted(
            (t for t in trace.tasks.values() if t.kind == "thread" and t.tgid in trace.student),
            key=lambda t: (t.start, t.tid))]
    raise AssertionError(node.name)


def _attribute(node: Any, env: _Env) -> Any:
    return _attr(evaluate(node.obj, env), node.name, env, node)


def _index(node: Any, env: _Env) -> Any:
    items = evaluate(node.obj, env)
    index = evaluate(node.index, env)
    if items is None or index is None:
        return None
    if not isinstance(items, list) or not isinstance(index, int) or isinstance(index, bool):
        raise NoFact("bind.kind", {"what": env.binding.text(node), "kind": _kind_word(items)})
    if not -len(items) <= index < len(items):
        raise NoFact("bind.noindex", {"what": env.binding.text(node.obj), "size": len(items), "index": index})
    return items[index]


def _list(node: Any, env: _Env) -> Any:
    return [evaluate(item, env) for item in node.items]


def _unary(node: Any, env: _Env) -> Any:
    value = evaluate(node.operand, env)
    if node.op == "not":
        return not bool(value)
    return _arith("-", 0, value, env, node)


def _binary(node: Any, env: _Env) -> Any:
    if node.op == "and":
        return bool(evaluate(node.left, env)) and bool(evaluate(node.right, env))
    if node.op == "or":
        try:
            if bool(evaluate(node.left, env)):
                return True
        except NoFact:
            if bool(evaluate(node.right, env)):   # either side true is enough, whatever the other lacks
                return True
            raise
        return bool(evaluate(node.right, env))
    return _arith(node.op, evaluate(node.left, env), evaluate(node.right, env), env, node)


def _comparison(node: Any, env: _Env) -> Any:
    return _compare(node.op, evaluate(node.left, env), evaluate(node.right, env))


def evaluate(node: Node, env: _Env) -> Any:
    """The value of `node` with the env's lines bound (Skip / NoFact when it cannot be had)."""
    return _EVALUATORS[type(node)](node, env)


def _call(node: Call, env: _Env) -> Any:
    if node.func in AGGREGATES:
        arg = node.args[0]
        named = list(dict.fromkeys(_names(arg)))
        gathered = [n for n in named if n in env.gather]   # all its lines, even where a line of it is bound
        if gathered:
            independent = not any(n in _ROW_NAMES for n in named)
            if independent and id(node) in env.totals:
                return env.totals[id(node)]
            if _combinations(gathered, env) > MAX_COMBINATIONS:
                raise NoFact("bind.too_many", {"limit": MAX_COMBINATIONS})
            values = []
            for rows in _rows_of(gathered, env):
                try:
                    values.append(evaluate(arg, _Env(env.trace, {**env.rows, **rows}, env.gather, env.binding,
                                                     env.facts, env.reads, env.totals)))
                except Skip:
                    continue
            total = _aggregate(node.func, values)
            if independent:
                env.totals[id(node)] = total
            return total
        value = evaluate(arg, env)
        if value is None:
            return None if node.func not in ("count", "len", "any", "all") else _aggregate(node.func, [])
        if not isinstance(value, list):
            raise NoFact("bind.kind", {"what": env.binding.text(arg), "kind": _kind_word(value)})
        return _aggregate(node.func, value)
    value = evaluate(node.args[0], env)
    if node.func == "abs":
        return None if value is None else _arith("-", 0, value, env, node) if value < 0 else value
    if node.func == "proc":
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value not in env.trace.tasks:
            raise NoFact("bind.noproc", {"pid": value if isinstance(value, (int, float)) else repr(value)})
        return env.trace.view(value)
    if node.func == "reaped_by":
        if value is None:
            return None
        if not isinstance(value, ProcessView):
            raise NoFact("bind.kind", {"what": env.binding.text(node), "kind": _kind_word(value)})
        return _reaped(value, env)
    raise AssertionError(node.func)


_EVALUATORS: dict[type, Callable[[Any, _Env], Any]] = {
    Literal: _literal, Name: _name, Attr: _attribute, Index: _index, Call: _call,
    ListExpr: _list, Unary: _unary, Binary: _binary, Compare: _comparison,
}


# ----------------------------------------------------------------------------- judging an expression
@dataclass(frozen=True, slots=True)
class Failure:
    """Why an expression did not hold: on which lines, which part, what was printed and what the trace shows."""

    rows: dict[str, Row]             # the lines it was judged on (empty: it is about all lines at once)
    part: str                        # the comparison (or the whole expression) that failed
    printed: list[str]               # "c.x = 3" for each placeholder (or side) it read
    fact: Fact | None                # the last thing the trace said about it
    nofact: NoFact | None = None     # the trace could not give what it asks for


@dataclass(frozen=True, slots=True)
class Judgement:
    """What an expression came to over a run."""

    failures: list[Failure]
    judged: int                      # lines (or line combinations) it was judged on; 1 for a total
    skipped: int                     # lines it could not judge (an optional placeholder missing)
    unproven: tuple[Row, ...] = ()   # lines it could not judge because their thread cannot be known


def _failing_part(node: Node, env: _Env) -> Node:
    """The innermost sub-expression that makes `node` false (for `and`: its first false side)."""
    if isinstance(node, Binary) and node.op == "and":
        for side in (node.left, node.right):
            if not bool(evaluate(side, _fresh(env))):
                return _failing_part(side, env)
    if isinstance(node, Unary) and node.op == "not" and isinstance(node.operand, Binary) and node.operand.op == "or":
        for side in (node.operand.left, node.operand.right):
            if bool(evaluate(side, _fresh(env))):
                return node
    return node


def _fresh(env: _Env) -> _Env:
    return _Env(env.trace, env.rows, env.gather, env.binding, totals=env.totals)


def _describe(node: Node, env: _Env) -> Failure:
    part = _failing_part(node, env)
    probe = _fresh(env)
    printed: list[str] = []
    try:
        if isinstance(part, Compare):
            left, right = evaluate(part.left, probe), evaluate(part.right, probe)
            if not env.rows:
                for side, value in ((part.left, left), (part.right, right)):
                    if not isinstance(side, Literal):
                        printed.append(f"{env.binding.text(side)} = {_show(value)}")
        else:
            evaluate(part, probe)
    except (NoFact, Skip):
        pass
    if env.rows:
        seen: set[tuple[str, str]] = set()
        for capture, name, value in probe.reads:
            if (capture, name) not in seen:
                seen.add((capture, name))
                printed.append(f"{capture}.{name} = {_show(value)}")
    fact = probe.facts[-1] if probe.facts else None
    return Failure(dict(env.rows), env.binding.text(part), printed, fact)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value[:10]) + (", ..." if len(value) > 10 else "") + "]"
    return str(value)


def judge(binding: Binding, trace: TraceView, gather: dict[str, list[Row]]) -> Judgement:
    """Evaluate `binding` on every line (combination) of the captures it iterates over, or once."""
    failures: list[Failure] = []
    judged = skipped = 0
    unproven: list[Row] = []
    totals: dict[int, Any] = {}
    start = _Env(trace, {}, gather, binding)
    if _combinations(binding.iterated, start) > MAX_COMBINATIONS:
        return Judgement([Failure({}, binding.text(binding.tree), [], None,
                                  NoFact("bind.too_many", {"limit": MAX_COMBINATIONS}))], 0, 0)
    for rows in _rows_of(binding.iterated, start):
        env = _Env(trace, rows, gather, binding, totals=totals)
        try:
            holds = bool(evaluate(binding.tree, env))
        except Skip as why:
            skipped += 1
            if str(why) == "thread":
                unproven.append(next(iter(rows.values())))
            continue
        except NoFact as missing:
            judged += 1
            failures.append(Failure(dict(rows), binding.text(binding.tree), [], None, missing))
            continue
        judged += 1
        if not holds:
            failures.append(_describe(binding.tree, env))
    return Judgement(failures, judged, skipped, tuple(unproven))
