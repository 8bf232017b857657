"""Translations for the feedback page: gettext catalogs, and check/diagnosis messages.

A diagnosis is one template with typed parameters (grader.result.Message): `diagnosis_text` fills
the template (English) or its translation (Korean) with the same facts; nested phrases (who, what it
waits for) are translated the same way, so a Korean sentence never carries an English original.
Two gettext domains are loaded and merged: "grader" (page, diagnoses) and "checks" (check messages,
kept by grader/checks), so either catalog may be absent without breaking the other.

Catalog workflow (run from the repository root):
    python3 -m grader.report.i18n extract   # templates + this file + grader/diagnose.py and
                                            # grader/trace/endstate.py -> messages.pot
    python3 -m grader.report.i18n update    # messages.pot -> locale/ko/LC_MESSAGES/grader.po
    python3 -m grader.report.i18n compile   # grader.po -> grader.mo (committed)
"""

from __future__ import annotations

import gettext
import io
import re
import string
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from grader.diagnose import SEEN_IN_RUNS
from grader.errors import UsageError
from grader.report.excerpt import clean_text, shorten
from grader.result import Diagnosis, Evidence, Message, fill, revive

__all__ = [
    "CHECK_TEMPLATES",
    "DIAGNOSIS_TEMPLATES",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "PASSED_TEMPLATE",
    "Localized",
    "check_language",
    "compile_catalog",
    "diagnosis_text",
    "evidence_text",
    "extract_catalog",
    "localize_check",
    "localize_diagnosis",
    "render",
    "translations",
    "update_catalog",
]

DOMAIN = "grader"
CHECKS_DOMAIN = "checks"      # check messages' catalog (grader/checks), merged into DOMAIN's at load
LANGUAGES = ("en", "ko")
HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
POT_FILE = HERE / "messages.pot"
BABEL_CFG = HERE / "babel.cfg"
PARAM_CHARS = 200         # a parameter longer than this is cut in a sentence
# Python files outside this package whose N_() templates belong to this catalog.
SOURCES = ("diagnose.py", "trace/endstate.py", "result.py", "batch/notes.py", "pitfalls.py", "submission.py",
           "checks/race.py")


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here."""
    return message


# For results stored without a template (older graders): each code/kind maps to sentences tried in
# order, the first whose {fields} are all in the params is used; the last one needs none. English
# text here is the catalog's msgid, not what English readers see (they get the original message).
DIAGNOSIS_TEMPLATES: dict[str, tuple[str, ...]] = {
    "zombie": (
        N_("{count} child process(es) ({pids}) ended but their parent ({parents}) never waited for them, so each "
           "stayed a zombie until the parent itself ended. Call wait()/waitpid() (or join()) for every child."),
        N_("Process {pid} ended but its parent never waited for it, so it stayed a zombie."),
        N_("A child process ended but its parent never waited for it, so it stayed a zombie."),
    ),
    "orphan": (
        N_("{count} process(es) ({pids}) were still running when their parent exited, so they were re-parented "
           "to init (orphans). The parent should wait for its children before exiting."),
        N_("Process {pid} was still running when its parent ended; it became an orphan."),
        N_("A child process was still running when its parent ended; it became an orphan."),
    ),
    "fork_buffer_duplicate": (
        N_("Process {parent} and its child {child} both wrote {text}: it was still in the stdio buffer when "
           "fork() copied the process. Flush before fork(): sys.stdout.flush() or print(..., flush=True) in "
           "Python, fflush(stdout) in C."),
        N_("Some output was printed twice: it was still in the stdio buffer when fork() copied the process. "
           "Flush the output before calling fork()."),
    ),
    "pipe_write_end_open": (
        N_("Process {pid} waited forever to read from {channel}: process {holders} still held its write "
           "end open, so it never saw end-of-file. Close the write end you do not use."),
        N_("Process {pid} waited forever to read from a pipe whose write end was still open somewhere, so it "
           "never saw end-of-file. Close the write end you do not use."),
        N_("A read from a pipe never saw end-of-file because a write end was still open. Close the write end "
           "you do not use."),
    ),
    "fork_bomb": (
        N_("The program reached the limit of {limit} tasks alive at once; the forks beyond it failed."),
        N_("The program reached the limit of tasks alive at once; the forks beyond it failed."),
    ),
    "timeout": (
        N_("The program did not finish within its time limit ({timeout_ms} ms) and was stopped."),
        N_("The program did not finish within {seconds} s and was stopped."),
        N_("The program did not finish in time and was stopped."),
    ),
    "compile_error": (
        N_("The program did not compile; see the compiler's messages below."),
    ),
    "crash": (
        N_("Process {pid} was killed by the signal {signal}."),
        N_("The program was killed by the signal {signal}."),
        N_("The program crashed."),
    ),
    "missing_files": (
        N_("The submission is missing required files: {missing}."),
        N_("The submission is missing required files."),
    ),
    "oom": (
        N_("The program used more than its {limit_mib} MiB of memory and was killed by the kernel's "
           "out-of-memory killer."),
        N_("The program used more memory than the limit and was stopped."),
    ),
    "output_limit": (
        N_("The program wrote more than {limit_bytes} bytes of output, so the grader stopped it."),
        N_("The program wrote more output than the limit, so the grader stopped it."),
    ),
    "trace_limit": (
        N_("The program made so many system calls that their record passed {limit_mib} MiB, and it was "
           "stopped; is a loop reading or writing without end?"),
        N_("The program made too many system calls and was stopped."),
    ),
    "start_failed": (
        N_("The program could not be started (command: {command})."),
        N_("The program could not be started."),
    ),
    "submission_rejected": (
        N_("The submission could not be taken in."),
    ),
    "exception": (N_("The program stopped with an uncaught exception."),),
    "syntax_error": (N_("Python could not read the program, so none of it ran."),),
    "exit_status": (N_("The program ended with a non-zero exit status."),),
    "failed_exec": (N_("A process could not run the program it tried to exec."),),
    "linger": (N_("Processes still running after the main process ended were stopped by the grader; what they "
                  "had not yet printed was lost."),),
    "late_reap": (N_("A child process stayed a zombie for a while before its parent waited for it."),),
}

# Checks by kind, for a check that did not pass; a passed check uses PASSED_TEMPLATE.
# Params are the ones the checks set (grader/checks); expected/observed stay as the checks wrote them.
PASSED_TEMPLATE = N_("This check passed.")
from grader.checks.messages import (  # noqa: E402 - one template per check message
    CHECK_TEMPLATES,
    FLAT,
    render_params,
)
from grader.checks.messages import catalog as catalog_of_checks  # noqa: E402


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}", hint=f"choose one of {', '.join(LANGUAGES)}")
    return lang


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogs for `lang`, both domains merged ("en" uses the msgids as they are)."""
    check_language(lang)
    if lang == "en":
        return gettext.NullTranslations()
    loaded = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no compiled catalog for {lang!r} under {LOCALE_DIR}")
    checks = Translations.load(str(LOCALE_DIR), [lang], CHECKS_DOMAIN)
    if isinstance(checks, Translations):      # absent until grader/checks ships its catalog
        loaded.merge(checks)
    return loaded


