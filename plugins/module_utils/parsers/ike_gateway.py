# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose vpn ike gateway list` (also `list name X`).

Blocks of `key: value` lines, one block per phase 1 gateway, each starting with
`vd: NAME/INDEX`; indented `id/spi:` sub-blocks are the IKE SAs (two during a rekey).
Also accepts the older `get vpn ike gateway NAME` layout
(`IKE SA  created: 1/1  established: 1/1  time: ...`).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    gc_paused,
    iter_clean_lines,
    redact_field,
    redact_text,
    snake_key,
    split_host_port,
    to_int,
    yes_no,
)

_SA_COUNTS_RE = re.compile(
    r"^(?P<kind>IKE|IPsec)\s+SA:?\s+created:?\s*(?P<created>\d+)/(?P<created_total>\d+)"
    r"(?:\s+established:?\s*(?P<est>\d+)/(?P<est_total>\d+))?"
    r"(?:\s+times?:?\s*(?P<tmin>\d+)/(?P<tavg>\d+)/(?P<tmax>\d+)\s*ms)?(?P<rest>.*)$",
    re.IGNORECASE,
)
# `established 95-74s ago = 21000ms`: negotiation started 95 s ago, done 74 s ago, took 21 s.
_ESTABLISHED_RE = re.compile(r"(\d+)-(\d+)s ago\s*=\s*(\d+)\s*ms")
_STATE_RE = re.compile(r"\bstate\s+(\d+)")
_STARTED_RE = re.compile(r"\bstarted\s+(\d+)s ago")
_SECRET_KEYS = frozenset(("key", "sk_ei", "sk_er", "sk_ai", "sk_ar"))


def _new_gateway(vdom: Optional[str], vdom_index: Optional[int]) -> Dict[str, Any]:
    return {
        "vdom": vdom,
        "vdom_index": vdom_index,
        "name": None,
        "version": None,
        "interface": None,
        "interface_index": None,
        "local_ip": None,
        "local_port": None,
        "remote_ip": None,
        "remote_port": None,
        "created_seconds": None,
        "ike_sa_created": None,
        "ike_sa_created_total": None,
        "ike_sa_established": None,
        "ike_sa_established_total": None,
        "ike_sa_time_ms": None,
        "ipsec_sa_created": None,
        "ipsec_sa_created_total": None,
        "ipsec_sa_established": None,
        "ipsec_sa_established_total": None,
        "ipsec_sa_time_ms": None,
        "tun_id": None,
        "tun_id6": None,
        "remote_location": None,
        "network_id": None,
        "transport": None,
        "virtual_interface_local": None,
        "virtual_interface_remote": None,
        "peer_id": None,
        "peer_id_auth": None,
        "peer_sn": None,
        "auto_discovery": None,
        "auto_discovery_flags": None,
        "pending_queue": None,
        "ppk": None,
        "xauth_user": None,
        "eap_user": None,
        "assigned_ipv4": None,
        "assigned_ipv6": None,
        "nat": None,
        "two_factor": None,
        "groups": None,
        "forticlient_uid": None,
        "sas": [],
        "other": {},
    }


def _new_sa(value: str) -> Dict[str, Any]:
    # `id/spi: 3 a0d49273057cb2d8/146f94f98305de8d`
    parts = value.split()
    sa_id = to_int(parts[0]) if parts else None
    spi = parts[1] if len(parts) > 1 else None
    initiator, dummy, responder = (spi or "").partition("/")
    return {
        "id": sa_id,
        "spi": spi,
        "initiator_spi": initiator or None,
        "responder_spi": responder or None,
        "direction": None,
        "status": None,
        "state": None,
        "started_seconds_ago": None,
        "established_seconds_ago": None,
        "negotiation_ms": None,
        "proposal": None,
        "child": None,
        "key": None,
        "sk_ei": None,
        "sk_er": None,
        "sk_ai": None,
        "sk_ar": None,
        "ppk": None,
        "message_id_sent": None,
        "message_id_received": None,
        "qkd": None,
        "pqc_kem_ike": None,
        "pqc_kem_ipsec": None,
        "lifetime": None,
        "rekey": None,
        "dpd_sent": None,
        "dpd_received": None,
        "peer_id": None,
        "other": {},
    }


def _pair(value: str, base: int = 10) -> List[Optional[int]]:
    first, dummy, second = value.strip().partition("/")
    return [to_int(first, base), to_int(second, base)]


def _set_vd(gateway: Dict[str, Any], value: str) -> None:
    name, sep, index = value.strip().rpartition("/")
    if sep:
        gateway["vdom"], gateway["vdom_index"] = name or None, to_int(index)
    else:
        gateway["vdom"] = value.strip() or None


def _set_interface(gateway: Dict[str, Any], value: str) -> None:
    # `port1 3`: interface name then its index.
    name, dummy, index = value.strip().rpartition(" ")
    if name and index.isdigit():
        gateway["interface"], gateway["interface_index"] = name, int(index)
    elif index.isdigit():
        # `interface:  0`: no bound interface (seen on tunnels in transparent-mode VDOMs).
        gateway["interface"], gateway["interface_index"] = None, int(index)
    else:
        gateway["interface"] = value.strip() or None


