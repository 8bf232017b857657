"""The strace parser on small hand-written logs: one format detail per test."""

from __future__ import annotations

from grader.trace import Execution, output_lines, parse_trace
from grader.trace.parser import decode_string, split_args

OUT = "pipe:[100]"


def run(text: str, **kw: object) -> Execution:
    lines = [line.strip() for line in text.strip("\n").split("\n")]
    return parse_trace("\n".join(lines) + "\n", stdout_channel=OUT, **kw)  # type: ignore[arg-type]


def test_split_args_keeps_strings_brackets_and_fd_decorations_whole() -> None:
    args = '3<UNIX:[1->2]>, "a, \\"b\\"", [{iov_base="x,y", iov_len=3}], 4</tmp/a, b>(deleted), NULL'
    assert split_args(args) == [
        "3<UNIX:[1->2]>", '"a, \\"b\\""', '[{iov_base="x,y", iov_len=3}]', "4</tmp/a, b>(deleted)", "NULL"]


def test_decode_string_escapes_and_cut() -> None:
    assert decode_string('"a\\n\\t\\x00\\xff\\\\\\""') == (b'a\n\t\x00\xff\\"', False)
    assert decode_string('"abc"...') == (b"abc", True)
    assert decode_string('"\\101\\0"') == (b"A\x00", False)


def test_clone3_thread_and_child_speaking_before_clone_returns() -> None:
    ex = run("""
        10 1.000000 execve("/a.out", ["/a.out"], 0x7ff /* 5 vars */) = 0
        10 1.100000 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f, parent_tid=0x7f, exit_signal=0, stack=0x7f, stack_size=0x7fff00, tls=0x7f} => {parent_tid=[11]}, 88 <unfinished ...>
        11 1.100100 write(1<pipe:[100]>, "t\\n", 2) = 2
        10 1.100200 <... clone3 resumed>) = 11
        11 1.200000 exit(0) = ?
        11 1.200100 +++ exited with 0 +++
        10 1.300000 exit_group(0) = ?
        10 1.300100 +++ exited with 0 +++
    """)
    t = ex.tasks[11]
    assert t.kind == "thread" and t.tgid == 10 and t.created_by == "clone3" and t.creator == 10
    assert ex.writes[0].channel.kind == "stdout" and ex.process_of(11) == 10
    assert len(ex.processes()) == 1


def test_child_line_before_parents_whole_clone_line() -> None:
    ex = run("""
        10 1.0 pipe2([3<pipe:[7]>, 4<pipe:[7]>], 0) = 0
        11 1.1 close(4<pipe:[7]>) = 0
        10 1.2 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 11
        11 1.3 read(3<pipe:[7]>, 
    """)
    child = ex.tasks[11]
    assert child.kind == "process" and child.ppid == 10 and child.created_by == "fork"
    (blocked,) = ex.blocked
    assert blocked.tid == 11 and blocked.syscall == "read" and blocked.holders == [10]


def test_clone3_enosys_fallback_is_not_a_failed_fork_but_eagain_is() -> None:
    ex = run("""
        10 1.0 clone3({flags=CLONE_VM, exit_signal=0, stack=0x7f, stack_size=0x1000}, 88) = -1 ENOSYS (Function not implemented)
        10 1.1 clone(child_stack=0x7f, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 11
        10 1.2 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = -1 EAGAIN (Resource temporarily unavailable)
        10 1.3 vfork() = -1 EAGAIN (Resource temporarily unavailable)
    """)
    assert [e for _, _, e in ex.failed_forks] == ["EAGAIN", "EAGAIN"]
    assert ex.tasks[11].kind == "thread"


def test_vfork_exec_and_cloexec() -> None:
    ex = run("""
        10 1.0 pipe2([3<pipe:[7]>, 4<pipe:[7]>], O_CLOEXEC) = 0
        10 1.1 pipe2([5<pipe:[8]>, 6<pipe:[8]>], 0) = 0
        10 1.2 vfork( <unfinished ...>
        11 1.3 execve("/bin/cat", ["cat", "-"], 0x7f /* 3 vars */ <unfinished ...>
        10 1.4 <... vfork resumed>) = 11
        11 1.5 <... execve resumed>) = 0
        11 1.6 read(0</dev/null>, 
    """)
    child = ex.tasks[11]
    assert child.created_by == "vfork" and child.execs[0].argv == ["cat", "-"]
    # after exec the child kept only the pipe without O_CLOEXEC
    b = ex.blocked
    assert {x.tid for x in b} == {11}


