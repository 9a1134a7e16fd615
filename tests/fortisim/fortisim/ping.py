"""``execute ping`` and ``execute ping-options``: who answers, and how fast.

Reachability follows the lab, not a routing table:

* the device's own addresses always answer;
* an underlay address (a tunnel gateway of any lab device, an external peer, or
  anything in a subnet the device is directly connected to) answers when its
  host does: lab devices always, external peers unless declared down with
  ``peer_unreachable`` (the default) or ``dpd_timeout``;
* any other lab interface (a LAN behind another device) answers only through an
  up selector of the current VDOM, on a tunnel to that device, whose destination
  covers it and whose source covers the ping's source (``auto`` picks a local
  address inside it);
* ... and only when the lab's ``policy``/``route``/``path`` keys let it through on both ends
  (``netcfg.delivered``: no policy, a NAT policy, a misroute or ESP lost on the path: no reply);
* everything else, and any source that is not a local address, gets 100% loss.

Times are seeded per (device, target, sequence) on top of a base for the path
kind, plus both devices' ``latency_ms``, so the same ping prints the same times.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

from fortisim import netcfg, seed
from fortisim.model import Device

# Seconds of simulated waiting per lost packet (a real ping waits ``timeout``).
LOST_PACKET_SLEEP = 0.05
MAX_PING_SLEEP = 1.0


@dataclass
class PingOptions:
    """Session-scoped ``execute ping-options`` settings (FortiOS defaults)."""

    repeat_count: int = 5
    data_size: int = 56
    timeout: int = 2
    interval: int = 1
    ttl: int = 64
    tos: int = 0
    df_bit: str = "no"
    source: str = "auto"

    def view_settings(self) -> list[str]:
        return ["Ping Options:",
                f"   Repeat Count: {self.repeat_count}",
                f"   Data Size: {self.data_size}",
                f"   Timeout: {self.timeout}",
                f"   Interval: {self.interval}",
                f"   TTL: {self.ttl}",
                f"   TOS: {self.tos}",
                f"   DF: {self.df_bit}",
                f"   Source Address: {self.source}",
                "   Pattern Size in Bytes: 0",
                "   Validate Reply: no"]


# Integer options: ping-options keyword -> (attribute, lowest, highest).
INT_OPTIONS: dict[str, tuple[str, int, int]] = {
    "repeat-count": ("repeat_count", 1, 10000),
    "data-size": ("data_size", 0, 65507),
    "timeout": ("timeout", 1, 86400),
    "interval": ("interval", 1, 3600),
    "ttl": ("ttl", 1, 255),
    "tos": ("tos", 0, 255),
}


@dataclass
class Path:
    answers: bool
    base_ms: float = 0.0
    ttl: int = 64
    extra_ms: int = 0  # the devices' latency_ms
    kind: str = "none"


def _local(device: Device) -> dict[str, ipaddress.IPv4Interface]:
    return {str(i.ip): ipaddress.IPv4Interface(f"{i.ip}/{i.prefixlen}") for i in device.interfaces.values()}


def _through_tunnel(device: Device, vdom: str, target: ipaddress.IPv4Address, source: str, owner: str) -> bool:
    """An up selector towards ``owner`` (the device holding ``target``) carries the ping."""
    local = [iface.ip for iface in _local(device).values()]
    for view in device.views(vdom):
        if view.kind == "dialup" or view.peer_label.split("/")[0] != owner:
            continue
        for sel in view.selectors:
            if not sel.up or target not in sel.dst:
                continue
            if source == "auto" and any(ip in sel.src for ip in local):
                return netcfg.delivered(view)
            if source != "auto" and ipaddress.IPv4Address(source) in sel.src:
                return netcfg.delivered(view)
    return False


def find_path(device: Device, vdom: str, target: ipaddress.IPv4Address, source: str) -> Path:
    local = _local(device)
    if source != "auto" and source not in local:
        return Path(False)
    own_latency = device.latency_ms
    if str(target) in local:
        return Path(True, 0.03, 255, own_latency, "self")
    host = device.hosts.get(str(target))
    connected = any(target in iface.network for iface in local.values())
    if host is not None and (host.underlay or connected):
        latency = own_latency + host.latency_ms
        if host.owner is None:  # an external peer somewhere on the internet
            hops = seed.int_between(2, 12, "hops", device.hostname, target)
            return Path(host.answers, 8.0 + 3 * hops, 64 - hops, latency, "external")
        if connected:
            return Path(True, 0.4, 255, latency, "connected")
        return Path(True, 4.0, 254, latency, "routed")
    if host is not None and host.owner is not None and _through_tunnel(device, vdom, target, source, host.owner):
        return Path(host.answers, 2.5, 254, own_latency + host.latency_ms, "tunnel")
    return Path(False)


def ping(device: Device, vdom: str, options: PingOptions, target: ipaddress.IPv4Address) -> tuple[list[str], float]:
    """(output lines, seconds the simulated ping takes beyond the command latency)."""
    path = find_path(device, vdom, target, options.source)
    count = options.repeat_count
    lines = [f"PING {target} ({target}): {options.data_size} data bytes"]
    times: list[float] = []
    if path.answers:
        for seq in range(count):
            factor = seed.int_between(85, 125, "rtt", device.hostname, target, seq) / 100
            rtt = path.base_ms * factor + path.extra_ms
            times.append(rtt)
            lines.append(f"{options.data_size + 8} bytes from {target}: icmp_seq={seq} ttl={path.ttl} "
                         f"time={rtt:.1f} ms")
    received = len(times)
    loss = 100 * (count - received) // count
    lines += ["", f"--- {target} ping statistics ---",
              f"{count} packets transmitted, {received} packets received, {loss}% packet loss"]
    if times:
        lines.append(f"round-trip min/avg/max = {min(times):.1f}/{sum(times) / received:.1f}/{max(times):.1f} ms")
    waited = sum(times) / 1000 + LOST_PACKET_SLEEP * (count - received)
    # The command's own latency counts towards the cap.
    budget = max(0.0, MAX_PING_SLEEP - device.latency_ms / 1000)
    return lines, min(waited, budget)


def parse_target(text: str) -> Optional[ipaddress.IPv4Address]:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None
