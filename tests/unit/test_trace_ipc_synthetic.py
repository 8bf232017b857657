"""The descriptor/IPC family on small hand-written logs: names on disk, cwds, socket identities, files."""

from __future__ import annotations

from grader.trace import Execution, parse_trace
from grader.trace.idents import at_fdcwd, parse_socket, strip_device

OUT = "pipe:[100]"


def run(text: str, **kw: object) -> Execution:
    lines = [line.strip() for line in text.strip("\n").split("\n")]
    return parse_trace("\n".join(lines) + "\n", stdout_channel=OUT, **kw)  # type: ignore[arg-type]


def test_decorations_parse() -> None:
    d = parse_socket('UNIX-STREAM:[28552->28553,"/work/s"]')
    assert d is not None and (d.inode, d.peer, d.path, d.unix) == (28552, 28553, "/work/s", True)
    d = parse_socket("TCP:[127.0.0.1:35282->127.0.0.1:39165]")
    assert d is not None and (d.inode, d.local, d.remote) == (None, "127.0.0.1:35282", "127.0.0.1:39165")
    d = parse_socket("TCPv6:[[::1]:5000]")
    assert d is not None and (d.local, d.remote) == ("[::1]:5000", None)
    assert parse_socket("pipe:[5]") is None and parse_socket("eventfd:[line 3]") is None
    assert parse_socket("/work/x") is None and parse_socket("NETLINK:[ROUTE:12]") is not None
    assert strip_device("/dev/null<char 1:3>") == "/dev/null" and strip_device("/work/a<b>") == "/work/a<b>"
    assert at_fdcwd('AT_FDCWD</work/sub>, "f", O_RDONLY') == "/work/sub"


def test_semaphore_temp_name_unlinked_final_name_left_behind() -> None:
    # glibc's sem_open: create sem.XXXXXX, link() it to the final name, unlink the temporary name.
    ex = run("""
        10 1.0 openat(AT_FDCWD</work>, "/dev/shm/sem.Ab12Cd", O_RDWR|O_CREAT|O_EXCL, 0600) = 3</dev/shm/sem.Ab12Cd>
        10 1.1 mmap(NULL, 32, PROT_READ|PROT_WRITE, MAP_SHARED, 3</dev/shm/sem.Ab12Cd>, 0) = 0x7f0000
        10 1.2 link("/dev/shm/sem.Ab12Cd", "/dev/shm/sem.mysem") = 0
        10 1.3 unlink("/dev/shm/sem.Ab12Cd") = 0
        10 1.4 close(3</dev/shm/sem.Ab12Cd>(deleted)) = 0
    """)
    (sem,) = ex.ipc
    assert (sem.kind, sem.ident, sem.name, sem.runtime_helper) == ("semaphore", "/dev/shm/sem.mysem", "/mysem", False)
    assert sem.left_behind, "sem.mysem was never unlinked (only the temporary name was)"
    assert sem.mapped_by == [10]


def test_rename_moves_the_name_and_unlink_of_the_new_name_cleans_up() -> None:
    ex = run("""
        10 1.0 mknodat(AT_FDCWD</work>, "tmp", S_IFIFO|0600) = 0
        10 1.1 rename("tmp", "final") = 0
        10 1.2 unlink("/work/final") = 0
        10 1.3 mknodat(AT_FDCWD</work>, "other", S_IFIFO|0600) = 0
        10 1.4 renameat2(AT_FDCWD</work>, "other", AT_FDCWD</work>, "kept", 0) = 0
        10 1.5 unlink("other") = 0
    """)
    tmp, other = ex.ipc
    assert (tmp.ident, tmp.left_behind) == ("/work/tmp", False)
    assert (other.ident, other.left_behind) == ("/work/other", True), "renamed to /work/kept, still there"


def test_cwd_inherited_by_fork_shared_by_threads_changed_by_chdir_and_fchdir() -> None:
    ex = run("""
        10 1.0 openat(AT_FDCWD</work>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
        10 1.1 mknod("a", S_IFIFO|0666, 0) = 0
        10 1.2 chdir("d1") = 0
        10 1.3 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 11
        10 1.4 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0, stack=0x1, stack_size=0x1}, 88) = 12
        12 1.5 chdir("/work/d2") = 0
        10 1.6 mknod("b", S_IFIFO|0666, 0) = 0
        11 1.7 mknod("c", S_IFIFO|0666, 0) = 0
        11 1.75 mknod("/tmp/x/e", S_IFIFO|0666, 0) = 0
        11 1.8 fchdir(4</work/d3>) = 0
        11 1.9 unlink("../a") = 0
        10 2.0 unlink("b") = 0
        11 2.1 unlink("/work/d1/c") = 0
        11 2.2 unlinkat(5</tmp/x>, "e", 0) = 0
    """)
    by_ident = {o.ident: o.left_behind for o in ex.ipc}
    # a: /work/a, removed from /work/d3 as ../a; b: made after the thread moved the shared cwd to d2;
    # c: the child kept the cwd it had at fork (d1)
    # e: unlinkat against its dirfd
    assert by_ident == {"/work/a": False, "/work/d2/b": False, "/work/d1/c": False, "/tmp/x/e": False}


