"""Process figures read from Linux ``/proc`` for the benchmarks: parent, state, CPU time, RSS.

One parser for ``/proc/<pid>/stat`` (the fields after the parenthesised command name, which may
itself hold spaces), shared by the load, flood, crash and pipeline benchmarks.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    state: str  # "R", "S", … ; "Z" for a zombie
    cpu_s: float  # user + system
    rss_bytes: int


def read(pid: int) -> ProcStat:
    """One process's figures; ``OSError`` once it is gone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return ProcStat(pid, int(fields[1]), fields[0], (int(fields[11]) + int(fields[12])) / TICKS,
                    int(fields[21]) * PAGE)


def all_processes() -> dict[int, ProcStat]:
    """Every process that could be read, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = read(int(entry.name))
            except OSError:
                continue
    return found


def children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    return {p.pid for p in all_processes().values() if p.ppid == pid and p.state != "Z"}


def alive(pid: int) -> bool:
    try:
        return read(pid).state != "Z"
    except OSError:
        return False
