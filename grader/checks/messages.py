"""Every sentence a check says: one template id, typed params, English filled here, Korean from the "checks" catalog.

A check's outcome names ONE template id (`CheckOutcome.template`, also `params["template"]`) and the
params that fill it. A template may hold slots written `<name>`: each slot is filled by one clause of
that family (e.g. `<bounds>` by "exactly {eq}" or "at least {lo}", `<more>` by "" or " (and {more} more)").
The combinations are expanded here into flat templates (id "base+clause+clause"), so a translator and
the page's renderer see one flat sentence with flat `{field}` params, exactly like any gettext msgid.

Params are ints, floats (already rounded), short strings (student text is quoted and shortened before
it gets here) or lists of those; a list is shown as "a, b, c" in every language.

Catalog workflow (from the repository root):
    python3 -m grader.checks.messages update    # CHECK_TEMPLATES -> locale/ko/LC_MESSAGES/checks.po
    python3 -m grader.checks.messages compile   # checks.po -> checks.mo (committed)
"""

from __future__ import annotations

import gettext
import io
import re
import string
import sys
from functools import cache
from pathlib import Path
from typing import Any

from grader.result import MAX_LISTED

__all__ = [
    "CHECK_TEMPLATES",
    "CLAUSES",
    "LEGACY_BY_KIND",
    "DOMAIN",
    "LOCALE_DIR",
    "TEMPLATES",
    "catalog",
    "fields_of",
    "param_text",
    "quote",
    "render",
    "render_params",
    "template_text",
]

DOMAIN = "checks"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "report" / "locale"
PARAM_CHARS = 80
_SLOT = re.compile(r"<([a-z_]+)>")


def N_(message: str) -> str:
    """Mark a message for the catalog."""
    return message


