"""The `grader` command: thin wrappers that parse arguments and call the library.

Exit codes (grader.errors, shown in every command's --help): 0 all graded at full marks,
1 some below, 2 usage or assignment error, 3 a submission refused or its grading failed,
4 the grader's machinery failed, 130 interrupted. A failure the grader did not foresee prints
one line (and where the traceback was saved), never a traceback.

Conventions: `-` as a file option's value means stdout (the human summary then goes to stderr, so
stdout holds only the file); `--roster -` reads the CSV from stdin. `-v`/`-vv`/`-q` on the group set
the `grader` logger (stderr) to INFO/DEBUG/ERROR, WARNING by default; `-q` also hides progress lines.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from grader import __version__
from grader.errors import (
    EXIT_BELOW_FULL,
    EXIT_FULL_MARKS,
    EXIT_INFRASTRUCTURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    GraderError,
    UsageError,
)

__all__ = ["main", "cli"]

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("grader.cli")

# Each command's --help ends with the exit codes it uses (click keeps a \b paragraph as written).
_MEANING = {
    0: "every submission graded at full marks",
    1: "graded, some submission below full marks",
    2: "usage or assignment error (fix the command line or the assignment)",
    3: "some submission refused at intake, or its grading failed",
    4: "the grader's machinery failed (Docker, image, a grader bug): retry",
    130: "interrupted",
}


def _exits(**special: str) -> str:
    """The epilog: the codes a command uses; `special` (c0="...", c1="...") says what a code means there."""
    codes = {int(k[1:]): v for k, v in special.items()}
    lines = ["\b", "Exit codes (see README, 'Exit codes'):"]
    for code in sorted({*codes, 2, 4, 130}):
        lines.append(f"  {code:>3}  {codes.get(code, _MEANING[code])}")
    return "\n".join(lines)


_GRADING_EXITS = _exits(c0=_MEANING[0], c1=_MEANING[1], c3=_MEANING[3])
_DONE_EXITS = _exits(c0="done")


def _dash(path: Path | None) -> bool:
    """True when a file option says `-`: stdout (or stdin for an input)."""
    return path is not None and str(path) == "-"


def _one_stdout(**options: Path | None) -> bool:
    """True when one option writes to stdout; two cannot share it."""
    dashed = [f"--{name.replace('_', '-')}" for name, value in options.items() if _dash(value)]
    if len(dashed) > 1:
        raise UsageError(f"{' and '.join(dashed)} both say '-': only one file can go to stdout",
                         hint="give the others a file name")
    return bool(dashed)


def _write_out(target: Path, text: str) -> None:
    """`text` into the file `target`, or to stdout when it is `-`."""
    if _dash(target):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    Path(target).write_text(text, encoding="utf-8")


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and (ctx.find_root().obj or {}).get("quiet"))


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler that writes to sys.stderr as it is at each record: when the progress line (rich's Live)
    redirects stderr to print above itself, log lines go through that redirection too."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _configure_logging(verbose: int, quiet: bool) -> None:
    """The `grader` logger to stderr: WARNING, -v INFO, -vv DEBUG, -q ERROR (other libraries untouched)."""
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logger = logging.getLogger("grader")
    for old in list(logger.handlers):
        logger.removeHandler(old)
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose > 1
                                           else "%(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def _friendly(fn: F) -> F:
    """Turn GraderError into `error: ...` + its exit code; anything else into one line + a saved traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GraderError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"  fix: {exc.hint}", err=True)
            for problem in getattr(exc, "problems", [])[1:]:
                click.echo(f"error: {problem}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # noqa: BLE001 - the grader's own bug: one line for the user, details kept
            fd, path = tempfile.mkstemp(prefix="grader-crash-", suffix=".txt")
            with os.fdopen(fd, "w") as fh:
                traceback.print_exc(file=fh)
            log.debug("internal error", exc_info=True)
            click.echo(f"internal error: {exc.__class__.__name__}: {exc} (details in {path})", err=True)
            sys.exit(EXIT_INFRASTRUCTURE)

    return wrapper  # type: ignore[return-value]


def _broker_option(help_text: str, *, required: bool = False) -> Callable[[F], F]:
    """--broker URL, also read from GRADER_BROKER (so a password stays out of the process list)."""
    return click.option("--broker", "broker_url", envvar="GRADER_BROKER", required=required, metavar="URL",
                        help=f"{help_text} redis://[:PASSWORD@]HOST:PORT/DB, or rediss://... for TLS "
                             "(default: $GRADER_BROKER).")


def _sandbox_options(fn: F) -> F:
    """--sandbox auto|docker|local and the flag that lets `local` run outside a container."""
    from grader.sandbox.select import BACKENDS, FORCE_FLAG

    fn = click.option("--sandbox", "sandbox_choice", type=click.Choice(list(BACKENDS)), default=None,
                      help="Where programs run: docker; local (directly in this disposable container); auto "
                           "(docker when an engine answers, else local inside a container). "
                           "Default: the assignment's `sandbox:`, else auto.")(fn)
    fn = click.option(FORCE_FLAG, "force_local", is_flag=True,
                      help="Let --sandbox local run students' programs on this machine although it is not a "
                           "container.")(fn)
    return fn


def _make_sandbox(choice: str | None, force_local: bool, assignment: Path | None = None) -> Any:
    from grader.sandbox.select import make_sandbox

    if choice is None and assignment is not None:
        try:
            from grader.spec.loader import load_assignment

            choice = getattr(load_assignment(assignment), "sandbox", None)
        except GraderError:
            choice = None          # the command itself reports the assignment's problems
    sandbox = make_sandbox(choice or "auto", force_local=force_local)
    log.info("sandbox: %s (asked for %s)", type(sandbox).__name__, choice or "auto")
    return sandbox


class _Lazy:
    """The sandbox, made when it is first used: the assignment's and the submission's problems (exit 2, 3)
    are found before the machine's (4), e.g. a corrupt zip is 3 even while the image is missing."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=_GRADING_EXITS)
@click.version_option(__version__, prog_name="grader")
@click.option("-v", "--verbose", count=True, help="Log more on stderr: -v what is done (INFO), -vv details (DEBUG).")
@click.option("-q", "--quiet", is_flag=True, help="Log only errors on stderr and draw no progress line.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Grade OS homework by what the kernel saw the program do.

    Any option that names a file to write takes `-` for stdout.
    """
    if verbose and quiet:
        raise click.UsageError("-v and -q contradict each other: give one")
    _configure_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet, "verbose": verbose}


