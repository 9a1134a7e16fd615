"""Per-device counters, mirrored to a JSON file that tests and demos can read.

The file is rewritten atomically (temp file + rename) so a reader never sees a
half-written document, and at most every ``DEBOUNCE`` seconds so a burst of
commands from 200 sessions does not turn into 200 writes.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

from fortisim import debug

DEBOUNCE = 0.2


@dataclass
class DeviceStats:
    logins: int = 0
    failed_logins: int = 0
    commands: int = 0
    config_writes: int = 0
    tunnel_ops: int = 0  # diagnose vpn tunnel up/down/flush and ike gateway clear/flush, no-ops included
    # Computed when the file is written from the device's debug state (``watch_debug``):
    # anything still switched on, and the filters that are set (fortisim/debug.py).
    debug_enabled: bool = False
    debug_filters: dict[str, Any] = field(default_factory=dict)


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class StatsBook:
    """``tunnels(host)``, when given, supplies the live per-tunnel state (``ops.tunnel_states``);
    it is computed at write time, so the file always shows the state as of the write."""

    def __init__(self, hostnames: list[str], path: Optional[Path] = None,
                 tunnels: Optional[Callable[[str], dict[str, Any]]] = None) -> None:
        self.devices: dict[str, DeviceStats] = {h: DeviceStats() for h in hostnames}
        self.path = path
        self._tunnels = tunnels
        self._handle: Optional[asyncio.TimerHandle] = None
        self._last_write = 0.0
        self._debug: dict[str, debug.DeviceDebug] = {}
        self.command_log: Optional[TextIO] = None

    def log_command(self, host: str, line: str) -> None:
        """One line per command to ``command_log`` (``HOST<TAB>COMMAND``) when set: the fleet
        bench replays exactly what a run sent, and tests can see the order."""
        if self.command_log is not None:
            self.command_log.write(f"{host}\t{line}\n")
            self.command_log.flush()

    def bump(self, host: str, counter: str, amount: int = 1) -> None:
        stats = self.devices[host]
        setattr(stats, counter, getattr(stats, counter) + amount)
        self._changed()

    def watch_debug(self, host: str, state: "debug.DeviceDebug") -> None:
        """Report this device's debug state (``debug_enabled``, ``debug_filters``) from now on."""
        self._debug[host] = state

    def _debug_fields(self, host: str) -> dict[str, Any]:
        state = self._debug.get(host)
        if state is None:
            return {}
        return {"debug_enabled": debug.armed(state, state.sessions), "debug_filters": debug.filters(state)}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {host: {**asdict(stats), **self._debug_fields(host), "tunnels": self._tunnels(host) if self._tunnels else {}}
                for host, stats in self.devices.items()}

    def touch(self) -> None:
        """State changed without a counter (a tunnel operation): schedule a write."""
        self._changed()

    def touch_later(self, delay: float) -> None:
        """Schedule a write once a pending negotiation has completed."""
        if self.path is not None:
            asyncio.get_running_loop().call_later(delay, self._changed)

    def write_now(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self.path is None:
            return
        atomic_write_text(self.path, json.dumps(self.snapshot(), indent=2, sort_keys=True) + "\n")
        self._last_write = time.monotonic()

    def _changed(self) -> None:
        if self.path is None or self._handle is not None:
            return  # a write is already scheduled and will include this change
        delay = max(0.0, self._last_write + DEBOUNCE - time.monotonic())
        try:
            self._handle = asyncio.get_running_loop().call_later(delay, self.write_now)
        except RuntimeError:  # no event loop (a synchronous caller): write at once
            self.write_now()