@dataclass(frozen=True, slots=True)
class Localized:
    """A message in the reader's language, or the English original when no template fit."""

    text: str
    translated: bool                # False: `text` is the English original


def _clean(text: str) -> str:
    return shorten(clean_text(text)[0], PARAM_CHARS)


def _param_text(value: Any) -> str:
    if isinstance(value, (list, tuple, set)):
        text = ", ".join(_param_text(v) for v in value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return _clean(text)


def _neutral(template: str) -> bool:
    """A template with no words of its own ("{error}"), the same in every language."""
    return not re.search(r"[^\W\d_]", re.sub(r"\{\w+\}", "", template))


def _templates(message: Message) -> list[str]:
    """The template of `message` and of every phrase nested in its parameters."""
    out = [message.template]
    for value in message.params.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Message):
                out.extend(_templates(item))
    return out


def render(message: Message, lang: str) -> Localized:
    """`message` in `lang`: its template's translation filled with its facts (English: the template).

    If any template it needs has no translation, the English sentence is returned, marked untranslated,
    rather than a sentence mixing languages.
    """
    if lang == "en":
        return Localized(fill(message.template, message.params, clean=_clean), True)
    catalog = translations(lang)
    if any(catalog.gettext(t) == t and not _neutral(t) for t in _templates(message)):
        return Localized(fill(message.template, message.params, clean=_clean), False)
    return Localized(fill(catalog.gettext(message.template), message.params, catalog.gettext, _clean), True)


def diagnosis_text(diagnosis: Diagnosis, lang: str) -> Localized:
    """A diagnosis's sentence in `lang`, from its template (and '(seen in N of M runs)' over repeats)."""
    if not diagnosis.template:
        return localize_diagnosis(diagnosis.code, diagnosis.params, diagnosis.message, lang)
    text = render(Message(diagnosis.template, dict(diagnosis.params)), lang)
    total = diagnosis.params.get("total_runs")
    if isinstance(total, int) and total > 1 and "runs" in diagnosis.params:
        seen = render(Message(SEEN_IN_RUNS, {"runs": diagnosis.params["runs"], "total_runs": total}), lang)
        return Localized(f"{text.text} {seen.text}", text.translated and seen.translated)
    return text


def evidence_text(evidence: Evidence, lang: str) -> Evidence:
    """A copy of `evidence` with its label and lines in `lang` (lines kept as they are when not templated)."""
    if lang == "en":
        return evidence
    catalog = translations(lang)
    lines = list(evidence.lines)
    if evidence.items:
        rendered = [render(item, lang) for item in evidence.items]
        if all(r.translated for r in rendered):
            lines = [r.text for r in rendered]
    return Evidence(label=catalog.gettext(evidence.label) if evidence.label else evidence.label,
                    lines=lines, tasks=list(evidence.tasks), run=evidence.run, items=list(evidence.items))


