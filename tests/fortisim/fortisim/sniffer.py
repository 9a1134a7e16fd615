"""``diagnose sniffer packet <intf|any> '<filter>'|none [verbose] [count] [tsformat] [framesize]``.

A foreground command: the header (7.2+ ``Using Original Sniffing Mode``, ``interfaces=[..]``,
``filters=[..]``, 7.4+ ``pcap_snapshot: snaplen raised from 0 to 262144``), then packets as
the lab's live tunnel state produces them, one burst every ``sniffer_period_ms`` (a device
key, default ``PERIOD_MS``), until ``count`` packets were printed or the client sends
Ctrl-C; then a blank line, ``N packets received by filter``, ``0 packets dropped by
kernel``. While it runs the session reads input only to look for Ctrl-C.

Which packets, per tunnel of the device (every VDOM for ``any``, else the tunnels bound to
that interface; a tunnel interface's own name shows nothing, only cleartext would be
there):

* peer not answering (``peer_unreachable``, ``dpd_timeout``): IKE out every 2nd burst,
  nothing in;
* a settings mismatch (any negotiated fault, ``negotiation_failure``): an IKE exchange
  (out and in) every 3rd burst: the negotiation keeps being retried and refused;
* up selectors: one ESP packet each way per burst, outbound SPI on ``out``, inbound SPI
  on ``in`` (the SPIs of ``diagnose vpn tunnel list``); NAT-T tunnels carry it as UDP 4500
  (printed ``udp N`` like any UDP), and every 10th burst the end behind the NAT sends a
  keepalive (``udp 1``, seen ``in`` at the other end); SAs offloaded to the NPU
  (``npu_flag=03``) are **not seen**;
* a tunnel downed by an operator (no IKE SA, no fault), or a dial-up parent: nothing.

IKE uses UDP 500, or the tunnel's NAT-T ports (4500 / the NAT port) when NAT-T applies.
ESP prints ``ESP(spi=0x...,seq=0x...)`` on 7.x and ``ip-proto-50 LEN`` on 6.4 (the older
form, from the 5.6 documentation; the train where it changed is assumed). Verbose 2/3/5/6
add a hex dump (from the IP header, or from the Ethernet header for 3/6), then a blank
line. Timestamps: relative ``ss.micro`` by default, ``a`` / ``l`` absolute.

Filters: a BPF subset is honoured: ``host|src host|dst host ADDR`` (``src ADDR`` too),
``net CIDR``, ``[udp|tcp] [src|dst] port N``, ``udp``, ``tcp``, ``icmp``, ``esp``, ``ah``,
``ip``, ``proto N`` / ``ip proto N``, ``and``/``&&``, ``or``/``||``, ``not``/``!``,
parentheses. Anything else makes the filter match everything (it is still printed in
``filters=[...]``). ``none`` (or no filter) matches everything.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import ipaddress
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

from fortisim import ops, seed
from fortisim.commands import parse_error, value_error
from fortisim.model import PHASE2_FAULTS, Device, Selector, TunnelView
from fortisim.sa import ipsec_sa

PERIOD_MS = 1000  # one burst of packets per period (a device's sniffer_period_ms overrides it)
SNAPLEN = 262144
SILENT = frozenset({"peer_unreachable", "dpd_timeout"})

IPv4 = ipaddress.IPv4Address
Predicate = Callable[["SimPacket"], bool]


@dataclass
class SnifferSpec:
    interface: str
    filter_text: str
    predicate: Predicate
    verbose: int = 1
    count: int = 0
    tsformat: str = ""
    command: str = ""


@dataclass
class SimPacket:
    interface: str
    direction: str  # in | out
    src: str
    sport: int
    dst: str
    dport: int
    proto: int  # 17 | 50
    payload: bytes = b""  # UDP payload, or the ESP packet
    spi: Optional[str] = None
    seq: Optional[int] = None
    macs: tuple[bytes, bytes] = (b"\x00" * 6, b"\x00" * 6)


# -- BPF subset ---------------------------------------------------------------------

class _Unsupported(Exception):
    pass


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for word in text.replace("(", " ( ").replace(")", " ) ").split():
        if word.startswith("!") and len(word) > 1 and word != "!=":
            out += ["!", word[1:]]
        else:
            out.append(word)
    return out


class _Bpf:
    """Recursive descent over the supported subset; anything else raises _Unsupported."""

    PROTOS = {"udp": 17, "tcp": 6, "icmp": 1, "esp": 50, "ah": 51}

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.pos = 0

    def peek(self) -> Optional[str]:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise _Unsupported("unexpected end")
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.expr()
        if self.peek() is not None:
            raise _Unsupported(self.peek())
        return pred

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self.peek() in ("or", "||"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda p: any(f(p) for f in parts))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.peek() in ("and", "&&"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda p: all(f(p) for f in parts))

    def factor(self) -> Predicate:
        tok = self.peek()
        if tok in ("not", "!"):
            self.take()
            inner = self.factor()
            return lambda p: not inner(p)
        if tok == "(":
            self.take()
            inner = self.expr()
            if self.take() != ")":
                raise _Unsupported(")")
            return inner
        return self.primitive()

    def _addr(self, side: str) -> Predicate:
        try:
            address = str(IPv4(self.take()))
        except ValueError:
            raise _Unsupported("address") from None
        if side == "src":
            return lambda p: p.src == address
        if side == "dst":
            return lambda p: p.dst == address
        return lambda p: address in (p.src, p.dst)

    def _port(self, side: str, proto: Optional[int]) -> Predicate:
        tok = self.take()
        if not tok.isdigit():
            raise _Unsupported("port")
        port = int(tok)

        def test(p: SimPacket) -> bool:
            if p.proto != 17 and p.proto != 6:
                return False
            if proto is not None and p.proto != proto:
                return False
            ports = {"src": (p.sport,), "dst": (p.dport,)}.get(side, (p.sport, p.dport))
            return port in ports
        return test

    def primitive(self) -> Predicate:
        tok = self.take()
        proto: Optional[int] = None
        if tok == "ip" and self.peek() == "proto":
            tok = self.take()
        if tok == "proto":
            value = self.take().lstrip("\\")
            number = int(value) if value.isdigit() else self.PROTOS.get(value)
            if number is None:
                raise _Unsupported("proto")
            return lambda p: p.proto == number
        if tok in self.PROTOS:
            proto = self.PROTOS[tok]
            if self.peek() not in ("port", "src", "dst"):
                return lambda p: p.proto == proto
            tok = self.take()
        if tok == "ip":
            return lambda p: True
        side = ""
        if tok in ("src", "dst"):
            side = tok
            tok = self.peek() or ""
            if tok in ("host", "port", "net"):
                self.take()
            else:
                return self._addr(side)
        if tok == "host":
            return self._addr(side)
        if tok == "port":
            return self._port(side, proto)
        if tok == "net":
            try:
                network = ipaddress.IPv4Network(self.take(), strict=False)
            except ValueError:
                raise _Unsupported("net") from None
            if side == "src":
                return lambda p: IPv4(p.src) in network
            if side == "dst":
                return lambda p: IPv4(p.dst) in network
            return lambda p: IPv4(p.src) in network or IPv4(p.dst) in network
        raise _Unsupported(tok)


def compile_filter(text: str) -> tuple[Predicate, bool]:
    """(predicate, understood). ``none`` and anything outside the subset match everything."""
    if not text.strip() or text.strip() == "none":
        return (lambda p: True), True
    try:
        return _Bpf(text).parse(), True
    except _Unsupported:
        return (lambda p: True), False


# -- the command ----------------------------------------------------------------------------

def parse_command(device: Device, args: list[str], command: str) -> SnifferSpec:
    if not args:
        raise parse_error("packet")
    if len(args) > 6:
        raise parse_error(args[6])
    interface = args[0]
    known = {"any"} | set(device.interfaces) | {v.name for views in device.tunnels.values() for v in views}
    if interface not in known:
        raise value_error(interface)  # assumed: the exact error for an unknown interface is not attested
    filter_text = args[1] if len(args) > 1 else "none"
    numbers = []
    for index, low, high in ((2, 1, 6), (3, 0, 2 ** 31 - 1)):
        if len(args) > index:
            if not args[index].isdigit() or not low <= int(args[index]) <= high:
                raise value_error(args[index])
            numbers.append(int(args[index]))
    if len(args) > 5 and not args[5].isdigit():
        raise value_error(args[5])
    predicate, _understood = compile_filter(filter_text)
    return SnifferSpec(interface, filter_text, predicate, numbers[0] if numbers else 1,
                       numbers[1] if len(numbers) > 1 else 0, args[4] if len(args) > 4 else "", command)


def header(device: Device, spec: SnifferSpec) -> list[str]:
    lines = []
    if device.release.at_least(7, 2):
        lines.append("Using Original Sniffing Mode")
    lines += [f"interfaces=[{spec.interface}]", f"filters=[{spec.filter_text}]"]
    if device.release.at_least(7, 4):
        lines.append(f"pcap_snapshot: snaplen raised from 0 to {SNAPLEN}")
    return lines


def footer(received: int) -> list[str]:
    return ["", f"{received} packets received by filter", "0 packets dropped by kernel"]


# -- packets from the live state -------------------------------------------------------

def _views(device: Device, interface: str) -> list[TunnelView]:
    out = []
    for vdom in device.vdoms:
        for view in device.views(vdom):
            if view.kind == "dialup":
                continue
            if interface == "any" or view.interface.name == interface:
                out.append(view)
    return out


def _ike_ports(view: TunnelView) -> tuple[int, int]:
    return (view.local_port, view.remote_port) if view.nat else (500, 500)


def _macs(view: TunnelView) -> tuple[bytes, bytes]:
    own = bytes.fromhex("00090f") + seed.raw_bytes(3, "mac", view.local_gw)
    gateway = bytes.fromhex("00090f") + seed.raw_bytes(3, "mac-gw", view.local_gw)
    return own, gateway


def _ike_payload(view: TunnelView, marker: bool, length: int, parts: tuple[object, ...]) -> bytes:
    icookie = seed.raw_bytes(8, "icookie", view.link, view.ike_generation)
    rcookie = seed.raw_bytes(8, "rcookie", view.link, view.ike_generation) if view.phase1_up else b"\x00" * 8
    body = icookie + rcookie + bytes([0x21, 0x20, 0x22, 0x08]) + b"\x00\x00\x00\x00" + length.to_bytes(4, "big")
    body += seed.raw_bytes(max(0, length - len(body)), "ike-body", *parts)
    return (b"\x00\x00\x00\x00" + body) if marker else body


class Traffic:
    """Generates the packets of each burst; keeps per-SA sequence numbers across bursts."""

    def __init__(self, device: Device, spec: SnifferSpec, clock_seconds: Callable[[], float]) -> None:
        self.device = device
        self.spec = spec
        self.clock_seconds = clock_seconds
        self.seqs: dict[tuple[str, str, str], int] = {}

    def burst(self, tick: int) -> list[SimPacket]:
        now = self.clock_seconds()
        ops.settle(self.device, now)
        packets: list[SimPacket] = []
        for view in _views(self.device, self.spec.interface):
            packets += self._view(view, tick, int(now))
        return packets

    def _ike(self, view: TunnelView, direction: str, length: int, tick: int) -> SimPacket:
        lport, rport = _ike_ports(view)
        marker = 4500 in (lport, rport)
        payload = _ike_payload(view, marker, length, (view.link, tick, direction))
        own, gateway = _macs(view)
        if direction == "out":
            return SimPacket(view.interface.name, "out", view.local_gw, lport, view.remote_gw, rport, 17, payload,
                             macs=(gateway, own))
        return SimPacket(view.interface.name, "in", view.remote_gw, rport, view.local_gw, lport, 17, payload,
                         macs=(own, gateway))

    def _esp(self, view: TunnelView, sel: Selector, direction: str, elapsed: int) -> SimPacket:
        sa = ipsec_sa(view, sel, elapsed)
        assert sa is not None
        keys = sa.outbound if direction == "out" else sa.inbound
        key = (view.link, sel.name, direction)
        base = (sa.enc_packets if direction == "out" else sa.dec_packets) + 1
        seq = self.seqs.get(key, base)
        self.seqs[key] = seq + 1
        size = seed.int_between(88, 152, "esp-size", view.link, sel.name, direction, seq) // 4 * 4
        esp = bytes.fromhex(keys.spi) + seq.to_bytes(4, "big") + seed.raw_bytes(size - 8, "esp", key, seq)
        own, gateway = _macs(view)
        src, dst = (view.local_gw, view.remote_gw) if direction == "out" else (view.remote_gw, view.local_gw)
        macs = (gateway, own) if direction == "out" else (own, gateway)
        if view.nat:
            sport, dport = (view.local_port, view.remote_port) if direction == "out" else (view.remote_port, view.local_port)
            return SimPacket(view.interface.name, direction, src, sport, dst, dport, 17, esp, keys.spi, seq, macs)
        return SimPacket(view.interface.name, direction, src, 0, dst, 0, 50, esp, keys.spi, seq, macs)

    def _view(self, view: TunnelView, tick: int, elapsed: int) -> list[SimPacket]:
        ike2 = view.phase1.ike_version == 2
        out: list[SimPacket] = []
        if not view.phase1_up:
            if view.fault in SILENT or view.connecting:
                if tick % 2 == 0:
                    out.append(self._ike(view, "out", 476 if ike2 else 340, tick))
            elif view.fault is not None or view.phase1_pending_at is not None:
                if tick % 3 == 0:
                    first, second = ("out", "in") if view.initiator else ("in", "out")
                    out += [self._ike(view, first, 476 if ike2 else 340, tick),
                            self._ike(view, second, 36 if view.fault else 440, tick)]
            return out
        if view.fault in PHASE2_FAULTS and tick % 3 == 0:
            first, second = ("out", "in") if view.initiator else ("in", "out")
            out += [self._ike(view, first, 236, tick), self._ike(view, second, 76, tick)]
        for sel in view.selectors:
            if sel.up and sel.npu_flag != "03":  # NPU-offloaded ESP never reaches the sniffer
                out.append(self._esp(view, sel, "out", elapsed))
                if not view.esp_blocked:  # ESP lost on the path: sent, never received
                    out.append(self._esp(view, sel, "in", elapsed))
        if view.nat and tick % 10 == 3:
            # The end behind the NAT keeps the mapping open; the other end sees them arrive.
            own, gateway = _macs(view)
            if view.nat_keepalive:
                out.append(SimPacket(view.interface.name, "out", view.local_gw, view.local_port, view.remote_gw,
                                     view.remote_port, 17, b"\xff", macs=(gateway, own)))
            else:
                out.append(SimPacket(view.interface.name, "in", view.remote_gw, view.remote_port, view.local_gw,
                                     view.local_port, 17, b"\xff", macs=(own, gateway)))
        return out


# -- printing ------------------------------------------------------------------------------

def _checksum(header: bytes) -> int:
    total = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, len(header), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(pkt: SimPacket, ethernet: bool) -> bytes:
    """The bytes a hex dump shows: IP header onwards, or from the Ethernet header."""
    body = pkt.payload
    if pkt.proto == 17:
        body = pkt.sport.to_bytes(2, "big") + pkt.dport.to_bytes(2, "big") + (len(body) + 8).to_bytes(2, "big") \
            + b"\x00\x00" + body
    ident = seed.int_between(0, 0xFFFF, "ip-id", pkt.src, pkt.dst, pkt.seq, len(body))
    ttl = 64 if pkt.direction == "out" else 57
    header = bytes([0x45, 0]) + (20 + len(body)).to_bytes(2, "big") + ident.to_bytes(2, "big") + b"\x00\x00" \
        + bytes([ttl, pkt.proto]) + b"\x00\x00" + IPv4(pkt.src).packed + IPv4(pkt.dst).packed
    header = header[:10] + _checksum(header).to_bytes(2, "big") + header[12:]
    data = header + body
    if ethernet:
        data = pkt.macs[0] + pkt.macs[1] + b"\x08\x00" + data
    return data


def hex_dump(data: bytes) -> list[str]:
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        groups = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"0x{offset:04x}\t {groups:<39}\t{text}")
    return lines


def format_packet(device: Device, pkt: SimPacket, spec: SnifferSpec, stamp: str) -> list[str]:
    if pkt.proto == 17:
        addrs = f"{pkt.src}.{pkt.sport} -> {pkt.dst}.{pkt.dport}: udp {len(pkt.payload)}"
    elif device.release.at_least(7, 0):
        addrs = f"{pkt.src} -> {pkt.dst}: ESP(spi=0x{pkt.spi},seq=0x{pkt.seq or 0:x})"
    else:
        addrs = f"{pkt.src} -> {pkt.dst}: ip-proto-50 {len(pkt.payload)}"
    where = f"{pkt.interface} {pkt.direction} " if spec.verbose >= 4 else ""
    lines = [f"{stamp} {where}{addrs}"]
    if spec.verbose in (2, 3, 5, 6):
        lines += hex_dump(frame(pkt, spec.verbose in (3, 6)))
        lines.append("")
    return lines


def timestamp(spec: SnifferSpec, started_at: _dt.datetime, elapsed: float) -> str:
    if spec.tsformat in ("a", "l"):
        return f"{started_at + _dt.timedelta(seconds=elapsed):%Y-%m-%d %H:%M:%S.%f}"
    return f"{elapsed:.6f}"


# -- running ---------------------------------------------------------------------------------

@dataclass
class SnifferIO:
    """What the sniffer needs from the session."""

    write: Callable[[str], None]
    read_char: Callable[[], Awaitable[str]]
    now: Callable[[], _dt.datetime]
    clock_seconds: Callable[[], float]


async def run(device: Device, spec: SnifferSpec, io: SnifferIO) -> tuple[int, str]:
    """Print packets until ``count`` or Ctrl-C (or end of input); return (packets printed,
    why it stopped: ``count`` | ``ctrl-c`` | ``eof``)."""
    period = max(0.01, getattr(device, "sniffer_period_ms", PERIOD_MS) / 1000)
    traffic = Traffic(device, spec, io.clock_seconds)
    started = time.monotonic()
    started_at = io.now()
    printed = 0
    reason = "count"

    async def produce() -> None:
        nonlocal printed
        tick = 0
        await asyncio.sleep(period / 4)
        while True:
            chunk: list[str] = []
            moment = time.monotonic() - started
            for pkt in traffic.burst(tick):
                if not spec.predicate(pkt):
                    continue
                # Packets of one burst a few dozen microseconds to a few ms apart, in order.
                moment += seed.int_between(20, 3000, "gap", pkt.src, pkt.seq, tick) / 1_000_000
                chunk += format_packet(device, pkt, spec, timestamp(spec, started_at, moment))
                printed += 1
                if spec.count and printed >= spec.count:
                    break
            if chunk:
                io.write("".join(f"{line}\r\n" for line in chunk))
            if spec.count and printed >= spec.count:
                return
            tick += 1
            await asyncio.sleep(period)

    async def interrupt() -> None:
        nonlocal reason
        while True:
            try:
                char = await io.read_char()
            except EOFError:
                reason = "eof"
                return
            if char == "\x03":
                reason = "ctrl-c"
                return

    tasks = [asyncio.ensure_future(produce()), asyncio.ensure_future(interrupt())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    io.write("".join(f"{line}\r\n" for line in footer(printed)))
    return printed, reason
