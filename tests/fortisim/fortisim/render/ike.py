"""``diagnose vpn ike gateway list [name X]``, per release train.

``addr:`` shows the endpoints only while an IKE SA exists (established or still
connecting); a gateway whose negotiation failed prints ``addr: ->``.
Train additions: 7.0 ``tun_id/remote_location/network-id/PPK/auto-discovery``,
7.2 ``peer-id``, 7.4 ``transport: UDP`` and ``peer-id-auth``, 7.6 ``QKD``.
"""

from __future__ import annotations

from typing import Optional

from fortisim import seed
from fortisim.clock import Clock
from fortisim.model import Device, TunnelView
from fortisim.sa import ike_sa


def _peer_id(view: TunnelView) -> str:
    # What the peer sent as its identity: its localid, else its address.
    return view.phase1.peerid or view.remote_gw


def _sa_block(view: TunnelView, device: Device, clock: Clock) -> list[str]:
    ike = ike_sa(view, clock.elapsed())
    rel = device.release
    if not view.phase1_up:
        started = clock.elapsed() % 30 + seed.int_between(1, 20, "started", view.link)
        return ["", f"  id/spi: {ike.sa_id} {ike.icookie}/{'0' * 16}", "  direction: initiator",
                f"  status: connecting, state 3, started {started}s ago"]
    took = seed.int_between(5, 60, "took", view.link)
    lines = ["", f"  id/spi: {ike.sa_id} {ike.icookie}/{ike.rcookie}",
             f"  direction: {'initiator' if view.initiator else 'responder'}",
             f"  status: established {ike.age}-{ike.age}s ago = {took}ms",
             f"  proposal: {view.ike_proposal}"]
    if view.phase1.ike_version == 1:
        key = ike.keys["key"]
        lines.append("  key: " + "-".join(key[i:i + 16] for i in range(0, len(key), 16)))
    else:
        lines.append("  child: no")
        lines += [f"  {name}: {ike.keys[name]}" for name in ("SK_ei", "SK_er", "SK_ai", "SK_ar")]
        if rel.at_least(7, 0):
            lines.append("  PPK: no")
        sent = seed.int_between(2, 40, "msgid", view.link)
        lines.append(f"  message-id sent/recv: {sent}/{sent - 2 if view.initiator else sent}")
    lines.append(f"  lifetime/rekey: {ike.lifetime}/{ike.rekey_in}")
    dpd = seed.int_between(0, 4000, "dpdseq", view.link, view.side) if view.phase1.dpd != "disable" else 0
    lines.append(f"  DPD sent/recv: {dpd:08x}/{dpd:08x}")
    return lines


def _gateway(view: TunnelView, device: Device, clock: Clock) -> list[str]:
    rel = device.release
    ike = ike_sa(view, clock.elapsed())
    has_sa = view.phase1_up or view.connecting
    addr = (f"{view.local_gw}:{view.local_port} -> {view.remote_gw}:{view.remote_port}"
            if has_sa else "->")
    lines = ["", f"vd: {view.vdom}/{device.vdom_index(view.vdom)}", f"name: {view.name}",
             f"version: {view.phase1.ike_version}",
             f"interface: {view.interface.name} {view.interface.ifindex}", f"addr: {addr}"]
    if rel.at_least(7, 0):
        lines += [f"tun_id: {view.remote_gw}/::{view.remote_gw}", "remote_location: 0.0.0.0", "network-id: 0"]
    if rel.at_least(7, 4):
        lines.append("transport: UDP")
    lines.append(f"created: {ike.created_age}s ago")
    if rel.at_least(7, 2) and view.phase1_up:
        lines.append(f"peer-id: {_peer_id(view)}")
    if rel.at_least(7, 4):
        lines.append("peer-id-auth: no")
    if rel.at_least(7, 6):
        lines.append("QKD: no")
    if rel.at_least(7, 0):
        lines += ["PPK: no", "auto-discovery: 0"]
    attempts = ike.rekeys + 1
    if view.phase1_up:
        ike_line = f"IKE SA: created 1/{attempts}  established 1/{attempts}  time 10/{10 + attempts}/30 ms"
    else:
        current = 1 if view.connecting else 0
        ike_line = f"IKE SA: created {current}/{attempts + 2}  established 0/0  time 0/0/0 ms"
    up = sum(1 for s in view.selectors if s.up)
    total = up * attempts
    lines += [ike_line, f"IPsec SA: created {up}/{total}  established {up}/{total}  time 0/{5 if up else 0}/10 ms"]
    if has_sa:
        lines += _sa_block(view, device, clock)
    return lines


def gateway_list(device: Device, vdom: str, clock: Clock, name: Optional[str] = None) -> list[str]:
    lines: list[str] = []
    for view in device.views(vdom):
        # A dial-up parent has no IKE SA of its own; its instances are the gateways.
        if view.kind == "dialup" or (name is not None and view.name != name):
            continue
        lines += _gateway(view, device, clock)
    return lines