@cli.command(epilog=_exits(c0="the engine answers and the image is built"))
@click.option("--builder", type=click.Choice(["auto", "debootstrap", "dockerfile"]), default="auto",
              show_default=True, help="How to build the sandbox image: debootstrap needs no registry.")
@click.option("--force", is_flag=True, help="Rebuild the image even if its inputs did not change.")
@_friendly
def setup(builder: str, force: bool) -> None:
    """Install and start the Docker engine if needed, and build the sandbox image."""
    from grader.setup import setup as do_setup

    context = Path(__file__).resolve().parent.parent
    tag = do_setup(builder=builder, force=force, echo=click.echo,
                   context=context if (context / "docker" / "Dockerfile").is_file() else None)
    click.echo(f"ready: sandbox image {tag}")


@cli.command(epilog=_exits(c0="everything needed is present", c1="something is missing (the [MISSING] lines)"))
@_friendly
def doctor() -> None:
    """Say what is present and what is missing to grade on this machine."""
    from grader.setup import doctor as do_doctor

    lines = do_doctor()
    for line in lines:
        click.echo(f"[{'ok' if line.ok else 'MISSING'}] {line.name}: {line.detail}")
    sys.exit(EXIT_FULL_MARKS if all(line.ok for line in lines) else EXIT_BELOW_FULL)


_OUT = click.Path(path_type=Path, dir_okay=False, allow_dash=True)


@cli.command(context_settings={"ignore_unknown_options": True},
             epilog=_exits(c0="the run ended by itself", c1="the run was stopped at a limit (time, memory, output, "
                           "trace size, tasks)"))
