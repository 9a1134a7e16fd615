"""``get vpn ipsec tunnel details|name X``, ``get ipsec tunnel list``,
``get vpn ipsec stats tunnel`` and ``diagnose vpn ipsec status``.

Every value comes from the same helpers as ``diagnose vpn tunnel list``
(``sa.ipsec_sa``, ``sa.tunnel_traffic``), so SPIs, keys, counters and expiry
agree across commands and across both ends of a tunnel.

Train differences in tunnel details (inferred from captures, see the README):
7.2+ pads ``lifetime/rekey`` with three trailing blanks and ends each SA with
``NPU acceleration: none|both``; 7.4+ prints ``type: route-based`` after the name.
"""

from __future__ import annotations

import re
from typing import Optional

from fortisim.clock import Clock
from fortisim.model import Device, Net, Selector, TunnelView
from fortisim.render.tunnel import summary_views, tx_errors
from fortisim.sa import EspKeys, IpsecSa, ipsec_sa, tunnel_traffic
from fortisim.versions import Release

# esp= name in the kernel SA -> the cipher name tunnel details prints (cut to 6 chars).
_CIPHER_NAMES = {"aes": "aes-cbc", "aes-gcm": "aes-gcm"}


def _mask(net: Net) -> str:
    return f"{net.network_address}/{net.netmask}"


def _dpd(view: TunnelView) -> str:
    if view.phase1.dpd == "disable":
        return "  dpd: disabled"
    state = "negotiated" if view.phase1_up else "not-negotiated"
    count = 3 if view.fault == "dpd_timeout" else 0
    return f"  dpd: {view.phase1.dpd}/{state}  idle: 20000ms  retry: 3  count: {count}"


def _keys(label: str, keys: EspKeys) -> list[str]:
    cipher = _CIPHER_NAMES.get(keys.esp, keys.esp)[:6]
    return [f"      {label}",
            f"        spi: {keys.spi}",
            f"        enc: {cipher:>7}  {keys.enc_key}",
            f"        auth: {keys.ah:>6}  {keys.auth_key}"]


def _sa_block(view: TunnelView, sel: Selector, sa: IpsecSa, rel: Release) -> list[str]:
    pad = "   " if rel.at_least(7, 2) else ""
    lines = ["    SA",
             f"      lifetime/rekey: {sel.settings.keylifeseconds}/{sa.expire}{pad}",
             f"      mtu: {1422 if view.nat else 1438}",
             f"      tx-esp-seq: {sa.enc_packets + 1:x}",
             "      replay: enabled",
             "      qat: 0"]
    lines += _keys("inbound", sa.inbound) + _keys("outbound", sa.outbound)
    if rel.at_least(7, 2):
        lines.append(f"      NPU acceleration: {'both' if sel.npu_flag == '03' else 'none'}")
    return lines


def _gateway(view: TunnelView, rel: Release, clock: Clock) -> list[str]:
    lport, rport = (view.local_port, view.remote_port) if view.nat else (0, 0)
    remote_type = "dynamic" if view.kind == "dial_inst" else "static"
    rxp, txp, rxb, txb = tunnel_traffic(view, clock.elapsed())
    lines = ["gateway", f"  name: '{view.name}'"]
    if rel.at_least(7, 4):
        lines.append("  type: route-based")
    lines += [f"  local-gateway: {view.local_gw}:{lport} (static)",
              f"  remote-gateway: {view.remote_gw}:{rport} ({remote_type})",
              "  dpd-link: on",
              f"  mode: ike-v{view.phase1.ike_version}",
              f"  interface: '{view.interface.name}' ({view.interface.ifindex})",
              f"  rx  packets: {rxp}  bytes: {rxb}  errors: 0",
              f"  tx  packets: {txp}  bytes: {txb}  errors: {tx_errors(view)}",
              _dpd(view)]
    if view.nat:
        mode = "keep-alive" if view.nat_keepalive else "silent"
        lines.append(f"  nat traversal mode: {mode}      interval: 10")
    lines.append("  selectors")
    for sel in view.selectors:
        lines += [f"    name: '{sel.name}'",
                  f"    auto-negotiate: {sel.settings.auto_negotiate}",
                  "    mode: tunnel",
                  f"    src: 0:{_mask(sel.src)}:0",
                  f"    dst: 0:{_mask(sel.dst)}:0"]
        sa = ipsec_sa(view, sel, clock.elapsed())
        if sa is not None:
            lines += _sa_block(view, sel, sa, rel)
    return lines


def tunnel_details(device: Device, vdom: str, clock: Clock, name: Optional[str] = None) -> list[str]:
    """``get vpn ipsec tunnel details`` (all) or ``get vpn ipsec tunnel name X`` (one)."""
    lines: list[str] = []
    for view in summary_views(device, vdom):
        if name is None or view.name == name:
            lines += _gateway(view, device.release, clock)
    return lines


_LIST_ROW = "{:<15} {:<21} {:<31} {:<31} {:<6} {}"


