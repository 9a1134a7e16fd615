"""Deterministic made-up values (SPIs, keys, cookies, counters) derived from names.

Everything is a hash of the parts given, so the same lab always renders the same
output, and both ends of a tunnel can derive the same SPI for one direction.
"""

from __future__ import annotations

import hashlib


def _stream(parts: tuple[object, ...], nbytes: int) -> bytes:
    label = "\x1f".join(str(p) for p in parts).encode()
    out = b""
    counter = 0
    while len(out) < nbytes:
        out += hashlib.sha256(label + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:nbytes]


def hex_bytes(nbytes: int, *parts: object) -> str:
    """``nbytes`` of pseudo-random data as lowercase hex."""
    return _stream(parts, nbytes).hex()


def int_between(low: int, high: int, *parts: object) -> int:
    """A stable integer in [low, high]."""
    value = int.from_bytes(_stream(parts, 8), "big")
    return low + value % (high - low + 1)


def spi(*parts: object) -> str:
    """An 8-hex-digit SPI; never below 0x100 (those values are reserved)."""
    return f"{int_between(0x1000_0000, 0xFFFF_FFFF, 'spi', *parts):08x}"


def raw_bytes(nbytes: int, *parts: object) -> bytes:
    """``nbytes`` of pseudo-random data."""
    return _stream(parts, nbytes)
