# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare the IPsec configuration of two peers: pure functions, no I/O.

Each side is `{"host": NAME (optional), "phase1": <parsed phase1 entry>, "phase2": [<parsed
phase2 entries of that phase 1>], "gateway_ip": WAN address or None}` (entries as returned by
`parse_phase1_config` / `parse_phase2_config`). `compare(local, peer)` returns the mismatches,
each `{"code", "setting", "local", "peer", "severity", "text"}`; `text` names the setting and
both values.

`show` (without `full-configuration`) omits settings left at their default: missing
`ike_version`, `mode`, `nattraversal`, `dpd` and `pfs` read as FortiOS defaults (1, main,
enable, on-demand, enable); a missing `proposal`, `dhgrp`, `keylife` or `keylifeseconds` is
not compared (the default changed between releases). Pre-shared secrets are always redacted
and never compared.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

DEFAULTS = {"ike_version": "1", "mode": "main", "nattraversal": "enable", "dpd": "on-demand", "pfs": "enable"}
ANY_SUBNET = "0.0.0.0/0"

Mismatch = Dict[str, Any]


def _side_name(side: Mapping[str, Any], fallback: str) -> str:
    host = side.get("host")
    return str(host) if host else fallback


def _setting(entry: Optional[Mapping[str, Any]], key: str) -> Any:
    if not entry:
        return DEFAULTS.get(key)
    value = entry.get(key)
    if value is None or value == "":
        return DEFAULTS.get(key)
    return value


