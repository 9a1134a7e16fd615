"""Simulation clock: ages in the output grow while the simulator runs."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field


@dataclass
class Clock:
    """``elapsed()`` seconds since start; tests pass ``frozen`` for stable output (and may move it)."""

    frozen: float | None = None
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> int:
        return int(self.seconds())

    def seconds(self) -> float:
        """Like ``elapsed`` with the fraction: pending negotiations are timed in milliseconds."""
        if self.frozen is not None:
            return float(self.frozen)
        return time.monotonic() - self.started

    def now(self) -> _dt.datetime:
        base = _dt.datetime(2025, 3, 14, 10, 0, 0) if self.frozen is not None else _dt.datetime.now()
        return base + _dt.timedelta(seconds=self.frozen or 0)