def ipsec_tunnel_list(device: Device, vdom: str, clock: Clock) -> list[str]:
    """``get ipsec tunnel list``: the old monitor table, one row per selector.

    REMOTE-GW carries the port like the summary (0 unless NAT-T); TIMEOUT is the
    seconds left on the SA (``expire=`` in the tunnel list), 0 without one.
    """
    lines = [_LIST_ROW.format("NAME", "REMOTE-GW", "PROXY-ID-SOURCE", "PROXY-ID-DESTINATION", "STATUS", "TIMEOUT")]
    for view in summary_views(device, vdom):
        port = view.remote_port if view.nat else 0
        for sel in view.selectors:
            sa = ipsec_sa(view, sel, clock.elapsed())
            lines.append(_LIST_ROW.format(view.name, f"{view.remote_gw}:{port}", _mask(sel.src), _mask(sel.dst),
                                          "up" if sa else "down", sa.expire if sa else 0))
    return lines


def stats_tunnel(device: Device, vdom: str) -> list[str]:
    """``get vpn ipsec stats tunnel``: counts of the VDOM's kernel tunnels.

    Tunnels are what ``diagnose vpn tunnel list`` lists: static ones, and dial-up
    parents with their instances as ``dynamic``; ``errors`` counts tunnels down
    on a negotiation fault; selectors count like the summary (instances, not parents).
    """
    views = device.views(vdom)
    static = sum(1 for v in views if v.kind == "static")
    dynamic = len(views) - static
    errors = sum(1 for v in views if v.kind != "dialup" and v.state == "down" and v.fault)
    selectors = [s for v in views if v.kind != "dialup" for s in v.selectors]
    return ["tunnels", f"  total: {len(views)}", f"  static/ddns: {static}", f"  dynamic: {dynamic}",
            "  manual: 0", f"  errors: {errors}",
            "selectors", f"  total: {len(selectors)}", f"  up: {sum(1 for s in selectors if s.up)}"]


_CIPHERS = ("null", "des", "3des", "aes", "aes-gcm", "aria", "seed", "chacha20poly1305")
_HASHES = ("null", "md5", "sha1", "sha256", "sha384", "sha512")
_CP_CIPHERS = frozenset({"null", "des", "3des", "aes", "aes-gcm"})  # the rest is done in software


def crypto_engines(model: str) -> tuple[Optional[str], Optional[str]]:
    """(NPU block name, CP block name) for a model; a VM has neither."""
    if "VM" in model.upper():
        return None, None
    match = re.search(r"-(\d+)([A-Z]?)", model.upper())
    number, series = (int(match.group(1)), match.group(2)) if match else (0, "")
    if series in ("F", "G"):
        return ("NP7_0", "CP9") if number >= 400 else ("NP6XLITE_0", "CP9XLITE")
    return "NP6_0", "CP9" if series == "E" else "CP8"


def ipsec_status(device: Device, clock: Clock) -> list[str]:
    """``diagnose vpn ipsec status``: per crypto engine, packets per algorithm.

    Counters are device-wide (the engines are shared by every VDOM): each up SA's
    enc/dec packets go to the NPU block when the SA was established offloaded
    (``npu_flag=03``), else to the CP block, or SOFTWARE for ciphers the CP
    cannot do and on models without a CP.
    """
    npu, cp = crypto_engines(device.model)
    names = [n for n in (npu, cp) if n] + ["SOFTWARE"]
    enc: dict[str, dict[str, list[int]]] = {n: {a: [0, 0] for a in _CIPHERS} for n in names}
    integ: dict[str, dict[str, list[int]]] = {n: {a: [0, 0] for a in _HASHES} for n in names}
    for vdom in device.vdoms:
        for view in device.views(vdom):
            if view.kind == "dialup":
                continue
            for sel in view.selectors:
                sa = ipsec_sa(view, sel, clock.elapsed())
                if sa is None:
                    continue
                cipher, ah = sa.outbound.esp, sa.outbound.ah
                if sel.npu_flag == "03" and npu:  # the SA's own flag, not today's config
                    engine = npu
                elif cp and cipher in _CP_CIPHERS:
                    engine = cp
                else:
                    engine = "SOFTWARE"
                counts = enc[engine].setdefault(cipher, [0, 0])
                counts[0] += sa.enc_packets
                counts[1] += sa.dec_packets
                if ah != "null":  # AEAD ciphers carry their own integrity
                    counts = integ[engine].setdefault(ah, [0, 0])
                    counts[0] += sa.enc_packets
                    counts[1] += sa.dec_packets
    lines = ["All ipsec crypto devices in use:"]
    for name in names:
        lines += [f"{name}:", "    Encryption (encrypted/decrypted):"]
        lines += [f"        {alg}: {a} {b}" for alg, (a, b) in enc[name].items()]
        lines.append("    Integrity (generated/validated):")
        lines += [f"        {alg}: {a} {b}" for alg, (a, b) in integ[name].items()]
    return lines
