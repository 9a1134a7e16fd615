"""Injected session faults: what a flaky network or a struggling FortiGate does to a CLI session.

Command faults (``drop``, ``stall``, ``slow``, ``garbage``, ``huge``, ``paging``,
``prompt_change``, ``cli_error``) fire on an interactive command line that matches the
fault's ``command`` regex; login faults (``auth_failure``, ``host_key_change``,
``disclaimer``) act on the SSH login. A fault fires ``times`` times (default 1) and then
heals, so a client that reconnects can recover; ``times: 0`` never heals. The counters
belong to the device, so every session of it uses them up. Documented in the README.
"""

from __future__ import annotations

import asyncio
import re
from typing import Awaitable, Callable, Optional

from fortisim.model import Device, SessionFault

# Line noise as a bad serial console server or a corrupting middlebox produces it: NUL, bell,
# ANSI escapes, bytes that are not UTF-8 (written through the channel's surrogateescape
# encoding as the raw bytes 0xff 0xfe 0x80 0xc3) and a stray replacement character.
GARBAGE = "\x00\x07\x1b[2J\x1b[0;1m\udcff\udcfe\udc80\udcc3\x1b[0m\ufffd~\x08"
GARBAGE_EVERY = 5  # a garbage line after every this many output lines (and one first)
# Filler of a huge output: looks like a long, unremarkable listing (nothing a parser knows).
HUGE_LINE = "    {n:08d}: " + "." * 64


class SessionDropped(Exception):
    """The connection must go away now, as if the link or the device's sshd died."""


def take(device: Device, line: str) -> Optional[SessionFault]:
    """The first live command fault matching ``line``, counted as fired; None when none."""
    for fault in device.session_faults:
        if fault.kind not in ("drop", "stall", "slow", "garbage", "huge", "paging", "prompt_change", "cli_error"):
            continue
        if fault.exhausted:
            continue
        if fault.command is not None and not re.search(fault.command, line):
            continue
        fault.fired += 1
        return fault
    return None


def take_login(device: Device, kind: str) -> bool:
    """Does a live login fault of ``kind`` fire for this login (counted as fired)?"""
    for fault in device.session_faults:
        if fault.kind == kind and not fault.exhausted:
            fault.fired += 1
            return True
    return False


def has(device: Device, kind: str) -> bool:
    return any(f.kind == kind for f in device.session_faults)


def cli_error_lines(fault: SessionFault, line: str) -> list[str]:
    """What FortiOS prints for a failed command: -61 is a parse error at the last word."""
    if fault.code == -61:
        words = line.split()
        return [f"command parse error before '{words[-1] if words else line}'", "Command fail. Return code -61"]
    return [f"Command fail. Return code {fault.code}"]


def garbled(lines: list[str]) -> list[str]:
    out = [GARBAGE]
    for index, text in enumerate(lines, 1):
        out.append(text)
        if index % GARBAGE_EVERY == 0:
            out.append(GARBAGE + text[: len(text) // 2])  # a corrupted copy of half a line
    return out


def huge(lines: list[str], size_bytes: int) -> list[str]:
    out = list(lines)
    size, n = 0, 0
    while size < size_bytes:
        filler = HUGE_LINE.format(n=n)
        out.append(filler)
        size += len(filler) + 2
        n += 1
    return out


async def emit(fault: SessionFault, device: Device, lines: list[str], write: Callable[[str], None],
               emit_paged: Callable[[list[str], bool], Awaitable[None]],
               read_char: Callable[[], Awaitable[str]]) -> None:
    """Print a command's output as the fault has it; SessionDropped or EOFError end the session."""
    if fault.kind == "garbage":
        await emit_paged(garbled(lines), False)
    elif fault.kind == "huge":
        await emit_paged(huge(lines, fault.size_bytes), False)
    elif fault.kind == "paging":
        await emit_paged(lines, True)
    elif fault.kind == "prompt_change":
        # Another admin renamed the box (`config system global` / `set hostname`): every
        # session shows the new name from its next prompt on, and so do new logins.
        await emit_paged(lines, False)
        device.prompt_name = fault.hostname or f"{device.hostname}-NEW"
    elif fault.kind == "slow":
        text = "".join(f"{t}\r\n" for t in lines)
        for start in range(0, max(len(text), 1), fault.chunk_bytes):
            await asyncio.sleep(fault.delay_ms / 1000)
            write(text[start:start + fault.chunk_bytes])
    elif fault.kind == "drop":
        text = "".join(f"{t}\r\n" for t in lines)
        write(text[: fault.after_bytes or 0])
        await asyncio.sleep(0.05)  # let the partial output leave before the link goes
        raise SessionDropped()
    elif fault.kind == "stall":
        text = "".join(f"{t}\r\n" for t in lines)
        write(text if fault.after_bytes is None else text[: fault.after_bytes])
        # The CLI hangs: no prompt ever comes back, Ctrl-C and Enter do nothing, until the
        # client gives up and closes the connection (EOFError from read_char).
        while True:
            await read_char()
    else:  # cli_error prints its lines through the normal path (see Shell.run)
        await emit_paged(lines, False)