def _fill(template: str, params: dict[str, Any]) -> str | None:
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if any(name not in params or params[name] is None for name in fields):
        return None
    try:
        return template.format(**{name: _param_text(params[name]) for name in fields})
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


def _localize(table: dict[str, tuple[str, ...]], key: str, params: dict[str, Any], english: str,
              lang: str) -> Localized:
    if lang == "en":
        return Localized(clean_text(english)[0], True)
    catalog = translations(lang)
    for template in table.get(key, ()):
        translated = catalog.gettext(template)
        if translated == template:
            continue                 # not in the catalog: do not mix languages
        text = _fill(translated, params)
        if text is not None:
            return Localized(text, True)
    return Localized(clean_text(english)[0], False)


def localize_diagnosis(code: str, params: dict[str, Any], english: str, lang: str) -> Localized:
    """A diagnosis sentence in `lang` from its code, params and English text (no template at hand, e.g. a
    class summary's row): the catalog template that fills to `english` with `params`, else the sentences
    of DIAGNOSIS_TEMPLATES, else the English message."""
    if lang != "en":
        facts = {key: revive(value) for key, value in params.items()}
        template = _template_of(english.split(" (seen in ")[0], facts, lang)
        if template is not None:
            return diagnosis_text(Diagnosis(code=code, message=english, params=facts, template=template), lang)
    return _localize(DIAGNOSIS_TEMPLATES, code, params, english, lang)


def _template_of(english: str, params: dict[str, Any], lang: str) -> str | None:
    """The catalog msgid whose fields are all in `params` and that fills to exactly `english`."""
    catalog = getattr(translations(lang), "_catalog", {})
    for msgid in catalog:
        if not isinstance(msgid, str) or "{" not in msgid:
            continue
        fields = {name for _, name, _, _ in string.Formatter().parse(msgid) if name}
        if fields <= params.keys():
            try:
                if fill(msgid, params) == english:
                    return msgid
            except (KeyError, IndexError, ValueError, AttributeError):
                continue
    return None


def localize_check(kind: str, status: str, params: dict[str, Any], english: str, lang: str) -> Localized:
    """A check's message in `lang`: its own template (params["template"]) filled with its facts; else a
    sentence by its kind (or a plain 'passed' sentence); else the English message."""
    key = params.get("template")
    if lang != "en" and isinstance(key, str) and key in FLAT and catalog_of_checks(lang).gettext(FLAT[key]) != FLAT[key]:
        text = render_params(params, lang)
        if text is not None:
            return Localized(clean_text(text)[0], True)
    table: dict[str, tuple[str, ...]] = {kind: (PASSED_TEMPLATE,)} if status == "passed" else CHECK_TEMPLATES
    return _localize(table, kind, params, english, lang)


# ---------------------------------------------------------------- catalog tooling

_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract_catalog() -> Catalog:
    """Every message in the templates and Python files of this package."""
    method_map = [("**.py", "python"), ("templates/**.j2", "jinja2")]
    options_map = {"templates/**.j2": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
    catalog = Catalog(project="grader", domain=DOMAIN, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(HERE), method_map, options_map, keywords=_KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(f"grader/report/{filename}", lineno)], auto_comments=comments,
                    context=context)
    package = HERE.parent
    for source in SOURCES:
        with (package / source).open("rb") as handle:
            for lineno, _, found, notes in extract_python(handle, _KEYWORDS, [], {}):
                if isinstance(found, str) and found:
                    catalog.add(found, None, [(f"grader/{source}", lineno)], auto_comments=notes)
    return catalog


def update_catalog(lang: str = "ko") -> Path:
    """Write messages.pot and merge it into the language's .po (new entries untranslated)."""
    template = extract_catalog()
    with POT_FILE.open("wb") as out:
        write_po(out, template, width=100, omit_header=False, sort_output=False, no_location=True)
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang, domain=DOMAIN)
        catalog.update(template, update_header_comment=False)
    else:
        catalog = Catalog(locale=lang, domain=DOMAIN, project="grader", charset="utf-8")
        catalog.update(template)
    po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as out:
        write_po(out, catalog, width=100, no_location=True, ignore_obsolete=True)
    return po_path


def compile_catalog(po_path: Path) -> bytes:
    """The .mo bytes for a .po file (what `pybabel compile` writes)."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "extract":
        with POT_FILE.open("wb") as out:
            write_po(out, extract_catalog(), width=100, no_location=True)
        print(POT_FILE)
    elif command == "update":
        print(update_catalog())
    elif command == "compile":
        for lang in LANGUAGES[1:]:
            po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            po_path.with_suffix(".mo").write_bytes(compile_catalog(po_path))
            print(po_path.with_suffix(".mo"))
    else:
        print("usage: python3 -m grader.report.i18n extract|update|compile", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