def test_unknown_cwd_falls_back_to_the_first_cwd_seen() -> None:
    ex = run("""
        10 1.0 openat(AT_FDCWD</work>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
        11 1.1 mknod("f", S_IFIFO|0666, 0) = 0
    """)
    assert [o.ident for o in ex.ipc] == ["/work/f"]


def test_unix_socket_file_left_on_disk_and_abstract_one_not() -> None:
    ex = run("""
        10 1.0 openat(AT_FDCWD</work>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
        10 1.1 socket(AF_UNIX, SOCK_STREAM, 0) = 3<UNIX-STREAM:[50]>
        10 1.2 bind(3<UNIX-STREAM:[50]>, {sa_family=AF_UNIX, sun_path="s"}, 4) = 0
        10 1.3 socket(AF_UNIX, SOCK_STREAM, 0) = 4<UNIX-STREAM:[51]>
        10 1.4 bind(4<UNIX-STREAM:[51]>, {sa_family=AF_UNIX, sun_path=@"abs"}, 6) = 0
        10 1.5 socket(AF_UNIX, SOCK_STREAM, 0) = 5<UNIX-STREAM:[52]>
        10 1.6 bind(5<UNIX-STREAM:[52]>, {sa_family=AF_UNIX, sun_path="/tmp/pymp-x1/listener-1"}, 30) = 0
    """)
    left = {o.ident: (o.left_behind, o.runtime_helper) for o in ex.ipc}
    assert left == {"/work/s": (True, False), "@abs": (False, False), "/tmp/pymp-x1/listener-1": (True, True)}
    assert [o.ident for o in ex.ipc if o.kind == "unix_socket" and o.left_behind and not o.runtime_helper] == \
        ["/work/s"]


def test_old_decoding_bytes_sent_before_accept_still_flow() -> None:
    ex = run("""
        10 1.0 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3<socket:[50]>
        10 1.1 bind(3<socket:[50]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 110) = 0
        10 1.2 listen(3<socket:[50]>, 5) = 0
        11 1.3 socket(AF_UNIX, SOCK_STREAM, 0) = 3<socket:[60]>
        11 1.4 connect(3<socket:[60]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 110) = 0
        11 1.5 write(3<socket:[60]>, "early", 5) = 5
        11 1.6 close(3<socket:[60]>) = 0
        10 1.7 accept4(3<socket:[50]>, NULL, NULL, SOCK_CLOEXEC) = 4<socket:[61]>
        10 1.8 read(4<socket:[61]>, "early", 10) = 5
    """)
    (f,) = ex.flows
    assert (f.kind, f.writer, f.reader, f.nbytes, f.sample) == ("unix_socket", 11, 10, 5, b"early")


def test_peers_from_decorations_beat_call_order() -> None:
    # Two clients; the log shows 11's connect first, but the kernel's peers say 12 was accepted first.
    ex = run("""
        10 1.0 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[40]>
        10 1.1 bind(3<TCP:[40]>, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
        10 1.2 listen(3<TCP:[127.0.0.1:5000]>, 5) = 0
        11 1.3 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[41]>
        12 1.4 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[42]>
        11 1.5 connect(3<TCP:[41]>, {sa_family=AF_INET, sin_port=htons(5000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
        12 1.6 connect(3<TCP:[42]>, {sa_family=AF_INET, sin_port=htons(5000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
        11 1.7 write(3<TCP:[127.0.0.1:1111->127.0.0.1:5000]>, "from 11", 7) = 7
        12 1.8 write(3<TCP:[127.0.0.1:2222->127.0.0.1:5000]>, "from 12", 7) = 7
        10 1.9 accept4(3<TCP:[127.0.0.1:5000]>, NULL, NULL, 0) = 4<TCP:[127.0.0.1:5000->127.0.0.1:2222]>
        10 2.0 read(4<TCP:[127.0.0.1:5000->127.0.0.1:2222]>, "from 12", 100) = 7
        10 2.1 accept4(3<TCP:[127.0.0.1:5000]>, NULL, NULL, 0) = 5<TCP:[127.0.0.1:5000->127.0.0.1:1111]>
        10 2.2 read(5<TCP:[127.0.0.1:5000->127.0.0.1:1111]>, "from 11", 100) = 7
        10 2.3 write(5<TCP:[127.0.0.1:5000->127.0.0.1:1111]>, "back", 4) = 4
        11 2.4 read(3<TCP:[127.0.0.1:1111->127.0.0.1:5000]>, "back", 4) = 4
    """)
    assert sorted((f.writer, f.reader, f.sample) for f in ex.flows) == [
        (10, 11, b"back"), (11, 10, b"from 11"), (12, 10, b"from 12")]
    (tcp,) = ex.ipc
    assert (tcp.ident, tcp.name) == ("tcp:5000", "tcp:5000"), "bind asked for port 0; listen shows 5000"
    assert sorted(tcp.users) == [10, 11, 12]