# ----------------------------------------------------------------- clause families (slot fillers)
CLAUSES: dict[str, dict[str, str]] = {
    "more": {
        "none": "",
        "some": N_(" (and {more} more)"),
    },
    "bounds": {
        "eq": N_("exactly {eq}"),
        "range": N_("between {lo} and {hi}"),
        "min": N_("at least {lo}"),
        "max": N_("at most {hi}"),
    },
    # why a check found nothing to judge: how the program ended before it got there
    "ended": {
        "none": "",
        "python_error": N_("; it stopped first with a Python error: {error}"),
        "signal": N_("; it was killed first by {signal}"),
        "exit": N_("; it exited first with code {code}"),
        "timeout": N_("; the grader stopped it first at the time limit"),
        "output_limit": N_("; the grader stopped it first at the output limit"),
        "trace_limit": N_("; the grader stopped it first at the trace-size limit"),
    },
    # what a race costs (the assignment's `race:`)
    "cost": {
        "none": "",
        "warn": N_("; this assignment takes no points for a race, so the check still scores"),
    },
    # a task the grader ended
    "stop": {
        "timeout": N_("at the time limit"),
        "output": N_("at the output limit"),
        "trace": N_("at the trace-size limit"),
        "linger": N_("because it was still running after the main process had ended"),
        "other": N_("when the run was stopped"),
    },
    # processes left out of a count because the language runtime started them
    "helpers": {
        "none": "",
        "some": N_(" (not counting the language runtime's own helpers: pid {helper_pids})"),
    },
    # why a line counts for no process
    "unowned": {
        "none": "",
        "mixed2": N_("; line {bad_line} was assembled from writes by pid {bad_a} and pid {bad_b}, so it counts "
                     "for neither"),
        "mixed": N_("; line {bad_line} was assembled from writes by pids {bad_pids}, so it counts for none of them"),
        "unknown": N_("; bytes of line {bad_line} were written by no traced call, so it counts for no process"),
        "untraced": N_("; line {bad_line} has no writer in the trace, so it counts for no process"),
    },
    "from": {
        "none": "",
        "role": N_(" from {role}"),
    },
    "before_from": {
        "none": "",
        "role": N_(" from {before_role}"),
        "first": N_(" (the first line)"),
        "first_role": N_(" (the first line from {before_role})"),
        "last": N_(" (the last line)"),
        "last_role": N_(" (the last line from {before_role})"),
    },
    "after_from": {
        "none": "",
        "role": N_(" from {after_role}"),
        "first": N_(" (the first line)"),
        "first_role": N_(" (the first line from {after_role})"),
        "last": N_(" (the last line)"),
        "last_role": N_(" (the last line from {after_role})"),
    },
    "extra": {
        "none": "",
        "some": N_(" (but {extra} extra process(es) were created)"),
    },
    "failed_exec": {
        "none": "",
        "some": N_("; pid {fail_pid} tried to exec {fail_path} but the call failed ({errno})"),
    },
    # lines whose thread cannot be known because one stdio buffer served several threads
    "shared_stdio": {
        "none": "",
        "some": N_("; the thread of {unproven} line(s) could not be checked: the threads of pid {buffer_pid} share "
                   "one stdio buffer and <flusher> ({buffer_writes} write(s) of several lines each), so the "
                   "kernel saw one writer"),
    },
    # output.values: which line a binding was judged on
    "at": {
        "none": "",
        "line": N_("line {line} {text}: "),
    },
    # output.values: the printed values a failed binding read
    "printed": {
        "none": "",
        "some": N_(" with {printed}"),
    },
    # output.values: what the trace shows about the task a failed binding named
    "fact": {
        "none": "",
        "exited": N_(", but the trace shows pid {fact_pid} exited with status {fact_status}"),
        "killed": N_(", but the trace shows pid {fact_pid} was killed by {fact_signal}"),
        "stopped": N_(", but the trace shows the grader stopped pid {fact_pid}"),
        "running": N_(", but the trace shows pid {fact_pid} had not ended when the run did"),
        "writer": N_(", but the trace shows the line was written by pid {fact_pid}"),
        "thread": N_(", but the trace shows the line was written by thread {fact_tid}"),
        "root": N_(", but the trace shows the first process is pid {fact_pid}"),
        "parent": N_(", but the trace shows the parent of pid {fact_pid} is pid {fact_parent}"),
        "reaper": N_(", but the trace shows pid {fact_pid} was reaped by pid {fact_reaper}"),
        "unreaped": N_(", but the trace shows pid {fact_pid} was never reaped"),
        "children": N_(", but the trace shows the child processes of pid {fact_pid} are pids {fact_list}"),
        "no_children": N_(", but the trace shows pid {fact_pid} has no child process"),
        "threads": N_(", but the trace shows the threads of pid {fact_pid} are {fact_list}"),
        "no_threads": N_(", but the trace shows pid {fact_pid} has no thread besides its main thread"),
        "reaped": N_(", but the trace shows pid {fact_pid} waited for pids {fact_list}, in that order"),
        "reaped_none": N_(", but the trace shows pid {fact_pid} waited for no child process"),
        "procs": N_(", but the trace shows the run's processes are pids {fact_list}"),
        "received_from": N_(", but the trace shows pid {fact_pid} read bytes written by pids {fact_list}"),
        "received_none": N_(", but the trace shows pid {fact_pid} read no bytes another process wrote"),
        "sent_to": N_(", but the trace shows the bytes pid {fact_pid} wrote were read by pids {fact_list}"),
        "sent_none": N_(", but the trace shows no other process read bytes pid {fact_pid} wrote"),
        "bytes_received": N_(", but the trace shows pid {fact_pid} read {fact_bytes} byte(s) that other processes "
                             "wrote"),
        "depth": N_(", but the trace shows pid {fact_pid} is at depth {fact_depth} of the process tree (the first "
                    "process is at depth 0)"),
    },
    # output.values: a capture of one line (line: first|last)
    "which": {
        "first": N_("first"),
        "last": N_("last"),
    },
    # who flushed a stdio buffer that several threads share
    "flusher": {
        "main_exit": N_("the main thread flushed every thread's output at exit"),
        "main": N_("the main thread flushed other threads' lines"),
        "thread": N_("thread {flusher} flushed other threads' lines"),
    },
    # process.zombie: what ended a zombie's time
    "until": {
        "reaped": N_("its parent pid {parent} waited for it"),
        "parent_end": N_("its parent pid {parent} ended"),
        "run_end": N_("the end of the run"),
    },
    # process.zombie: why a process was never a zombie
    "never": {
        "stopped": N_("the grader stopped it <stop>"),
        "auto": N_("its parent ignored SIGCHLD, so the kernel reaped it at once"),
        "running": N_("it had not ended when the run ended"),
        "orphan": N_("its parent pid {parent} ended first, so it was an orphan, adopted by pid {adopter}"),
        "other": N_("it did not end while its parent pid {parent} was alive"),
    },
    # process.zombie: the time it must have been a zombie
    "span": {
        "min": N_("at least {want} s"),
        "range": N_("between {want} and {max} s"),
    },
    # process.reap_order: the order asked for
    "order": {
        "creation": N_("the order they were created in"),
        "reverse": N_("the reverse of the order they were created in"),
        "roles": N_("{roles}"),
    },
    # process.reap_order: why a child was not reaped by its parent
    "unreaped": {
        "never": N_("it was never waited for"),
        "stopped": N_("the grader stopped it <stop>"),
        "orphan": N_("it outlived pid {parent}"),
    },
    # process.blocked_in: the kind of descriptor asked for
    "want_on": {
        "none": "",
        "pipe": N_(" on a pipe"),
        "fifo": N_(" on a FIFO"),
        "socket": N_(" on a socket"),
        "stdin": N_(" on its standard input"),
    },
    # process.blocked_in: the descriptor the call waited on
    "got_on": {
        "none": "",
        "channel": N_(" on {channel}"),
    },
    # process.blocked_in: the other side, as far as the trace knows it
    "got_end": {
        "none": "",
        "holders": N_(", whose other end pid {others} held open"),
        "waits": N_(", waiting for pid {others}"),
        "joins": N_(", waiting for thread {others}"),
    },
    # process.blocked_in: what a task was doing instead
    "got": {
        "call": N_("it was in {got_call}<got_on>"),
        "running": N_("it was running, not waiting in a system call"),
        "outside": N_("it was not inside a system call"),
        "unnamed": N_("it was inside a system call the grader could not name"),
    },
    # process.blocked_in: which task
    "task": {
        "process": N_("pid {pid}"),
        "thread": N_("thread {tid} of pid {pid}"),
    },
    # signal.sent: why the sends counted fall short (grader.checks.signals)
    "sent_why": {
        "none": "",
        "failed": N_("; {failed} attempt(s) to send it failed ({errno}), so they sent nothing"),
        "to_group": N_("; {skipped} went to a process group, which this check does not count"),
        "to_process": N_("; {skipped} went to a single process, which this check does not count"),
        "elsewhere": N_("; pid {o_sender} sent it to pid {o_target} instead"),
        "elsewhere_group": N_("; pid {o_sender} sent it to process group {o_group}, which held no process of "
                              "{receiver} then"),
        "elsewhere_own_group": N_("; pid {o_sender} sent it to its own process group, which held no process of "
                                  "{receiver} then"),
    },
    "by_role": {
        "none": "",
        "role": N_(" from {sender}"),
    },
    # signal.delivered: why fewer deliveries were counted
    "deliv_why": {
        "none": "",
        "lost": N_("; {sent} were sent to it: a standard signal sent again while one is still pending is merged "
                   "with it, and a pending signal is lost when the process ends first"),
        "ignored": N_("; {ignored} more arrived while it ignored the signal (SIG_IGN), so the kernel discarded "
                      "them"),
        "others": N_("; {others} more came from other senders"),
    },
    # signal.handler: what the signal met instead of a handler
    "unhandled": {
        "none": "",
        "killed": N_("; the signal's default action killed it"),
        "ignored": N_("; it ignored the signal (SIG_IGN) instead"),
        "runtime": N_("; the only SIGINT handler was the one Python installs at start-up"),
    },
    "installed": {
        "none": "",
        "some": N_(" (it did install a handler)"),
    },
    # process.group: a process group, known by its id or the one the program started in
    "pg": {
        "known": N_("process group {pgid}"),
        "start": N_("the process group the program was started in"),
    },
    "opg": {
        "known": N_("process group {opgid}"),
        "start": N_("the process group the program was started in"),
    },
    "tried": {
        "none": "",
        "failed": N_("; its {call} call at line {line} failed ({errno})"),
    },
    "changed": {
        "none": "",
        "by": N_("; pid {who} moved it there with {call} at line {line}"),
        "self": N_("; it moved itself there with {call} at line {line}"),
    },
    # process.session: why no process of the role became a session leader
    "setsid_why": {
        "none": "",
        "eperm": N_("; pid {fpid}'s setsid() at line {line} failed with EPERM: a process-group leader cannot start "
                    "a new session (fork first and call setsid in the child)"),
        "failed": N_("; pid {fpid}'s setsid() at line {line} failed ({errno})"),
        "other": N_("; pid {fpid}, which is not in {role}, did (line {line})"),
    },
    # file.contents: the copy was cut at the size limit
    "cut": {
        "none": "",
        "some": N_(" (only its first {kept} of {size} bytes were read)"),
    },
}