@click.argument("submission", type=click.Path(path_type=Path))
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@click.option("--json", "json_out", type=_OUT, help="Write the whole model as JSON ('-': stdout).")
@click.option("--timeout", default=10.0, show_default=True, help="Wall-clock limit in seconds.")
@click.option("--pty", is_flag=True, help="Give the program a terminal as stdout instead of a pipe.")
@click.option("--build", help="A build command to run first, e.g. 'gcc -o hello hello.c'.")
@_sandbox_options
@_friendly
def trace(submission: Path, command: tuple[str, ...], json_out: Path | None, timeout: float, pty: bool,
          build: str | None, sandbox_choice: str | None, force_local: bool) -> None:
    """Run COMMAND in the sandbox and show the process tree, IPC and end state.

    Exits 1 when the run was stopped at a limit (time, memory, output, trace size, tasks) and says which.

    Example: grader trace my-submission -- python3 hello.py
    """
    from grader.api import trace_command, write_json
    from grader.trace.describe import limit_hit

    report = trace_command(submission, list(command), timeout_ms=int(timeout * 1000),
                           stdout_mode="pty" if pty else "pipe", build=build.split() if build else None,
                           sandbox=_Lazy(lambda: _make_sandbox(sandbox_choice, force_local)))
    to_stdout = _one_stdout(json=json_out)
    click.echo(report.text, err=to_stdout)
    if json_out:
        if to_stdout:
            _write_out(json_out, json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        else:
            write_json(json_out, report.to_json())
            click.echo(f"model written to {json_out}")
    stopped = limit_hit(report.record)
    if stopped is not None:
        click.echo(f"stopped: {stopped}", err=True)
        sys.exit(EXIT_BELOW_FULL)


def _write_exports(result: Any, *, json_out: Path | None, html_out: Path | None, lang: str,
                   gradescope_out: Path | None, junit_out: Path | None) -> None:
    from grader.api import write_json

    if json_out:
        if _dash(json_out):
            _write_out(json_out, json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        else:
            write_json(json_out, result.to_json())
    if html_out:
        from grader.report.html import render_html, write_html

        if _dash(html_out):
            _write_out(html_out, render_html(result, lang=lang))
        else:
            write_html(result, html_out, lang=lang)
    if gradescope_out:
        from grader.report.gradescope import to_gradescope

        if _dash(gradescope_out):
            _write_out(gradescope_out, json.dumps(to_gradescope(result), indent=2, ensure_ascii=False))
        else:
            write_json(gradescope_out, to_gradescope(result))
    if junit_out:
        from grader.report.junit import to_junit_xml

        _write_out(junit_out, to_junit_xml([result]))


def _summary(result: Any) -> str:
    from grader.report.race import race_of, race_sentence

    lines = [f"{result.assignment_title} - {result.submission}: {result.score:g}/{result.max_score:g}"]
    if result.error:
        lines.append(f"  error: {result.error}")
    for diagnosis in result.diagnoses:
        lines.append(f"  ! {diagnosis.message}")
    for test in result.tests:
        lines.append(f"  [{test.status.upper():7}] {test.name} ({test.score:g}/{test.max_score:g})"
                     + (f" [{test.visibility}]" if test.visibility != "visible" else ""))
        if test.message:
            lines.append(f"      {test.message}")
        for check in test.checks:
            mark = {"passed": "ok", "failed": "FAIL", "flaky": "RACE", "error": "ERROR",
                    "not_applicable": "n/a"}[check.status]
            race = race_of(check)
            said = check.message
            if race is not None:
                where = f"in run {race.shown_run}: " if race.shown_run else ""
                said = f"{race_sentence(race).text}; {where}{race.detail}"
            lines.append(f"      {mark:5} {check.kind}: {said}")
        if test.status != "passed":
            for diagnosis in test.diagnoses:
                lines.append(f"      ! {diagnosis.message}")
    return "\n".join(lines)


@cli.command(epilog=_exits(c0="graded at full marks", c1="graded below full marks",
                          c3="the submission was refused at intake (corrupt or unsafe archive)"))
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submission", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "json_out", type=_OUT, help="Write the JSON result here ('-': stdout).")
@click.option("--html", "html_out", type=_OUT, help="Write the feedback page here ('-': stdout).")
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True)
@click.option("--gradescope", "gradescope_out", type=_OUT,
              help="Write Gradescope's results.json here ('-': stdout).")
@click.option("--junit", "junit_out", type=_OUT, help="Write JUnit XML here ('-': stdout).")
@click.option("--repeat", type=click.IntRange(min=1), help="Override the assignment's repeat count.")
@click.option("--variant", help="Grade as this variant of the assignment (e.g. python, c); default: the variant "
              "whose files the submission has.")
@_sandbox_options
@_friendly
def run(assignment: Path, submission: Path, json_out: Path | None, html_out: Path | None, lang: str,
        gradescope_out: Path | None, junit_out: Path | None, repeat: int | None, variant: str | None,
        sandbox_choice: str | None, force_local: bool) -> None:
    """Grade one SUBMISSION (folder, zip, tar or single file; '-': a zip, tar or lone file on stdin) against
    ASSIGNMENT."""
    from grader.api import grade_path

    to_stdout = _one_stdout(json=json_out, html=html_out, gradescope=gradescope_out, junit=junit_out)
    log.info("grading %s against %s", submission, assignment)
    with _stdin_submission(submission) as taken:
        result = grade_path(assignment, taken, repeat=repeat, variant=variant,
                            sandbox=(_make_sandbox(sandbox_choice, force_local) if sandbox_choice == "local"
                                     else _Lazy(lambda: _make_sandbox(sandbox_choice, force_local, assignment))))
    click.echo(_summary(result), err=to_stdout)
    _write_exports(result, json_out=json_out, html_out=html_out, lang=lang,
                   gradescope_out=gradescope_out, junit_out=junit_out)
    sys.exit(EXIT_FULL_MARKS if result.full_marks else EXIT_BELOW_FULL)


@cli.command("check-spec", epilog=_exits(c0="every file is a valid assignment", c2="some file is not (its errors are "
                                                                           "listed)"))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_friendly
def check_spec(files: tuple[Path, ...]) -> None:
    """Validate assignment files without running anything."""
    from grader.errors import SpecError
    from grader.spec.loader import load_assignment

    bad = 0
    for path in files:
        try:
            spec = load_assignment(path)
        except SpecError as exc:
            bad += 1
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            continue
        click.echo(f"ok: {path} ({spec.id}: {len(spec.tests)} tests, {spec.max_score:g} points)")
    sys.exit(EXIT_USAGE if bad else EXIT_FULL_MARKS)


@cli.command(epilog=_DONE_EXITS)
@click.option("--out", type=_OUT, help="Write the JSON Schema here instead of stdout ('-': stdout).")
@_friendly
def schema(out: Path | None) -> None:
    """Print the JSON Schema of assignment files (for editors)."""
    from grader.spec.jsonschema import assignment_json_schema

    text = json.dumps(assignment_json_schema(), indent=2)
    _write_out(out or Path("-"), text + "\n")


@cli.group()
def docs() -> None:
    """Write the reference documents for assignment authors."""


@docs.command("checks")
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True), default=Path("-"),
              show_default=True, help="The Markdown file to write ('-': stdout), e.g. docs/checks.md.")
