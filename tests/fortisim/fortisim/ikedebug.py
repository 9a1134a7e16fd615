"""The IKE real-time debug of a simulated FortiGate (``diagnose debug application ike MASK``).

What prints, and when (one ``IkeFeed`` per device, created when a session first uses debug):

* every ``RETRY_SECONDS`` while someone listens, each tunnel end that is down on a fault
  retries and prints that attempt from its side (initiator or responder): the retransmissions
  and timeout of a silent peer, the refusal of a mismatched proposal, PSK, peer ID or selector,
  DPD failures for a ``dpd_timeout`` peer;
* ``diagnose vpn tunnel up|flush`` and ``diagnose vpn ike gateway clear|flush`` (``ops.py``)
  make the tunnels they act on print a negotiation on both lab ends: success lines ending
  in ``established IKE SA`` / ``added IPsec SA`` (at ``negotiation_ms``), or, for ``up`` on a
  tunnel blocked by a fault, that fault's lines. NAT-T tunnels print NAT detection.

A session *listens* while its console output is on (``diagnose debug enable``) and the
device has ``ike`` armed with a non-zero mask. It receives the lines generated from then on,
from every VDOM, narrowed by the IKE log filter, formatted for the device's version
(``ike 0:GW:12: ...``; 7.4+ ``ike V=root:0:GW:12: ...``) with console timestamps when on.
The lines are written between commands: right before the next prompt, or by a background
writer while the session waits at the prompt.

Each line belongs to one or more mask categories and prints when the mask shares a bit with
them: 1 errors (failures), 2 configuration (``config found``), 4 connection attempts
(``IPsec SA connect``), 8 negotiation (the exchanges), 16 NAT-T, 32 DPD, 64 keys (the key
lines, printed only with this bit), 128 payload (hex dumps of the packets).

The texts are the ones real FortiOS prints as far as public captures show (see the README);
the collection's parser (``parsers/ike_debug.py``) classifies every fault the simulator knows.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import heapq
import ipaddress
import weakref
from collections import deque
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Deque, Iterator, Optional

from fortisim import ops, sa, seed
from fortisim.commands import parse_error, value_error
from fortisim.debug import DeviceDebug, SessionDebug
from fortisim.model import PHASE2_FAULTS, Device, Selector, TunnelView

if TYPE_CHECKING:  # pragma: no cover
    from fortisim.shell import Shell

RETRY_SECONDS = 3.0  # a faulty tunnel retries its negotiation this often while debug listens
TICK_SECONDS = 0.25  # how often a listening session's background writer wakes up
MAX_CATCH_UP = 2  # retry rounds printed at most after a pause (no flood)
LOG_LIMIT = 5000  # released lines kept for sessions that lag behind
PENDING_LIMIT = 20000  # lines waiting for their time (negotiation_ms)

ERRORS, CONFIG, CONNECT, NEGOTIATION, NAT_T, DPD, KEYS, PAYLOAD = 1, 2, 4, 8, 16, 32, 64, 128
DEBUG_APPS = ("ike", "fnbamd", "sslvpn", "authd", "samld", "eap_proxy", "ipsmonitor")
ZERO_COOKIE = "0000000000000000"


# -- lines -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Meta:
    """The tunnel a line belongs to: what the prefix and the IKE log filter look at."""

    vdom: str
    index: int
    name: str
    parent: Optional[str]
    local: str
    remote: str
    local_port: int
    remote_port: int
    interface: str


@dataclass(frozen=True)
class Line:
    """``context`` after the index (``GW:12``, ``""`` for ``ike 0: ...``); ``raw`` lines have no
    index (``ike Negotiate SA Error: ...``) and ``{P}`` in the text stands for the prefix."""

    bits: int
    context: str
    text: str
    raw: bool = False


def meta_of(device: Device, view: TunnelView) -> Meta:
    return Meta(view.vdom, device.vdom_index(view.vdom), view.name, view.parent, view.local_gw, view.remote_gw,
                view.local_port, view.remote_port, view.interface.name)


def _prefix(new_style: bool, meta: Meta, context: str) -> str:
    head = f"ike V={meta.vdom}:{meta.index}" if new_style else f"ike {meta.index}"
    return f"{head}:{context}" if context else head


def render(new_style: bool, meta: Meta, line: Line) -> str:
    """One line as the device prints it (without the console timestamp)."""
    if line.raw:
        outer = f"ike V={meta.vdom}:" if new_style else "ike "
        return outer + line.text.replace("{P}", _prefix(new_style, meta, line.context))
    return f"{_prefix(new_style, meta, line.context)}: {line.text}"


# -- what one negotiation attempt prints ------------------------------------------------------
def _selector_range(net: ipaddress.IPv4Network) -> str:
    return f"{net.network_address}-{net.broadcast_address}"


class _Attempt:
    """Builds the lines of one attempt of one tunnel end, in order."""

    def __init__(self, device: Device, view: TunnelView, serial: int, elapsed: int) -> None:
        self.device = device
        self.view = view
        self.serial = serial
        self.elapsed = elapsed
        self.lines: list[tuple[bool, Line]] = []  # (printed once the negotiation completes, line)
        self.g = view.name
        self.local, self.remote = view.local_gw, view.remote_gw
        self.nat = view.nat
        self.lport, self.rport = (view.local_port, view.remote_port) if view.nat else (500, 500)
        ike = sa.ike_sa(view, elapsed)
        self.ck_i, self.ck_r = ike.icookie, ike.rcookie  # the same pair on both ends
        self.keys = ike.keys
        self.ifindex = view.interface.ifindex
        self.v2 = view.phase1.ike_version == 2
        self.late = False  # lines added from now on print when the negotiation completes

    @property
    def ctx(self) -> str:
        return f"{self.g}:{self.serial}"

    def add(self, bits: int, context: str, text: str, raw: bool = False) -> None:
        self.lines.append((self.late, Line(bits, context, text, raw)))

    def hexdump(self, context: str, word: str, nbytes: int, *parts: object) -> None:
        self.add(PAYLOAD, context, f"{word} {seed.hex_bytes(nbytes, 'ikedump', self.g, self.serial, *parts).upper()}")

    def sent(self, kind: str, ids: str, size: int, nat_ports: bool = False) -> None:
        lp, rp = (self.lport, self.rport) if nat_ports else (500, 500)
        self.hexdump(self.ctx, "out", min(size, 96), kind)
        self.add(NEGOTIATION, self.ctx, f"sent IKE msg ({kind}): {self.local}:{lp}->{self.remote}:{rp}, len={size}, vrf=0, id={ids}")

    def comes(self, exchange: str, ids: str, size: int, nat_ports: bool = False) -> None:
        lp, rp = (self.lport, self.rport) if nat_ports else (500, 500)
        self.add(NEGOTIATION, "", f"comes {self.remote}:{rp}->{self.local}:{lp},ifindex={self.ifindex},vrf=0,len={size}....")
        self.add(NEGOTIATION, "", f"IKEv{2 if self.v2 else 1} exchange={exchange} id={ids} len={size}")
        self.hexdump("", "in", min(size, 96), exchange)

    def nat_lines(self) -> None:
        if self.v2:
            self.add(NAT_T, self.ctx, "received notify type NAT_DETECTION_SOURCE_IP")
            self.add(NAT_T, self.ctx, "received notify type NAT_DETECTION_DESTINATION_IP")
        else:
            self.add(NAT_T, self.ctx, "received NAT-D payload type 20")
            self.add(NAT_T, self.ctx, "received NAT-D payload type 20")
        if self.nat:
            self.add(NAT_T, self.ctx, f"NAT detected: {'ME' if self.view.nat_keepalive else 'PEER'}")
        elif self.view.natt_blocked:  # detected, but NAT-T is off: IKE stays on 500, ESP is lost
            self.add(NAT_T, self.ctx, f"NAT detected: {self.view.natt_blocked}")
        else:
            self.add(NAT_T, self.ctx, "NAT not detected")

    def ike_keys(self) -> None:
        cookies = f"{self.ck_i}/{self.ck_r}"
        for name, value in self.keys.items():
            if value:
                label = f"ISAKMP SA {cookies} key" if name == "key" else f"IKE SA {cookies} {name}"
                self.add(KEYS, self.ctx, f"{label} {len(value) // 2}:{value.upper()}")

    def retransmits(self, kind: str, ids: str, size: int) -> None:
        for _unused in range(3):
            self.add(NEGOTIATION, self.ctx,
                     f"sent IKE msg ({kind}): {self.local}:500->{self.remote}:500, len={size}, vrf=0, id={ids}")
        self.add(ERRORS, self.ctx, "negotiation timeout, deleting")
        self.add(CONNECT, self.g, "connection expiring due to phase1 down")

    def connect(self, sel: Selector, existing: bool) -> None:
        self.add(CONNECT, f"{self.g}:{sel.name}", f"IPsec SA connect {self.ifindex} {self.local}->{self.remote}:0")
        if existing:
            self.add(CONFIG, f"{self.g}:{sel.name}", "using existing connection")
        self.add(CONFIG, f"{self.g}:{sel.name}", "config found")


def _child_serial(view: TunnelView, sel: Selector, serial: int) -> int:
    return seed.int_between(1000, 99999, "child", view.link, sel.name, serial)


def _child_lines(at: _Attempt, sel: Selector, fault: Optional[str]) -> None:
    """A child SA (IKEv2 AUTH/CREATE_CHILD, IKEv1 quick mode) of an established IKE SA."""
    view = at.view
    ctx = f"{at.ctx}:{sel.name}:{_child_serial(view, sel, at.serial)}"
    src, dst = _selector_range(sel.src), _selector_range(sel.dst)
    if at.v2:
        ts_i, ts_r = (src, dst) if view.initiator else (dst, src)
        at.add(NEGOTIATION, ctx, "peer proposal:" if not view.initiator else "responder selectors:")
        at.add(NEGOTIATION, ctx, f"TSi_0 0:{ts_i}:0")
        at.add(NEGOTIATION, ctx, f"TSr_0 0:{ts_r}:0")
        if fault == "selector_mismatch":
            at.add(ERRORS, ctx, "received notify type TS_UNACCEPTABLE" if view.initiator else "failed to match peer selectors")
            return
        if fault == "phase2_proposal_mismatch":
            if view.initiator:
                at.add(ERRORS, ctx, "received notify type NO_PROPOSAL_CHOSEN")
            else:
                at.add(NEGOTIATION, ctx, "incoming child SA proposal:")
                at.add(ERRORS, ctx, "no SA proposal chosen")
            return
    else:
        if view.initiator:
            at.add(NEGOTIATION, ctx, f"initiator selectors 0 0:{src}:0->0:{dst}:0")
        else:
            at.add(NEGOTIATION, ctx, "responder received first quick-mode message")
        if fault == "selector_mismatch":
            if view.initiator:
                at.add(ERRORS, ctx, "notify msg received: INVALID-ID-INFORMATION")
            else:
                at.add(ERRORS, at.ctx, "specified selectors mismatch")
                at.add(ERRORS, at.ctx, f"peer: type=7/7, local=0:{dst}:0, remote=0:{src}:0")
                at.add(ERRORS, at.ctx, "no matching phase2 found")
                at.add(ERRORS, at.ctx, "failed to get responder proposal")
                at.add(ERRORS, at.ctx, f"error processing quick-mode message from {at.remote} as responder")
            return
        if fault == "phase2_proposal_mismatch":
            if view.initiator:
                at.add(ERRORS, ctx, "notify msg received: NO-PROPOSAL-CHOSEN")
            else:
                at.add(NEGOTIATION, ctx, "incoming proposal:")
                at.add(ERRORS, ctx, "negotiation failure")
                at.add(ERRORS, f"{at.ctx}:{_child_serial(view, sel, at.serial)}",
                       "Negotiate IPsec SA Error: {P}: no SA proposal chosen", raw=True)
            return
    at.late = True
    shown = replace(sel, up=True, pending_at=None)
    ipsec = sa.ipsec_sa(view, shown, at.elapsed)
    at.add(NEGOTIATION, ctx, "replay protection enabled")
    at.add(NEGOTIATION, ctx, f"set sa life soft seconds={sel.settings.keylifeseconds - 290}.")
    at.add(NEGOTIATION, ctx, f"set sa life hard seconds={sel.settings.keylifeseconds}.")
    at.add(NEGOTIATION, ctx, "IPsec SA selectors #src=1 #dst=1")
    at.add(NEGOTIATION, ctx, f"src 0 7 0:{src}:0")
    at.add(NEGOTIATION, ctx, f"dst 0 7 0:{dst}:0")
    if ipsec is not None:
        spis = f"{ipsec.inbound.spi}/{ipsec.outbound.spi}"
        at.add(NEGOTIATION, ctx, f"add IPsec SA: SPIs={spis}")
        for word, keys in (("dec", ipsec.inbound), ("enc", ipsec.outbound)):
            text = f"IPsec SA {word} spi {keys.spi} key {keys.enc_len}:{keys.enc_key.upper()}"
            if keys.auth_len:
                text += f" auth {keys.auth_len}:{keys.auth_key.upper()}"
            at.add(KEYS, ctx, text)
        at.add(NEGOTIATION, ctx, f"added IPsec SA: SPIs={spis}")
    at.add(CONNECT, ctx, "sending SNMP tunnel UP trap")
    at.late = False


def _phase1_v2(at: _Attempt, fault: Optional[str]) -> bool:
    """IKEv2 SA_INIT + AUTH; True when the IKE SA came up."""
    view, zero = at.view, f"{at.ck_i}/{ZERO_COOKIE}"
    both = f"{at.ck_i}/{at.ck_r}"
    silent = fault in ("peer_unreachable", "ike_version_mismatch", "ike_mode_mismatch")
    if view.initiator:
        at.sent("SA_INIT", zero, 612)
        if silent:
            at.retransmits("RETRANSMIT_SA_INIT", zero, 612)
            return False
        at.comes("SA_INIT_RESPONSE", both if fault != "phase1_proposal_mismatch" else zero, 442)
        at.add(NEGOTIATION, at.ctx, "initiator received SA_INIT response")
        if fault == "phase1_proposal_mismatch":
            at.add(ERRORS, at.ctx, "processing notify type NO_PROPOSAL_CHOSEN")
            at.add(NEGOTIATION, at.ctx, f"schedule delete of IKE SA {zero}")
            return False
        if fault == "negotiation_failure":
            at.add(NEGOTIATION, at.ctx, "processing notify type INVALID_SYNTAX")
            at.add(ERRORS, at.ctx, "SA_INIT response with error, negotiation failure")
            return False
        at.nat_lines()
        at.add(NEGOTIATION, at.ctx, "matched proposal id 1")
        at.ike_keys()
        at.add(NEGOTIATION, at.ctx, "initiator preparing AUTH msg")
        at.sent("AUTH", f"{both}:00000001", 320, nat_ports=True)
        at.comes("AUTH_RESPONSE", f"{both}:00000001", 272, nat_ports=True)
        at.add(NEGOTIATION, at.ctx, "initiator received AUTH msg")
        if fault == "psk_mismatch":
            at.add(ERRORS, at.ctx, "received notify type AUTHENTICATION_FAILED")
            at.add(NEGOTIATION, at.ctx, f"schedule delete of IKE SA {both}")
            return False
        at.add(NEGOTIATION, at.ctx, f"received peer identifier IPV4_ADDR '{at.remote}'")
        if fault == "peer_id_mismatch":
            at.add(NEGOTIATION, at.ctx, "re-validate gw ID")
            at.add(ERRORS, at.ctx, "gw validation failed")
            at.add(NEGOTIATION, at.ctx, f"schedule delete of IKE SA {both}")
            return False
    else:
        if fault == "peer_unreachable":
            return False  # nothing ever arrives
        at.comes("SA_INIT", zero, 612)
        anonymous = f"{zero}:{at.serial}"
        if fault in ("ike_version_mismatch", "ike_mode_mismatch"):
            at.add(ERRORS, "", f"ignoring request from {at.remote}:500, no matching gateway found")
            return False
        at.add(NEGOTIATION, anonymous, "responder received SA_INIT msg")
        at.add(NEGOTIATION, anonymous, "incoming proposal:")
        if fault == "phase1_proposal_mismatch":
            at.add(ERRORS, anonymous, "no SA proposal chosen")
            at.add(ERRORS, anonymous, "negotiation failure")
            return False
        if fault == "negotiation_failure":
            at.add(ERRORS, anonymous, "negotiation failure")
            return False
        at.add(NEGOTIATION, anonymous, f"SA proposal chosen, matched gateway {at.g}")
        at.nat_lines()
        at.ike_keys()
        at.sent("SA_INIT_RESPONSE", both, 442)
        at.comes("AUTH", f"{both}:00000001", 320, nat_ports=True)
        at.add(NEGOTIATION, at.ctx, "responder received AUTH msg")
        at.add(NEGOTIATION, at.ctx, f"received peer identifier IPV4_ADDR '{at.remote}'")
        if fault == "peer_id_mismatch":
            at.add(NEGOTIATION, at.ctx, "re-validate gw ID")
            at.add(ERRORS, at.ctx, "gw validation failed")
            return False
        at.add(NEGOTIATION, at.ctx, "auth verify done")
        if fault == "psk_mismatch":
            at.add(ERRORS, at.ctx, "PSK auth failed: probable pre-shared key mismatch")
            return False
    at.late = True
    at.add(NEGOTIATION, at.ctx, "auth verify done" if view.initiator else "authentication succeeded")
    at.add(NEGOTIATION, at.ctx, f"established IKE SA {both}")
    at.late = False
    return True


def _phase1_v1(at: _Attempt, fault: Optional[str]) -> bool:
    """IKEv1 main (or aggressive) mode; True when the ISAKMP SA came up."""
    view, zero = at.view, f"{at.ck_i}/{ZERO_COOKIE}"
    both = f"{at.ck_i}/{at.ck_r}"
    aggressive = view.phase1.mode == "aggressive"
    mode, first = ("aggressive", "aggr_i1send") if aggressive else ("main", "ident_i1send")
    exchange = "Aggressive" if aggressive else "Identity Protection"
    silent = fault in ("peer_unreachable", "ike_version_mismatch", "ike_mode_mismatch")
    if view.initiator:
        at.add(NEGOTIATION, at.ctx, f"initiator: {mode} mode is sending 1st message...")
        at.add(NEGOTIATION, at.ctx, f"cookie {zero}")
        at.sent(first, zero, 408)
        if silent:
            at.retransmits("P1_RETRANSMIT", zero, 408)
            return False
        if fault == "phase1_proposal_mismatch":
            at.comes("Informational", both, 84)
            at.add(ERRORS, at.ctx, "notify msg received: NO-PROPOSAL-CHOSEN")
            at.add(ERRORS, at.ctx, "negotiation failure")
            at.add(ERRORS, at.ctx, "Negotiate ISAKMP SA Error: {P}: no SA proposal chosen", raw=True)
            return False
        if fault == "negotiation_failure":
            at.comes("Informational", both, 84)
            at.add(NEGOTIATION, at.ctx, "notify msg received: PAYLOAD-MALFORMED")
            at.add(ERRORS, at.ctx, "negotiation failure")
            return False
        at.comes(exchange, both, 160)
        at.add(NEGOTIATION, at.ctx, f"initiator: {mode} mode get 1st response...")
        at.add(NEGOTIATION, at.ctx, "VID RFC 3947 4A131C81070358455C5728F20E95452F")
        at.add(NEGOTIATION, at.ctx, "VID DPD AFCAD71368A1F1C96B8696FC77570100")
        at.add(NEGOTIATION, at.ctx, "DPD negotiated")
        at.add(NEGOTIATION, at.ctx, "selected NAT-T version: RFC 3947")
        at.add(NEGOTIATION, at.ctx, "negotiation result")
        at.add(NEGOTIATION, at.ctx, "ISAKMP SA lifetime=%d" % view.phase1.keylife)
        if not aggressive:
            at.sent("ident_i2send", both, 380)
            at.comes(exchange, both, 380)
            at.add(NEGOTIATION, at.ctx, "initiator: main mode get 2nd response...")
        at.nat_lines()
        at.ike_keys()
        if fault == "psk_mismatch" and aggressive:
            at.add(ERRORS, at.ctx, "probable pre-shared secret mismatch")
            return False
        at.sent("ident_i3send" if not aggressive else "aggr_i2send", both, 108, nat_ports=True)
        if fault == "psk_mismatch":
            # The responder cannot decrypt the 5th message and never answers it.
            for _unused in range(3):
                at.add(NEGOTIATION, at.ctx, f"sent IKE msg (P1_RETRANSMIT): {at.local}:{at.lport}->{at.remote}:{at.rport}, "
                                            f"len=108, vrf=0, id={both}")
            at.add(ERRORS, at.ctx, "negotiation timeout, deleting")
            at.add(CONNECT, at.g, "connection expiring due to phase1 down")
            return False
        if not aggressive:
            at.comes(exchange, both, 108, nat_ports=True)
            at.add(NEGOTIATION, at.ctx, "initiator: main mode get 3rd response...")
        at.add(NEGOTIATION, at.ctx, f"peer identifier IPV4_ADDR {at.remote}")
        if fault == "peer_id_mismatch":
            at.add(NEGOTIATION, at.ctx, "re-validate gw ID")
            at.add(ERRORS, at.ctx, "gw validation failed")
            return False
    else:
        if fault == "peer_unreachable":
            return False
        at.comes(exchange, zero, 408)
        anonymous = f"{zero}:{at.serial}"
        if fault in ("ike_version_mismatch", "ike_mode_mismatch"):
            at.add(ERRORS, "", f"ignoring request from {at.remote}:500, no matching gateway found")
            return False
        at.add(NEGOTIATION, anonymous, f"responder: {mode} mode get 1st message...")
        at.add(NEGOTIATION, anonymous, "VID RFC 3947 4A131C81070358455C5728F20E95452F")
        at.add(NEGOTIATION, anonymous, "incoming proposal:")
        if fault in ("phase1_proposal_mismatch", "negotiation_failure"):
            at.add(ERRORS, anonymous, "negotiation failure")
            if fault == "phase1_proposal_mismatch":
                at.add(ERRORS, anonymous, "Negotiate ISAKMP SA Error: {P}: no SA proposal chosen", raw=True)
            return False
        at.add(NEGOTIATION, anonymous, f"SA proposal chosen, matched gateway {at.g}")
        if aggressive and fault == "peer_id_mismatch":
            at.add(NEGOTIATION, at.ctx, f"peer identifier IPV4_ADDR {at.remote}")
            at.add(ERRORS, at.ctx, "ignoring IKE request, incorrect ID.")
            return False
        at.nat_lines()
        at.ike_keys()
        at.sent("ident_r1send" if not aggressive else "aggr_r1send", both, 160)
        if not aggressive:
            at.comes(exchange, both, 108, nat_ports=True)
            at.add(NEGOTIATION, at.ctx, "responder: main mode get 3rd message...")
        if fault == "psk_mismatch":
            at.hexdump(at.ctx, "dec", 48, "psk")
            at.add(ERRORS, at.ctx, "parse error")
            at.add(ERRORS, at.ctx, "probable pre-shared secret mismatch")
            return False
        at.add(NEGOTIATION, at.ctx, f"peer identifier IPV4_ADDR {at.remote}")
        if fault == "peer_id_mismatch":
            at.add(NEGOTIATION, at.ctx, "re-validate gw ID")
            at.add(ERRORS, at.ctx, "gw validation failed")
            return False
    at.late = True
    at.add(NEGOTIATION, at.ctx, "PSK authentication succeeded")
    at.add(NEGOTIATION, at.ctx, "authentication OK")
    at.add(NEGOTIATION, at.ctx, f"established IKE SA {both}")
    at.late = False
    return True


def _child_exchange(at: _Attempt) -> None:
    """The request of a new child SA on an IKE SA that is already up (flush, phase 2 retry)."""
    view = at.view
    both = f"{at.ck_i}/{at.ck_r}"
    msgid = f"{seed.int_between(2, 0x7FFFFFFF, 'msgid', view.link, at.serial):08x}"
    if at.v2:
        if view.initiator:
            at.sent("CREATE_CHILD", f"{both}:{msgid}", 320, nat_ports=True)
            at.comes("CREATE_CHILD_RESPONSE", f"{both}:{msgid}", 300, nat_ports=True)
        else:
            at.comes("CREATE_CHILD", f"{both}:{msgid}", 320, nat_ports=True)
            at.add(NEGOTIATION, at.ctx, "responder received CREATE_CHILD exchange")
    else:
        if view.initiator:
            at.sent("quick_i1send", f"{both}:{msgid}", 620, nat_ports=True)
        at.comes("Quick", f"{both}:{msgid}", 444, nat_ports=True)


def attempt(device: Device, view: TunnelView, kind: str, serial: int, elapsed: int) -> list[tuple[bool, Line]]:
    """The lines one end prints for one attempt: ``full`` (phase 1 then its children),
    ``child`` (new child SAs on the IKE SA that is up) or ``retry`` (the fault's attempt)."""
    at = _Attempt(device, view, serial, elapsed)
    fault = view.fault
    if kind == "retry" and fault == "dpd_timeout":
        _dpd_failure(at)
        return at.lines
    # Child SAs that can come up, and those that a phase-2 fault blocks.
    blocked = [s for s in view.selectors if not s.negotiable] if fault in PHASE2_FAULTS else []
    good = [s for s in view.selectors if s.negotiable]
    if kind == "retry":
        targets = blocked if fault in PHASE2_FAULTS else view.selectors[:1]
    else:
        # The selectors the operation renegotiates are pending until negotiation_ms has passed.
        targets = [s for s in good if s.pending_at is not None] + (blocked if kind == "full" else [])
    phase1 = kind == "full" or (kind == "retry" and fault not in PHASE2_FAULTS)
    if not targets and not phase1:
        return []
    if view.initiator and targets:
        at.connect(targets[0], existing=not phase1)
    if phase1:
        up = (_phase1_v2 if at.v2 else _phase1_v1)(at, None if fault in PHASE2_FAULTS else fault)
        if not up:
            return at.lines
        if not at.v2 and targets:
            _child_exchange(at)  # IKEv1: quick mode after main mode; IKEv2 children ride in AUTH
    else:
        _child_exchange(at)
    for sel in targets:
        _child_lines(at, sel, fault if sel in blocked else None)
    return at.lines


def _dpd_failure(at: _Attempt) -> None:
    """A peer that stopped answering DPD probes: R-U-THERE retries, then the SA goes."""
    both = f"{at.ck_i}/{at.ck_r}"
    for retry in range(3):
        seqno = seed.int_between(16, 4000, "dpd", at.view.link, at.serial) + retry
        at.add(DPD, at.g, f"link is idle {at.ifindex} {at.local}->{at.remote}:{at.rport} dpd=1 seqno={seqno:x} rr={retry}")
        at.add(DPD, at.ctx, f"sent IKE msg (R-U-THERE): {at.local}:{at.lport}->{at.remote}:{at.rport}, len=92, vrf=0, "
                            f"id={both}:{seed.hex_bytes(4, 'dpd-msg', at.view.link, retry)}")
    at.add(ERRORS | DPD, at.ctx, "DPD failure, no R-U-THERE-ACK after 3 retries")
    at.add(NEGOTIATION, at.ctx, f"delete IKE SA {both}")
    at.add(CONNECT, at.g, "connection expiring due to phase1 down")


# -- the device's feed ------------------------------------------------------------------------
class IkeFeed:
    """Lines of one device: scheduled (``_pending``, by time) then released (``log``)."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.log: Deque[tuple[int, float, int, Meta, Line]] = deque(maxlen=LOG_LIMIT)  # (seq, time, n, meta, line)
        self.next_seq = 0
        self._pending: list[tuple[float, int, Meta, Line]] = []
        self._order = 0
        self._serial = seed.int_between(100, 900, "ike-serial", device.hostname)
        self._last_slot: Optional[int] = None
        self._last_advance = 0.0
        for views in device.tunnels.values():
            for view in views:
                _VIEWS[id(view)] = (weakref.ref(view), self)

    def schedule(self, view: TunnelView, kind: str, start: float, ready: float, elapsed: int) -> None:
        if len(self._pending) >= PENDING_LIMIT:
            return
        self._serial += 1
        meta = meta_of(self.device, view)
        for late, line in attempt(self.device, view, kind, self._serial, elapsed):
            self._order += 1
            heapq.heappush(self._pending, (ready if late else start, self._order, meta, line))

    def advance(self, now: float) -> None:
        """Retries of faulty tunnels up to ``now``, then release what is due."""
        slot = int(now // RETRY_SECONDS)
        if self._last_slot is None or now - self._last_advance > 2 * RETRY_SECONDS:
            self._last_slot = slot - 1
        first = max(self._last_slot + 1, slot - MAX_CATCH_UP + 1)
        for current in range(first, slot + 1):
            for view in self._faulty():
                self.schedule(view, "retry", current * RETRY_SECONDS, current * RETRY_SECONDS, int(now))
        self._last_slot = slot
        self._last_advance = now
        while self._pending and self._pending[0][0] <= now:
            when, order, meta, line = heapq.heappop(self._pending)
            self.log.append((self.next_seq, when, order, meta, line))
            self.next_seq += 1

    def _faulty(self) -> Iterator[TunnelView]:
        """Tunnel ends down on a fault; for a dial-up hub, the spokes it keeps refusing."""
        for views in self.device.tunnels.values():
            for view in views:
                if view.kind == "dialup":
                    yield from view.failed_spokes
                elif view.fault is not None:
                    yield view

    def since(self, cursor: int) -> list[tuple[int, float, int, Meta, Line]]:
        if not self.log or cursor >= self.next_seq:
            return []
        first = self.log[0][0]
        return list(self.log)[max(0, cursor - first):]


_VIEWS: dict[int, tuple[Any, IkeFeed]] = {}


def feed_for(device: Device) -> IkeFeed:
    debug = device.debug
    if debug.ike_feed is None:
        debug.ike_feed = IkeFeed(device)
    return debug.ike_feed


def _announce(view: TunnelView, kind: str, now: float, ready: float) -> None:
    """ops.py hook: a negotiation started (or was refused) on ``view``."""
    entry = _VIEWS.get(id(view))
    if entry is None or entry[0]() is not view:
        return  # nobody ever listened on that device
    feed = entry[1]
    if not feed.device.debug.apps.get("ike"):
        return  # iked logs nothing while the application is not armed
    feed.schedule(view, kind, now, ready, int(now))


ops.NEGOTIATION_LISTENERS.append(_announce)


# -- the IKE log filter -------------------------------------------------------------------------
# option -> (meaning, number of values: 1, "range" (1 or 2) or "many")
_OLD_FILTER = {
    "name": ("name", 1), "src-addr4": ("loc4", "range"), "dst-addr4": ("rem4", "range"),
    "src-addr6": ("loc6", "range"), "dst-addr6": ("rem6", "range"), "mdst-addr4": ("mrem4", "many"),
    "src-port": ("lport", 1), "dst-port": ("rport", 1), "interface": ("interface", 1), "vd": ("vd", 1),
}
_NEW_FILTER = {
    "name": ("name", 1), "loc-addr4": ("loc4", "range"), "rem-addr4": ("rem4", "range"),
    "loc-addr6": ("loc6", "range"), "rem-addr6": ("rem6", "range"), "mdst-addr6": ("mrem6", "many"),
    "dst-port": ("rport", 1), "interface": ("interface", 1), "vd": ("vd", 1),
}


def filter_options(new_style: bool) -> dict[str, tuple[str, Any]]:
    return _NEW_FILTER if new_style else _OLD_FILTER


def _address(value: str, six: bool) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise value_error(value)
    if (address.version == 6) != six:
        raise value_error(value)
    return str(address)


def filter_command(device: Device, new_style: bool, args: list[str]) -> list[str]:
    """``diagnose vpn ike log-filter ...`` (6.4-7.2) / ``log filter ...`` (7.4+)."""
    ike_filter = device.debug.ike_filter
    options = filter_options(new_style)
    if not args:
        raise parse_error("filter" if new_style else "log-filter")
    word, rest = args[0], args[1:]
    if word in ("list", "clear"):
        if rest:
            raise parse_error(rest[0])
        if word == "clear":
            ike_filter.clear()
            return []
        return filter_list(device, new_style)
    if word == "negate":
        if len(rest) != 1 or rest[0] not in options:
            raise parse_error(rest[0] if rest else word)
        negated = ike_filter.setdefault("negate", [])
        if rest[0] not in negated:
            negated.append(rest[0])
        return []
    if word not in options:
        raise parse_error(word)
    meaning, arity = options[word]
    if not rest:
        raise parse_error(word)
    if arity == 1 and len(rest) != 1:
        raise parse_error(rest[1])
    if arity == "range" and len(rest) > 2:
        raise parse_error(rest[2])
    if meaning in ("lport", "rport", "vd"):
        low = -1 if meaning == "vd" else 1
        try:
            number = int(rest[0])
        except ValueError:
            raise value_error(rest[0])
        if not low <= number <= 65535:
            raise value_error(rest[0])
        ike_filter[word] = number
    elif meaning in ("loc4", "rem4", "mrem4", "loc6", "rem6", "mrem6"):
        ike_filter[word] = [_address(value, meaning.endswith("6")) for value in rest]
    else:
        ike_filter[word] = rest[0]
    return []


def filter_list(device: Device, new_style: bool) -> list[str]:
    """The current filter, in the layout of ``log-filter list`` (values ``any`` when unset)."""
    ike_filter = device.debug.ike_filter
    negated = ike_filter.get("negate", [])

    def show(*words: str) -> str:
        for word in words:
            if word in ike_filter:
                value = ike_filter[word]
                text = "-".join(value) if isinstance(value, list) and "mdst" not in word else (
                    " ".join(value) if isinstance(value, list) else str(value))
                return ("not " if word in negated else "") + text
        return "any"

    if new_style:
        rows = [("vd", ("vd",)), ("name", ("name",)), ("interface", ("interface",)),
                ("IPv4 local", ("loc-addr4",)), ("IPv4 remote", ("rem-addr4", "mdst-addr6")),
                ("IPv6 local", ("loc-addr6",)), ("IPv6 remote", ("rem-addr6", "mdst-addr6")),
                ("remote port", ("dst-port",))]
    else:
        rows = [("vd", ("vd",)), ("name", ("name",)), ("interface", ("interface",)),
                ("IPv4 source", ("src-addr4",)), ("IPv4 dest", ("dst-addr4", "mdst-addr4")),
                ("IPv6 source", ("src-addr6",)), ("IPv6 dest", ("dst-addr6",)),
                ("source port", ("src-port",)), ("dest port", ("dst-port",))]
    lines = [f"{label}: {show(*words)}" for label, words in rows]
    return lines + ["autoconf type: any", "autoconf status: any"]


def _in_range(address: str, values: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
        if len(values) == 1:
            return ip == ipaddress.ip_address(values[0])
        return ipaddress.ip_address(values[0]) <= ip <= ipaddress.ip_address(values[1])
    except (ValueError, TypeError):
        return False


def filter_match(ike_filter: dict[str, Any], meta: Meta) -> bool:
    """Every set option must hold (a negated one must not)."""
    negated = ike_filter.get("negate", ())
    for word, value in ike_filter.items():
        if word == "negate":
            continue
        meaning = (_NEW_FILTER.get(word) or _OLD_FILTER.get(word) or ("", 1))[0]
        if meaning == "name":
            hit = value in (meta.name, meta.parent)
        elif meaning in ("rem4", "rem6"):
            hit = _in_range(meta.remote, value)
        elif meaning in ("loc4", "loc6"):
            hit = _in_range(meta.local, value)
        elif meaning in ("mrem4", "mrem6"):
            hit = any(_in_range(meta.remote, [one]) for one in value)
        elif meaning == "rport":
            hit = meta.remote_port == value
        elif meaning == "lport":
            hit = meta.local_port == value
        elif meaning == "interface":
            hit = meta.interface == value
        elif meaning == "vd":
            hit = value == -1 or meta.index == value
        else:
            hit = True
        if hit == (word in negated):
            return False
    return True


# -- the debug switches (diagnose debug ...) -------------------------------------------------------
def will_be_on(debug: DeviceDebug) -> str:
    if debug.duration_minutes == 0:
        return "Debug messages will be on for unlimited time."
    return f"Debug messages will be on for {debug.duration_minutes} minutes."


def application_command(debug: DeviceDebug, args: list[str]) -> list[str]:
    """``diagnose debug application NAME [MASK]``; mask 0 disarms the application."""
    if not args:
        raise parse_error("application")
    name = args[0]
    if name not in DEBUG_APPS:
        raise parse_error(name)
    if len(args) == 1:
        return [f"{name} debug level is {debug.apps.get(name, 0)}"]
    if len(args) > 2:
        raise parse_error(args[2])
    try:
        mask = int(args[1], 0)
    except ValueError:
        raise value_error(args[1])
    if not -1 <= mask <= 0xFFFFFFFF:
        raise value_error(args[1])
    if mask == 0:
        debug.apps.pop(name, None)
        return []
    debug.apps[name] = mask
    return [will_be_on(debug)]


def duration_command(debug: DeviceDebug, args: list[str]) -> list[str]:
    if not args:
        return [f"Current duration is set to {debug.duration_minutes or 'unlimited'}."]
    if len(args) > 1:
        raise parse_error(args[1])
    if not args[0].isdigit() or int(args[0]) > 99999:
        raise value_error(args[0])
    debug.duration_minutes = int(args[0])
    return ["Current duration is set to unlimited."] if debug.duration_minutes == 0 else []


def info_lines(device: Device, session: SessionDebug, new_style: bool) -> list[str]:
    """``diagnose debug info``: console switches, armed applications, the IKE log filter."""
    debug = device.debug
    lines = [
        f"debug output:           {'enable' if session.console else 'disable'}",
        f"console timestamp:      {'enable' if session.timestamps else 'disable'}",
        "console no user log message:    disable",
    ]
    lines += [f"{name} debug level:       {mask}" for name, mask in sorted(debug.apps.items())]
    lines.append("CLI debug level:        3")
    if debug.ike_filter:
        family = "log filter" if new_style else "log-filter"
        for word, value in debug.ike_filter.items():
            if word == "negate":
                lines += [f"ike {family}: negate {one}" for one in value]
            else:
                text = " ".join(value) if isinstance(value, list) else str(value)
                lines.append(f"ike {family}: {word} {text}")
    return lines


# -- one session's view of the feed ----------------------------------------------------------------
class SessionIke:
    """Console output of IKE debug for one CLI session: what it has read, its background writer."""

    def __init__(self, shell: "Shell") -> None:
        self.shell = shell
        self.busy = False  # a command is running: nothing may be written into its output
        self._cursor: Optional[int] = None  # next line to print (None: not listening)
        self._task: Optional["asyncio.Task[None]"] = None
        self._closed = False
        shell.device.debug.sessions.append(shell.debug)
        shell.stats.watch_debug(shell.device.hostname, shell.device.debug)

    def listening(self) -> bool:
        return self.shell.debug.console and bool(self.shell.device.debug.apps.get("ike")) and not self._closed

    def console_on(self, interactive: bool) -> None:
        """``diagnose debug enable``: read from the current end of the feed; start the writer."""
        if self._cursor is None:
            # From the lines released from now on (the next flush releases what is due).
            self._cursor = feed_for(self.shell.device).next_seq
        if interactive and self._task is None:
            try:
                self._task = asyncio.get_running_loop().create_task(self._writer())
            except RuntimeError:  # no loop (a synchronous caller): lines print before each prompt
                self._task = None

    def console_off(self) -> None:
        self._cursor = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def pending_lines(self) -> list[str]:
        """The lines due for this session now (and marks them read)."""
        shell = self.shell
        if not self.listening():
            if self._cursor is not None and not shell.debug.console:
                self._cursor = None
            return []
        feed = feed_for(shell.device)
        now = shell.clock.seconds()
        if self._cursor is None:
            self._cursor = feed.next_seq
        feed.advance(now)
        debug = shell.device.debug
        mask = debug.apps.get("ike", 0)
        new_style = shell.device.release.at_least(7, 4)
        stamp = _stamper(shell.clock.now, now) if shell.debug.timestamps else None
        out = []
        for _seq, when, order, meta, line in feed.since(self._cursor):
            if not line.bits & mask or not filter_match(debug.ike_filter, meta):
                continue
            text = render(new_style, meta, line)
            out.append(f"{stamp(when, order)} {text}" if stamp else text)
        self._cursor = feed.next_seq
        return out

    def flush(self) -> None:
        """Write what is due (called between commands)."""
        lines = self.pending_lines()
        if lines:
            self.shell.write_raw("".join(f"{text}\r\n" for text in lines))

    async def _writer(self) -> None:
        try:
            while not self._closed and self.shell.debug.console:
                await asyncio.sleep(TICK_SECONDS)
                if not self.busy and not self._closed:
                    self.flush()
        except asyncio.CancelledError:
            raise
        except Exception:  # a closed channel: the session is ending anyway
            return

    def close(self) -> None:
        """The session ends: console flag gone, writer stopped; device-wide switches stay."""
        if self._closed:
            return
        self._closed = True
        self.console_off()
        sessions = self.shell.device.debug.sessions
        if self.shell.debug in sessions:
            sessions.remove(self.shell.debug)
        self.shell.debug.console = False
        self.shell.debug.timestamps = False
        self.shell.stats.touch()


def _stamper(now: Callable[[], _dt.datetime], seconds: float) -> Callable[[float, int], str]:
    base = now()

    def stamp(when: float, order: int) -> str:
        moment = base - _dt.timedelta(seconds=seconds - when) + _dt.timedelta(microseconds=(order % 50000) * 13)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    return stamp
