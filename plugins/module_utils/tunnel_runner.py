# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and polling one tunnel or IKE gateway over the persistent connection.

The I/O side of tunnel_ops and gateway_ops: every read is one `run_commands` call.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils import gateway_ops
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_ops import list_command, snapshot

Snapshot = Optional[Dict[str, Any]]

# Polling faster than this only loads the device's CLI; IKE needs seconds anyway.
POLL_INTERVAL = 1.0


def read_snapshot(client: Any, name: str, vdom: Optional[str]) -> Snapshot:
    output = client.run_commands([{"command": list_command(name), "vdom": vdom}])[0]["output"]
    return snapshot(parse_tunnel_list(output), name)


def send(client: Any, commands: List[str], vdom: Optional[str]) -> None:
    if commands:
        client.run_commands([{"command": c, "vdom": vdom} for c in commands])


def read_gateway(client: Any, name: str, vdom: Optional[str]) -> Snapshot:
    output = client.run_commands([{"command": gateway_ops.list_command(name), "vdom": vdom}])[0]["output"]
    return gateway_ops.gateway_state(parse_ike_gateway_list(output), name)


def poll(read: Callable[[], Snapshot], done: Callable[[Snapshot], bool], timeout: float,
         sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> Tuple[bool, Snapshot]:
    """Read until done(snapshot) or timeout seconds; returns (done, last snapshot). Reads at least once."""
    deadline = clock() + max(0.0, timeout)
    while True:
        snap = read()
        if done(snap):
            return True, snap
        remaining = deadline - clock()
        if remaining <= 0:
            return False, snap
        sleep(min(POLL_INTERVAL, remaining))


def wait_until(client: Any, name: str, vdom: Optional[str], done: Callable[[Snapshot], bool],
               timeout: float) -> Tuple[bool, Snapshot]:
    """Poll `diagnose vpn tunnel list name NAME` until done(snapshot) or timeout."""
    return poll(lambda: read_snapshot(client, name, vdom), done, timeout)


def wait_for_gateway(client: Any, name: str, vdom: Optional[str], done: Callable[[Snapshot], bool],
                     timeout: float) -> Tuple[bool, Snapshot]:
    """Poll `diagnose vpn ike gateway list name NAME` until done(state) or timeout."""
    return poll(lambda: read_gateway(client, name, vdom), done, timeout)