# ----------------------------------------------------------------- templates by check
TEMPLATES: dict[str, str] = {
    # any check
    "trace.none": N_("the program's behaviour could not be observed: no trace of it was recorded"),
    "none.children": N_("there were no child processes to check: the program created none<ended>"),
    "none.role": N_("there was no process in role {role} to check: the program created {children} child "
                    "process(es)<ended>"),
    "none.threads": N_("there were no threads to check: the program started none besides its main "
                       "thread<ended>"),
    "none.lines": N_("no line matches /{pattern}/<ended>"),
    "none.role_lines": N_("no line matching /{pattern}/ was written by {role} alone<unowned><ended>"),
    "none.ipc": N_("there was no IPC object to check: the program created none<ended>"),
    "none.flows": N_("the trace shows no bytes written by one process and read by another through a pipe, "
                     "socket, FIFO, message queue or file<ended>"),
    # process.reaped
    "reaped.ok": N_("all {count} child process(es) were waited for by their parent"),
    "reaped.never": N_("pid {pid} was never waited for by its parent pid {parent}<more>"),
    "reaped.orphan": N_("pid {pid} was never waited for by its parent pid {parent}: the parent ended first and "
                        "pid {pid} was adopted by pid {adopter}<more>"),
    "reaped.other": N_("pid {pid} was reaped by pid {reaper}, not by its parent pid {parent}<more>"),
    "reaped.stopped": N_("pid {pid} was never reaped by its parent pid {parent}: the grader stopped it "
                         "<stop><more>"),
    # process.no_zombies
    "zombies.ok": N_("no process was left a zombie"),
    "zombie.timed": N_("pid {pid} was a zombie for {seconds} s: it ended and its parent pid {parent} did not "
                       "wait for it<more>"),
    "zombie.untimed": N_("pid {pid} was left a zombie: it ended and its parent pid {parent} did not wait for "
                         "it<more>"),
    # process.no_orphans
    "orphans.ok": N_("no process outlived its parent"),
    "orphans.ok_stopped": N_("no process outlived its parent on its own: pid {pids} were stopped by the grader "
                             "together with their parent"),
    "orphan.adopted": N_("pid {pid} outlived its parent pid {parent} and was adopted by pid {adopter}<more>"),
    "orphan.plain": N_("pid {pid} outlived its parent pid {parent}<more>"),
    "orphan.stopped": N_("pid {pid} outlived its parent pid {parent}, and the grader stopped it <stop><more>"),
    # process.exit_code
    "exit.ok": N_("{count} process(es) in {role} exited with code {want}"),
    "exit.root_ok": N_("the program exited with code {want}"),
    "exit.root_code": N_("expected the program to exit with code {want}, it exited with code {code}"),
    "exit.root_signal": N_("expected the program to exit with code {want}, it was killed by {signal}"),
    "exit.code": N_("expected pid {pid} ({role}) to exit with code {want}, it exited with code {code}"),
    "exit.signal": N_("expected pid {pid} ({role}) to exit with code {want}, it was killed by {signal}"),
    "exit.stopped": N_("expected pid {pid} ({role}) to exit with code {want}, the grader stopped it <stop>"),
    "exit.running": N_("expected pid {pid} ({role}) to exit with code {want}, it never exited"),
    "exit.root_sanitizer": N_("expected the program to exit with code {want}, it exited with code {code}: {tool} "
                              "reported a problem in it, and {code} is the exit code it gives a program after a "
                              "report"),
    "exit.sanitizer": N_("expected pid {pid} ({role}) to exit with code {want}, it exited with code {code}: {tool} "
                         "reported a problem in this process, and {code} is the exit code it gives a program after "
                         "a report"),
    # process.killed
    "killed.ok": N_("{count} process(es) in {role} were killed by {signal}"),
    "killed.ok_any": N_("{count} process(es) in {role} were killed by a signal"),
    "killed.few": N_("expected at least {want} process(es) in {role} to be killed by {signal}, found {got}"),
    "killed.few_any": N_("expected at least {want} process(es) in {role} to be killed by a signal, found {got}"),
    # process.concurrent
    "concurrent.ok": N_("up to {best} of {count} tasks in {role} ran at the same time"),
    "concurrent.few": N_("expected at least {want} tasks in {role} to run at the same time, at most {best} did"),
    "concurrent.serial": N_("expected at least {want} tasks in {role} to run at the same time, at most {best} "
                            "did: each of the {count} ended before the next started"),
    # process.count, children, tree, siblings, exec
    "count.ok": N_("the program ran {count} process(es), as expected (<bounds>)<helpers>"),
    "count.bad": N_("expected <bounds> process(es), the program ran {count}<helpers>"),
    "children.ok": N_("{count} process(es) in {role} have <bounds> child process(es)"),
    "children.bad": N_("expected pid {pid} ({role}) to have <bounds> child process(es), it had {got}<helpers>"),
    "tree.ok": N_("the process tree has the expected shape"),
    "tree.bad": N_("the process tree does not have the expected shape<helpers>"),
    "tree.bad_chain": N_("the process tree is not a chain of {chain} processes<helpers>"),
    "siblings.ok": N_("{count} sibling processes with different pids share parent pid {parent}"),
    "siblings.few": N_("expected at least {want} sibling processes in {role}, found {got}"),
    "siblings.parents": N_("expected the processes in {role} to share one parent, their parents are pids "
                           "{parents}"),
    "exec.ok": N_("{count} process(es) exec'd {program}"),
    "exec.few": N_("expected at least {want} process(es) to exec {program}, found {got}<failed_exec>"),
    "exec.few_role": N_("expected at least {want} process(es) in {role} to exec {program}, found "
                        "{got}<failed_exec>"),
    # threads
    "threads.count_ok": N_("{count} process(es) in {role} started <bounds> thread(s)"),
    "threads.count_bad": N_("expected pid {pid} to start <bounds> thread(s) besides its main thread, it started "
                            "{got}"),
    "threads.few": N_("expected at least {want} threads, found {got}<extra>"),
    "threads.spread": N_("expected all threads in one process, they are spread over {got}: pids {pids}"),
    "threads.same_ok": N_("{count} threads share pid (tgid) {pid}, each with its own tid: {tids}"),
    "work.threads_ok": N_("the lines matching /{pattern}/ were written by {count} threads of pid {pid}"
                          "<shared_stdio>"),
    "work.threads_few": N_("expected the lines matching /{pattern}/ to be written by at least {want} threads of "
                           "one process, they were written by {threads} thread(s) in {processes} "
                           "process(es)<unowned><shared_stdio>"),
    "work.threads_unproven": N_("the lines matching /{pattern}/ cannot be attributed to threads: the threads of "
                                "pid {buffer_pid} share one stdio buffer and <flusher> ({buffer_writes} write(s) "
                                "of several lines each), so the kernel saw one writer; write each line with its "
                                "own call (flush after each line) to make it provable"),
    "work.processes_ok": N_("the lines matching /{pattern}/ were written by {count} processes"),
    "work.processes_few": N_("expected the lines matching /{pattern}/ to be written by at least {want} processes, "
                             "they were written by {processes} process(es) using {threads} thread(s)<unowned>"),
    # output.exact, contains, regex, count, unordered, ordered
    "exact.ok": N_("the output is exactly as expected"),
    "exact.strict_bad": N_("the {stream} differs from the expected text"),
    "exact.line": N_("the {stream} differs from the expected text at line {line}: expected {want}, got {got}"),
    "exact.line_short": N_("the {stream} differs from the expected text at line {line}: expected {want}, got no "
                           "more lines"),
    "exact.line_long": N_("the {stream} differs from the expected text at line {line}: expected no more lines, "
                          "got {got}"),
    "contains.ok": N_("the {stream} contains {text}"),
    "contains.absent_ok": N_("the {stream} does not contain {text}"),
    "contains.bad": N_("the {stream} does not contain {text}"),
    "contains.empty": N_("the {stream} does not contain {text}: the program printed nothing on it"),
    "contains.absent_bad": N_("the {stream} should not contain {text}, but {count} line(s) do, first line "
                              "{line}"),
    "regex.ok": N_("the {stream} matches /{pattern}/"),
    "regex.absent_ok": N_("the {stream} does not match /{pattern}/"),
    "regex.bad": N_("no part of the {stream} matches /{pattern}/"),
    "regex.empty": N_("no part of the {stream} matches /{pattern}/: the program printed nothing on it"),
    "regex.absent_bad": N_("/{pattern}/ should not match the {stream}, but it matched {text}"),
    "count.lines_ok": N_("{count} line(s) matching /{pattern}/ on {stream}, as expected (<bounds>)"),
    "count.lines_bad": N_("expected <bounds> line(s) matching /{pattern}/ on {stream}, found {count}<unowned>"),
    "count.role_ok": N_("{count} line(s) matching /{pattern}/ on {stream} were written by {role}, as expected "
                        "(<bounds>)"),
    "count.role_bad": N_("expected <bounds> line(s) matching /{pattern}/ written by {role} on {stream}, found "
                         "{count}<unowned>"),
    "unordered.ok": N_("the {stream} has the expected lines (in any order)"),
    "unordered.bad": N_("the {stream}'s lines (in any order) differ: {missing} expected line(s) missing (first "
                        "{first_missing}), {extra} unexpected line(s)"),
    "unordered.missing": N_("the {stream}'s lines (in any order) differ: {missing} expected line(s) missing "
                            "(first {first_missing})"),
    "unordered.extra": N_("the {stream}'s lines (in any order) differ: {extra} unexpected line(s) (first "
                          "{first_extra})"),
    "ordered.ok": N_("the {count} lines appear in the expected order"),
    "ordered.before": N_("line {late} {late_text} (/{pattern}/) came before line {early} {early_text} "
                         "(/{previous}/); they must appear the other way round"),
    "ordered.missing": N_("no line matches /{pattern}/ (step {step} of {steps})"),
    "ordered.missing_after": N_("no line matching /{pattern}/ comes after line {early} {early_text} "
                                "(/{previous}/)"),
    # output.process_order, happens_before
    "porder.ok": N_("each of {count} process(es) printed its lines in order"),
    "porder.none": N_("no process printed any of the expected lines<unowned><ended>"),
    "porder.bad": N_("pid {pid} printed line {late} {late_text} (/{late_pattern}/) after line {early} "
                     "{early_text} (/{early_pattern}/); each process must print them in the given order"),
    "porder.missing": N_("pid {pid} never printed a line matching /{pattern}/"),
    "before.ok": N_("every line /{before}/<before_from> came before every line /{after}/<after_from>"),
    "before.missing": N_("no line /{pattern}/<from> was printed<unowned>"),
    "before.not_chosen": N_("the <which> line<from> is line {chosen} {chosen_text}, which does not match "
                            "/{pattern}/"),
    "before.bad": N_("line {late} {late_text} matches /{after}/<after_from> but comes before line {early} "
                     "{early_text} which matches /{before}/<before_from>"),
    # output.ids, values
    "ids.ok": N_("{count} line(s) print ids that match the trace<shared_stdio>"),
    "ids.few": N_("expected at least {want} line(s) like {pattern}<from>, found {got}<unowned><ended>"),
    "ids.pid": N_("line {line} {text} says pid {claimed}, but it was written by pid {real}<more>"),
    "ids.tid": N_("line {line} {text} says tid {claimed}, but it was written by thread {real}<more>"),
    "ids.ppid": N_("line {line} {text} says ppid {claimed}, but the parent of pid {pid} is {real}<more>"),
    "ids.ppid_adopted": N_("line {line} {text} says ppid {claimed}, but the parent of pid {pid} is {real}, then "
                           "{adopter}<more>"),
    "ids.mixed2": N_("line {line} {text} was assembled from writes by pid {a} and pid {b}, so its ids cannot be "
                     "tied to one process<more>"),
    "ids.mixed": N_("line {line} {text} was assembled from writes by pids {pids}, so its ids cannot be tied to "
                    "one process<more>"),
    "ids.unknown": N_("bytes of line {line} {text} were written by no traced call, so its ids cannot be tied to "
                      "a process<more>"),
    "ids.untraced": N_("line {line} {text} has no writer in the trace, so its ids cannot be checked<more>"),
    "ids.unproven": N_("the tid on {unproven} line(s) like {pattern} could not be checked and nothing else could "
                       "be: the threads of pid {buffer_pid} share one stdio buffer and <flusher> "
                       "({buffer_writes} write(s) of several lines each), so the kernel saw one writer"),
    "values.ok": N_("the printed values satisfy {expect}"),
    "values.none": N_("no line like {pattern}<from> ({name})<unowned>"),
    "values.nothing": N_("{expect}: no value was printed to compare"),
    "values.bad": N_("expected {expect}, but {seen}"),
    "values.not_chosen": N_("the <which> line<from> is line {chosen} {chosen_text}, not a line like {pattern} "
                            "({name})"),
    "bind.bad": N_("<at>{expect} does not hold<printed><fact><more>"),
    "bind.noproc": N_("<at>{expect} names pid {pid}, but the trace has no process {pid}"),
    "bind.noparent": N_("<at>{expect} needs the parent of pid {pid}, but pid {pid} was started from outside "
                        "the traced run"),
    "bind.noindex": N_("<at>{expect} needs item {index} of {what}, which has {size} item(s)"),
    "bind.kind": N_("<at>{expect} cannot be judged: {what} is a {kind}"),
    "bind.too_many": N_("<at>{expect} would be judged on more than {limit} lines or pairs of lines; the "
                        "assignment must name fewer"),
    # output.writers
    "writers.ok": N_("{count} line(s) matching /{pattern}/ came from {processes} process(es), {threads} "
                     "thread(s)"),
    "writers.few": N_("expected at least {want} line(s) matching /{pattern}/, found {got}"),
    "writers.processes": N_("expected lines matching /{pattern}/ from {want} distinct processes, but they came "
                            "from {got}: pid {pids}<unowned>"),
    "writers.processes_none": N_("expected lines matching /{pattern}/ from {want} distinct processes, but none "
                                 "of them was written by one process alone<unowned>"),
    "writers.threads": N_("expected lines matching /{pattern}/ from {want} distinct threads, but they came from "
                          "{got}: tid {tids}<unowned><shared_stdio>"),
    "writers.threads_none": N_("expected lines matching /{pattern}/ from {want} distinct threads, but none of "
                               "them was written by one thread alone<unowned><shared_stdio>"),
    "writers.outside": N_("{count} line(s) matching /{pattern}/ were not written by {role} (pid {members}), "
                          "first line {line}<unowned>"),
    "writers.role_few": N_("expected at least {want} line(s) matching /{pattern}/ written by {role}, found "
                           "{got}<unowned>"),
    # ipc
    "ipc.used_ok": N_("the program used a {mechanism} ({name})"),
    "ipc.used_alone": N_("the program made a {mechanism} ({name}) but only pid {pids} used it"),
    "ipc.used_unmapped": N_("the program opened the {mechanism} {name} in pid {pids}, but only pid {mapped} held "
                            "a shared, writable mapping of it, so no two processes shared it"),
    "ipc.used_other": N_("expected the program to use a {mechanism}; it used {kinds}"),
    "ipc.used_none": N_("expected the program to use a {mechanism}; it used no IPC at all"),
    "flow.ok": N_("{bytes} bytes went from {sender} to {receiver}"),
    "flow.ok_over": N_("{bytes} bytes went from {sender} to {receiver} over a {mechanism}"),
    "flow.few": N_("expected at least {want} bytes to go from {sender} to {receiver}; only {bytes} did"),
    "flow.few_over": N_("expected at least {want} bytes to go from {sender} to {receiver} over a {mechanism}; "
                        "only {bytes} did"),
    "flow.none": N_("expected data to go from {sender} to {receiver}; none did ({others} other transfer(s) "
                    "seen)"),
    "flow.none_over": N_("expected data to go from {sender} to {receiver} over a {mechanism}; none did "
                         "({others} other transfer(s) seen)"),
    "cleanup.ok": N_("every one of the {count} IPC object(s) the program created was removed"),
    "cleanup.bad": N_("the program left {count} IPC object(s) behind: {kind} {name}<more>"),
    # resources
    "time.ok": N_("the program finished in {ms} ms"),
    "time.out": N_("the program did not finish within the time limit ({limit_ms} ms) and was stopped"),
    "time.slow": N_("the program took {ms} ms, more than {max_ms} ms"),
    "memory.ok": N_("the program stayed within its memory limit"),
    "memory.oom": N_("the program used more than its {limit_mib} MiB of memory and was killed"),
    "pids.ok": N_("the program stayed within its process budget"),
    "pids.limit": N_("the program hit the limit of {limit} tasks"),
    "pids.failed": N_("the program hit the limit of {limit} tasks: {failed} fork/clone call(s) failed ({errno})"),
    "pids.peak": N_("{peak} processes were alive at once, more than {max}"),
    # process.no_zombies with max
    "zombie.late": N_("pid {pid} was a zombie for {seconds} s before its parent pid {parent} waited for it, "
                      "longer than {max} s<more>"),
    # process.zombie
    "zombie_for.ok": N_("{count} process(es) in {role} were each a zombie for <span>; the shortest, pid {pid}, "
                        "for {seconds} s, until <until>"),
    "zombie_for.ok_one": N_("pid {pid} was a zombie for {seconds} s, from its exit until <until>: <span>, as "
                            "expected"),
    "zombie_for.brief": N_("pid {pid} was a zombie for less than a millisecond, from its exit until <until>; it "
                           "must stay one for <span><more>"),
    "zombie_for.short": N_("pid {pid} was a zombie for only {seconds} s, from its exit until <until>; it must "
                           "stay one for <span><more>"),
    "zombie_for.long": N_("pid {pid} was a zombie for {seconds} s, from its exit until <until>; it must stay "
                          "one for <span><more>"),
    "zombie_for.never": N_("pid {pid} was never a zombie: <never>; it must stay one for <span><more>"),
    # process.reap_order
    "reap_order.ok": N_("pid {parent} reaped pids {want_pids} in the expected order (<order>)"),
    "reap_order.bad": N_("pid {parent} reaped pid {early} before pid {late}: it reaped pids {got_pids}, the "
                         "expected order (<order>) is pids {want_pids}"),
    "reap_order.unreaped": N_("pid {parent} did not reap pid {pid}: <unreaped>; the expected order (<order>) "
                              "is pids {want_pids}"),
    "reap_order.few": N_("there was no order to check: {role} had at most {count} child process(es) to reap, "
                         "and an order needs two<ended>"),
    # process.blocked_in
    "blocked.ok": N_("when the run hit its time limit, <task> ({role}) was blocked in {got_call}<got_on>"
                     "<got_end>, as expected<more>"),
    "blocked.elsewhere": N_("expected <task> ({role}) to be blocked in {calls}<want_on> when the run hit its "
                            "time limit; <got>"),
    "blocked.ended": N_("expected <task> ({role}) to be blocked in {calls}<want_on> when the run hit its time "
                        "limit, but it had already ended"),
    "blocked.other_end": N_("when the run hit its time limit, <task> ({role}) was blocked in {got_call}<got_on>"
                            "<got_end>, not on {other_role} (pid {members}) as expected"),
    "blocked.end_unknown": N_("when the run hit its time limit, <task> ({role}) was blocked in {got_call}"
                              "<got_on>, but the trace does not show what was on the other side, so whether "
                              "it waited on {other_role} cannot be checked"),
    "blocked.finished": N_("expected {role} to be blocked in {calls}<want_on> when the run hit its time limit, "
                           "but the program ended on its own after {seconds} s"),
    "blocked.limit": N_("expected {role} to be blocked in {calls}<want_on> when the run hit its time limit, "
                        "but the grader stopped the program <stop> first"),
    # thread.joined
    "joined.ok": N_("all {count} thread(s) of pid {pids} ended on their own before their process ended"),
    "joined.exit_group_main": N_("thread {tid} of pid {pid} was still running when the main thread called "
                                 "exit_group (returned from main, called exit, or the program ended), which "
                                 "ended every thread: join it first<more>"),
    "joined.exit_group": N_("thread {tid} of pid {pid} was still running when thread {ender} called exit_group, "
                            "which ended every thread of the process<more>"),
    "joined.exec": N_("thread {tid} of pid {pid} was still running when thread {ender} ran another program "
                      "(execve), which ended every other thread<more>"),
    "joined.signal": N_("thread {tid} of pid {pid} was still running when its process was killed by "
                        "{signal}<more>"),
    "joined.stopped": N_("thread {tid} of pid {pid} never ended on its own: the grader stopped it <stop><more>"),
    "joined.running": N_("thread {tid} of pid {pid} had not ended when the trace ended<more>"),
    "joined.with_process": N_("thread {tid} of pid {pid} ended with its process, without an exit of its "
                              "own<more>"),
    # signal.sent, signal.delivered, signal.handler (grader.checks.signals)
    "sent.ok": N_("{sender} sent {signal} to {receiver} {count} time(s), as expected (<bounds>)"),
    "sent.ok_group": N_("{sender} sent {signal} to a process group holding {receiver} {count} time(s), as expected "
                        "(<bounds>)"),
    "sent.bad": N_("expected {sender} to send {signal} to {receiver} <bounds> time(s), the trace shows "
                   "{count}<sent_why>"),
    "sent.bad_group": N_("expected {sender} to send {signal} to a process group holding {receiver} <bounds> "
                         "time(s), the trace shows {count}<sent_why>"),
    "delivered.ok": N_("{signal} was delivered to {role}<by_role> {count} time(s), as expected (<bounds>)"),
    "delivered.bad": N_("expected {signal} to be delivered to {role}<by_role> <bounds> time(s), it was delivered "
                        "{count} time(s)<deliv_why>"),
    "handler.ok": N_("pid {pid} ({role}) installed a handler for {signal}"),
    "handler.ok_delivery": N_("pid {pid} ({role}) had a handler for {signal} in place each of the {count} time(s) "
                              "it arrived"),
    "handler.ok_unused": N_("pid {pid} ({role}) installed a handler for {signal}; no {signal} was delivered to it"),
    "handler.ok_fork": N_("pid {pid} ({role}) installed a handler for {signal} before creating its first child"),
    "handler.never": N_("pid {pid} ({role}) never installed a handler for {signal}<unhandled>"),
    "handler.late_delivery": N_("{signal} reached pid {pid} ({role}) at line {line}, before it installed its "
                                "handler at line {at}<unhandled>"),
    "handler.unset_delivery": N_("{signal} reached pid {pid} ({role}) at line {line} while it had no handler for "
                                 "it<unhandled>"),
    "handler.late_fork": N_("pid {pid} ({role}) created its first child, pid {child}, before it installed a handler "
                            "for {signal}: a signal from that child could arrive first"),
    "handler.no_fork": N_("expected pid {pid} ({role}) to install a handler for {signal} before creating its first "
                          "child, but it created no child<installed>"),
    # process.group, process.session
    "group.same_ok": N_("pid {pids} ({role}) and pid {opids} ({other}) were all in <pg>"),
    "group.same_bad": N_("expected pid {pid} ({role}) to be in the same process group as pid {opid} ({other}), but "
                         "it was in <pg> and pid {opid} in <opg><changed>"),
    "group.apart_ok": N_("pid {pids} ({role}) were each in a different process group from pid {opids} ({other})"),
    "group.apart_bad": N_("expected pid {pid} ({role}) to be in a different process group from pid {opid} "
                          "({other}), but both were in <pg>"),
    "group.leader_ok": N_("pid {pids} ({role}) each led their own process group"),
    "group.notleader_ok": N_("none of pid {pids} ({role}) led a process group"),
    "group.leader_bad": N_("expected pid {pid} ({role}) to lead its own process group, but it was in <pg><tried>"),
    "group.notleader_bad": N_("expected pid {pid} ({role}) not to lead a process group, but it leads process group "
                              "{pgid}"),
    "session.ok": N_("pid {pid} ({role}) called setsid() and became the leader of session {sid}"),
    "session.ok_daemon": N_("pid {pid} ({role}) became the leader of session {sid}, and pid {daemon}, which it "
                            "created afterwards, stayed in that session without leading it"),
    "session.none": N_("expected at least {want} process(es) of {role} to call setsid() and become session "
                       "leaders, {got} did<setsid_why>"),
    "session.no_daemon": N_("pid {pid} ({role}) became the leader of session {sid}, but no process it created "
                            "afterwards stayed in that session without leading it (the double fork: fork again "
                            "after setsid() and let the first child exit)"),
    # file.contents (grader.checks.files)
    "file.ok_exact": N_("{path} holds exactly the expected text"),
    "file.ok_contains": N_("{path} contains {text}"),
    "file.ok_regex": N_("{path} matches /{pattern}/"),
    "file.ok_lines": N_("{path} has {count} line(s), as expected (<bounds>)"),
    "file.ok_writer": N_("every write to {path} came from {role} (pid {pids})"),
    "file.missing": N_("the program left no file {path} in its working directory<ended>"),
    "file.symlink": N_("{path} is a symbolic link: the grader reads only a regular file the program wrote, never "
                       "through a link"),
    "file.not_regular": N_("{path} is not a regular file, so its contents were not read"),
    "file.unreadable": N_("{path} could not be read after the run"),
    "file.not_collected": N_("the grader kept no copy of {path} from this run"),
    "file.exact_line": N_("{path} differs from the expected text at line {line}: expected {want}, got {got}<cut>"),
    "file.exact_short": N_("{path} differs from the expected text at line {line}: expected {want}, got no more "
                           "lines<cut>"),
    "file.exact_long": N_("{path} differs from the expected text at line {line}: expected no more lines, got "
                          "{got}<cut>"),
    "file.contains_bad": N_("{path} does not contain {text}<cut>"),
    "file.contains_empty": N_("{path} does not contain {text}: the file is empty"),
    "file.regex_bad": N_("no part of {path} matches /{pattern}/<cut>"),
    "file.regex_empty": N_("no part of {path} matches /{pattern}/: the file is empty"),
    "file.lines_bad": N_("expected {path} to have <bounds> line(s), it has {count}<cut>"),
    "file.writer_none": N_("the trace shows no write to {path} by any process (it must be written by {role})"),
    "file.writer_bad": N_("{path} was also written by pid {pids}, which is not in {role} (pid {members})"),
    "file.writer_other": N_("{path} was written by pid {pids}, not by {role} (pid {members})"),
    # the verdict over repeats (grader.scoring): a check that held in some runs and not others
    "race.verdict": N_("your program has a race: it passed in {passed} of {total} runs and failed in run(s) "
                       "{failed}<cost>"),
    # race.none (grader.checks.race): ThreadSanitizer's report, read from a log the program cannot read
    "race.none_ok": N_("ThreadSanitizer watched every memory access of the program and found no data race"),
    "race.found": N_("ThreadSanitizer found a data race on the variable {variable}: thread {first_thread} at "
                     "{first_at} and thread {second_thread} at {second_at} accessed it with no lock or other "
                     "ordering between them, and at least one of them wrote<more>"),
    "race.found_memory": N_("ThreadSanitizer found a data race: thread {first_thread} at {first_at} and thread "
                            "{second_thread} at {second_at} accessed the same memory with no lock or other "
                            "ordering between them, and at least one of them wrote<more>"),
    "race.log_tampered": N_("the sanitizer's log of this run was changed by the program ({what}), so its "
                            "report cannot be trusted"),
    "race.died_unreported": N_("the sanitizer ended the program with exit code {code} but left no report the "
                               "grader could read"),
    "race.exit_unreported": N_("the program ended with exit code {code}, the code the sanitizer ends a program "
                               "with after a report, but the sanitizer's log holds no report"),
    "race.not_sanitized": N_("this run was not built with ThreadSanitizer (`sanitize: thread`), so there is no "
                             "sanitizer report to judge"),
    # memory.safe (grader.checks.memory): AddressSanitizer's report, read from a log the program cannot read
    "memory.safe_ok": N_("AddressSanitizer watched every memory access of the program and found no access outside "
                         "its memory, no use after free and no double free (leaks are not looked for: "
                         "LeakSanitizer does not work under the tracer)"),
    "memory.heap_overflow_read": N_("AddressSanitizer stopped the program at {where} in {function}: a read of {size} "
                                    "bytes at byte {position} of a {region}-byte heap block, whose bytes are 0 to "
                                    "{last} (allocated at {allocated_at})<more>"),
    "memory.heap_overflow_write": N_("AddressSanitizer stopped the program at {where} in {function}: a write of "
                                     "{size} bytes at byte {position} of a {region}-byte heap block, whose bytes "
                                     "are 0 to {last} (allocated at {allocated_at})<more>"),
    "memory.stack_overflow_read": N_("AddressSanitizer stopped the program at {where} in {function}: a read of "
                                     "{size} bytes at byte {position} of the local variable {variable}, whose "
                                     "{region} bytes are 0 to {last}<more>"),
    "memory.stack_overflow_write": N_("AddressSanitizer stopped the program at {where} in {function}: a write of "
                                      "{size} bytes at byte {position} of the local variable {variable}, whose "
                                      "{region} bytes are 0 to {last}<more>"),
    "memory.global_overflow_read": N_("AddressSanitizer stopped the program at {where} in {function}: a read of "
                                      "{size} bytes at byte {position} of the global variable {variable}, whose "
                                      "{region} bytes are 0 to {last}<more>"),
    "memory.global_overflow_write": N_("AddressSanitizer stopped the program at {where} in {function}: a write of "
                                       "{size} bytes at byte {position} of the global variable {variable}, whose "
                                       "{region} bytes are 0 to {last}<more>"),
    "memory.use_after_free_read": N_("AddressSanitizer stopped the program at {where} in {function}: a read of "
                                     "{size} bytes of a {region}-byte heap block that had already been freed at "
                                     "{freed_at} (allocated at {allocated_at})<more>"),
    "memory.use_after_free_write": N_("AddressSanitizer stopped the program at {where} in {function}: a write of "
                                      "{size} bytes to a {region}-byte heap block that had already been freed at "
                                      "{freed_at} (allocated at {allocated_at})<more>"),
    "memory.double_free": N_("AddressSanitizer stopped the program at {where} in {function}: it freed a "
                             "{region}-byte heap block a second time (first freed at {freed_at}, allocated at "
                             "{allocated_at})<more>"),
    "memory.bad_free": N_("AddressSanitizer stopped the program at {where} in {function}: it passed free() an "
                          "address that malloc() did not return<more>"),
    "memory.null_read": N_("AddressSanitizer stopped the program at {where} in {function}: a read through a null "
                           "pointer<more>"),
    "memory.null_write": N_("AddressSanitizer stopped the program at {where} in {function}: a write through a null "
                            "pointer<more>"),
    "memory.segv_read": N_("AddressSanitizer stopped the program at {where} in {function}: a read of memory that "
                           "is not the program's (a wild or dangling pointer)<more>"),
    "memory.segv_write": N_("AddressSanitizer stopped the program at {where} in {function}: a write to memory "
                            "that is not the program's (a wild or dangling pointer)<more>"),
    "memory.other_read": N_("AddressSanitizer stopped the program at {where} in {function}: {error}, in a read of "
                            "{size} bytes<more>"),
    "memory.other_write": N_("AddressSanitizer stopped the program at {where} in {function}: {error}, in a write "
                             "of {size} bytes<more>"),
    "memory.other": N_("AddressSanitizer stopped the program at {where} in {function}: {error}<more>"),
    "memory.leak": N_("LeakSanitizer found {bytes} bytes in {blocks} heap block(s) that the program never freed, "
                      "the first allocated at {allocated_at}<more>"),
    "memory.log_tampered": N_("the sanitizer's log of this run was changed by the program ({what}), so its "
                              "report cannot be trusted"),
    "memory.exit_unreported": N_("the program ended with exit code {code}, the code the sanitizer ends a program "
                                 "with after a report, but the sanitizer's log holds no report"),
    "memory.not_sanitized": N_("this run was not built with AddressSanitizer (`sanitize: address`), so there is "
                               "no sanitizer report to judge"),
    "memory.evidence": N_("what AddressSanitizer reported"),
    # ub.none (grader.checks.memory): UndefinedBehaviorSanitizer's report, from the same kind of log
    "ub.none_ok": N_("UndefinedBehaviorSanitizer watched the program's arithmetic, shifts, array indexes and "
                     "pointers and found no undefined behaviour"),
    "ub.signed_overflow": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: signed "
                             "integer overflow, {expression} does not fit in the type {type}<more>"),
    "ub.negation_overflow": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: the "
                               "negation of {expression} does not fit in the type {type}<more>"),
    "ub.shift_too_large": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: a shift of "
                             "a {width}-bit {type} by {count} bits (the count must be less than {width})<more>"),
    "ub.shift_negative": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: a shift by "
                            "a negative count ({count})<more>"),
    "ub.shift_of_negative": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: a left "
                               "shift of the negative value {value}<more>"),
    "ub.shift_overflow": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: {value} "
                            "shifted left by {count} bits does not fit in the type {type}<more>"),
    "ub.division_by_zero": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: a "
                              "division by zero<more>"),
    "ub.index_out_of_bounds": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: index "
                                 "{index} is outside the array of type {type}<more>"),
    "ub.null_pointer": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: memory was "
                          "read or written through a null pointer<more>"),
    "ub.misaligned": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: memory was "
                        "read or written through a misaligned pointer<more>"),
    "ub.other": N_("UndefinedBehaviorSanitizer stopped the program at {where} in {function}: {detail}<more>"),
    "ub.log_tampered": N_("the sanitizer's log of this run was changed by the program ({what}), so its "
                          "report cannot be trusted"),
    "ub.exit_unreported": N_("the program ended with exit code {code}, the code the sanitizer ends a program "
                             "with after a report, but the sanitizer's log holds no report"),
    "ub.not_sanitized": N_("this run was not built with UndefinedBehaviorSanitizer (`sanitize: undefined`), so "
                           "there is no sanitizer report to judge"),
    "ub.evidence": N_("what UndefinedBehaviorSanitizer reported"),
}