@_friendly
def docs_checks(out: Path) -> None:
    """The assignment-file reference, generated from the schema: every check kind with its parameters,
    defaults with units, an example and the messages a student sees; roles, placeholders, `fails:`."""
    from grader.spec.reference import write_reference

    write_reference(out)


@cli.command(epilog=_exits(c0="every solution was judged as it declares", c1="some solution was not (see Problems)",
                          c2="usage error, or an assignment file does not load"))
@click.argument("assignments", nargs=-1, type=click.Path(path_type=Path))
@click.option("--junit", "junit_out", type=_OUT, help="Write JUnit XML here ('-': stdout).")
@click.option("--repeat", type=click.IntRange(min=1), help="Override every assignment's repeat count.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Assignments validated at once.")
@_sandbox_options
@_friendly
def validate(assignments: tuple[Path, ...], junit_out: Path | None, repeat: int | None, jobs: int,
             sandbox_choice: str | None, force_local: bool) -> None:
    """Prove each assignment: reference at full marks, each faulty solution fails what it declares.

    With no ASSIGNMENTS, validates every assignments/*/assignment.yaml under the current folder.
    """
    from grader.progress import Progress
    from grader.validate import expected_rows, to_junit, to_table
    from grader.validate import validate as do_validate

    paths = list(assignments) or sorted(Path("assignments").glob("*/assignment.yaml"))
    if not paths:
        raise UsageError("no assignment files given and none under ./assignments/*/assignment.yaml")
    to_stdout = _one_stdout(junit=junit_out)
    # The local backend moves the temporary folder out of /tmp when it is made, so it must be made before
    # validate stages its first solution there (its scratch check would find the staging folder).
    sandbox = (_make_sandbox(sandbox_choice, force_local) if sandbox_choice == "local"
               else _Lazy(lambda: _make_sandbox(sandbox_choice, force_local)))
    line = Progress("validating", expected_rows(paths), ("ok", "mismatched"), stream=sys.stderr,
                    enabled=False if _quiet() else None)

    def progress(row: Any) -> None:
        mark = "ok" if row.ok else "MISMATCH"
        line.echo(f"{mark:8} {row.assignment} {row.role} {row.solution} ({row.duration_ms / 1000:.1f} s)")
        line.advance("ok" if row.ok else "mismatched")

    try:
        rows = do_validate(paths, sandbox=sandbox, repeat=repeat, progress=progress, jobs=jobs)
    finally:
        line.close()
    click.echo(to_table(rows), err=to_stdout)
    if junit_out:
        _write_out(junit_out, to_junit(rows))
    if any(row.role == "schema" and not row.ok for row in rows):
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FULL_MARKS if all(row.ok for row in rows) else EXIT_BELOW_FULL)


