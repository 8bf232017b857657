"""The harness's killer against real processes of another uid (root, like the harness in its container)."""

from __future__ import annotations

import os
import select
import subprocess
import time

import pytest

from grader.sandbox import harness
from grader.sandbox.local import _free_killer_uid, _uids_in_use

pytestmark = pytest.mark.engine

# Each link forks the next and exits: one or two links are alive at any moment, and a list of /proc
# read a moment ago names none of them. Every link holds the write end of the pipe. The interpreter is
# the system's: the test's own may sit where the other uid cannot read.
CHAIN = "import os\nwhile True:\n    if os.fork() > 0:\n        os._exit(0)\n"


def _free_uid() -> int:
    busy = _uids_in_use()
    return next(uid for uid in range(41000, 41100) if uid not in busy)


@pytest.mark.skipif(os.geteuid() != 0, reason="the killer changes uid: the harness runs as root")
def test_the_killer_stops_a_fork_chain_its_proc_scan_misses() -> None:
    # CI saw the chain of hostile 46-deep-chain run on after the time limit: the killer asked /proc
    # first, /proc named no live link, and no signal was sent.
    uid = _free_uid()
    plan = {"uid": uid, "gid": uid, "killer_uid": _free_killer_uid(uid)}
    killer = harness.Killer(plan)
    read_end, write_end = os.pipe()
    chain = subprocess.Popen(["/usr/bin/python3", "-c", CHAIN], user=uid, group=uid, extra_groups=[],
                             pass_fds=(write_end,), stdin=subprocess.DEVNULL)
    os.close(write_end)
    try:
        time.sleep(0.3)
        assert not select.select([read_end], [], [], 0)[0], "the chain is running"
        chain.wait(5)   # its first link ended at once; the chain goes on
        harness.KILLER = killer
        harness.kill_student(plan)
        # Every link holds the pipe: end-of-file once the last one is dead.
        ready, _, _ = select.select([read_end], [], [], 3)
        assert ready and os.read(read_end, 1) == b"", "a link of the chain was still running after the kill"
    finally:
        harness.KILLER = None
        for _ in range(20):   # whatever the test leaves: stopped as the killer of the fixed code would
            subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-9", "-1"],
                           check=False, stderr=subprocess.DEVNULL)
            time.sleep(0.02)
        os.close(read_end)
        os.kill(killer.pid, 9)
        os.waitpid(killer.pid, 0)