def _set_addr(gateway: Dict[str, Any], value: str) -> None:
    # `L:500 -> R:500`; `->` alone while the gateway is down.
    local, dummy, remote = value.partition("->")
    gateway["local_ip"], gateway["local_port"] = split_host_port(local)
    gateway["remote_ip"], gateway["remote_port"] = split_host_port(remote)


def _set_tun_id(gateway: Dict[str, Any], value: str) -> None:
    # `10.0.0.6/::10.0.0.8`: IPv4 tunnel ID, then the IPv6 one.
    v4, sep, v6 = value.strip().partition("/")
    gateway["tun_id"] = v4 or None
    gateway["tun_id6"] = (v6 or None) if sep else None


def _set_vif(gateway: Dict[str, Any], value: str) -> None:
    local, dummy, remote = value.partition("->")
    gateway["virtual_interface_local"] = local.strip() or None
    gateway["virtual_interface_remote"] = remote.strip() or None


def _set_created(gateway: Dict[str, Any], value: str) -> None:
    text = value.strip()
    if text.endswith("ago"):
        text = text[:-3].strip()
    gateway["created_seconds"] = to_int(text[:-1] if text.endswith("s") else text)


def _set_auto_discovery(gateway: Dict[str, Any], value: str) -> None:
    # `2 receiver`, `1 sender`: flag bits, then the role(s) spelled out.
    flags, dummy, roles = value.strip().partition(" ")
    number = to_int(flags)
    if number is None:
        gateway["auto_discovery"] = value.strip() or None
    else:
        gateway["auto_discovery_flags"] = number
        gateway["auto_discovery"] = roles.strip() or None


def _text(field: str) -> Callable[[Dict[str, Any], str], None]:
    def setter(target: Dict[str, Any], value: str) -> None:
        target[field] = value.strip() or None
    return setter


def _integer(field: str) -> Callable[[Dict[str, Any], str], None]:
    def setter(target: Dict[str, Any], value: str) -> None:
        target[field] = to_int(value)
    return setter


def _boolean(field: str) -> Callable[[Dict[str, Any], str], None]:
    def setter(target: Dict[str, Any], value: str) -> None:
        target[field] = yes_no(value)
    return setter


def _set_status(sa: Dict[str, Any], value: str) -> None:
    text = value.strip()
    sa["status"] = text.split(None, 1)[0].rstrip(",") if text else None
    match = _ESTABLISHED_RE.search(text)
    if match:
        sa["started_seconds_ago"] = int(match.group(1))
        sa["established_seconds_ago"] = int(match.group(2))
        sa["negotiation_ms"] = int(match.group(3))
    match = _STATE_RE.search(text)
    if match:
        sa["state"] = int(match.group(1))
    match = _STARTED_RE.search(text)
    if match:
        sa["started_seconds_ago"] = int(match.group(1))


def _set_message_id(sa: Dict[str, Any], value: str) -> None:
    sa["message_id_sent"], sa["message_id_received"] = _pair(value)


def _set_lifetime(sa: Dict[str, Any], value: str) -> None:
    sa["lifetime"], sa["rekey"] = _pair(value)


def _set_dpd(sa: Dict[str, Any], value: str) -> None:
    # DPD sequence numbers are printed as 8 hex digits.
    sa["dpd_sent"], sa["dpd_received"] = _pair(value, 16)


_GATEWAY_FIELDS: Dict[str, Callable[[Dict[str, Any], str], None]] = {
    "version": _integer("version"),
    "interface": _set_interface,
    "addr": _set_addr,
    "tun_id": _set_tun_id,
    "remote_location": _text("remote_location"),
    "network-id": _integer("network_id"),
    "transport": _text("transport"),
    "virtual-interface-addr": _set_vif,
    "created": _set_created,
    "peer-id": _text("peer_id"),
    "peer-id-auth": _boolean("peer_id_auth"),
    "peer-auth": _boolean("peer_id_auth"),
    "peer-sn": _text("peer_sn"),
    "auto-discovery": _set_auto_discovery,
    "pending-queue": _integer("pending_queue"),
    "ppk": _boolean("ppk"),
    "xauth-user": _text("xauth_user"),
    "eap-user": _text("eap_user"),
    "assigned ipv4 address": _text("assigned_ipv4"),
    "assigned ipv6 address": _text("assigned_ipv6"),
    "nat": _text("nat"),
    "2fa": _boolean("two_factor"),
    "groups": _text("groups"),
    "forticlient uid": _text("forticlient_uid"),
}