@cli.command(epilog=_exits(c0="every student graded at full marks",
                          c1="some student below full marks, or on the roster with no submission",
                          c3="some submission refused at intake, or its grading failed (retried on the next run)"))
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Results folder.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parallel workers (default: CPU cores).")
@click.option("--regrade", is_flag=True, help="Grade everything again, even what is already stored.")
@click.option("--repeat", type=click.IntRange(min=1), help="Override the assignment's repeat count.")
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
              help="Language of the students' pages and of the class summary.")
@click.option("--repair", is_flag=True, help="First rebuild a damaged results store from its readable rows "
              "(the damaged file is kept as results.sqlite.corrupt-<time>); the rest is graded again.")
@click.option("--layout", type=click.Choice(["auto", "canvas", "moodle", "blackboard", "gradescope", "classroom",
                                             "folders"]), default="auto", show_default=True,
              help="How SUBMISSIONS was downloaded (auto: recognised from the names).")
@click.option("--deadline", help="GitHub Classroom: grade each repository's last commit before this date "
              "(ISO 8601, e.g. 2024-03-01T23:59+09:00).")
@click.option("--roster", "roster_file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="The class list (CSV exported by the LMS; '-': stdin): students with no submission get 0.")
@click.option("--roster-columns", help="Name the roster's columns: id=COLUMN,name=COLUMN (default: by header).")
@click.option("--export", "exports", multiple=True, type=click.Choice(["canvas", "moodle", "blackboard", "csv"]),
              help="Also write the gradebook this LMS imports (repeatable).")
@click.option("--variant", help="Grade every submission as this variant of the assignment (e.g. python, c); "
              "default: each submission's variant by its files.")
@_broker_option("Grade on the workers of this broker (`grader worker`) instead of on this machine.")
@_friendly
def batch(assignment: Path, submissions: Path, out_dir: Path, jobs: int | None, regrade: bool,
          repeat: int | None, lang: str, repair: bool, layout: str, deadline: str | None,
          roster_file: Path | None, roster_columns: str | None, exports: tuple[str, ...],
          variant: str | None, broker_url: str | None) -> None:
    """Grade a whole class: a folder (or archive) of per-student folders or archives, or an LMS's download.

    With --broker, each submission is graded by a `grader worker` of this same grader build (possibly on
    other machines) and stored here as usual: the progress bar, the store and resuming work the same."""
    from grader.intake.roster import load_roster, parse_columns
    from grader.spec.loader import load_assignment

    spec = load_assignment(assignment)
    if variant is not None:
        from grader.submission import choose_variant

        choose_variant(spec, [], explicit=variant)   # an unknown variant stops here, before any grading
    roster = _read_roster(roster_file, parse_columns(roster_columns), load_roster) if roster_file else None
    with contextlib.ExitStack() as stack:
        if broker_url:
            from grader.distributed.broker import redacted
            from grader.distributed.client import BrokerClient

            client = stack.enter_context(BrokerClient(broker_url))
            workers = client.require_workers()       # exit 4 at once when no worker of this build is alive
            if jobs is None:
                jobs = 2 * max(1, client.capacity())  # keep every worker's pool busy while replies come back
            log.info("grading on %d worker(s) through %s, %d job(s) in flight", len(workers),
                     redacted(broker_url), jobs)

            def grade_one(folder: Path, student: str) -> Any:
                return client.grade(assignment, folder, label=student, repeat=repeat, variant=variant)
        else:
            from grader.api import default_sandbox
            from grader.grading import grade

            sandbox = default_sandbox()

            def grade_one(folder: Path, student: str) -> Any:
                return grade(spec, folder, sandbox, repeat=repeat, label=student, variant=variant)

        summary = _batch(spec, submissions, out_dir, grade_one, jobs=jobs, regrade=regrade,
                         repeat=repeat, lang=lang, repair=repair, layout=layout, deadline=deadline,
                         roster=roster, exports=exports, variant=variant)
    click.echo(str(summary))
    click.echo(f"class summary: {Path(out_dir) / 'index.html'}   gradebook: {Path(out_dir) / 'grades.csv'}")
    sys.exit(summary.exit_code)


def _batch(spec: Any, submissions: Path, out_dir: Path, grade_one: Callable[[Path, str], Any], *, jobs: int | None,
           regrade: bool, repeat: int | None, lang: str, repair: bool, layout: str, deadline: str | None,
           roster: Any, exports: tuple[str, ...], variant: str | None) -> Any:
    from grader.batch.runner import run_batch

    return run_batch(submissions=submissions, out_dir=out_dir, grade_fn=grade_one,
                     assignment_hash=spec.content_hash + (f"-r{repeat}" if repeat else "")
                     + (f"-v{variant}" if variant else ""),
                     grader_version=__version__, jobs=jobs, regrade=regrade, lang=lang, repair=repair,
                     layout=layout, required_files=[str(f) for f in spec.all_files], deadline=deadline,
                     roster=roster, exports=exports, assignment_title=spec.title,
                     progress=False if _quiet() else None)


_MAGIC = ((b"PK\x03\x04", ".zip"), (b"PK\x05\x06", ".zip"), (b"\x1f\x8b", ".tar.gz"), (b"BZh", ".tar.bz2"),
          (b"\xfd7zXZ\x00", ".tar.xz"))


@contextlib.contextmanager
def _stdin_submission(path: Path) -> Iterator[Path]:
    """`path`, or for `-` stdin's bytes in a temporary file named by what they are (zip, tar, else a lone
    file, which stands for the assignment's one required file)."""
    if not _dash(path):
        yield path
        return
    data = sys.stdin.buffer.read()
    suffix = next((ext for magic, ext in _MAGIC if data.startswith(magic)), "")
    if not suffix and data[257:262] == b"ustar":
        suffix = ".tar"
    with tempfile.TemporaryDirectory(prefix="grader-stdin-") as tmp:
        copy = Path(tmp) / f"stdin{suffix}"
        copy.write_bytes(data)
        log.info("stdin: %d bytes taken as %s", len(data), copy.name)
        yield copy


def _read_roster(path: Path, columns: dict[str, str], load: Callable[..., Any]) -> Any:
    """The roster from its file, or from stdin for `-` (kept in a temporary file while it is read)."""
    if not _dash(path):
        return load(path, columns)
    with tempfile.TemporaryDirectory(prefix="grader-roster-") as tmp:
        copy = Path(tmp) / "roster-from-stdin.csv"
        copy.write_bytes(sys.stdin.buffer.read())
        return load(copy, columns)


@cli.command(epilog=_DONE_EXITS)
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
              help="Language of the students' pages and of the class summary.")
