"""Firewall policies and routes generated for the tunnels, and the data-plane verdicts.

Every tunnel end (static tunnel, spoke, dial-up parent; not dial-up instances) gets, per
device and VDOM:

* a static route per remote phase-2 subnet (not 0.0.0.0/0) via the tunnel interface
  (``route: ok``), or via the WAN gateway on the WAN interface (``route: wrong_interface``), or
  none (``route: missing``); dial-up parents get none (their routes are added per instance);
* a pair of accept policies LAN interface <-> tunnel interface (``policy: ok``), the outbound one
  with ``set nat enable`` (``policy: nat``), or none (``policy: missing``). The LAN interface is
  the one whose subnet overlaps a local selector, else the first interface that is not the
  tunnel's; a device with only the WAN interface gets no policies for that tunnel.

Each device also has a connected route per interface (in every VDOM) and a default route via the
WAN gateway: the .254 of the WAN subnet (the WAN being the interface of the VDOM's first tunnel,
else the first interface). Policy ids count from 1 per VDOM in tunnel order.

Traffic decisions (``execute ping``, the flow trace) only consult these keys, never the
generated tables, so labs that do not set them behave exactly as before.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

from fortisim import seed
from fortisim.model import Device, Interface, TunnelView

Net = ipaddress.IPv4Network
IPv4 = ipaddress.IPv4Address


@dataclass
class Policy:
    id: int
    name: str
    uuid: str
    srcintf: str
    dstintf: str
    nat: bool
    view: TunnelView


@dataclass
class Route:
    code: str  # C | S
    prefix: Net
    device: str  # outgoing interface (a tunnel name for tunnel routes)
    gateway: Optional[str] = None
    tunnel: bool = False

    @property
    def distance(self) -> int:
        return 0 if self.code == "C" else 10


def _network(iface: Interface) -> Net:
    return ipaddress.IPv4Interface(f"{iface.ip}/{iface.prefixlen}").network


def tunnel_views(device: Device, vdom: str) -> list[TunnelView]:
    return [v for v in device.views(vdom) if v.kind in ("static", "dialup")]


def wan(device: Device, vdom: str) -> Interface:
    views = tunnel_views(device, vdom)
    return views[0].interface if views else next(iter(device.interfaces.values()))


def wan_gateway(iface: Interface) -> str:
    net = _network(iface)
    if net.prefixlen <= 24:
        gateway = IPv4(int(net.network_address) + 254)
    else:
        gateway = net.broadcast_address - 1
    if gateway == iface.ip:
        gateway = gateway - 1
    return str(gateway)


def lan_interface(device: Device, view: TunnelView) -> Optional[Interface]:
    others = [i for i in device.interfaces.values() if i.name != view.interface.name]
    for iface in others:
        if any(sel.src.prefixlen and sel.src.overlaps(_network(iface)) for sel in view.selectors):
            return iface
    return others[0] if others else None


def policies(device: Device, vdom: str) -> list[Policy]:
    out: list[Policy] = []
    for view in tunnel_views(device, vdom):
        lan = lan_interface(device, view)
        if lan is None or view.policy == "missing":
            continue
        for suffix, src, dst, nat in (("out", lan.name, view.name, view.policy == "nat"),
                                      ("in", view.name, lan.name, False)):
            pid = len(out) + 1
            uuid = seed.hex_bytes(16, "policy-uuid", device.hostname, vdom, view.name, suffix)
            uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"
            out.append(Policy(pid, f"{view.name}-{suffix}", uuid, src, dst, nat, view))
    return out


def routes(device: Device, vdom: str) -> list[Route]:
    port = wan(device, vdom)
    gateway = wan_gateway(port)
    table = [Route("S", Net("0.0.0.0/0"), port.name, gateway)]
    table += [Route("C", _network(i), i.name) for i in device.interfaces.values()]
    seen: set[Net] = set()
    for view in tunnel_views(device, vdom):
        if view.kind != "static" or view.route == "missing":
            continue
        for sel in view.selectors:
            if not sel.dst.prefixlen or sel.dst in seen:
                continue
            seen.add(sel.dst)
            if view.route == "wrong_interface":
                table.append(Route("S", sel.dst, view.interface.name, wan_gateway(view.interface)))
            else:
                table.append(Route("S", sel.dst, view.name, view.remote_gw, tunnel=True))
    table.sort(key=lambda r: (int(r.prefix.network_address), r.prefix.prefixlen))
    return table


def lookup(device: Device, vdom: str, target: IPv4) -> Optional[Route]:
    best: Optional[Route] = None
    for route in routes(device, vdom):
        if target in route.prefix and (best is None or route.prefix.prefixlen > best.prefix.prefixlen):
            best = route
    return best


def policy_for(device: Device, vdom: str, srcintf: str, dstintf: str) -> Optional[Policy]:
    return next((p for p in policies(device, vdom) if p.srcintf == srcintf and p.dstintf == dstintf), None)


# -- data-plane verdicts (ping.py, flow.py) -------------------------------------------

def outbound(device: Device, vdom: str, view: TunnelView) -> tuple[str, Optional[Policy]]:
    """How this end sends into ``view``: route (misrouted out the WAN), deny (no policy),
    snat (policy with NAT), or ok; with the policy that allowed it."""
    if view.route != "ok":
        return "route", None
    if view.policy == "missing":
        return "deny", None
    lan = lan_interface(device, view)
    policy = policy_for(device, vdom, lan.name, view.name) if lan is not None else None
    return ("snat" if view.policy == "nat" else "ok"), policy


def delivered(view: TunnelView) -> bool:
    """An echo request sent through ``view`` gets its reply (the policy/route/path keys only)."""
    if view.route != "ok" or view.policy != "ok" or view.esp_blocked:
        return False  # misrouted, denied, SNATed (the peer's selector refuses it), or lost on the path
    peer = view.peer
    if peer is not None and (peer.policy == "missing" or peer.route != "ok" or peer.esp_blocked):
        return False  # the peer denies it, or its reply takes the wrong way, or is lost
    return True


# -- rendering -------------------------------------------------------------------------

def show_policy(device: Device, vdom: str, args: list[str]) -> list[str]:
    wanted = int(args[0]) if args else None
    lines = ["config firewall policy"]
    for pol in policies(device, vdom):
        if wanted is not None and pol.id != wanted:
            continue
        lines += [f"    edit {pol.id}", f'        set name "{pol.name}"', f"        set uuid {pol.uuid}",
                  f'        set srcintf "{pol.srcintf}"', f'        set dstintf "{pol.dstintf}"',
                  "        set action accept", '        set srcaddr "all"', '        set dstaddr "all"',
                  '        set schedule "always"', '        set service "ALL"']
        if pol.nat:
            lines.append("        set nat enable")
        lines.append("    next")
    lines.append("end")
    return lines


LEGEND = [
    "Codes: K - kernel, C - connected, S - static, R - RIP, B - BGP",
    "       O - OSPF, IA - OSPF inter area",
    "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2",
    "       E1 - OSPF external type 1, E2 - OSPF external type 2",
    "       i - IS-IS, L1 - IS-IS level-1, L2 - IS-IS level-2, ia - IS-IS inter area",
    "       * - candidate default",
]


def _route_line(device: Device, route: Route) -> str:
    if route.code == "C":
        return f"C       {route.prefix} is directly connected, {route.device}"
    tail = "" if not device.release.at_least(7, 0) else ", [1/0]"
    code = "S*" if not route.prefix.prefixlen else "S "
    if route.tunnel:
        return f"{code}      {route.prefix} [10/0] via {route.device} tunnel {route.gateway}{tail}"
    return f"{code}      {route.prefix} [10/0] via {route.gateway}, {route.device}{tail}"


def routing_table(device: Device, vdom: str) -> list[str]:
    return LEGEND + ["", "Routing table for VRF=0"] + [_route_line(device, r) for r in routes(device, vdom)]


def routing_details(device: Device, vdom: str, text: str) -> Optional[list[str]]:
    """None: not an address or prefix (the caller answers a value error)."""
    try:
        prefix = Net(text, strict=False) if "/" in text else None
        target = prefix.network_address if prefix else IPv4(text)
    except ValueError:
        return None
    if prefix is not None:
        route = next((r for r in routes(device, vdom) if r.prefix == prefix), None)
    else:
        route = lookup(device, vdom, target)
    lines = ["Routing table for VRF=0"]
    if route is None:
        return lines + ["% Network not in table"]
    lines.append(f"Routing entry for {route.prefix}")
    if route.code == "C":
        return lines + ['  Known via "connected", distance 0, metric 0, best', f"  * is directly connected, {route.device}"]
    lines.append('  Known via "static", distance 10, metric 0, best')
    if route.tunnel:
        return lines + [f"  * vrf 0 via {route.device} tunnel {route.gateway}"]
    return lines + [f"  * vrf 0 {route.gateway}, via {route.device}"]


_PROTOS = {"tcp": 6, "udp": 17, "icmp": 1}


def iprope_lookup(device: Device, vdom: str, args: list[str]) -> tuple[Optional[int], list[str]]:
    """(index of the bad argument or None, output). Args: SRC SPORT DST DPORT PROTO IN_INTF."""
    if len(args) != 6:
        return min(len(args), 5), []
    src, sport, dst, dport, proto, intf = args
    for pos, text in ((0, src), (2, dst)):
        try:
            IPv4(text)
        except ValueError:
            return pos, []
    for pos, text in ((1, sport), (3, dport)):
        if not text.isdigit() or int(text) > 65535:
            return pos, []
    number = _PROTOS.get(proto.lower(), int(proto) if proto.isdigit() and int(proto) < 256 else None)
    if number is None:
        return 4, []
    if intf not in device.interfaces and intf not in {v.name for v in tunnel_views(device, vdom)}:
        return 5, []
    route = lookup(device, vdom, IPv4(dst))
    policy = policy_for(device, vdom, intf, route.device) if route is not None else None
    pid = policy.id if policy is not None else 0
    return None, [f"<src [{src}-{sport}] dst [{dst}-{dport}] proto {number} dev {intf}> matches policy id: {pid}"]