def _families(text: str) -> list[str]:
    return _SLOT.findall(text)


def _expand(base_id: str, text: str) -> dict[str, str]:
    """Every flat combination of a template: slots are filled first to last, a clause's own slots in turn."""
    out: dict[str, str] = {}
    todo = [(base_id, text)]
    while todo:
        key, current = todo.pop()
        slot = _SLOT.search(current)
        if slot is None:
            out[key] = current
            continue
        family = slot.group(1)
        for clause in sorted(CLAUSES[family]):
            filled = current[:slot.start()] + CLAUSES[family][clause] + current[slot.end():]
            todo.append((f"{key}+{family}.{clause}", filled))
    return out


def _all_templates() -> dict[str, str]:
    out: dict[str, str] = {}
    for base_id, text in TEMPLATES.items():
        out.update(_expand(base_id, text))
    return out


# By kind, one generic sentence per check kind: for results stored before templates had ids (kept so
# a page rebuilt from an old store still finds a translation). New results carry params["template"].
LEGACY_BY_KIND: dict[str, tuple[str, ...]] = {
    "output.count": (
        N_("The program printed {count} matching lines; that is not the number the assignment asks for."),
        N_("The number of matching output lines was not what the assignment asks for."),
    ),
    "output.writers": (
        N_("The matching lines came from the processes {processes}; that is not the number of different "
           "processes the assignment asks for."),
        N_("The matching lines came from the threads {threads}; that is not the number of different threads "
           "the assignment asks for."),
        N_("The matching lines were not written by the processes or threads the assignment asks for."),
    ),
    "output.exact": (
        N_("The output differs from the expected text from line {line} on."),
        N_("The output differs from the expected text."),
    ),
    "output.unordered": (
        N_("{missing} expected lines are missing and {extra} lines were not expected (order does not matter)."),
        N_("The output lines are not the expected ones (order does not matter)."),
    ),
    "output.contains": (N_("The output does not contain the expected text."),),
    "output.regex": (N_("The output does not match the expected pattern."),),
    "output.ordered": (N_("The lines were not printed in the required order."),),
    "output.process_order": (N_("A process did not print its lines in the required order."),),
    "output.happens_before": (N_("The lines were not printed in the required order."),),
    "output.ids": (N_("The process ids the program printed do not match the ids the kernel saw."),),
    "output.values": (N_("The values the program printed do not match what the trace shows."),),
    "process.count": (
        N_("The program ran {count} processes; that is not the number the assignment asks for."),
        N_("The number of processes was not what the assignment asks for."),
    ),
    "process.children": (N_("A process did not create the number of child processes the assignment asks for."),),
    "process.tree": (N_("The shape of the process tree is not what the assignment asks for."),),
    "process.siblings": (N_("The sibling processes (children of one parent) are not as the assignment asks."),),
    "process.exec": (N_("The program did not run (exec) the program the assignment asks for."),),
    "process.reaped": (
        N_("{unreaped} child processes were not waited for by their parent (wait/waitpid/join)."),
        N_("Every child process must be waited for by its parent."),
    ),
    "process.no_zombies": (N_("A zombie was left: a child process ended and was never waited for."),),
    "process.no_orphans": (
        N_("An orphan was left: a child process was still running when its parent ended."),
    ),
    "process.exit_code": (N_("An exit code was not the expected one."),),
    "process.killed": (N_("Fewer processes were killed by a signal than the assignment expects."),),
    "process.concurrent": (N_("Not enough processes were running at the same time."),),
    "thread.count": (
        N_("A process started {count} threads besides its main thread; that is not the number the assignment "
           "asks for."),
        N_("The number of threads was not what the assignment asks for."),
    ),
    "thread.same_process": (N_("The threads do not all belong to the same process."),),
    "thread.work": (N_("The threads did not do the work the assignment asks for."),),
    "ipc.used": (N_("The program did not use the IPC mechanism the assignment asks for."),),
    "ipc.flow": (N_("Not enough data went from one process to another."),),
    "ipc.cleanup": (N_("IPC objects (shared memory, FIFOs, ...) were left behind instead of being removed."),),
    "resource.time": (N_("The program took longer than allowed."),),
    "resource.memory": (N_("The program used more memory than allowed."),),
    "resource.pids": (N_("The program created more processes than allowed."),),
}