def test_exit_group_ends_all_threads_and_kill_ends_process() -> None:
    ex = run("""
        10 1.0 clone(child_stack=0x7f, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 11
        11 1.1 read(0</dev/null>,  <unfinished ...>
        10 1.2 exit_group(7) = ?
        10 1.3 +++ exited with 7 +++
    """)
    assert ex.tasks[11].end == ex.tasks[10].end and ex.tasks[11].exit_code == 7
    assert ex.blocked == []


def test_wait_reaping_waitid_and_orphans() -> None:
    ex = run("""
        10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11
        10 1.1 clone(child_stack=NULL, flags=SIGCHLD) = 12
        11 1.2 clone(child_stack=NULL, flags=SIGCHLD) = 13
        11 1.3 exit_group(0) = ?
        11 1.4 +++ exited with 0 +++
        10 1.5 waitid(P_ALL, 0, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11, si_uid=1000, si_status=0, si_utime=0, si_stime=0}, WEXITED, NULL) = 0
        12 1.6 +++ killed by SIGSEGV (core dumped) +++
        10 1.7 wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 12
        13 1.8 exit_group(0) = ?
        13 1.9 +++ exited with 0 +++
    """)
    assert ex.tasks[11].reaped_by == 10 and not ex.tasks[11].zombie
    assert ex.tasks[12].signal == "SIGSEGV" and ex.tasks[12].core_dumped and ex.tasks[12].reaped_by == 10
    orphan = ex.tasks[13]
    assert orphan.orphan and orphan.reparented_to == 1 and not orphan.zombie and orphan.ppid == 11
    assert ex.tasks[10].end is None and not ex.tasks[10].zombie


def test_signals_sent_and_delivered() -> None:
    ex = run("""
        10 1.0 kill(11, SIGTERM) = 0
        10 1.1 tgkill(10, 12, SIGUSR1) = 0
        10 1.2 kill(11, 0) = 0
        11 1.3 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=10, si_uid=1000} ---
        11 1.4 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---
    """)
    assert [(s.signal, s.sender, s.target, s.delivered_to) for s in ex.signals] == [
        ("SIGTERM", 10, 11, None), ("SIGUSR1", 10, 12, None),
        ("SIGTERM", 10, 11, 11), ("SIGSEGV", None, 11, 11)]


def test_dup2_fcntl_and_fork_copy_follow_write_ends() -> None:
    ex = run("""
        10 1.0 pipe([3<pipe:[7]>, 4<pipe:[7]>]) = 0
        10 1.1 fcntl(4<pipe:[7]>, F_DUPFD, 10) = 10<pipe:[7]>
        10 1.2 close(4<pipe:[7]>) = 0
        10 1.3 clone(child_stack=NULL, flags=SIGCHLD) = 11
        10 1.4 close(10<pipe:[7]>) = 0
        11 1.5 dup2(10<pipe:[7]>, 1<pipe:[100]>) = 1<pipe:[7]>
        11 1.6 close(10<pipe:[7]>) = 0
        10 1.7 read(3<pipe:[7]>, 
    """)
    (b,) = ex.blocked
    assert b.tid == 10 and b.holders == [11], "the child's stdout is now the pipe's write end"


def test_flows_when_read_is_logged_before_write() -> None:
    ex = run("""
        10 1.0 pipe2([3<pipe:[7]>, 4<pipe:[7]>], 0) = 0
        10 1.1 clone(child_stack=NULL, flags=SIGCHLD) = 11
        11 1.2 read(3<pipe:[7]>, "abcdef", 64) = 6
        10 1.3 write(4<pipe:[7]>, "abc", 3) = 3
        10 1.4 writev(4<pipe:[7]>, [{iov_base="de", iov_len=2}, {iov_base="f", iov_len=1}], 2) = 3
    """)
    (f,) = ex.flows
    assert (f.writer, f.reader, f.nbytes, f.sample) == (10, 11, 6, b"abcdef")
    assert ex.writes[0].data == b"abcdef" and ex.writes[0].calls == 2, "consecutive calls coalesced"


