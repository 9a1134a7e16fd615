"""The lab's state model: devices, VDOMs, admins and the tunnels each device sees.

``lab.py`` builds these objects from YAML; ``negotiate.py`` decides which
tunnels come up; renderers only read them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Optional

from fortisim.debug import DeviceDebug
from fortisim.versions import Release

IPv4 = ipaddress.IPv4Address
Net = ipaddress.IPv4Network

# Fault vocabulary. The first group is what two lab ends can disagree on; the
# rest can only be declared on an external peer.
NEGOTIATED_FAULTS: tuple[str, ...] = (
    "ike_version_mismatch",
    "ike_mode_mismatch",
    "phase1_proposal_mismatch",
    "psk_mismatch",
    "peer_id_mismatch",
    "selector_mismatch",
    "phase2_proposal_mismatch",
)
EXTERNAL_FAULTS: tuple[str, ...] = NEGOTIATED_FAULTS + (
    "peer_unreachable",
    "dpd_timeout",
    "negotiation_failure",
)
# Faults after which phase 1 is still established (only the child SAs failed).
PHASE2_FAULTS: frozenset[str] = frozenset({"selector_mismatch", "phase2_proposal_mismatch"})


@dataclass
class Phase1:
    """phase1-interface settings of one end (keys mirror FortiOS, dashes -> underscores)."""

    ike_version: int = 2
    mode: str = "main"
    proposal: list[str] = field(default_factory=lambda: ["aes256-sha256"])
    dhgrp: list[int] = field(default_factory=lambda: [14])
    psksecret: str = "fortisim-psk"
    peerid: Optional[str] = None
    localid: Optional[str] = None
    dpd: str = "on-demand"
    nattraversal: str = "enable"
    keylife: int = 86400
    net_device: str = "disable"
    type: str = "static"
    add_route: str = "enable"
    npu_offload: str = "enable"


@dataclass
class Phase2:
    """One phase2-interface (one selector pair) of an end."""

    name: str
    src_subnet: Net
    dst_subnet: Net
    proposal: list[str] = field(default_factory=lambda: ["aes256-sha256"])
    pfs: str = "enable"
    dhgrp: list[int] = field(default_factory=lambda: [14])
    keylifeseconds: int = 43200
    auto_negotiate: str = "disable"


@dataclass
class Interface:
    name: str
    ip: IPv4
    prefixlen: int
    ifindex: int


@dataclass
class Admin:
    username: str
    password: str
    vdom: Optional[str] = None  # None: a global (super_admin) account

    @property
    def vdom_scoped(self) -> bool:
        return self.vdom is not None


@dataclass
class LabEnd:
    """One end of a tunnel as written in the lab (a lab device or an external peer)."""

    label: str  # where it came from, e.g. "tunnels[2].a", for error messages
    device: Optional[str] = None
    vdom: str = "root"
    name: str = ""
    interface: str = "port1"
    local_gw: Optional[IPv4] = None
    phase1: Phase1 = field(default_factory=Phase1)
    phase2: list[Phase2] = field(default_factory=list)
    external: Optional[IPv4] = None
    state: Optional[str] = None  # external peers only: up|down
    fault: Optional[str] = None  # external peers only
    behind_nat: bool = False
    nat_port: Optional[int] = None
    policy: str = "ok"  # ok | missing | nat (lab ends only; see fortisim/netcfg.py)
    route: str = "ok"  # ok | missing | wrong_interface

    @property
    def is_external(self) -> bool:
        return self.external is not None


@dataclass
class StaticTunnelSpec:
    name: str
    a: LabEnd
    b: LabEnd
    esp_blocked: bool = False  # path: {esp_blocked: true}
    expected_cause: Optional[str] = None  # for tests only; never changes behaviour
    idle: bool = False  # traffic: idle (up, carries nothing)


# What ``expected_cause`` may say beyond the negotiated/external faults.
DATAPLANE_CAUSES: tuple[str, ...] = ("nat_on_vpn_policy", "route_missing", "route_wrong_interface",
                                     "policy_missing", "esp_blocked", "nat_t_disabled")


@dataclass
class DialupSpec:
    name: str
    hub: LabEnd
    spokes: list[LabEnd]
    expected_cause: Optional[str] = None


@dataclass
class Selector:
    """A phase 2 selector as one device sees it."""

    name: str
    src: Net
    dst: Net
    settings: Phase2
    up: bool = False  # an SA is established (and visible)
    proposal: Optional[str] = None  # the negotiated one, when up
    dhgrp: Optional[int] = None
    # Whether a negotiation of this selector can succeed at all (it came up when the
    # lab was derived). Settings never change at run time except npu-offload, which
    # does not take part in the negotiation, so this stays true for the whole run.
    negotiable: bool = False
    # Operational state (``ops.py``). ``generation`` 0 is the SA the lab started with;
    # each new SA (flush, up, gateway clear) gets a higher one, shared with the peer
    # end so both derive the same SPIs and keys.
    generation: int = 0
    since: Optional[float] = None  # clock second the SA appeared (None: the lab's own SA)
    pending_at: Optional[float] = None  # negotiating: the new SA appears at this clock second
    npu_flag: Optional[str] = None  # "03"/"00": offloaded or not when the SA was established


@dataclass
class TunnelView:
    """A phase1-interface (or dial-up instance) on one device, with its derived state."""

    name: str
    vdom: str
    kind: str  # static | dialup | dial_inst
    interface: Interface
    local_gw: str
    remote_gw: str
    phase1: Phase1
    selectors: list[Selector] = field(default_factory=list)
    phase1_up: bool = False
    fault: Optional[str] = None
    initiator: bool = True
    # ``link`` is shared by both ends of one tunnel and ``side`` names this end, so
    # SPIs/keys/counters of one direction are derived identically on both devices.
    link: str = ""
    side: str = "a"
    ike_proposal: Optional[str] = None
    ike_dhgrp: Optional[int] = None
    nat: bool = False
    nat_keepalive: bool = False  # this end sits behind the NAT and sends keepalives
    local_port: int = 500
    remote_port: int = 500
    connecting: bool = False  # IKE retransmitting without an answer
    parent: Optional[str] = None
    index: Optional[int] = None
    child_num: int = 0
    serial: int = 0
    peer_label: str = ""
    # Operational state (``ops.py``): the IKE SA generation (0: the lab's own), when the
    # current one appeared, and when a pending one will; ``sa_generation`` counts the
    # operations that established new child SAs on this tunnel.
    ike_generation: int = 0
    ike_since: Optional[float] = None
    phase1_pending_at: Optional[float] = None
    sa_generation: int = 0
    # The other lab end of the same ``link`` (None for external peers and dial-up
    # parents). Left out of repr/compare: the two views point at each other.
    peer: Optional["TunnelView"] = field(default=None, repr=False, compare=False)
    # Dial-up parents: the hub's side of spokes that never complete phase 1 (no instance
    # exists for them), kept so the IKE debug can show the hub refusing them.
    failed_spokes: list["TunnelView"] = field(default_factory=list, repr=False, compare=False)
    # Data plane (``netcfg.py``): this end's policy/route lab keys, and whether ESP is lost on the
    # path (``path: {esp_blocked: true}``, or NAT-T disabled behind a NAT). ``natt_blocked``: the
    # NAT that IKE detects although NAT-T is off (``ME``/``PEER``), None otherwise.
    policy: str = "ok"
    route: str = "ok"
    esp_blocked: bool = False
    natt_blocked: Optional[str] = None
    idle: bool = False  # ``traffic: idle``: up with SAs, but its counters stay 0

    @property
    def state(self) -> str:
        if self.kind == "dialup":
            return "up" if self.child_num else "down"
        ok = self.phase1_up and bool(self.selectors) and all(s.up for s in self.selectors)
        return "up" if ok else "down"

    @property
    def npu(self) -> bool:
        """The *configured* offload (new SAs take it); each SA keeps its own ``npu_flag``."""
        return self.phase1.npu_offload == "enable"


@dataclass
class TunnelResult:
    """Ground truth for one negotiation (used by tests, never printed by the device)."""

    name: str
    kind: str  # static | dialup
    ends: tuple[str, str]
    state: str
    fault: Optional[str]
    expected_cause: Optional[str] = None  # the lab's ``expected_cause:``, verbatim
    dataplane: Optional[str] = None  # esp_blocked | nat_t_disabled: up, but no ESP arrives


@dataclass
class PingHost:
    """An address ``execute ping`` can get an answer from (filled by ``negotiate.derive``).

    ``owner`` is the lab device's hostname, or None for an external peer. ``underlay``:
    reachable without a tunnel (a tunnel gateway, or any external peer); a LAN-side
    interface of another device answers only through an up selector that covers it.
    """

    owner: Optional[str]
    answers: bool
    underlay: bool
    latency_ms: int = 0


# Session faults (lab key ``session_faults``): what a flaky network or a struggling device does
# to an SSH CLI session. Command faults fire on a command line matching ``command``; login
# faults act on the SSH login itself. See fortisim/sessionfaults.py and the README.
COMMAND_FAULTS: tuple[str, ...] = ("drop", "stall", "slow", "garbage", "huge", "paging", "prompt_change", "cli_error")
LOGIN_FAULTS: tuple[str, ...] = ("auth_failure", "host_key_change", "disclaimer")
SESSION_FAULTS: tuple[str, ...] = COMMAND_FAULTS + LOGIN_FAULTS


@dataclass
class SessionFault:
    kind: str
    command: Optional[str] = None  # regex searched in the command line; None: any command
    times: int = 1  # how many times it fires before it heals; 0: never heals
    after_bytes: Optional[int] = None  # drop/stall: output bytes sent first (None: drop 0, stall all)
    delay_ms: int = 200  # slow: pause between chunks
    chunk_bytes: int = 64  # slow: bytes per chunk
    size_bytes: int = 1_000_000  # huge: extra output
    code: int = -61  # cli_error: the return code
    hostname: Optional[str] = None  # prompt_change: the new hostname in the prompt
    text: Optional[str] = None  # disclaimer: the banner
    fired: int = 0  # how often it has fired so far

    @property
    def exhausted(self) -> bool:
        return self.times != 0 and self.fired >= self.times


@dataclass
class Device:
    hostname: str
    model: str
    release: Release
    serial: str
    vdom_mode: str = "disable"
    vdoms: list[str] = field(default_factory=lambda: ["root"])
    console_output: str = "standard"
    admins: list[Admin] = field(default_factory=list)
    disclaimer: Optional[str] = None
    latency_ms: int = 0
    negotiation_ms: int = 0  # how long a new SA takes to appear after up/flush/clear
    ha_mode: str = "standalone"
    interfaces: dict[str, Interface] = field(default_factory=dict)
    tunnels: dict[str, list[TunnelView]] = field(default_factory=dict)
    # Every pingable address of the lab; one dict shared by all devices.
    hosts: dict[str, PingHost] = field(default_factory=dict, repr=False)
    sniffer_period_ms: int = 1000  # how often a running sniffer prints a burst of packets
    debug: DeviceDebug = field(default_factory=DeviceDebug, repr=False)  # device-wide debug switches
    # Injected session faults (lab key ``session_faults``; fortisim/sessionfaults.py). Their
    # ``left`` counters belong to the device: every session of it uses them up.
    session_faults: list["SessionFault"] = field(default_factory=list, repr=False)
    prompt_name: Optional[str] = None  # set by a prompt_change fault: the prompt's new hostname

    @property
    def multi_vdom(self) -> bool:
        return self.vdom_mode == "multiple"

    @property
    def is_vm(self) -> bool:
        # VMs have no NPU, so phase1 has no npu-offload setting at all.
        return self.model.startswith("FortiGate-VM")

    @property
    def primary_admin(self) -> Admin:
        return self.admins[0]

    def vdom_index(self, vdom: str) -> int:
        """Kernel VDOM index as printed (``vd: root/0``).

        Non-root VDOMs start at 3 because indices 1 and 2 belong to hidden system
        VDOMs on real boxes; clients must not assume they are contiguous.
        """
        if vdom == "root":
            return 0
        others = [v for v in self.vdoms if v != "root"]
        return 3 + others.index(vdom)

    def authenticate(self, username: str, password: str) -> Optional[Admin]:
        for admin in self.admins:
            if admin.username == username and admin.password == password:
                return admin
        return None

    def views(self, vdom: str) -> list[TunnelView]:
        return self.tunnels.setdefault(vdom, [])


@dataclass
class Lab:
    devices: dict[str, Device]
    static_tunnels: list[StaticTunnelSpec] = field(default_factory=list)
    dialups: list[DialupSpec] = field(default_factory=list)
    results: list[TunnelResult] = field(default_factory=list)

    def result(self, name: str) -> TunnelResult:
        for res in self.results:
            if res.name == name:
                return res
        raise KeyError(name)
