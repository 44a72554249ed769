"""How the zygote ends a student process and everything it left: standard library only.

Part of the harness (copied into the sandbox beside ``harness.py``).
"""

import os
import select
import signal

__all__ = ["end_child", "clear_leftovers", "drain", "exited", "kill_uid", "reap"]


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def clear_leftovers(config, in_pidns):
    if in_pidns:
        # every process of the sandbox but its init and this one, again until none is left (a fork
        # bomb keeps forking while it is being killed)
        for _ in range(400):
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                break
            reap()
            select.select([], [], [], 0.0025)
    elif config.get("uid") is not None:
        kill_uid(config["uid"])
    reap()


def end_child(child, config, in_pidns):
    """Kill the student process (pid, pidfd or None) and whatever it left; its exit status."""
    pid, pidfd = child
    status = None
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        _, raw = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(raw)
    except ChildProcessError:
        pass
    if pidfd is not None:
        os.close(pidfd)
    clear_leftovers(config, in_pidns)
    return status


def drain(data_in):
    """Throw away the requests still waiting on the data channel."""
    while select.select([data_in], [], [], 0)[0]:
        if not os.read(data_in, 65536):
            return


def exited(pid):
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    if done:
        # put the status back for end_child: we cannot, so remember it was reaped
        return True
    return False


def kill_uid(uid):
    """Without a PID namespace (weak isolation): kill every process of the slot's uid."""
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid and pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