_SA_FIELDS: Dict[str, Callable[[Dict[str, Any], str], None]] = {
    "direction": _text("direction"),
    "status": _set_status,
    "proposal": _text("proposal"),
    "child": _boolean("child"),
    "ppk": _boolean("ppk"),
    "message-id sent/recv": _set_message_id,
    "qkd": _boolean("qkd"),
    "pqc-kem (ike)": _boolean("pqc_kem_ike"),
    "pqc-kem (all ipsec)": _boolean("pqc_kem_ipsec"),
    "lifetime/rekey": _set_lifetime,
    "dpd sent/recv": _set_dpd,
    "peer-id": _text("peer_id"),
}


def _set_secret(sa: Dict[str, Any], field: str, value: str, include_keys: bool) -> None:
    material = value.strip()
    if not material:
        sa[field] = None  # SK_ai/SK_ar are empty with GCM
    else:
        sa[field] = material if include_keys else REDACTED


def _set_other(target: Dict[str, Any], key: str, value: str, include_keys: bool) -> None:
    # Unknown `key: value` lines inside a block: kept, with anything key-like hidden.
    name = snake_key(key) or "unnamed"
    target["other"][name] = value.strip() if include_keys else redact_field(key, value)


def _apply_counts(gateway: Dict[str, Any], match: Any, include_keys: bool) -> None:
    prefix = "ike_sa_" if match.group("kind").lower() == "ike" else "ipsec_sa_"
    gateway[prefix + "created"] = int(match.group("created"))
    gateway[prefix + "created_total"] = int(match.group("created_total"))
    if match.group("est") is not None:
        gateway[prefix + "established"] = int(match.group("est"))
        gateway[prefix + "established_total"] = int(match.group("est_total"))
    if match.group("tmin") is not None:
        gateway[prefix + "time_ms"] = {"min": int(match.group("tmin")), "avg": int(match.group("tavg")),
                                       "max": int(match.group("tmax"))}
    rest = match.group("rest").strip()
    if rest:  # newer releases may append fields: keep them
        gateway["other"][prefix + "extra"] = rest if include_keys else redact_text(rest)


class _State(object):
    __slots__ = ("gateway", "sa")

    def __init__(self) -> None:
        self.gateway: Optional[Dict[str, Any]] = None
        self.sa: Optional[Dict[str, Any]] = None


def _start_gateway(state: _State, gateways: List[Dict[str, Any]], vdom: Optional[str] = None,
                   vdom_index: Optional[int] = None) -> Dict[str, Any]:
    state.gateway = _new_gateway(vdom, vdom_index)
    state.sa = None
    gateways.append(state.gateway)
    return state.gateway


# First characters _SA_COUNTS_RE can match (IGNORECASE also lets "i" match "İ" and "ı").
_SA_COUNTS_FIRST = frozenset("Ii\u0130\u0131")


def _handle_line(state: _State, line: str, gateways: List[Dict[str, Any]], include_keys: bool) -> bool:
    match = _SA_COUNTS_RE.match(line) if line[:1] in _SA_COUNTS_FIRST else None
    if match:
        if state.gateway is None:
            return False
        _apply_counts(state.gateway, match, include_keys)
        state.sa = None
        return True
    key, sep, value = line.partition(":")
    if not sep:
        return False
    key_lower = key.strip().lower()
    if key_lower == "vd":
        gateway = _start_gateway(state, gateways)
        _set_vd(gateway, value)
        return True
    if key_lower == "name":
        # Without a `vd:` line (e.g. `get vpn ike gateway`), a second name starts a new block.
        gateway = state.gateway
        if gateway is None or gateway["name"] is not None:
            vdom = gateway["vdom"] if gateway else None
            vdom_index = gateway["vdom_index"] if gateway else None
            gateway = _start_gateway(state, gateways, vdom, vdom_index)
        gateway["name"] = value.strip() or None
        return True
    gateway = state.gateway
    if gateway is None:
        return False
    if key_lower == "id/spi":
        state.sa = _new_sa(value)
        gateway["sas"].append(state.sa)
        return True
    sa = state.sa
    if sa is not None:
        if key_lower in _SECRET_KEYS:
            _set_secret(sa, key_lower, value, include_keys)
            return True
        setter = _SA_FIELDS.get(key_lower)
        if setter is not None:
            setter(sa, value)
            return True
        _set_other(sa, key, value, include_keys)
        return True
    setter = _GATEWAY_FIELDS.get(key_lower)
    if setter is not None:
        setter(gateway, value)
        return True
    if key_lower in _SECRET_KEYS:
        return False  # key material outside an SA block: not placed (and redacted below)
    _set_other(gateway, key, value, include_keys)
    return True


def parse_ike_gateway_list(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose vpn ike gateway list` into {"gateways": [...], "unparsed": [...]}."""
    gateways: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    try:
        with gc_paused():
            state = _State()
            for lines in iter_clean_lines(text):
                for line in lines:
                    try:
                        placed = _handle_line(state, line, gateways, include_keys)
                    except Exception:
                        placed = False
                    if not placed:
                        unparsed.append(line if include_keys else redact_text(line))
    except Exception:
        pass
    return {"gateways": gateways, "unparsed": unparsed}