FLAT: dict[str, str] = _all_templates()
# What grader.report.i18n looks up: a template id (params["template"]) -> its one English msgid; and, for
# old results, a kind -> its generic sentences.
CHECK_TEMPLATES: dict[str, tuple[str, ...]] = {**LEGACY_BY_KIND, **{key: (text,) for key, text in FLAT.items()}}


def template_id(base: str, **clauses: str) -> str:
    """The flat id of `base` with each slot filled by the named clause, e.g. ('reaped.never', more='some').

    A slot not named is filled with its "none" clause."""
    key, text = base, TEMPLATES[base]
    used: set[str] = set()
    while (slot := _SLOT.search(text)) is not None:
        family = slot.group(1)
        clause = clauses.get(family, "none")
        if clause not in CLAUSES[family]:
            raise KeyError(f"{base}: no clause {clause!r} in <{family}>")
        used.add(family)
        text = text[:slot.start()] + CLAUSES[family][clause] + text[slot.end():]
        key += f"+{family}.{clause}"
    unknown = set(clauses) - used
    if unknown:
        raise KeyError(f"{base} has no slot {sorted(unknown)}")
    return key


def template_text(key: str) -> str:
    """The English template of a flat id."""
    return FLAT[key]


def fields_of(template: str) -> list[str]:
    """The {field} names a template uses."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def param_text(value: Any) -> str:
    """A param as shown in a sentence (lists as 'a, b', whole floats as ints, long text shortened)."""
    if isinstance(value, (list, tuple, set)):
        items = list(value)
        text = ", ".join(param_text(v) for v in items[:MAX_LISTED])
        if len(items) > MAX_LISTED:
            text += f" … and {len(items) - MAX_LISTED} more"    # a list names 10 items, then counts the rest
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text if len(text) <= PARAM_CHARS else text[: PARAM_CHARS - 3] + "..."


def quote(text: str, limit: int = 60) -> str:
    """Student text as a short quoted param: 'child done'."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    return repr(cut)


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled "checks" catalog of `lang` ("en": the msgids themselves)."""
    return _catalog(lang)


def render(key: str, params: dict[str, Any], lang: str = "en") -> str:
    """The sentence of template `key` with `params`, in `lang` ("en" or "ko"); KeyError on a missing param."""
    template = _catalog(lang).gettext(FLAT[key])
    return template.format(**{name: param_text(params[name]) for name in fields_of(template)})


def render_params(params: dict[str, Any], lang: str = "en") -> str | None:
    """A check result's message from its params (params["template"] names it), or None without one."""
    key = params.get("template")
    if not isinstance(key, str) or key not in FLAT:
        return None
    try:
        return render(key, params, lang)
    except (KeyError, ValueError, OSError):
        return None


