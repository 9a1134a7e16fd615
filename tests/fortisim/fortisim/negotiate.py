"""State derivation: which tunnels come up, and the first reason when one does not.

Two lab ends are never told their state: it follows from their settings the way
IKE would decide it. The checks run in protocol order, so the recorded fault is
the first one a real negotiation would trip over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from fortisim import seed
from fortisim.model import (
    PHASE2_FAULTS,
    Device,
    DialupSpec,
    Lab,
    LabEnd,
    Phase1,
    Phase2,
    PingHost,
    Selector,
    StaticTunnelSpec,
    TunnelResult,
    TunnelView,
)


@dataclass
class Phase1Outcome:
    fault: Optional[str] = None
    proposal: Optional[str] = None
    dhgrp: Optional[int] = None


@dataclass
class Phase2Outcome:
    initiator: Phase2
    responder: Optional[Phase2]
    fault: Optional[str] = None
    proposal: Optional[str] = None
    dhgrp: Optional[int] = None


def _first_common(ours: Sequence[object], theirs: Sequence[object]) -> Optional[object]:
    # The initiator's order wins, as in an IKE proposal list.
    return next((item for item in ours if item in theirs), None)


def negotiate_phase1(init: Phase1, init_id: str, resp: Phase1, resp_id: str) -> Phase1Outcome:
    """``*_id`` is the identity each end sends (its localid, else its gateway IP)."""
    if init.ike_version != resp.ike_version:
        return Phase1Outcome("ike_version_mismatch")
    if init.ike_version == 1 and init.mode != resp.mode:
        return Phase1Outcome("ike_mode_mismatch")
    proposal = _first_common(init.proposal, resp.proposal)
    dhgrp = _first_common(init.dhgrp, resp.dhgrp)
    if proposal is None or dhgrp is None:
        return Phase1Outcome("phase1_proposal_mismatch")
    ids_ok = (resp.peerid in (None, init_id)) and (init.peerid in (None, resp_id))
    psk_ok = init.psksecret == resp.psksecret
    # IKEv1 main mode encrypts the ID payload with PSK-derived keys, so a wrong
    # PSK shows first there; aggressive mode and IKEv2 read the ID before the
    # PSK is ever used.
    checks = [("psk_mismatch", psk_ok), ("peer_id_mismatch", ids_ok)]
    if not (init.ike_version == 1 and init.mode == "main"):
        checks.reverse()
    for fault, ok in checks:
        if not ok:
            return Phase1Outcome(fault)
    return Phase1Outcome(None, str(proposal), int(dhgrp))  # type: ignore[arg-type]


def _mirrors(init: Phase2, resp: Phase2, narrowing: bool) -> bool:
    if narrowing:  # a dial-up hub accepts any selectors inside its own
        return init.src_subnet.subnet_of(resp.dst_subnet) and init.dst_subnet.subnet_of(resp.src_subnet)
    return init.src_subnet == resp.dst_subnet and init.dst_subnet == resp.src_subnet


def negotiate_phase2(init: list[Phase2], resp: list[Phase2], narrowing: bool = False) -> list[Phase2Outcome]:
    """One outcome per initiator phase 2, in order."""
    outcomes = []
    for p2 in init:
        match = next((q for q in resp if _mirrors(p2, q, narrowing)), None)
        if match is None:
            outcomes.append(Phase2Outcome(p2, None, "selector_mismatch"))
            continue
        proposal = _first_common(p2.proposal, match.proposal)
        dhgrp = _first_common(p2.dhgrp, match.dhgrp) if p2.pfs == "enable" else None
        pfs_ok = p2.pfs == match.pfs and (p2.pfs == "disable" or dhgrp is not None)
        if proposal is None or not pfs_ok:
            outcomes.append(Phase2Outcome(p2, match, "phase2_proposal_mismatch"))
        else:
            outcomes.append(Phase2Outcome(p2, match, None, str(proposal), dhgrp))  # type: ignore[arg-type]
    return outcomes


class _Builder:
    """Turns the lab's tunnel specs into per-device TunnelViews and results."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.devices: dict[str, Device] = lab.devices

    # -- helpers -----------------------------------------------------------
    def _gw(self, end: LabEnd) -> str:
        if end.is_external:
            return str(end.external)
        if end.local_gw is not None:
            return str(end.local_gw)
        return str(self.devices[str(end.device)].interfaces[end.interface].ip)

    def _ident(self, end: LabEnd) -> str:
        return end.phase1.localid or self._gw(end)

    def _label(self, end: LabEnd) -> str:
        return str(end.external) if end.is_external else f"{end.device}/{end.vdom}"

    def _nat_port(self, end: LabEnd, link: str) -> int:
        return end.nat_port or seed.int_between(1024, 65000, "natport", link)

    def _view(self, end: LabEnd, peer: LabEnd, link: str, side: str, *, kind: str = "static",
              name: Optional[str] = None) -> TunnelView:
        device = self.devices[str(end.device)]
        view = TunnelView(
            name=name or end.name,
            vdom=end.vdom,
            kind=kind,
            interface=device.interfaces[end.interface],
            local_gw=self._gw(end),
            remote_gw="0.0.0.0" if kind == "dialup" else self._gw(peer),
            phase1=end.phase1,
            link=link,
            side=side,
            initiator=side == "a",
            peer_label=self._label(peer),
        )
        view.policy, view.route = end.policy, end.route
        natt_off = "disable" in (end.phase1.nattraversal, peer.phase1.nattraversal)
        if kind != "dialup" and (end.behind_nat or peer.behind_nat) and natt_off:
            # IKE (UDP 500) crosses the NAT and detects it, but without NAT-T the ESP
            # (protocol 50) it then sends is dropped by the NAT: SAs up, no traffic.
            view.natt_blocked = "ME" if end.behind_nat else "PEER"
            view.esp_blocked = True
        elif kind != "dialup" and (end.behind_nat or peer.behind_nat):
            view.nat = True
            view.nat_keepalive = end.behind_nat
            view.local_port = 4500
            view.remote_port = self._nat_port(peer, link) if peer.behind_nat else 4500
        device.views(end.vdom).append(view)
        return view

    @staticmethod
    def _apply_phase1(view: TunnelView, outcome: Phase1Outcome) -> None:
        view.phase1_up = outcome.fault is None
        view.fault = outcome.fault
        view.ike_proposal = outcome.proposal
        view.ike_dhgrp = outcome.dhgrp

    @staticmethod
    def _selector(p2: Phase2, outcome: Optional[Phase2Outcome], mirrored: bool = False) -> Selector:
        up = outcome is not None and outcome.fault is None
        src, dst = (p2.dst_subnet, p2.src_subnet) if mirrored else (p2.src_subnet, p2.dst_subnet)
        return Selector(p2.name, src, dst, p2, up,
                        outcome.proposal if up and outcome else None,
                        outcome.dhgrp if up and outcome else None)

    # -- static tunnels ----------------------------------------------------
    def static(self, spec: StaticTunnelSpec) -> None:
        link = f"static:{spec.name}:{self._label(spec.a)}:{self._label(spec.b)}"
        if spec.b.is_external:
            ext = self._external(spec.a, spec.b, link)
            ext.esp_blocked = ext.esp_blocked or spec.esp_blocked
            ext.idle = spec.idle
            self._record(spec.name, "static", spec.a, spec.b, ext.fault, spec.expected_cause, _dataplane(ext))
            return
        a_view = self._view(spec.a, spec.b, link, "a")
        b_view = self._view(spec.b, spec.a, link, "b")
        if spec.esp_blocked:
            a_view.esp_blocked = b_view.esp_blocked = True
        a_view.idle = b_view.idle = spec.idle
        p1 = negotiate_phase1(spec.a.phase1, self._ident(spec.a), spec.b.phase1, self._ident(spec.b))
        fault = p1.fault
        for view in (a_view, b_view):
            self._apply_phase1(view, p1)
        if p1.fault is not None:
            a_view.selectors = [self._selector(p, None) for p in spec.a.phase2]
            b_view.selectors = [self._selector(p, None) for p in spec.b.phase2]
        else:
            outcomes = negotiate_phase2(spec.a.phase2, spec.b.phase2)
            a_view.selectors = [self._selector(o.initiator, o) for o in outcomes]
            by_resp = {id(o.responder): o for o in outcomes if o.responder is not None}
            b_view.selectors = [self._selector(q, by_resp.get(id(q))) for q in spec.b.phase2]
            fault = next((o.fault for o in outcomes if o.fault), None)
            if fault is None and any(id(q) not in by_resp for q in spec.b.phase2):
                fault = "selector_mismatch"  # the responder has a selector nobody matches
        for view in (a_view, b_view):
            view.fault = fault
        self._record(spec.name, "static", spec.a, spec.b, fault, spec.expected_cause, _dataplane(a_view))

    def _external(self, end: LabEnd, peer: LabEnd, link: str, *, kind: str = "static",
                  name: Optional[str] = None) -> TunnelView:
        """A lab end facing a peer whose state is declared, not negotiated."""
        side = "b" if kind == "dial_inst" else "a"  # a dial-up hub only responds
        view = self._view(end, peer, link, side, kind=kind, name=name)
        up = peer.state == "up"
        fault = None if up else (peer.fault or "peer_unreachable")
        view.phase1_up = up or fault in PHASE2_FAULTS
        view.fault = fault
        view.connecting = fault == "peer_unreachable"
        if view.phase1_up:
            view.ike_proposal, view.ike_dhgrp = end.phase1.proposal[0], end.phase1.dhgrp[0]
        view.selectors = [
            Selector(p.name, p.src_subnet, p.dst_subnet, p, up, p.proposal[0] if up else None,
                     p.dhgrp[0] if up and p.pfs == "enable" else None)
            for p in end.phase2
        ]
        return view

    # -- dial-up -----------------------------------------------------------
    def dialup(self, spec: DialupSpec) -> None:
        hub = spec.hub
        parent = self._view(hub, hub, f"dialup:{spec.name}:{self._label(hub)}", "b", kind="dialup")
        parent.phase1_up = True  # a dial-up parent is a template; it never negotiates itself
        parent.selectors = [self._selector(p, None) for p in hub.phase2]
        instances = 0
        for spoke in spec.spokes:
            link = f"dialup:{spec.name}:{self._label(hub)}:{self._label(spoke)}"
            inst_name = f"{hub.name}_{instances}"
            if spoke.is_external:
                inst = self._external(hub, spoke, link, kind="dial_inst", name=inst_name)
                if inst.phase1_up:
                    self._adopt(parent, inst, instances)
                    instances += 1
                else:  # no instance exists until phase 1 completes
                    self.devices[str(hub.device)].views(hub.vdom).remove(inst)
                    inst.name = hub.name
                    parent.failed_spokes.append(inst)
                self._record(f"{spec.name}@{spoke.external}", "dialup", hub, spoke, inst.fault, spec.expected_cause,
                             _dataplane(inst))
                continue
            spoke_view = self._view(spoke, hub, link, "a")
            p1 = negotiate_phase1(spoke.phase1, self._ident(spoke), hub.phase1, self._ident(hub))
            self._apply_phase1(spoke_view, p1)
            fault = p1.fault
            if p1.fault is None:
                outcomes = negotiate_phase2(spoke.phase2, hub.phase2, narrowing=True)
                spoke_view.selectors = [self._selector(o.initiator, o) for o in outcomes]
                fault = next((o.fault for o in outcomes if o.fault), None)
                inst = self._view(hub, spoke, link, "b", kind="dial_inst", name=inst_name)
                self._apply_phase1(inst, p1)
                # The instance carries the spoke's selectors seen from the hub, under
                # the hub's phase2 name and settings.
                for o in outcomes:
                    if o.responder is not None:
                        sel = self._selector(o.initiator, o, mirrored=True)
                        sel.name, sel.settings = o.responder.name, o.responder
                        inst.selectors.append(sel)
                inst.fault = fault
                self._adopt(parent, inst, instances)
                instances += 1
            else:
                spoke_view.selectors = [self._selector(p, None) for p in spoke.phase2]
                # The hub's side of the refusal (no instance): only the IKE debug shows it.
                ghost = self._view(hub, spoke, link, "b", kind="dial_inst", name=hub.name)
                self.devices[str(hub.device)].views(hub.vdom).remove(ghost)
                self._apply_phase1(ghost, p1)
                ghost.selectors = [self._selector(p, None) for p in hub.phase2]
                parent.failed_spokes.append(ghost)
            spoke_view.fault = fault
            self._record(f"{spec.name}@{spoke.device}", "dialup", hub, spoke, fault, spec.expected_cause,
                         _dataplane(spoke_view))

    @staticmethod
    def _adopt(parent: TunnelView, inst: TunnelView, index: int) -> None:
        inst.parent, inst.index = parent.name, index
        parent.child_num += 1

    def _record(self, name: str, kind: str, a: LabEnd, b: LabEnd, fault: Optional[str],
                expected_cause: Optional[str] = None, dataplane: Optional[str] = None) -> None:
        self.lab.results.append(TunnelResult(name, kind, (self._label(a), self._label(b)),
                                             "down" if fault else "up", fault, expected_cause,
                                             None if fault else dataplane))


