"""``diagnose debug flow``: the filter, ``show function-name|iprope``, ``trace start|stop``,
and the trace lines printed for the probe traffic the device sends itself (``execute ping``).

The filter, the trace counter and ``show function-name`` are device-wide
(``DeviceDebug``); trace lines reach a session only while it has console output on
(``diagnose debug enable``). Only the sending side is traced: the echo requests leaving
this device, never the replies, nor what the peer device sees.

How an echo request is forwarded follows ``fortisim/ping.py``'s reachability:

* a tunnel of the current VDOM whose selector destination covers the target carries the
  route (``find a route: ... via TUNNEL``); through an **up** selector that covers source
  and target the packet is encrypted (``enter IPSec interface``, then per train
  ``encrypted, and send to`` or ``output to IPSec tunnel`` / ``IPsec encrypt/auth`` /
  ``send to GW via intf-PORT``); otherwise ``No matching IPsec selector, drop``;
* the device's own addresses, connected subnets and known underlay hosts route normally
  (route line only: local-out traffic passes no policy, so no verdict line follows);
* the lab's policy/route keys (``netcfg.py``): a missing route, or one via the WAN, routes the
  packet out the WAN in clear (route line only); a missing policy prints ``Denied by forward
  policy check (policy 0)`` after the route; a NAT policy ``Allowed by Policy-N: SNAT`` before
  the IPsec lines (the peer then drops it: its selector does not cover the
  translated source; the peer's own trace is not modelled);
* anything else: ``no route to host, drop`` (wording assumed, not attested).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Optional

from fortisim import netcfg, seed
from fortisim.commands import parse_error, value_error
from fortisim.debug import DeviceDebug
from fortisim.model import Device, Selector, TunnelView

IPv4 = ipaddress.IPv4Address

ADDR_OPTIONS = ("addr", "saddr", "daddr")
PORT_OPTIONS = ("port", "sport", "dport")
FILTER_OPTIONS = ADDR_OPTIONS + ("proto",) + PORT_OPTIONS + ("vd", "vd-name")
# What `diagnose debug flow filter` alone prints, in order: (label, option).
SHOW_ROWS = (("vf", "vd"), ("proto", "proto"), ("Host addr", "addr"), ("Host saddr", "saddr"),
             ("Host daddr", "daddr"), ("port", "port"), ("sport", "sport"), ("dport", "dport"))


# -- the filter -------------------------------------------------------------------

def _ip(token: str) -> IPv4:
    try:
        return IPv4(token)
    except ValueError:
        raise value_error(token) from None


def _port(token: str) -> int:
    if not token.isdigit() or int(token) > 65535:
        raise value_error(token)
    return int(token)


def filter_command(device: Device, debug: DeviceDebug, args: list[str]) -> list[str]:
    """``diagnose debug flow filter [<option> <value>...]``."""
    if not args:
        return show_filter(debug)
    option = _option(args[0], FILTER_OPTIONS + ("negate", "clear"))
    values = args[1:]
    flt = debug.flow_filter
    if option == "clear":
        if values:
            raise parse_error(values[0])
        flt.clear()
        return []
    if option == "negate":
        if len(values) != 1:
            raise parse_error(values[1] if values else "negate")
        target = _option(values[0], FILTER_OPTIONS)
        negated = set(flt.get("negate", []))
        negated.add(target)
        flt["negate"] = sorted(negated)
        return []
    if not values:
        raise parse_error(args[0])
    if option in ADDR_OPTIONS:
        flt[option] = _address_value(values)
    elif option == "proto":
        if len(values) != 1 or not values[0].isdigit() or int(values[0]) > 255:
            raise value_error(values[-1])
        flt["proto"] = int(values[0])
    elif option in PORT_OPTIONS:
        if len(values) > 2:
            raise parse_error(values[2])
        low = _port(values[0])
        high = _port(values[1]) if len(values) == 2 else low
        flt[option] = low if low == high else f"{min(low, high)}-{max(low, high)}"
    elif option == "vd":
        if len(values) != 1 or not values[0].lstrip("-").isdigit():
            raise value_error(values[-1])
        flt["vd"] = int(values[0])
    else:  # vd-name
        if len(values) != 1 or values[0] not in device.vdoms:
            raise value_error(values[-1])
        flt["vd"] = device.vdom_index(values[0])
    return []


def _option(token: str, choices: tuple[str, ...]) -> str:
    if token in choices:
        return token
    matches = [c for c in choices if c.startswith(token)]
    if len(matches) != 1:
        raise parse_error(token)
    return matches[0]


def _address_value(values: list[str]) -> str:
    """``ip`` | ``ip1 ip2`` (a range) | ``ip1 ip2 and|or``, kept as typed (normalised)."""
    if len(values) > 3:
        raise parse_error(values[3])
    first = _ip(values[0])
    if len(values) == 1:
        return str(first)
    second = _ip(values[1])
    if len(values) == 3:
        if values[2] not in ("and", "or"):
            raise value_error(values[2])
        return f"{first} {second} {values[2]}"
    low, high = sorted((first, second))
    return f"{low}-{high}"


def _show_value(option: str, value: Any) -> str:
    if value is None:
        return "any"
    if option in ADDR_OPTIONS:
        parts = str(value).split()
        if len(parts) == 3:
            return f"{parts[0]}-{parts[0]} {parts[2]} {parts[1]}-{parts[1]}"
        text = parts[0]
        return text if "-" in text else f"{text}-{text}"
    if option in PORT_OPTIONS:
        text = str(value)
        return text if "-" in text else f"{text}-{text}"
    return str(value)


def show_filter(debug: DeviceDebug) -> list[str]:
    """The KB layout: eight indented ``label: value`` rows, ``any`` when unset.
    A negated option gets `` (negate)`` after its value (assumed, not attested)."""
    flt = debug.flow_filter
    negated = set(flt.get("negate", []))
    rows = []
    for label, option in SHOW_ROWS:
        value = flt.get(option)
        if option == "vd" and value == -1:
            value = None
        text = _show_value(option, value)
        if option in negated and value is not None:
            text += " (negate)"
        rows.append(f"        {label}: {text}")
    return rows


def _in_value(address: IPv4, value: str) -> bool:
    text = value.split()[0]
    if "-" in text:
        low, high = text.split("-", 1)
        return IPv4(low) <= address <= IPv4(high)
    return address == IPv4(text)


def _addr_match(option: str, value: str, src: IPv4, dst: IPv4) -> bool:
    parts = value.split()
    if len(parts) == 3:
        one, two = IPv4(parts[0]), IPv4(parts[1])
        if option == "addr" and parts[2] == "and":
            return {src, dst} == {one, two}
        candidates = {"addr": (src, dst), "saddr": (src,), "daddr": (dst,)}[option]
        return any(a in (one, two) for a in candidates)
    if option == "saddr":
        return _in_value(src, value)
    if option == "daddr":
        return _in_value(dst, value)
    return _in_value(src, value) or _in_value(dst, value)


def _port_in(port: int, value: Any) -> bool:
    text = str(value)
    if "-" in text:
        low, high = text.split("-", 1)
        return int(low) <= port <= int(high)
    return port == int(text)


def matches(debug: DeviceDebug, vdom_index: int, proto: int, src: IPv4, sport: int, dst: IPv4, dport: int) -> bool:
    """Does a packet pass the flow filter? ICMP "ports" are the id and type << 8 | code,
    as the trace prints them."""
    flt = debug.flow_filter
    negated = set(flt.get("negate", []))
    tests = {
        "vd": lambda v: v == -1 or v == vdom_index,
        "proto": lambda v: v == proto,
        "addr": lambda v: _addr_match("addr", v, src, dst),
        "saddr": lambda v: _addr_match("saddr", v, src, dst),
        "daddr": lambda v: _addr_match("daddr", v, src, dst),
        "port": lambda v: _port_in(sport, v) or _port_in(dport, v),
        "sport": lambda v: _port_in(sport, v),
        "dport": lambda v: _port_in(dport, v),
    }
    for option, test in tests.items():
        if option not in flt:
            continue
        if bool(test(flt[option])) == (option in negated):
            return False
    return True


# -- forwarding of the device's own echo requests ----------------------------------

@dataclass
class Forwarding:
    """How one echo request leaves the device (the trace's story)."""

    kind: str  # tunnel | no_selector | local | connected | routed | no_route
    source: IPv4
    route_gw: Optional[str] = None
    route_via: Optional[str] = None
    view: Optional[TunnelView] = None
    selector: Optional[Selector] = None
    verdict: Optional[str] = None  # deny | snat | allow (netcfg.outbound; only with lab policy keys)
    policy_id: int = 0


def _local_ips(device: Device) -> list[ipaddress.IPv4Interface]:
    return [ipaddress.IPv4Interface(f"{i.ip}/{i.prefixlen}") for i in device.interfaces.values()]


def _first_host(network: ipaddress.IPv4Network, avoid: IPv4) -> str:
    for host in network.hosts():
        if host != avoid:
            return str(host)
    return str(network.network_address)


def _tunnel_forwarding(device: Device, vdom: str, src: IPv4, view: TunnelView, sel: Selector) -> Forwarding:
    """Through an up selector, unless the lab's route/policy keys say otherwise (netcfg.py)."""
    how, policy = netcfg.outbound(device, vdom, view)
    if how == "route":  # no route to the remote subnet, or one via the WAN: out in clear
        port = view.interface if view.route == "wrong_interface" else netcfg.wan(device, vdom)
        return Forwarding("routed", src, netcfg.wan_gateway(port), port.name)
    fwd = Forwarding("tunnel", src, view.remote_gw, view.name, view, sel)
    if how != "ok" or view.policy != "ok":
        fwd.verdict = how
        fwd.policy_id = policy.id if policy is not None else 0
    return fwd


def forwarding(device: Device, vdom: str, source: str, target: IPv4) -> Optional[Forwarding]:
    """None when the ping cannot even be sent (a source that is not local)."""
    local = _local_ips(device)
    local_ips = [iface.ip for iface in local]
    if source != "auto" and IPv4(source) not in local_ips:
        return None
    fixed = IPv4(source) if source != "auto" else None
    if target in local_ips:
        return Forwarding("local", fixed or target, "0.0.0.0", "root")
    for iface in device.interfaces.values():
        network = ipaddress.IPv4Interface(f"{iface.ip}/{iface.prefixlen}").network
        if target in network:
            return Forwarding("connected", fixed or iface.ip, str(target), iface.name)
    candidates = [v for v in device.views(vdom) if v.kind != "dialup"
                  and any(target in sel.dst for sel in v.selectors)]
    best: Optional[Forwarding] = None
    for view in candidates:
        for sel in view.selectors:
            if not sel.up or target not in sel.dst:
                continue
            src = fixed or next((ip for ip in local_ips if ip in sel.src), None)
            if src is not None and src in sel.src:
                return _tunnel_forwarding(device, vdom, src, view, sel)
        if best is None:
            src = fixed or next((ip for ip in local_ips if any(ip in s.src for s in view.selectors)), view.interface.ip)
            best = Forwarding("no_selector", src, view.remote_gw, view.name, view)
    if best is not None:
        return best
    host = device.hosts.get(str(target))
    if host is not None and host.underlay:
        via = next((v.interface for views in device.tunnels.values() for v in views
                    if v.remote_gw == str(target)), None)
        iface = via or next(iter(device.interfaces.values()))
        network = ipaddress.IPv4Interface(f"{iface.ip}/{iface.prefixlen}").network
        return Forwarding("routed", fixed or iface.ip, _first_host(network, iface.ip), iface.name)
    return Forwarding("no_route", fixed or (local_ips[0] if local_ips else IPv4("0.0.0.0")))


# -- trace lines ------------------------------------------------------------------------

# message kind -> (function, line on 6.4/7.0, line on 7.2, line on 7.4+): made up but plausible.
_FUNCS: dict[str, tuple[str, int, int, int]] = {
    "received": ("print_pkt_detail", 5845, 5895, 5939),
    "allocate": ("init_ip_session_common", 6024, 6077, 6121),
    "existing": ("resolve_ip_tuple_fast", 5931, 5983, 6027),
    "route": ("vf_ip_route_input_common", 2605, 1988, 2012),
    "enter": ("ipsecdev_hard_start_xmit", 669, 662, 662),
    "output": ("_do_ipsecdev_hard_start_xmit", 229, 222, 222),
    "encrypt": ("esp_output4", 844, 917, 917),
    "send": ("ipsec_output_finish", 544, 676, 676),
    "encrypted": ("_do_ipsecdev_hard_start_xmit", 229, 222, 222),
    "no_selector": ("ipsec_common_output4", 778, 804, 804),
    "no_route": ("ip_session_handle_no_dst", 5937, 5990, 6034),
    "policy": ("fw_forward_handler", 881, 927, 997),
}


@dataclass
class TraceContext:
    """What the trace lines of one session look like."""

    device: Device
    debug: DeviceDebug
    timestamps: bool = False
    now: Optional[Callable[[], _dt.datetime]] = None  # for console timestamps


def _format(ctx: TraceContext, trace_id: int, kind: str, msg: str, offset: float) -> str:
    release = ctx.device.release
    ident = 65308 if release.at_least(7, 2) else 20085
    head = f"id={ident} trace_id={trace_id} "
    if ctx.debug.flow_show_function_name:
        func, old, mid, new = _FUNCS[kind]
        line = new if release.at_least(7, 4) else mid if release.at_least(7, 2) else old
        if kind == "route" and release.at_least(7, 2):
            func = "__vf_ip_route_input_rcu"
        head += f"func={func} line={line} "
    text = f'{head}msg="{msg}"'
    if ctx.timestamps and ctx.now is not None:
        stamp = ctx.now() + _dt.timedelta(seconds=offset)
        text = f"{stamp:%Y-%m-%d %H:%M:%S} {text}"
    return text


def _next_trace_id(debug: DeviceDebug, device: Device) -> int:
    if not debug.flow_trace_id:  # seeded once per device, then counting up like the kernel's
        debug.flow_trace_id = seed.int_between(1, 400, "trace-id", device.hostname)
    debug.flow_trace_id += 1
    return debug.flow_trace_id


def _session_serial(debug: DeviceDebug, device: Device, new: bool) -> int:
    if not debug.flow_session:
        debug.flow_session = seed.int_between(0x1000, 0xFFFFF, "session-id", device.hostname)
    if new:
        debug.flow_session += 1
    return debug.flow_session


def echo_trace(ctx: TraceContext, vdom: str, fwd: Forwarding, target: IPv4, icmp_id: int, seq: int) -> list[str]:
    """The trace lines of one echo request (without checking filter or counter)."""
    device, release = ctx.device, ctx.device.release
    trace_id = _next_trace_id(ctx.debug, device)
    session = _session_serial(ctx.debug, device, seq == 0)
    offset = float(seq)
    lines: list[str] = []

    def add(kind: str, msg: str) -> None:
        lines.append(_format(ctx, trace_id, kind, msg, offset))

    tun = " tun_id=0.0.0.0" if release.at_least(7, 0) else ""
    vd = f"vd-{vdom}:{device.vdom_index(vdom)}"
    add("received", f"{vd} received a packet(proto=1, {fwd.source}:{icmp_id}->{target}:2048){tun} from local. "
                    f"type=8, code=0, id={icmp_id}, seq={seq}.")
    if seq == 0:
        suffix = ", tun_id=0.0.0.0" if release.at_least(7, 0) else ""
        add("allocate", f"allocate a new session-{session:08x}{suffix}")
    else:
        add("existing", f"Find an existing session, id-{session:08x}, original direction")
    if fwd.kind == "no_route":
        add("no_route", "no route to host, drop")
        return lines
    if seq == 0:
        flag = "80000000" if fwd.kind == "local" else "00000000" if fwd.kind == "connected" else "04000000"
        add("route", f"find a route: flag={flag} gw-{fwd.route_gw} via {fwd.route_via}")
    if fwd.verdict == "deny":
        add("policy", "Denied by forward policy check (policy 0)")
        return lines
    if fwd.verdict == "snat":
        add("policy", f"Allowed by Policy-{fwd.policy_id}: SNAT")
    view = fwd.view
    if view is None:
        return lines
    entered = view.parent if view.kind == "dial_inst" and view.parent else view.name
    if release.at_least(7, 0):
        add("enter", f"enter IPSec interface {entered}, tun_id=0.0.0.0")
    else:
        add("enter", f"enter IPsec interface-{entered}")
    if fwd.kind == "no_selector":
        add("no_selector", "No matching IPsec selector, drop")
        return lines
    port = view.interface.name
    if not release.at_least(7, 0):
        add("encrypted", f"encrypted, and send to {view.remote_gw} with source {view.local_gw}")
        return lines
    if release.at_least(7, 4):
        add("output", f"output to IPSec tunnel {view.name}, tun_id={view.remote_gw}, vrf 0")
    else:
        add("output", f"output to IPSec tunnel {view.name}")
    add("encrypt", "IPsec encrypt/auth")
    add("send", f"send to {view.remote_gw} via intf-{port}")
    return lines


def ping_traces(ctx: TraceContext, vdom: str, source: str, target: IPv4, count: int) -> dict[int, list[str]]:
    """seq -> trace lines for the echo requests that pass the filter, while the trace
    counter lasts (each traced packet uses one)."""
    debug = ctx.debug
    if debug.flow_trace_remaining <= 0:
        return {}
    fwd = forwarding(ctx.device, vdom, source, target)
    if fwd is None:
        return {}
    icmp_id = seed.int_between(1, 65535, "icmp-id", ctx.device.hostname, target, debug.flow_trace_id)
    vdom_index = ctx.device.vdom_index(vdom)
    out: dict[int, list[str]] = {}
    for seq in range(count):
        if debug.flow_trace_remaining <= 0:
            break
        if not matches(debug, vdom_index, 1, fwd.source, icmp_id, target, 2048):
            continue
        debug.flow_trace_remaining -= 1
        out[seq] = echo_trace(ctx, vdom, fwd, target, icmp_id, seq)
    return out


def interleave(ping_lines: list[str], traces: dict[int, list[str]]) -> list[str]:
    """Ping output with each echo request's trace just before its reply line, as a
    console shows them (requests without a reply: before the statistics)."""
    if not traces:
        return list(ping_lines)
    out = ping_lines[:1]
    pending = dict(traces)
    for line in ping_lines[1:]:
        marker = line.find("icmp_seq=")
        if marker >= 0:
            seq_text = line[marker + 9:].split()[0]
            seq = int(seq_text) if seq_text.isdigit() else -1
            for early in sorted(s for s in pending if s <= seq):
                out += pending.pop(early)
        elif line.startswith("--- ") or (not line and pending):
            for early in sorted(pending):
                out += pending.pop(early)
        out.append(line)
    for early in sorted(pending):
        out += pending.pop(early)
    return out


def trace_command(debug: DeviceDebug, args: list[str]) -> list[str]:
    """``diagnose debug flow trace start N`` / ``trace stop``."""
    if not args:
        raise parse_error("trace")
    verb = _option(args[0], ("start", "stop", "start6"))
    if verb == "stop":
        if len(args) > 1:
            raise parse_error(args[1])
        debug.flow_trace_remaining = 0
        return []
    if len(args) != 2:
        raise parse_error(args[2] if len(args) > 2 else args[0])
    if not args[1].isdigit() or int(args[1]) < 1:
        raise value_error(args[1])
    debug.flow_trace_remaining = int(args[1])
    return []


def show_command(debug: DeviceDebug, args: list[str]) -> list[str]:
    """``diagnose debug flow show function-name|iprope|console enable|disable``."""
    if len(args) != 2:
        raise parse_error(args[-1] if args else "show")
    what = _option(args[0], ("function-name", "iprope", "console"))
    state = args[1]
    if state not in ("enable", "disable"):
        raise value_error(state)
    if what == "function-name":
        debug.flow_show_function_name = state == "enable"
        return ["show function name"] if state == "enable" else []
    if what == "iprope":
        return ["show trace messages about iprope"] if state == "enable" else []
    return []
