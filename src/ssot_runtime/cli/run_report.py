"""What ``run`` says once the command ended, although the command took ``run``'s place (exec).

Before the exec, a reporter is forked twice over and put in a session of its own: it is no child
of the command (a server that waits for all its children never waits for it) and in no process
group of the command's (Ctrl-C and a group's SIGTERM never reach it). It waits for the command's
pid to end, prints the lines on stderr, and leaves with ``os._exit``: nothing of the wrapper's
start-up (coverage's, say) runs at its exit.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def after_exit(pid: int, describe: Callable[[], list[str]]) -> None:
    """Fork the reporter for ``pid``; returns in the caller at once."""
    try:
        first = os.fork()
    except OSError:
        return  # no reporter: the command still runs
    if first:
        os.waitpid(first, 0)  # the intermediate child ends at once: the reporter is nobody's child
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)  # hold no pipe of the caller's open but stderr, where it writes
        os.dup2(devnull, 1)
        _wait_gone(pid)
        for line in describe():
            print(line, file=sys.stderr)
        sys.stderr.flush()
    finally:
        os._exit(0)


def _wait_gone(pid: int) -> None:
    """Until ``pid`` has ended (as a zombie too: its parent may reap it only once our stderr closes)."""
    try:
        import select

        fd = os.pidfd_open(pid)  # Linux 5.3+: readable once the process has ended
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])
        os.close(fd)
        return
    while _running(pid):
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