@click.option("--repair", is_flag=True, help="First rebuild a damaged results store from its readable rows.")
@_friendly
def report(out_dir: Path, lang: str, repair: bool) -> None:
    """Rebuild a batch's pages and exports from its results store, running nothing."""
    from grader.batch.runner import rebuild_report

    for warning in rebuild_report(out_dir, lang=lang, repair=repair):
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"rebuilt {Path(out_dir) / 'index.html'}")


@cli.command(epilog=_exits(c0="graded (whatever the score): results.json written",
                          c1="not graded; results.json still says why (Gradescope's own contract)"))
@click.option("--assignment", "assignment", type=click.Path(path_type=Path),
              help="The assignment file (default: ROOT/source/assignment/assignment.yaml, as `grader package "
                   "gradescope` lays it out, else ROOT/source/assignment.yaml).")
@click.option("--root", type=click.Path(path_type=Path), default=Path("/autograder"), show_default=True)
@_sandbox_options
@_friendly
def gradescope(assignment: Path | None, root: Path, sandbox_choice: str | None, force_local: bool) -> None:
    """Run inside Gradescope's layout: /autograder/submission in, results/results.json out."""
    from grader.platforms.gradescope import run_autograder

    if assignment is None:
        packaged = root / "source" / "assignment" / "assignment.yaml"
        assignment = packaged if packaged.is_file() else root / "source" / "assignment.yaml"

    sys.exit(run_autograder(root=root, assignment=assignment,
                            make_sandbox=lambda: _make_sandbox(sandbox_choice, force_local, assignment)))


@cli.group()
def package() -> None:
    """Package an assignment for a course platform."""


@package.command("gradescope", epilog=_DONE_EXITS)
@click.argument("assignment", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", type=_OUT, default=Path("autograder.zip"),
              show_default=True, help="The zip to write ('-': stdout).")
@click.option("--python", "pythons", multiple=True,
              help="Python versions to bundle wheels for (default: every supported one from 3.10 to 3.13).")
