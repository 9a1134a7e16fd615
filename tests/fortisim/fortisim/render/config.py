"""``show [full-configuration] vpn ipsec phase1-interface|phase2-interface [NAME]``, and
``show``/``get`` inside ``config vpn ipsec phase1-interface`` / ``edit NAME``.

Each setting is a row ``(key, value, default)``: ``show`` prints the rows whose
value differs from the default (``ALWAYS`` rows every time), ``show
full-configuration`` prints them all. FortiOS prints many more attributes under
full-configuration; this is a plausible subset in a fixed order.

Per train: the factory ``dhgrp`` is ``14 5`` on 6.4 and ``20 21`` from 7.0, so it
shows up under plain ``show`` accordingly; full-configuration adds ``ppk`` and
``network-overlay`` from 7.0, ``transport`` from 7.4 and ``qkd`` on 7.6.
VM models have no NPU and no ``npu-offload`` row. The PSK is never printed: ``set psksecret ENC <base64>`` is a made-up,
deterministic ciphertext of it.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Optional, Union

from fortisim import seed
from fortisim.model import Device, Net, Phase2, TunnelView
from fortisim.versions import Release


class _Always:
    """Default marker: the row is printed by plain ``show`` too."""


ALWAYS = _Always()
Row = tuple[str, str, Union[str, _Always]]


def enc_secret(secret: str, *salt: object) -> str:
    """``ENC <base64>``: about 120 characters, stable per secret and salt, never containing the secret."""
    size = 84 + 8 * ((len(secret.encode()) + 7) // 8)
    attempt = 0
    while True:
        text = base64.b64encode(seed.raw_bytes(size, "psksecret", secret, attempt, *salt)).decode()
        if secret not in text:
            return f"ENC {text}"
        attempt += 1


def _default_dhgrp(rel: Release) -> str:
    return "14 5" if rel.train == (6, 4) else "20 21"


def _subnet(net: Net) -> str:
    return f"{net.network_address} {net.netmask}"


def config_views(device: Device, vdom: str) -> list[TunnelView]:
    """Configured phase1-interfaces: static tunnels and dial-up parents, not instances."""
    return [view for view in device.views(vdom) if view.kind != "dial_inst"]


def _phase1_rows(device: Device, view: TunnelView) -> list[Row]:
    rel, p1 = device.release, view.phase1
    local_gw = view.local_gw if view.local_gw != str(view.interface.ip) else "0.0.0.0"
    rows: list[Row] = [
        ("type", p1.type, "static"),
        ("interface", f'"{view.interface.name}"', ALWAYS),
        ("ip-version", "4", "4"),
        ("ike-version", str(p1.ike_version), "1"),
        ("local-gw", local_gw, "0.0.0.0"),
        ("keylife", str(p1.keylife), "86400"),
        ("authmethod", "psk", "psk"),
        ("mode", p1.mode, "main"),
        ("peertype", "one" if p1.peerid else "any", "peer"),
    ]
    if p1.peerid:
        rows.append(("peerid", f'"{p1.peerid}"', ALWAYS))
    rows += [
        ("net-device", p1.net_device, "enable"),
        ("passive-mode", "disable", "disable"),
        ("exchange-interface-ip", "disable", "disable"),
        ("mode-cfg", "disable", "disable"),
        ("proposal", " ".join(p1.proposal), ALWAYS),
        ("add-route", p1.add_route, "enable"),
        ("localid", f'"{p1.localid or ""}"', '""'),
        ("auto-negotiate", "enable", "enable"),
        ("nattraversal", p1.nattraversal, "enable"),
        ("keepalive", "10", "10"),
        ("fragmentation", "enable", "enable"),
        ("dpd", p1.dpd, "on-demand"),
        ("dpd-retrycount", "3", "3"),
        ("dpd-retryinterval", "20", "20"),
    ]
    if not device.is_vm:  # no NPU, no setting
        rows.append(("npu-offload", p1.npu_offload, "enable"))
    if rel.at_least(7, 0):
        rows += [("ppk", "disable", "disable"), ("network-overlay", "disable", "disable")]
    if rel.at_least(7, 4):
        rows.append(("transport", "udp", "udp"))
    if rel.at_least(7, 6):
        rows.append(("qkd", "disable", "disable"))
    rows.append(("dhgrp", " ".join(map(str, p1.dhgrp)), _default_dhgrp(rel)))
    if p1.type == "static":
        rows.append(("remote-gw", view.remote_gw, "0.0.0.0"))
    rows.append(("psksecret", enc_secret(p1.psksecret, device.hostname, view.vdom, view.name), ALWAYS))
    return rows


def _phase2_rows(device: Device, phase1name: str, p2: Phase2) -> list[Row]:
    rows: list[Row] = [
        ("phase1name", f'"{phase1name}"', ALWAYS),
        ("proposal", " ".join(p2.proposal), ALWAYS),
        ("pfs", p2.pfs, "enable"),
        ("ipv4-df", "disable", "disable"),
    ]
    if p2.pfs == "enable":  # FortiOS hides dhgrp without PFS
        rows.append(("dhgrp", " ".join(map(str, p2.dhgrp)), _default_dhgrp(device.release)))
    rows += [
        ("replay", "enable", "enable"),
        ("keepalive", "disable", "disable"),
        ("auto-negotiate", p2.auto_negotiate, "disable"),
        ("keylife-type", "seconds", "seconds"),
        ("encapsulation", "tunnel-mode", "tunnel-mode"),
        ("protocol", "0", "0"),
        ("src-addr-type", "subnet", "subnet"),
        ("src-port", "0", "0"),
        ("dst-addr-type", "subnet", "subnet"),
        ("dst-port", "0", "0"),
        ("keylifeseconds", str(p2.keylifeseconds), "43200"),
        ("src-subnet", _subnet(p2.src_subnet), "0.0.0.0 0.0.0.0"),
        ("dst-subnet", _subnet(p2.dst_subnet), "0.0.0.0 0.0.0.0"),
    ]
    return rows


def _entry(name: str, rows: list[Row], full: bool) -> list[str]:
    lines = [f'    edit "{name}"']
    lines += [f"        set {key} {value}" for key, value, default in rows
              if full or default is ALWAYS or value != default]
    return lines + ["    next"]


# Every key ``_phase1_rows`` can print: what ``set``/``unset`` recognise inside an edit.
PHASE1_KEYS = frozenset({
    "type", "interface", "ip-version", "ike-version", "local-gw", "keylife", "authmethod", "mode", "peertype",
    "peerid", "net-device", "passive-mode", "exchange-interface-ip", "mode-cfg", "proposal", "add-route",
    "localid", "auto-negotiate", "nattraversal", "keepalive", "fragmentation", "dpd", "dpd-retrycount",
    "dpd-retryinterval", "npu-offload", "ppk", "network-overlay", "transport", "qkd", "dhgrp", "remote-gw",
    "psksecret"})


def phase1_entry(device: Device, view: Optional[TunnelView], name: str, full: bool,
                 npu_offload: Optional[str] = None) -> list[str]:
    """``show`` inside ``edit NAME``: the entry with its uncommitted npu-offload.

    A new entry (``view`` None) has nothing configured yet but what was set.
    """
    if view is None:
        rows: list[Row] = [("npu-offload", npu_offload, "enable")] if npu_offload and not device.is_vm else []
    else:
        if npu_offload is not None:
            view = replace(view, phase1=replace(view.phase1, npu_offload=npu_offload))
        rows = _phase1_rows(device, view)
    return ["config vpn ipsec phase1-interface", *_entry(name, rows, full), "end"]


def phase1_get(device: Device, view: Optional[TunnelView], name: str, npu_offload: Optional[str] = None) -> list[str]:
    """``get`` inside ``edit NAME``: ``key : value`` for every attribute, unquoted."""
    lines = [f"{'name':<20}: {name}"]
    if view is None:
        return lines + ([] if device.is_vm else [f"{'npu-offload':<20}: {npu_offload or 'enable'}"])
    if npu_offload is not None:
        view = replace(view, phase1=replace(view.phase1, npu_offload=npu_offload))
    for key, value, _unused in _phase1_rows(device, view):
        unquoted = value.strip('"')
        lines.append(f"{key:<20}: {unquoted}")
    return lines


def phase1_show(device: Device, vdom: str, full: bool, name: Optional[str] = None) -> list[str]:
    lines = ["config vpn ipsec phase1-interface"]
    for view in config_views(device, vdom):
        if name is None or view.name == name:
            lines += _entry(view.name, _phase1_rows(device, view), full)
    return lines + ["end"]


def phase2_show(device: Device, vdom: str, full: bool, name: Optional[str] = None) -> list[str]:
    lines = ["config vpn ipsec phase2-interface"]
    for view in config_views(device, vdom):
        for sel in view.selectors:
            if name is None or sel.name == name:
                lines += _entry(sel.name, _phase2_rows(device, view.name, sel.settings), full)
    return lines + ["end"]
