"""Helpers shared by the simulator's tests (a uniquely named module: several conftest.py
files share one pytest run, so ``from conftest import ...`` would be ambiguous)."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any, Optional

from fortisim import ops
from fortisim.clock import Clock
from fortisim.lab import parse_lab
from fortisim.model import Admin, Device, Lab
from fortisim.shell import Shell
from fortisim.stats import StatsBook

DEMO_LAB = Path(__file__).resolve().parents[1] / "labs" / "demo.yml"

# Two agreeing lab ends; tests mutate a deep copy to provoke one fault at a time.
PAIR: dict[str, Any] = {
    "devices": [
        {"hostname": "A", "version": "7.2.10", "interfaces": {"port1": "198.51.100.1/24"}},
        {"hostname": "B", "version": "7.4.7", "interfaces": {"wan1": "198.51.100.2/24"}},
    ],
    "tunnels": [{
        "name": "vpn",
        "phase1": {"ike_version": 2, "proposal": ["aes256-sha256", "aes128-sha1"], "dhgrp": [20, 14],
                   "psksecret": "pair-psk"},
        "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24"}],
        "a": {"device": "A"},
        "b": {"device": "B"},
    }],
}


def pair(**changes: Any) -> dict[str, Any]:
    """PAIR with tunnel keys replaced (``a``, ``b``, ``phase2``) or merged (``phase1``)."""
    data = copy.deepcopy(PAIR)
    tunnel = data["tunnels"][0]
    for key, value in changes.items():
        tunnel[key] = {**tunnel[key], **value} if key == "phase1" else value
    return data


def pair_lab(**changes: Any) -> Lab:
    return parse_lab(pair(**changes))


class Terminal:
    """Drives a Shell in-process: feed chunks, collect everything it printed.

    The clock is frozen; tests may move ``clock.frozen`` (or share one clock between the
    terminals of several devices) to let pending negotiations complete.
    """

    def __init__(self, device: Device, admin: Optional[Admin] = None, clock: Optional[Clock] = None) -> None:
        self.device = device
        self.clock = clock or Clock(frozen=100)
        self.stats = StatsBook([device.hostname],
                               tunnels=lambda host: ops.tunnel_states(device, self.clock.seconds()))
        self.admin = admin or device.primary_admin

    def session(self, *chunks: str) -> str:
        out: list[str] = []

        async def go() -> None:
            queue: asyncio.Queue[str] = asyncio.Queue()
            for chunk in chunks:
                queue.put_nowait(chunk)
            queue.put_nowait("")  # end of input
            shell = Shell(self.device, self.admin, self.stats, self.clock, queue.get, out.append)
            await shell.run()

        asyncio.run(go())
        return "".join(out)


TRAIN_VERSIONS = ["6.4.15", "7.0.17", "7.2.10", "7.4.7", "7.6.3"]


def trains_lab() -> Lab:
    """Devices V0..V4 (one per train) against PEER: ``upN`` (npu on), ``downN`` (PSK
    mismatch, npu off) and ``deadN`` (a silent external peer)."""
    devices: list[dict[str, Any]] = [{"hostname": f"V{i}", "version": v} for i, v in enumerate(TRAIN_VERSIONS)]
    devices.append({"hostname": "PEER", "version": "7.2.10"})
    tunnels: list[dict[str, Any]] = []
    for i in range(len(TRAIN_VERSIONS)):
        tunnels.append({"name": f"up{i}", "a": {"device": f"V{i}"}, "b": {"device": "PEER"}})
        tunnels.append({"name": f"down{i}", "phase1": {"npu_offload": "disable"}, "a": {"device": f"V{i}"},
                        "b": {"device": "PEER", "phase1": {"psksecret": "wrong"}}})
        tunnels.append({"name": f"dead{i}", "a": {"device": f"V{i}"},
                        "b": {"external": "203.0.113.99", "state": "down"}})
    return parse_lab({"devices": devices, "tunnels": tunnels})