def test_unix_socket_fifo_sysv_memfd_and_shared_mmap() -> None:
    ex = run("""
        10 1.0 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3<socket:[50]>
        10 1.1 bind(3<socket:[50]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 110) = 0
        10 1.2 listen(3<socket:[50]>, 5) = 0
        11 1.3 socket(AF_UNIX, SOCK_STREAM, 0) = 3<socket:[60]>
        11 1.4 connect(3<socket:[60]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 110) = 0
        10 1.5 accept4(3<socket:[50]>, NULL, NULL, SOCK_CLOEXEC) = 4<socket:[61]>
        11 1.6 write(3<socket:[60]>, "hi", 2) = 2
        10 1.7 read(4<socket:[61]>, "hi", 10) = 2
        10 1.8 mknodat(AT_FDCWD</work>, "/work/ff", S_IFIFO|0666) = 0
        10 1.9 shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = 5
        10 2.0 shmat(5, NULL, 0) = 0x7f0000
        10 2.1 memfd_create("buf", MFD_CLOEXEC) = 6</memfd:buf (deleted)>
        10 2.2 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7f1000
        10 2.3 mmap(NULL, 27028, PROT_READ, MAP_SHARED, 7</usr/lib/gconv/gconv-modules.cache>, 0) = 0x7f2000
        10 2.4 connect(8<socket:[70]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
    """)
    kinds = sorted(o.kind for o in ex.ipc)
    assert kinds == ["fifo", "memfd", "shared_mmap", "sysv_shm", "unix_socket"]
    (f,) = ex.flows
    assert (f.kind, f.writer, f.reader, f.nbytes) == ("unix_socket", 11, 10, 2)
    fifo = next(o for o in ex.ipc if o.kind == "fifo")
    assert fifo.left_behind and fifo.ident == "/work/ff"


def test_truncated_string_write_keeps_size_and_output_uses_captured_bytes() -> None:
    data = b"x" * 5000 + b"\n"
    ex = run(f"""
        10 1.0 write(1<pipe:[100]>, "{'x' * 4096}"..., 5001) = 5001
        11 1.1 write(1<pipe:[100]>, "y\\n", 2) = 2
    """)
    w = ex.writes[0]
    assert w.truncated and w.size == 5001 and len(w.data) == 4096
    lines = output_lines(ex, data + b"y\n")
    assert [(len(x.text), x.writers) for x in lines] == [(5000, [10]), (1, [11])]


def test_output_alignment_handles_out_of_order_log_and_merged_lines() -> None:
    ex = run("""
        11 1.0 write(1<pipe:[100]>, "b", 1) = 1
        10 1.1 write(1<pipe:[100]>, "a", 1) = 1
        10 1.2 write(1<pipe:[100]>, "\\n", 1) = 1
        11 1.3 write(1<pipe:[100]>, "\\nc\\nd", 4) = 4
    """)
    lines = output_lines(ex, b"ab\n\nc\nd")
    assert [(x.text, x.writers, x.complete) for x in lines] == [
        (b"ab", [10, 11], True), (b"", [11], True), (b"c", [11], True), (b"d", [11], False)]


def test_restart_syscall_and_resumed_unfinished() -> None:
    ex = run("""
        10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11
        10 1.1 wait4(-1, 0x7ffc, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)
        10 1.2 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=11, si_uid=1000} ---
        10 1.3 restart_syscall(<... resuming interrupted wait4 ...>) = 11
    """)
    assert ex.tasks[11].reaped_by == 10


def test_garbage_lines_are_kept_not_fatal() -> None:
    ex = run("""
        hello
        10 1.0 write(1<pipe:[100]>, "a
        10 1.1 ) = 3
        10 1.2 <... nothing resumed>) = 0
        10 1.3 --- weird ---
        10 1.4 +++ what +++
        10 1.5 write(1<pipe:[100]>, "ok", 2) = 2
    """)
    assert len(ex.unparsed) >= 4 and ex.writes[-1].data == b"ok"


def test_truncated_flag_and_to_json() -> None:
    ex = run('10 1.0 write(1<pipe:[100]>, "a", 1) = 1', truncated=True)
    assert ex.trace_truncated and ex.to_json()["writes"][0]["channel"] == "stdout"