def test_unix_peer_inode_from_decoration() -> None:
    ex = run("""
        10 1.0 socket(AF_UNIX, SOCK_STREAM, 0) = 3<UNIX-STREAM:[50]>
        10 1.1 bind(3<UNIX-STREAM:[50]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 8) = 0
        11 1.2 socket(AF_UNIX, SOCK_STREAM, 0) = 3<UNIX-STREAM:[60]>
        12 1.3 socket(AF_UNIX, SOCK_STREAM, 0) = 3<UNIX-STREAM:[70]>
        12 1.4 connect(3<UNIX-STREAM:[70]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 8) = 0
        11 1.5 connect(3<UNIX-STREAM:[60]>, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 8) = 0
        10 1.6 accept4(3<UNIX-STREAM:[50,"/tmp/s"]>, NULL, NULL, 0) = 4<UNIX-STREAM:[61->60,"/tmp/s"]>
        11 1.7 write(3<UNIX-STREAM:[60->61]>, "eleven", 6) = 6
        10 1.8 read(4<UNIX-STREAM:[61->60,"/tmp/s"]>, "eleven", 10) = 6
        10 1.9 accept4(3<UNIX-STREAM:[50,"/tmp/s"]>, NULL, NULL, 0) = 5<UNIX-STREAM:[71,"/tmp/s"]>
        12 2.0 write(3<UNIX-STREAM:[70]>, "twelve", 6) = 6
        10 2.1 read(5<UNIX-STREAM:[71,"/tmp/s"]>, "twelve", 10) = 6
    """)
    assert sorted((f.writer, f.reader, f.sample) for f in ex.flows) == [(11, 10, b"eleven"), (12, 10, b"twelve")]
    (obj,) = ex.ipc
    assert "socket:[61]" in obj.aliases and "socket:[71]" in obj.aliases


def test_device_numbers_from_yy_do_not_change_what_a_descriptor_is() -> None:
    ex = parse_trace('10 1.0 write(1</dev/pts/0<char 136:0>>, "hi\\n", 3) = 3\n'
                     '10 1.1 write(5</dev/null<char 1:3>>, "x", 1) = 1\n', stdout_channel="/dev/pts/0")
    assert [(w.channel.ident, w.channel.kind) for w in ex.writes] == [("/dev/pts/0", "stdout"), ("/dev/null", "null")]


def test_file_flow_needs_the_write_first_and_counts_no_more_than_was_written() -> None:
    ex = run("""
        11 0.9 read(3</work/data>, "old", 100) = 3
        10 1.0 write(3</work/data>, "abc", 3) = 3
        11 1.1 read(4</work/data>, "abcold-and-more", 100) = 15
        11 1.2 write(5</work/mine>, "x", 1) = 1
        11 1.3 read(5</work/mine>, "x", 1) = 1
    """)
    (f,) = ex.flows
    assert (f.kind, f.channel, f.writer, f.reader, f.nbytes) == ("file", "/work/data", 10, 11, 3)


def test_shared_mappings_read_only_attach_and_vfork_child() -> None:
    ex = run("""
        10 1.0 shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = 5
        10 1.1 shmat(5, NULL, 0) = 0x7f0000
        10 1.2 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7f1000
        10 1.3 vfork() = 11
        11 1.4 execve("/bin/true", ["true"], 0x1 /* 1 var */) = 0
        10 1.5 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 12
        13 1.6 shmat(5, NULL, SHM_RDONLY) = 0x7f3000
        10 1.7 shmctl(5, IPC_RMID, NULL) = 0
    """)
    shm, anon = ex.ipc
    assert shm.kind == "sysv_shm" and shm.mapped_by == [10, 12] and 13 in shm.users and not shm.left_behind
    assert anon.kind == "shared_mmap" and anon.mapped_by == [10, 12]


def test_eventfd_flows_follow_the_descriptor_through_fork() -> None:
    ex = run("""
        10 1.0 eventfd2(0, EFD_CLOEXEC) = 3<anon_inode:[eventfd]>
        10 1.1 eventfd2(0, 0) = 4<anon_inode:[eventfd]>
        10 1.2 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 11
        11 1.3 write(3<anon_inode:[eventfd]>, "\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00", 8) = 8
        10 1.4 read(3<anon_inode:[eventfd]>, "\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00", 8) = 8
        10 1.5 write(4<anon_inode:[eventfd]>, "\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00", 8) = 8
    """)
    first, second = ex.ipc
    assert (first.kind, first.users, second.users) == ("eventfd", [10, 11], [10])
    (f,) = ex.flows
    assert (f.kind, f.channel, f.writer, f.reader, f.nbytes) == ("eventfd", first.ident, 11, 10, 8)
