"""Debug state of a simulated FortiGate: what ``diagnose debug ...``, the IKE log filter,
``diagnose debug flow`` and ``diagnose sniffer`` have switched on.

Device-wide on a real box (and here): application levels, the IKE log filter, the flow filter
and trace. Per CLI session: console output (``diagnose debug enable``), console timestamps,
a running sniffer. A session that ends without cleaning up leaves the device-wide part
armed, which is exactly what the collection's clean-up must prevent; ``stats`` reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class DeviceDebug:
    """Device-wide debug switches (shared by every session of the device)."""

    apps: dict[str, int] = field(default_factory=dict)  # "ike" -> mask; 0 is removed
    ike_filter: dict[str, Any] = field(default_factory=dict)  # option -> value(s), as set
    flow_filter: dict[str, Any] = field(default_factory=dict)
    flow_trace_remaining: int = 0  # packets still to trace after `trace start N`
    flow_show_function_name: bool = False
    flow_trace_id: int = 0  # last trace id printed (seeded on first use, then counts up)
    flow_session: int = 0  # last session serial allocated by a traced packet
    duration_minutes: int = 30
    # The live CLI sessions of the device (their console flags count in ``armed``), and the
    # IKE debug lines (``ikedebug.IkeFeed``, created when a session first uses debug).
    sessions: list["SessionDebug"] = field(default_factory=list)
    ike_feed: Any = None


@dataclass
class SessionDebug:
    """Per-session switches."""

    console: bool = False  # diagnose debug enable
    timestamps: bool = False  # diagnose debug console timestamp enable
    sniffer: Optional[str] = None  # the running sniffer command line, while it runs


def armed(device: DeviceDebug, sessions: list[SessionDebug]) -> bool:
    """What the stats call ``debug_enabled``: anything still switched on."""
    return bool(device.apps or device.flow_trace_remaining
                or any(s.console or s.sniffer for s in sessions))


def filters(device: DeviceDebug) -> dict[str, Any]:
    """What the stats call ``debug_filters``: only the filters that are set."""
    out: dict[str, Any] = {}
    if device.ike_filter:
        out["ike"] = dict(device.ike_filter)
    if device.flow_filter:
        out["flow"] = dict(device.flow_filter)
    return out
