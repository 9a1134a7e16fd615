"""``diagnose vpn tunnel list|dialup-list`` and ``get vpn ipsec tunnel summary``.

Train differences (see fortios-cli-facts.md): line 1 gains ``tun_id= tun_id6=
dst_mtu= dpd-link= weight=`` from 7.0; ``fec:`` appears from 7.2; 7.4 adds
``status=`` to DPD and ``nexthop= status=`` to dialup-list line 1; 0/0 selectors
print as a range from 7.0 and as a netmask in 6.4.
"""

from __future__ import annotations

import ipaddress
from typing import Optional

from fortisim import seed
from fortisim.clock import Clock
from fortisim.model import Device, Selector, TunnelView
from fortisim.sa import NEVER, ipsec_sa, tunnel_traffic
from fortisim.versions import Release

SEPARATOR = "-" * 54
_MODES = {"static": "auto/1", "dialup": "dialup/2", "dial_inst": "dial_inst/3"}


def _addr(net: ipaddress.IPv4Network, rel: Release) -> str:
    if rel.at_least(7, 0) and net.prefixlen == 0:
        return "0.0.0.0-255.255.255.255"
    return f"{net.network_address}/{net.netmask}"


def _options(view: TunnelView) -> str:
    # ``npu`` here is the interface option and follows the phase1 configuration; whether
    # each SA was actually offloaded is its own ``npu_flag``.
    flags = [(0x0010, "create_dev", view.kind == "dial_inst" and view.phase1.net_device == "enable"),
             (0x0020, "npu", view.npu),
             (0x0080, "rgwy-chg", view.kind == "dial_inst"),
             (0x0100, "rport-chg", view.kind == "dial_inst" and view.remote_port not in (500, 4500)),
             (0x0200, "frag-rfc", True)]
    active = [(bit, name) for bit, name, on in flags if on]
    value = 0x0008 | sum(bit for bit, name in active)
    return f"options[{value:04x}]=" + " ".join(name for bit, name in active)


def _tun_id(view: TunnelView) -> str:
    # A dial-up parent has no peer; the kernel gives it an internal placeholder id.
    return f"10.0.0.{view.serial}" if view.kind == "dialup" else view.remote_gw


def _line1(view: TunnelView, rel: Release, dialup_list: bool) -> str:
    lport, rport = (view.local_port, view.remote_port) if view.nat else (0, 0)
    line = (f"name={view.name} ver={view.phase1.ike_version} serial={view.serial} "
            f"{view.local_gw}:{lport}->{view.remote_gw}:{rport}")
    if rel.at_least(7, 0):
        mtu = 0 if view.kind == "dialup" else 1500
        line += f" tun_id={_tun_id(view)} tun_id6=::{_tun_id(view)} dst_mtu={mtu} dpd-link=on weight=1"
    if dialup_list and rel.at_least(7, 4):
        line += f" nexthop=0.0.0.0 status={view.state}"
    return line


def _line2(view: TunnelView, rel: Release) -> str:
    tun = "intf/0" if rel.train == (6, 4) else "intf"
    encap = seed.int_between(520, 9000, "encap", view.kind, view.nat)
    line = (f"bound_if={view.interface.ifindex} lgwy=static/1 tun={tun} mode={_MODES[view.kind]} "
            f"encap=none/{encap} {_options(view)}  run_state=0 ")
    if rel.at_least(7, 0):
        line += "role=primary "
    return line + "accept_traffic=1 overlay_id=0"


def _dpd(view: TunnelView, rel: Release) -> str:
    mode = {"on-idle": "on-idle", "on-demand": "on-demand", "disable": "off"}[view.phase1.dpd]
    on = 0 if view.phase1.dpd == "disable" else 1
    status = f" status={'ok' if view.phase1_up else 'down'}" if rel.at_least(7, 4) and on else ""
    count = 3 if view.fault == "dpd_timeout" else 0
    seqno = seed.int_between(0, 4000, "dpdseq", view.link, view.side) if view.phase1_up and on else 0
    return f"dpd: mode={mode} on={on}{status} idle=20000ms retry=3 count={count} seqno={seqno}"


def _natt(view: TunnelView) -> str:
    if not view.nat:
        return "natt: mode=none draft=0 interval=0 remote_port=0"
    mode = "keepalive" if view.nat_keepalive else "silent"
    return f"natt: mode={mode} draft=0 interval=10 remote_port={view.remote_port}"