@_friendly
def package_gradescope(assignment: Path, out: Path, pythons: tuple[str, ...]) -> None:
    """Write Gradescope's autograder zip: setup.sh, run_autograder, wheels, the assignment (no solutions)."""
    from grader.platforms.gradescope import build_package

    with tempfile.TemporaryDirectory(prefix="grader-package-") as tmp:
        target = Path(tmp) / "autograder.zip" if _dash(out) else out
        info = build_package(assignment, target, python_versions=list(pythons) or None)
        if _dash(out):
            with target.open("rb") as zipped:
                sys.stdout.buffer.write(zipped.read())
            sys.stdout.buffer.flush()
    click.echo(f"wrote {'stdout' if _dash(out) else info.path} ({info.size_bytes / 2**20:.1f} MiB): "
               f"{len(info.wheels)} wheels for python {', '.join(info.python_versions)}; assignment files: "
               f"{', '.join(info.assignment_files)}", err=_dash(out))


@cli.command(epilog=_exits(c0="results.json written, graded or not (PrairieLearn reads it only after exit 0)"))
@click.option("--assignment", "assignment", type=click.Path(path_type=Path),
              help="The assignment file (default: data.json's params.grader_assignment, else ROOT/tests/"
                   "assignment.yaml, else the one assignment.yaml under ROOT/serverFilesCourse).")
@click.option("--root", type=click.Path(path_type=Path), default=Path("/grade"), show_default=True)
@_sandbox_options
@_friendly
def prairielearn(assignment: Path | None, root: Path, sandbox_choice: str | None, force_local: bool) -> None:
    """Run as PrairieLearn's external grader: /grade/student in, /grade/results/results.json out."""
    from grader.platforms.prairielearn import run_prairielearn

    sys.exit(run_prairielearn(root=root, assignment=assignment,
                              make_sandbox=lambda found: _make_sandbox(sandbox_choice, force_local, found)))


@package.command("prairielearn", epilog=_DONE_EXITS)
@click.argument("assignment", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), required=True,
              help="The question folder to write (new or empty).")
@click.option("--image", default="YOUR_ORG/os-trace-grader-pl", show_default=True,
              help="The grading image's name in info.json (build and push it from the folder's image/).")
@click.option("--timeout", type=click.IntRange(1, 600), default=120, show_default=True,
              help="externalGradingOptions.timeout, in seconds.")
@click.option("--python", "pythons", multiple=True, help="Python versions to bundle wheels for.")
@_friendly
def package_prairielearn(assignment: Path, out: Path, image: str, timeout: int, pythons: tuple[str, ...]) -> None:
    """Write an example PrairieLearn question: info.json, question.html, tests/, image/ (Dockerfile, wheels)."""
    from grader.platforms.prairielearn import build_question

    info = build_question(assignment, out, image=image, timeout=timeout, python_versions=list(pythons) or None)
    click.echo(f"wrote {info.path}: {len(info.wheels)} wheels for python {', '.join(info.python_versions)}; "
               f"tests: {', '.join(info.assignment_files)}")


@cli.command(epilog=_exits(c0="graded (whatever the score)", c2="not graded: refused, or the grader failed; the runner "
                                                                "result says why (GitHub Classroom's contract)"))
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submission", type=click.Path(path_type=Path), default=Path("."))
@click.option("--repeat", type=click.IntRange(min=1), help="Override the assignment's repeat count.")
@_sandbox_options
@_friendly
def classroom(assignment: Path, submission: Path, repeat: int | None, sandbox_choice: str | None,
              force_local: bool) -> None:
    """Grade for GitHub Classroom: print 'Points X/Y' and write the reporter's `result` to $GITHUB_OUTPUT."""
    from grader.platforms.classroom import run_classroom

    sys.exit(run_classroom(assignment, submission, repeat=repeat, echo=click.echo,
                           make_sandbox=lambda: _make_sandbox(sandbox_choice, force_local, assignment)))


@cli.command()
@click.argument("course_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", type=click.IntRange(min=1), help="Grading workers in this process (default: CPU cores).")
@click.option("--db", "db_url", help="postgresql://USER:PASSWORD@HOST:PORT/NAME (default: SQLite in the course folder).")
@click.option("--roster", "roster_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Make a student account (with a one-time invite link) for each row of this class list.")
@click.option("--roster-columns", help="Name the roster's columns: id=COLUMN,name=COLUMN (default: by header).")
@click.option("--demo", is_flag=True, help="An example course from assignments/ with accounts demo and demo-ta.")
@_broker_option("Hand each submission to the workers of this broker (`grader worker`) instead of grading here; "
                "--workers is then how many are in flight (default: twice the workers' total).")
