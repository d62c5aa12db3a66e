"""What a watermark says, and how it is protected: ids → CRC-32 → Reed–Solomon → bits.

A CRC-32 over the ids (seeded with the key's tag, so a codeword made under another key fails it)
plus 8 Reed–Solomon parity bytes make an accidental read on unmarked video ~impossible: a random
word passes RS decoding with probability ~1e-6 and then the CRC with 2^-32.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
from reedsolo import ReedSolomonError, RSCodec

DATA_BYTES = 12  # recipient u32, episode u32, crc32
PARITY_BYTES = 8
CODE_BYTES = DATA_BYTES + PARITY_BYTES
CODE_BITS = CODE_BYTES * 8
_RS = RSCodec(PARITY_BYTES)
_U32 = 2**32


@dataclass(frozen=True)
class WatermarkPayload:
    """Whose copy this is: the recipient (distribution partner) and the episode, 32 bits each."""

    recipient: int
    episode: int

    def __post_init__(self) -> None:
        for name in ("recipient", "episode"):
            value = getattr(self, name)
            if not 0 <= value < _U32:
                raise ValueError(f"{name} id must fit in 32 bits (0..{_U32 - 1}), got {value}")


@dataclass(frozen=True)
class DecodedPayload:
    payload: WatermarkPayload
    corrected_bits: int  # bit errors the Reed–Solomon code repaired


def encode_bits(payload: WatermarkPayload, tag: bytes) -> np.ndarray:
    """The codeword as CODE_BITS values in {0, 1} (uint8)."""
    ids = struct.pack(">II", payload.recipient, payload.episode)
    data = ids + struct.pack(">I", zlib.crc32(ids, zlib.crc32(tag)))
    code = bytes(_RS.encode(data))
    return np.unpackbits(np.frombuffer(code, dtype=np.uint8))


def decode_bits(soft: np.ndarray, tag: bytes) -> DecodedPayload | None:
    """Decode soft bit values (sign = bit, magnitude = reliability); None unless the CRC holds.

    First a plain hard decision; then the least reliable bytes are marked as erasures, which lets
    Reed–Solomon repair twice as many of them.
    """
    hard = (soft > 0).astype(np.uint8)
    word = np.packbits(hard).tobytes()
    byte_reliability = np.abs(soft).reshape(CODE_BYTES, 8).min(axis=1)
    attempts: list[list[int]] = [[]]
    weakest = [int(i) for i in np.argsort(byte_reliability)]
    attempts += [sorted(weakest[:n]) for n in (2, 4, 6)]
    for erasures in attempts:
        try:
            data, full, _ = _RS.decode(word, erase_pos=erasures or None)
        except ReedSolomonError:
            continue
        ids, crc = bytes(data[:8]), struct.unpack(">I", bytes(data[8:12]))[0]
        if zlib.crc32(ids, zlib.crc32(tag)) != crc:
            continue
        recipient, episode = struct.unpack(">II", ids)
        fixed = np.unpackbits(np.frombuffer(bytes(full), dtype=np.uint8))
        return DecodedPayload(WatermarkPayload(recipient, episode), int((fixed != hard).sum()))
    return None
