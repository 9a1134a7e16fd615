# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning for tunnel operations: pure functions, no I/O.

`diagnose vpn tunnel up|down <phase2> [<phase1>]` acts on ONE phase 2 (selector): the first
argument is the phase2 name. `diagnose vpn tunnel flush <phase1>` deletes every phase-2 SA of
a phase 1. A module reads `diagnose vpn tunnel list name X` (a snapshot), plans from it, sends
the plan, then polls snapshots until `reached()` says the requested state holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import quote_name
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import offload_summary

STATES = ("up", "down", "flushed")


class TunnelOpError(ValueError):
    """A request that cannot be carried out as asked (one line, says what to fix)."""


def list_command(name: str) -> str:
    return "diagnose vpn tunnel list name %s" % quote_name(name)


def snapshot(parsed: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
    """The state of tunnel `name` from a parsed `diagnose vpn tunnel list [name X]`, or None."""
    for tunnel in parsed.get("tunnels") or []:
        if tunnel.get("name") == name:
            break
    else:
        return None
    selectors = []
    for proxyid in tunnel.get("proxyids") or []:
        sas = proxyid.get("sas") or []
        selectors.append({
            "name": proxyid.get("name"),
            "up": bool(sas) or bool(proxyid.get("sa_count")),
            "inbound_spis": [(sa.get("inbound") or {}).get("spi") for sa in sas],
            "outbound_spis": [(sa.get("outbound") or {}).get("spi") for sa in sas],
            "npu_flags": [sa.get("npu_flag") for sa in sas],
        })
    up = sum(1 for s in selectors if s["up"])
    if not selectors:
        state = "down"
    elif up == len(selectors):
        state = "up"
    else:
        state = "partial" if up else "down"
    return {
        "name": name,
        "kind": _kind(tunnel),
        "parent": tunnel.get("parent"),
        "state": state,
        "selectors_up": up,
        "selectors_total": len(selectors),
        "selectors": selectors,
        "offload_summary": tunnel.get("offload_summary") or offload_summary(tunnel),
        "remote_gateway": tunnel.get("remote_gateway"),
    }


def _kind(tunnel: Dict[str, Any]) -> str:
    mode = tunnel.get("mode")
    if mode == "dial_inst" or tunnel.get("parent"):
        return "dial_inst"
    if mode == "dialup":
        return "dialup"
    return "static"


@dataclass
class Plan:
    """What to send for a requested state, and whether that changes anything."""

    commands: List[str] = field(default_factory=list)
    targets: List[str] = field(default_factory=list)  # phase2 names the request is about
    changed: bool = False


def plan(snap: Optional[Dict[str, Any]], name: str, state: str, phase2: Optional[str] = None,
         vdom_label: str = "") -> Plan:
    """Commands that move tunnel `name` to `state` (only what is needed)."""
    where = " in VDOM %s" % vdom_label if vdom_label else ""
    if state not in STATES:
        raise TunnelOpError("state must be one of %s, got '%s'" % (", ".join(STATES), state))
    if snap is None:
        raise TunnelOpError("no IPsec tunnel named '%s'%s (diagnose vpn tunnel list shows none; "
                            "check the phase1-interface name and the vdom)" % (name, where))
    if snap["kind"] == "dialup":
        raise TunnelOpError("'%s' is a dial-up server (type dynamic): it has no selectors of its own; "
                            "target one of its instances (%s_0, ...) instead" % (name, name))
    if state == "flushed":
        if phase2:
            raise TunnelOpError("state flushed acts on the whole phase 1 (diagnose vpn tunnel flush has no "
                                "phase2 argument); remove phase2")
        targets = [s["name"] for s in snap["selectors"]]
        had_sa = any(s["up"] for s in snap["selectors"])
        return Plan(["diagnose vpn tunnel flush %s" % quote_name(name)] if had_sa else [], targets, had_sa)
    selectors = snap["selectors"]
    if phase2:
        selectors = [s for s in selectors if s["name"] == phase2]
        if not selectors:
            raise TunnelOpError("tunnel '%s'%s has no phase2 '%s' (it has: %s)" % (
                name, where, phase2, ", ".join(s["name"] or "?" for s in snap["selectors"]) or "none"))
    if not selectors:
        raise TunnelOpError("tunnel '%s'%s has no phase2 selectors to bring %s" % (name, where, state))
    if state == "up" and snap["kind"] == "dial_inst":
        raise TunnelOpError("'%s' is a dial-up instance: only the client can bring it up; use state "
                            "down or flushed here" % name)
    todo = [s["name"] for s in selectors if s["up"] != (state == "up")]
    commands = ["diagnose vpn tunnel %s %s %s" % (state, quote_name(p2), quote_name(name)) for p2 in todo]
    return Plan(commands, [s["name"] for s in selectors], bool(todo))


def reached(before: Optional[Dict[str, Any]], now: Optional[Dict[str, Any]], state: str,
            targets: List[str], renegotiated: bool = False) -> bool:
    """True when `now` shows the requested state for the target selectors.

    `flushed`: the SAs present before are gone; with `renegotiated`, the selectors that were
    up are up again on new SPIs (what `wait` asks for after a flush).
    """
    if now is None:
        return state == "down"
    current = {s["name"]: s for s in now["selectors"]}
    if state in ("up", "down"):
        want = state == "up"
        return all(name in current and current[name]["up"] == want for name in targets)
    previous = {s["name"]: s for s in (before or {}).get("selectors", [])}
    for name in targets:
        old, new = previous.get(name), current.get(name)
        if not old or not old["up"]:
            continue
        if new is None:
            return False
        fresh = not set(old["inbound_spis"]) & set(new["inbound_spis"])
        if not fresh:
            return False
        if renegotiated and not new["up"]:
            return False
    return True


def progress(snap: Optional[Dict[str, Any]]) -> str:
    """`1/2 selectors up` for messages."""
    if snap is None:
        return "tunnel not listed"
    return "%d/%d selectors up" % (snap["selectors_up"], snap["selectors_total"])