def _dataplane(view: TunnelView) -> Optional[str]:
    if view.natt_blocked:
        return "nat_t_disabled"
    return "esp_blocked" if view.esp_blocked else None


# External peers declared down with one of these faults do not answer pings either;
# a peer that only disagrees on IKE settings still answers ICMP.
SILENT_FAULTS = frozenset({"peer_unreachable", "dpd_timeout"})


def _hosts(lab: Lab) -> dict[str, PingHost]:
    """Every pingable address of the lab (see ``PingHost``)."""
    gateways = {view.local_gw for device in lab.devices.values()
                for views in device.tunnels.values() for view in views}
    hosts: dict[str, PingHost] = {}
    for device in lab.devices.values():
        for iface in device.interfaces.values():
            ip = str(iface.ip)
            hosts[ip] = PingHost(device.hostname, True, ip in gateways, device.latency_ms)
    ends = [end for spec in lab.static_tunnels for end in (spec.a, spec.b)]
    ends += [spoke for dial in lab.dialups for spoke in dial.spokes]
    for end in ends:
        if not end.is_external:
            continue
        ip = str(end.external)
        answers = end.state == "up" or (end.fault or "peer_unreachable") not in SILENT_FAULTS
        known = hosts.get(ip)
        if known is None:
            hosts[ip] = PingHost(None, answers, True)
        elif known.owner is None:
            known.answers = known.answers or answers
    return hosts


def derive(lab: Lab) -> Lab:
    """Fill every device's tunnel views and ``lab.results``. Idempotent on a fresh Lab."""
    builder = _Builder(lab)
    for spec in lab.static_tunnels:
        builder.static(spec)
    for dial in lab.dialups:
        builder.dialup(dial)
    by_link: dict[str, list[TunnelView]] = {}
    for device in lab.devices.values():
        for views in device.tunnels.values():
            # Serials count up per VDOM in creation order, like the kernel's.
            for serial, view in enumerate(views, start=1):
                view.serial = serial
                by_link.setdefault(view.link, []).append(view)
                for sel in view.selectors:
                    # What came up here can come up again after a tunnel down/flush.
                    sel.negotiable = sel.up
                    sel.npu_flag = ("03" if view.npu else "00") if sel.up else None
    for pair in by_link.values():
        if len(pair) == 2:  # both ends in the lab: operations on one reach the other
            pair[0].peer, pair[1].peer = pair[1], pair[0]
    hosts = _hosts(lab)
    for device in lab.devices.values():
        device.hosts = hosts
    return lab
