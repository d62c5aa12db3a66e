"""Worker processes that die with their parent.

A spawned pool worker outlives a parent killed with SIGKILL (no ``atexit``, no pool shutdown):
it sits on its pipe, holding memory and, for the daemon, a slot on a 2-core box, until someone
kills it by hand. :func:`die_with_parent` is the pools' ``initializer``: on Linux it asks the
kernel to SIGKILL the worker when the parent goes (``prctl(PR_SET_PDEATHSIG)``); elsewhere a
daemon thread polls the parent pid. Either way it first checks that the parent is still the
one that started it, since the parent may have died before the initializer ran.

Linux sends the signal when the *thread* that forked the worker ends, not the process, so pools
using this must be created and first used from a thread that lives as long as the pool (the
event-loop thread in the daemon; the registering thread for the duration of one batch).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_S = 1.0


def die_with_parent(parent_pid: int) -> None:
    """Pool ``initializer``: end this worker as soon as ``parent_pid`` is gone."""
    if not (sys.platform.startswith("linux") and _pdeathsig(signal.SIGKILL)):
        threading.Thread(target=_watch, args=(parent_pid,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the kernel was told to watch it
        os._exit(1)


def _pdeathsig(sig: int) -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os._exit(1)