# ----------------------------------------------------------------- catalog tooling

def _po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compose(key: str, base_ko: dict[str, str]) -> str | None:
    """The Korean of a flat id, from the Korean of its base template and of each clause."""
    base, *parts = key.split("+")
    text = base_ko.get(TEMPLATES[base])
    if not text:
        return None
    for part in parts:
        family, clause = part.split(".", 1)
        english = CLAUSES[family][clause]
        ko = base_ko.get(english, "") if english else ""
        if english and not ko:
            return None
        text = text.replace(f"<{family}>", ko, 1)
    return text


def update_catalog(lang: str = "ko") -> Path:
    """Regenerate the .po: the Korean of each base template and clause is kept (they are written by hand in
    the "# source" entries); every flat combination is composed from them."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = _po_path(lang)
    known: dict[str, str] = {}
    if path.exists():
        with path.open("rb") as handle:
            for message in read_po(handle, locale=lang, domain=DOMAIN):
                if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                    known[message.id] = message.string
    sources: dict[str, str] = {}
    for family in CLAUSES.values():
        for english in family.values():
            if english:
                sources[english] = known.get(english, "")
    for english in TEMPLATES.values():
        sources[english] = known.get(english, "")   # with <slots>, as a translator writes it
    catalog = Catalog(locale=lang, domain=DOMAIN, project="grader", charset="utf-8")
    for english, ko in sources.items():
        catalog.add(english, ko, context="source", auto_comments=["a base template or clause: translate this"])
    for texts in LEGACY_BY_KIND.values():
        for english in texts:
            catalog.add(english, known.get(english, ""), auto_comments=["for results stored without a template id"])
    for key, english in FLAT.items():
        composed = _compose(key, sources) or ""
        if english in sources and "<" not in english:
            catalog.add(english, composed or sources[english], auto_comments=[key])
        elif english not in catalog:
            catalog.add(english, composed, auto_comments=[key])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=100, no_location=True, ignore_obsolete=True)
    return path


def compile_catalog(lang: str = "ko") -> Path:
    """Write the .mo next to the .po (the "source" entries are left out: only flat sentences are looked up)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = _po_path(lang)
    with path.open("rb") as handle:
        source = read_po(handle, locale=lang, domain=DOMAIN)
    flat = Catalog(locale=lang, domain=DOMAIN, project="grader", charset="utf-8")
    for message in source:
        if message.id and message.context is None:
            flat.add(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, flat, use_fuzzy=False)
    mo = path.with_suffix(".mo")
    mo.write_bytes(buffer.getvalue())
    _catalog.cache_clear()
    return mo


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        print(update_catalog())
    elif command == "compile":
        print(compile_catalog())
    else:
        print("usage: python3 -m grader.checks.messages update|compile", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