@_sandbox_options
@_friendly
def serve(course_dir: Path | None, host: str, port: int, workers: int | None, db_url: str | None,
          roster_file: Path | None, roster_columns: str | None, demo: bool, sandbox_choice: str | None,
          force_local: bool, broker_url: str | None) -> None:
    """Run COURSE_DIR's submission site: students upload, workers grade, TAs see the class (course.yaml)."""
    from grader.intake.roster import parse_columns
    from grader.site import serve as run_site

    run_site(course_dir, host=host, port=port, workers=workers, db_url=db_url, roster=roster_file,
             roster_columns=parse_columns(roster_columns), demo=demo, sandbox_choice=sandbox_choice,
             force_local=force_local, broker_url=broker_url)


@cli.command(epilog=_exits(c0="stopped (SIGTERM or Ctrl-C: running jobs finish first)"))
@_broker_option("The broker to take grading jobs from.", required=True)
@click.option("-c", "--concurrency", type=click.IntRange(min=1), help="Jobs graded at once (default: CPU cores).")
@click.option("--sandbox", "sandbox_choice", type=click.Choice(["docker", "local"]), default="docker",
              show_default=True, help="Where the jobs' programs run on this machine.")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Keep fetched assignments and submissions here (default: a temporary folder, removed at exit).")
@click.option("--visibility-timeout", type=click.IntRange(min=5), default=3600, show_default=True,
              help="Seconds after which a job taken by a worker that vanished is given to another; longer "
                   "than any grading.")
@click.option("--i-understand-this-runs-untrusted-code-here", "force_local", is_flag=True,
              help="Let --sandbox local run students' programs on this machine although it is not a container.")
@_friendly
def worker(broker_url: str, concurrency: int | None, sandbox_choice: str, cache_dir: Path | None,
           visibility_timeout: int, force_local: bool) -> None:
    """Grade jobs from a broker with this machine's sandbox, until stopped.

    Takes only jobs sent by the same grader build (version and code); `grader workers` lists the live
    ones. Start one per machine; a job whose worker is killed is given to another, and one that keeps
    killing workers ends as an error after three tries."""
    from grader.distributed.worker import run_worker

    logger = logging.getLogger("grader")
    if logger.level > logging.INFO and not _quiet():
        logger.setLevel(logging.INFO)            # a worker's log says what it took, refused and graded
    for handler in logger.handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    sys.exit(run_worker(broker_url, concurrency=concurrency or os.cpu_count() or 1, sandbox_choice=sandbox_choice,
                        force_local=force_local, cache_dir=cache_dir, visibility_timeout_s=visibility_timeout))


@cli.command(epilog=_exits(c0="some worker of this grader build is alive", c1="none is"))
@_broker_option("The broker the workers take jobs from.", required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per worker instead of a table.")
@_friendly
def workers(broker_url: str, as_json: bool) -> None:
    """List the live grading workers: host, build, sandbox backend and image, jobs done."""
    from grader.distributed.broker import alive_workers, connect
    from grader.distributed.jobs import build_id

    found = alive_workers(connect(broker_url))
    mine = build_id()
    if as_json:
        for entry in found:
            click.echo(json.dumps({**entry, "same_build": entry.get("build") == mine}, sort_keys=True))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"grading workers (this grader: build {mine})", title_justify="left")
        for column in ("worker", "build", "backend", "image", "at once", "jobs done", "refused", "seen"):
            table.add_column(column, justify="right" if column in ("at once", "jobs done", "refused") else "left")
        now = __import__("time").time()
        for entry in found:
            build = entry.get("build", "?")
            table.add_row(entry.get("name", "?"), build if build == mine else f"{build} (other build)",
                          entry.get("backend", "?"), (entry.get("image") or "-")[:19], str(entry["concurrency"]),
                          str(entry["jobs_done"]), str(entry["refused"]), f"{max(0, now - entry['last_seen']):.0f} s ago")
        Console(width=160).print(table) if found else click.echo("no grading worker is alive")
    sys.exit(0 if any(entry.get("build") == mine for entry in found) else 1)


def _every_help_says_its_exit_codes(group: click.Group) -> None:
    """A command registered without an epilog still ends its --help with the exit codes."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _every_help_says_its_exit_codes(command)
        if not command.epilog:
            command.epilog = _DONE_EXITS


_every_help_says_its_exit_codes(cli)


def main() -> None:
    cli(prog_name="grader")


if __name__ == "__main__":
    main()