def _as_list(value: Any) -> List[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return str(value).split()


def _show(values: Sequence[str]) -> str:
    return " ".join(values) if values else "(none)"


def normalize_subnet(value: Any) -> str:
    """A selector as a CIDR string (`0.0.0.0/0` when unset); odd text is returned as is."""
    if value is None or value == "":
        return ANY_SUBNET
    if isinstance(value, (list, tuple)):
        value = "/".join(str(item) for item in value)
    text = str(value).strip()
    try:
        return str(ipaddress.ip_network(text.replace(" ", "/"), strict=False))
    except ValueError:
        return text


def _mismatch(code: str, setting: str, local: Any, peer: Any, severity: str, text: str) -> Mismatch:
    return {"code": code, "setting": setting, "local": local, "peer": peer, "severity": severity, "text": text}


def _compare_phase1(p1l: Mapping[str, Any], p1p: Mapping[str, Any], names: Tuple[str, str],
                    sides: Tuple[Mapping[str, Any], Mapping[str, Any]]) -> List[Mismatch]:
    lname, pname = names
    out: List[Mismatch] = []
    vl, vp = str(_setting(p1l, "ike_version")), str(_setting(p1p, "ike_version"))
    if vl != vp:
        out.append(_mismatch("ike_version_mismatch", "phase1 ike-version", vl, vp, "critical",
                             "phase 1 ike-version: %s uses IKEv%s, %s uses IKEv%s" % (lname, vl, pname, vp)))
    elif vl == "1":
        ml, mp = str(_setting(p1l, "mode")), str(_setting(p1p, "mode"))
        if ml != mp:
            out.append(_mismatch("ike_mode_mismatch", "phase1 mode", ml, mp, "critical",
                                 "phase 1 mode: %s uses %s mode, %s uses %s mode" % (lname, ml, pname, mp)))
    prl, prp = _as_list(p1l.get("proposal")), _as_list(p1p.get("proposal"))
    if prl and prp and not set(prl) & set(prp):
        out.append(_mismatch("phase1_proposal_mismatch", "phase1 proposal", prl, prp, "critical",
                             "phase 1 proposal: %s offers %s, %s offers %s (no common proposal)"
                             % (lname, _show(prl), pname, _show(prp))))
    dhl, dhp = _as_list(p1l.get("dhgrp")), _as_list(p1p.get("dhgrp"))
    if dhl and dhp and not set(dhl) & set(dhp):
        out.append(_mismatch("phase1_proposal_mismatch", "phase1 dhgrp", dhl, dhp, "critical",
                             "phase 1 dhgrp: %s offers %s, %s offers %s (no common DH group)"
                             % (lname, _show(dhl), pname, _show(dhp))))
    # peerid of one side against what the other side sends as its ID.
    for (this, other), (tname, oname) in (((p1l, p1p), (lname, pname)), ((p1p, p1l), (pname, lname))):
        peerid = this.get("peerid")
        if not peerid:
            continue
        other_side = sides[1] if this is p1l else sides[0]
        sent = other.get("localid") or None
        effective = sent or other_side.get("gateway_ip")
        if effective != peerid:
            shown = sent if sent else "no localid (ID is its address %s)" % (other_side.get("gateway_ip") or "unknown")
            out.append(_mismatch("peer_id_mismatch", "phase1 peerid/localid",
                                 peerid if this is p1l else shown, shown if this is p1l else peerid, "critical",
                                 "phase 1 peerid: %s accepts peer ID %s, %s sends %s"
                                 % (tname, peerid, oname, shown)))
    nl, np_ = str(_setting(p1l, "nattraversal")), str(_setting(p1p, "nattraversal"))
    if (nl == "disable") != (np_ == "disable"):
        out.append(_mismatch("nat_t_disabled", "phase1 nattraversal", nl, np_, "warning",
                             "phase 1 nattraversal: %s has %s, %s has %s (NAT-T fails when the path is NATed)"
                             % (lname, nl, pname, np_)))
    dl, dp = str(_setting(p1l, "dpd")), str(_setting(p1p, "dpd"))
    if dl != dp and "disable" in (dl, dp):
        out.append(_mismatch("dpd_mismatch", "phase1 dpd", dl, dp, "warning",
                             "phase 1 dpd: %s has %s, %s has %s (a dead peer is detected on one side only)"
                             % (lname, dl, pname, dp)))
    kl, kp = p1l.get("keylife"), p1p.get("keylife")
    if kl and kp and str(kl) != str(kp):
        out.append(_mismatch("lifetime_mismatch", "phase1 keylife", kl, kp, "info",
                             "phase 1 keylife: %s has %s s, %s has %s s (the shorter one is used)" % (lname, kl, pname, kp)))
    return out


def _selectors(entry: Mapping[str, Any]) -> Tuple[str, str]:
    return normalize_subnet(entry.get("src_subnet")), normalize_subnet(entry.get("dst_subnet"))


def _p2_label(entry: Mapping[str, Any]) -> str:
    src, dst = _selectors(entry)
    return "%s (%s -> %s)" % (entry.get("name") or "?", src, dst)


def pair_phase2(local: Sequence[Mapping[str, Any]], peer: Sequence[Mapping[str, Any]]
                ) -> Tuple[List[Tuple[Mapping[str, Any], Mapping[str, Any], bool]], List[Mapping[str, Any]], List[Mapping[str, Any]]]:
    """Pairs (local, peer, mirrored): first by mirrored selectors, then the rest by order.

    Returns the pairs plus the local and peer entries left without a partner."""
    pairs: List[Tuple[Mapping[str, Any], Mapping[str, Any], bool]] = []
    free_peer = list(peer)
    rest_local: List[Mapping[str, Any]] = []
    for entry in local:
        src, dst = _selectors(entry)
        match = next((other for other in free_peer if _selectors(other) == (dst, src)), None)
        if match is None:
            rest_local.append(entry)
            continue
        free_peer.remove(match)
        pairs.append((entry, match, True))
    count = min(len(rest_local), len(free_peer))
    for index in range(count):
        pairs.append((rest_local[index], free_peer[index], False))
    return pairs, rest_local[count:], free_peer[count:]


def _compare_phase2_pair(p2l: Mapping[str, Any], p2p: Mapping[str, Any], mirrored: bool, names: Tuple[str, str]) -> List[Mismatch]:
    lname, pname = names
    out: List[Mismatch] = []
    where = "phase 2 %s / %s" % (p2l.get("name") or "?", p2p.get("name") or "?")
    if not mirrored:
        (ls, ld), (ps, pd) = _selectors(p2l), _selectors(p2p)
        out.append(_mismatch("selector_mismatch", "phase2 src-subnet/dst-subnet", [ls, ld], [ps, pd], "critical",
                             "%s selectors: %s has src %s dst %s, %s has src %s dst %s (must mirror each other)"
                             % (where, lname, ls, ld, pname, ps, pd)))
    prl, prp = _as_list(p2l.get("proposal")), _as_list(p2p.get("proposal"))
    if prl and prp and not set(prl) & set(prp):
        out.append(_mismatch("phase2_proposal_mismatch", "phase2 proposal", prl, prp, "critical",
                             "%s proposal: %s offers %s, %s offers %s (no common proposal)" % (where, lname, _show(prl), pname, _show(prp))))
    fl, fp = str(_setting(p2l, "pfs")), str(_setting(p2p, "pfs"))
    if fl != fp:
        out.append(_mismatch("phase2_proposal_mismatch", "phase2 pfs", fl, fp, "critical",
                             "%s pfs: %s has %s, %s has %s" % (where, lname, fl, pname, fp)))
    elif fl == "enable":
        dhl, dhp = _as_list(p2l.get("dhgrp")), _as_list(p2p.get("dhgrp"))
        if dhl and dhp and not set(dhl) & set(dhp):
            out.append(_mismatch("phase2_proposal_mismatch", "phase2 dhgrp", dhl, dhp, "critical",
                                 "%s dhgrp (PFS): %s offers %s, %s offers %s (no common DH group)"
                                 % (where, lname, _show(dhl), pname, _show(dhp))))
    kl, kp = p2l.get("keylifeseconds"), p2p.get("keylifeseconds")
    if kl and kp and str(kl) != str(kp):
        out.append(_mismatch("lifetime_mismatch", "phase2 keylifeseconds", kl, kp, "info",
                             "%s keylifeseconds: %s has %s s, %s has %s s (the shorter one is used)" % (where, lname, kl, pname, kp)))
    return out


def compare(local: Mapping[str, Any], peer: Mapping[str, Any]) -> List[Mismatch]:
    """Mismatches between the configuration of two peers of one tunnel (see the module doc)."""
    names = (_side_name(local, "local"), _side_name(peer, "peer"))
    p1l: Mapping[str, Any] = local.get("phase1") or {}
    p1p: Mapping[str, Any] = peer.get("phase1") or {}
    out: List[Mismatch] = []
    if p1l and p1p:
        out.extend(_compare_phase1(p1l, p1p, names, (local, peer)))
    if local.get("phase2") is None or peer.get("phase2") is None:
        return out  # phase 2 of one side unknown: nothing to pair
    pairs, lonely_local, lonely_peer = pair_phase2(local["phase2"], peer["phase2"])
    for p2l, p2p, mirrored in pairs:
        out.extend(_compare_phase2_pair(p2l, p2p, mirrored, names))
    for entry in lonely_local:
        out.append(_mismatch("selector_mismatch", "phase2 src-subnet/dst-subnet", _p2_label(entry), None, "critical",
                             "phase 2 %s: %s has no phase 2 with the mirrored selectors" % (_p2_label(entry), names[1])))
    for entry in lonely_peer:
        out.append(_mismatch("selector_mismatch", "phase2 src-subnet/dst-subnet", None, _p2_label(entry), "critical",
                             "phase 2 %s of %s: %s has no phase 2 with the mirrored selectors" % (_p2_label(entry), names[1], names[0])))
    return out