def _proxyid(view: TunnelView, sel: Selector, number: int, rel: Release, clock: Clock) -> list[str]:
    flag = " auto-negotiate" if sel.settings.auto_negotiate == "enable" else ""
    sa = ipsec_sa(view, sel, clock.elapsed())
    lines = [f"proxyid={sel.name} proto=0 sa={1 if sa else 0} ref={2 if sa else 1} serial={number}{flag}",
             f"  src: 0:{_addr(sel.src, rel)}:0",
             f"  dst: 0:{_addr(sel.dst, rel)}:0"]
    if sa is None:
        return lines
    if rel.train == (6, 4):
        tail, options = "itn=0 qat=0 hash_search_len=1", "10226"
    elif rel.at_least(7, 4):
        tail, options = "itn=0 qat=0 rekey=0 hash_search_len=1", "18227"
    else:
        tail, options = "qat=0 rekey=0 hash_search_len=1", "18227"
    mtu = 1422 if view.nat else 1438
    timeout = sa.expire + seed.int_between(3, 15, "soft", view.link, sel.name)
    # The flag the SA was established with: a later npu-offload change only reaches new SAs.
    npu_flag = sel.npu_flag or "00"
    npuid = 1 if npu_flag == "03" else 0
    lines += [
        f"  SA:  ref=3 options={options} type=00 soft=0 mtu={mtu} expire={sa.expire}/0B replaywin=2048",
        f"       seqno={sa.enc_packets + 1:x} esn=0 replaywin_lastseq={sa.dec_packets:08x} {tail}",
        f"  life: type=01 bytes=0/0 timeout={timeout}/{sel.settings.keylifeseconds}",
    ]
    for label, keys in (("dec", sa.inbound), ("enc", sa.outbound)):
        # With AEAD ciphers the ah line keeps a trailing space after key=0, as printed.
        lines += [f"  {label}: spi={keys.spi} esp={keys.esp} key={keys.enc_len} {keys.enc_key}",
                  f"       ah={keys.ah} key={keys.auth_len} {keys.auth_key}"]
    lines += [
        f"  dec:pkts/bytes={sa.dec_packets}/{sa.dec_bytes}, enc:pkts/bytes={sa.enc_packets}/{sa.enc_bytes}",
        f"  npu_flag={npu_flag} npu_rgwy={view.remote_gw} npu_lgwy={view.local_gw} "
        f"npu_selid={number - 1} dec_npuid={npuid} enc_npuid={npuid}",
    ]
    return lines


def _record(view: TunnelView, rel: Release, clock: Clock, dialup_list: bool = False) -> list[str]:
    lines = [_line1(view, rel, dialup_list), _line2(view, rel), ""]
    if view.kind == "dial_inst":
        lines.append(f"parent={view.parent} index={view.index}")
    up = view.state == "up"
    last = seed.int_between(0, 9, "last", view.link, view.side) if up else NEVER
    proxyids = 0 if view.kind == "dialup" else len(view.selectors)
    refcnt = 3 + proxyids + view.child_num
    lines.append(f"proxyid_num={proxyids} child_num={view.child_num} refcnt={refcnt} "
                 f"ilast={last} olast={last} ad=/0")
    rxp, txp, rxb, txb = tunnel_traffic(view, clock.elapsed())
    lines += [f"stat: rxp={rxp} txp={txp} rxb={rxb} txb={txb}", _dpd(view, rel), _natt(view)]
    if rel.at_least(7, 2):
        lines.append("fec: egress=0 ingress=0")
    if view.kind == "dialup":
        lines.append("run_tally=0")
        return lines
    for number, sel in enumerate(view.selectors, start=1):
        lines += _proxyid(view, sel, number, rel, clock)
    return lines


def _listing(header: str, views: list[TunnelView], rel: Release, clock: Clock,
             dialup_list: bool = False) -> list[str]:
    lines = [header]
    for view in views:
        lines.append(SEPARATOR)
        lines += _record(view, rel, clock, dialup_list)
    return lines


def tunnel_list(device: Device, vdom: str, clock: Clock, name: Optional[str] = None) -> list[str]:
    vd = device.vdom_index(vdom)
    views = device.views(vdom)
    if name is None:
        return _listing(f"list all ipsec tunnel in vd {vd}", views, device.release, clock)
    return _listing(f"list ipsec tunnel by names in vd {vd}", [v for v in views if v.name == name],
                    device.release, clock)


def dialup_list(device: Device, vdom: str, clock: Clock, parent: Optional[str] = None) -> list[str]:
    views = [v for v in device.views(vdom)
             if v.kind == "dial_inst" and (parent is None or v.parent == parent)]
    return _listing(f"list all ipsec tunnel in vd {device.vdom_index(vdom)}", views, device.release,
                    clock, dialup_list=True)


def tx_errors(view: TunnelView) -> int:
    """Packets dropped on the way out: only while IKE retransmits to a silent peer."""
    return seed.int_between(1, 40, "txerr", view.link) if view.connecting else 0


def summary_views(device: Device, vdom: str) -> list[TunnelView]:
    """Tunnels the ``get vpn ipsec tunnel ...`` family lists: dial-up instances, not parents."""
    return [view for view in device.views(vdom) if view.kind != "dialup"]


def tunnel_summary(device: Device, vdom: str, clock: Optional[Clock] = None) -> list[str]:
    lines = []
    elapsed = clock.elapsed() if clock else 0
    for view in summary_views(device, vdom):
        rxp, txp = tunnel_traffic(view, elapsed)[:2]
        port = view.remote_port if view.nat else 0
        up = sum(1 for s in view.selectors if s.up)
        tx_err = tx_errors(view)
        lines.append(f"'{view.name}' {view.remote_gw}:{port}  selectors(total,up): {len(view.selectors)}/{up}"
                     f"  rx(pkt,err): {rxp}/0  tx(pkt,err): {txp}/{tx_err}")
    return lines
