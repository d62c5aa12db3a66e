"""Byte-level mutations of media files, for fuzzing the decode path (tests and benchmarks)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    """One edit: ``kind`` at relative ``position`` over ``length`` bytes (``value`` for xor)."""

    kind: str  # flip | zero | truncate | duplicate
    position: float
    length: int
    value: int = 0xFF


def apply_mutations(data: bytes, chain: Iterable[Mutation]) -> bytes:
    buffer = bytearray(data)
    for m in chain:
        if not buffer:
            break
        at = min(int(m.position * len(buffer)), len(buffer) - 1)
        end = min(at + m.length, len(buffer))
        if m.kind == "flip":
            buffer[at:end] = bytes(b ^ (m.value or 1) for b in buffer[at:end])
        elif m.kind == "zero":
            buffer[at:end] = bytes(end - at)
        elif m.kind == "truncate":
            del buffer[at:]
        elif m.kind == "duplicate":
            buffer[end:end] = buffer[at:end]
        else:
            raise ValueError(f"unknown mutation {m.kind!r}")
    return bytes(buffer)
