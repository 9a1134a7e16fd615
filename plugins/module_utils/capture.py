# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one live capture (IKE debug, flow trace, sniffer) with guaranteed clean-up.

The text is streamed through a parser object (`feed`/`close`/`result`) chunk by chunk and
never kept whole, so a long or noisy capture holds at most one chunk plus the parser's
bounded state in memory. Whatever happens (an error, a stop condition, a CLI failure),
`stop_debug` runs before the function returns; if the task itself is killed, the
connection cleans up before the next command or when it closes.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

# One read_for call: long enough to amortise the RPC, short enough to notice a stop condition.
CHUNK_SECONDS = 1.0
CHUNK_BYTES = 256 * 1024


@dataclass
class CapturePlan:
    """What to send around the capture. All commands run in `vdom`."""

    arm: List[str]  # filters and switches, in order, before the capture
    vdom: Optional[str] = None
    duration: float = 30.0  # seconds of capture after arming
    trigger: List[str] = field(default_factory=list)  # sent once the capture runs (keep_debug)
    foreground: Optional[str] = None  # a command that keeps printing (sniffer), stopped by Ctrl-C
    stop_when: Optional[Callable[[List[Dict[str, Any]]], bool]] = None  # sees new items after each chunk
    max_items: Optional[int] = None  # stop once the stream holds this many items
    stop_regex: Optional[str] = None  # stop at the first line that matches
    finished: Optional[Callable[[], bool]] = None  # the output ended by itself (a sniffer's count)


@dataclass
class CaptureRun:
    stopped_by: str = "duration"  # duration | until | max_lines | ended | error
    seconds: float = 0.0
    bytes: int = 0
    cleanup: List[str] = field(default_factory=list)
    trigger_outputs: List[str] = field(default_factory=list)
    error: Optional[str] = None


def run_capture(client: Any, plan: CapturePlan, stream: Any, count_items: Callable[[], int],
                clock: Callable[[], float] = time.monotonic) -> CaptureRun:
    """Arm, (trigger), read for `duration`, stop; `stream.feed` sees every byte in order."""
    run = CaptureRun()
    interrupted = False
    started = clock()
    watch = _LineWatch(plan.stop_regex) if plan.stop_regex else None
    try:
        client.run_commands([{"command": c, "vdom": plan.vdom} for c in plan.arm])
        if plan.foreground:
            client.start_command(plan.foreground, vdom=plan.vdom)
        if plan.trigger:
            for result in client.run_commands([{"command": c, "vdom": plan.vdom} for c in plan.trigger], keep_debug=True):
                run.trigger_outputs.append(result["output"])
                # Debug lines printed while the trigger ran come back in its output.
                _feed(run, stream, plan, result["output"] + "\n", watch)
        deadline = started + plan.duration
        while run.stopped_by == "duration":
            remaining = deadline - clock()
            if remaining <= 0:
                break
            text = client.read_for(min(CHUNK_SECONDS, remaining), CHUNK_BYTES)
            if _feed(run, stream, plan, text, watch):
                break
            if plan.max_items is not None and count_items() >= plan.max_items:
                run.stopped_by = "max_lines"
            elif plan.finished is not None and plan.finished():
                run.stopped_by = "ended"
        if plan.foreground and run.stopped_by != "ended":
            _feed(run, stream, plan, client.send_control("c"), None)
    except Exception as exc:  # reported by the module after clean-up
        run.stopped_by = "error"
        run.error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    except BaseException:
        # Interrupted (Ctrl-C on ansible-playbook reaches the module). The RPC that was cut
        # off still holds the connection's socket, so a new call would wait for ever: leave
        # the clean-up to the connection, which does it before its next command or at close.
        interrupted = True
        raise
    finally:
        try:
            if not interrupted:
                run.cleanup = client.stop_debug()
        except Exception as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            if reason != run.error:  # the same login failure again says nothing new
                message = "debug clean-up failed: %s" % reason
                run.error = "%s; %s" % (run.error, message) if run.error else message
            run.stopped_by = "error"
    stream.close()
    run.seconds = round(clock() - started, 3)
    return run


def _feed(run: CaptureRun, stream: Any, plan: CapturePlan, text: str, watch: "Optional[_LineWatch]") -> bool:
    """Feed text; True when a stop condition fired."""
    if not text:
        return False
    run.bytes += len(text)
    new = stream.feed(text)
    if plan.stop_when is not None and new and plan.stop_when(new):
        run.stopped_by = "until"
        return True
    if watch is not None and watch.feed(text):
        run.stopped_by = "until"
        return True
    return False


class _LineWatch:
    """Does any complete line match? Lines may be split across chunks."""

    def __init__(self, pattern: str) -> None:
        self._re = re.compile(pattern)
        self._partial = ""

    def feed(self, text: str) -> bool:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()[-4096:]
        return any(self._re.search(line) for line in lines)
