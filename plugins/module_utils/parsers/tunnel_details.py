# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `get vpn ipsec tunnel details` and `get vpn ipsec tunnel name X`.

Indented `key: value` blocks: `gateway` starts a tunnel, `selectors` a phase 2 selector
(a `name:` seen inside selectors starts the next one), `SA` an IPsec SA of the current
selector (two during a rekey), `inbound`/`outbound` a direction of it. The parser follows
those headings, not the indentation.

Generations seen in public captures: 6.x prints `type: route-based|policy-based` and no
`dpd-link:`; 7.x adds `dpd-link: on` and `qat: N` in the SA; `nat traversal mode:` shows
when NAT-T is negotiated; `NPU acceleration:` closes an SA on some models.
`enc:`/`auth:` print the algorithm right-aligned in six columns and truncated (`aes-gc`
for aes-gcm), then the key in hex; with GCM `auth:` shows `null` and no key.

Output per tunnel (contract fields first): `name`, `local_gateway`, `local_port`,
`remote_gateway`, `remote_port`, `mode` (`ike-v1`/`ike-v2` as printed), `interface`,
`rx_packets`, `rx_bytes`, `rx_errors`, `tx_packets`, `tx_bytes`, `tx_errors`,
`dpd` {`mode`, `status`, `idle_ms`, `retry`, `count`}, `selectors[]`;
extras: `vdom` (null), `type`, `local_gateway_type`/`remote_gateway_type` (`static`,
`dynamic`, ... from the parentheses), `interface_index`, `ike_version` (int),
`dpd_link`, `natt` {`mode`, `interval`}, `other` (unknown `key: value` lines).
Per selector: `name`, `auto_negotiate` (bool), `mode`, `src`, `dst`
({protocol, address, port}, address CIDR when a prefix), `sa` (the first SA printed,
null when none), `sas` (all of them), `other`.
Per SA: `lifetime`, `rekey`, `mtu`, `tx_esp_seq` (string as printed), `replay` (bool), `qat`,
`npu_acceleration` (as printed), `offload` (`none`/`outbound`/`inbound`/`both`, null
when not printed), `inbound`/`outbound` {`spi`, `enc`, `key`, `auth`, `auth_key`}.
`enc`/`auth` are the algorithms as printed (null when `null`); `key` (encryption key)
and `auth_key` are live key material: `"<redacted>"` unless include_keys, null when none.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    clean_lines,
    is_hex,
    parse_selector,
    redact_field,
    redact_text,
    snake_key,
    split_host_port,
    to_int,
    yes_no,
)

_KEY_VALUE_RE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 _/\-]*?)\s*:\s*(?P<value>.*)$")
_ENDPOINT_RE = re.compile(r"^(?P<endpoint>\S+)\s*(?:\((?P<kind>[^()]*)\))?\s*$")
_INTERFACE_RE = re.compile(r"^'(?P<name>.*)'\s*(?:\((?P<index>\d+)\))?\s*$|^(?P<bare>\S+)\s*(?:\((?P<bindex>\d+)\))?\s*$")
_COUNTERS_RE = re.compile(r"^(?P<dir>rx|tx)\s+packets:\s*(?P<packets>\d+)\s+bytes:\s*(?P<bytes>\d+)\s+errors:\s*(?P<errors>\d+)(?P<rest>.*)$")
_LIFETIME_RE = re.compile(r"^(?P<lifetime>\d+)\s*/\s*(?P<rekey>\d+)$")
_PAIR_RE = re.compile(r"([A-Za-z][A-Za-z\- ]*?):\s*(\S+)")

# Any standalone run of 8+ hex digits in a line that could not be placed: a cut key.
_LOOSE_HEX_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8,}(?![0-9A-Za-z])")

_TUNNEL_KEYS = frozenset(("local-gateway", "remote-gateway", "dpd-link", "type", "interface", "dpd",
                          "nat traversal mode"))


def _strip_quotes(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _new_tunnel() -> Dict[str, Any]:
    return {
        "name": None,
        "vdom": None,  # not printed; callers that know the VDOM fill it
        "type": None,
        "local_gateway": None,
        "local_port": None,
        "local_gateway_type": None,
        "remote_gateway": None,
        "remote_port": None,
        "remote_gateway_type": None,
        "dpd_link": None,
        "mode": None,
        "ike_version": None,
        "interface": None,
        "interface_index": None,
        "rx_packets": None,
        "rx_bytes": None,
        "rx_errors": None,
        "tx_packets": None,
        "tx_bytes": None,
        "tx_errors": None,
        "dpd": {"mode": None, "status": None, "idle_ms": None, "retry": None, "count": None},
        "natt": {"mode": None, "interval": None},
        "selectors": [],
        "other": {},
    }


def _new_selector(name: Optional[str]) -> Dict[str, Any]:
    return {"name": name, "auto_negotiate": None, "mode": None, "src": None, "dst": None,
            "sa": None, "sas": [], "other": {}}


def _new_direction() -> Dict[str, Any]:
    return {"spi": None, "enc": None, "key": None, "auth": None, "auth_key": None}


def _new_sa() -> Dict[str, Any]:
    return {"lifetime": None, "rekey": None, "mtu": None, "tx_esp_seq": None, "replay": None, "qat": None,
            "npu_acceleration": None, "offload": None,
            "inbound": _new_direction(), "outbound": _new_direction(), "other": {}}


def _offload(text: str) -> Optional[str]:
    """`none`, `both`, `encryption(outbound) decryption(inbound)`, `encryption(outbound)` ..."""
    lowered = text.lower()
    if lowered.strip() in ("both", "outbound", "inbound"):
        return lowered.strip()
    outbound = "outbound" in lowered or "encryption" in lowered
    inbound = "inbound" in lowered or "decryption" in lowered
    if outbound and inbound:
        return "both"
    if outbound:
        return "outbound"
    if inbound:
        return "inbound"
    if lowered.strip() in ("none", "no", "disable", "disabled", "0"):
        return "none"
    return None


def _algorithm_and_key(value: str, include_keys: bool) -> Tuple[Optional[str], Optional[str]]:
    """`   des  6bbf...` -> ("des", key); `  null  ` -> (None, None)."""
    tokens = value.split()
    if not tokens:
        return None, None
    algorithm: Optional[str] = tokens[0]
    material = " ".join(tokens[1:])
    if len(tokens) == 1 and is_hex(tokens[0]) and len(tokens[0]) >= 8:
        algorithm, material = None, tokens[0]  # algorithm column missing (cut line), key only
    if algorithm is not None and algorithm.lower() == "null":
        algorithm = None
    if not material:
        return algorithm, None
    return algorithm, material if include_keys else REDACTED


def _scrub(line: str) -> str:
    """An unplaced line may be a piece of an `enc:`/`auth:` line: hide every hex run."""
    return _LOOSE_HEX_RE.sub(REDACTED, redact_text(line))


def _store_other(target: Dict[str, Any], key: str, value: str, include_keys: bool) -> None:
    name = snake_key(key) or "value"
    target["other"][name] = value if include_keys else redact_field(name, value)


class _State(object):
    """Where the next line belongs."""

    __slots__ = ("tunnel", "in_selectors", "selector", "sa", "direction")

    def __init__(self) -> None:
        self.tunnel: Optional[Dict[str, Any]] = None
        self.in_selectors = False
        self.selector: Optional[Dict[str, Any]] = None
        self.sa: Optional[Dict[str, Any]] = None
        self.direction: Optional[Dict[str, Any]] = None

    def start_tunnel(self, tunnels: List[Dict[str, Any]]) -> Dict[str, Any]:
        self.tunnel = _new_tunnel()
        tunnels.append(self.tunnel)
        self.in_selectors = False
        self.selector = None
        self.sa = None
        self.direction = None
        return self.tunnel


def _apply_endpoint(tunnel: Dict[str, Any], side: str, value: str) -> bool:
    match = _ENDPOINT_RE.match(value.strip())
    if not match:
        return False
    host, port = split_host_port(match.group("endpoint"))
    tunnel[side + "_gateway"] = host
    tunnel[side + "_port"] = port
    tunnel[side + "_gateway_type"] = (match.group("kind") or "").strip() or None
    return True


def _apply_dpd(tunnel: Dict[str, Any], value: str) -> None:
    """`on-demand/negotiated  idle: 20000ms  retry: 3  count: 0`, `disabled`, `on-idle/unnegotiated`."""
    dpd = tunnel["dpd"]
    head, dummy, rest = value.strip().partition(" ")
    mode, slash, status = head.partition("/")
    dpd["mode"] = mode or None
    dpd["status"] = status if slash and status else None
    for key, number in _PAIR_RE.findall(rest):
        key = snake_key(key)
        if key == "idle":
            dpd["idle_ms"] = to_int(number[:-2] if number.endswith("ms") else number)
        elif key in ("retry", "count"):
            dpd[key] = to_int(number)
        else:
            dpd[key] = number


def _apply_natt(tunnel: Dict[str, Any], value: str) -> None:
    """`keep-alive      interval: 10`."""
    natt = tunnel["natt"]
    head, dummy, rest = value.strip().partition(" ")
    natt["mode"] = head or None
    for key, number in _PAIR_RE.findall(rest):
        key = snake_key(key)
        natt[key] = to_int(number) if to_int(number) is not None else number


def _tunnel_line(tunnel: Dict[str, Any], key: str, value: str, include_keys: bool) -> bool:
    if key == "local-gateway":
        return _apply_endpoint(tunnel, "local", value)
    if key == "remote-gateway":
        return _apply_endpoint(tunnel, "remote", value)
    if key == "interface":
        match = _INTERFACE_RE.match(value.strip())
        if not match:
            return False
        tunnel["interface"] = match.group("name") if match.group("name") is not None else match.group("bare")
        tunnel["interface_index"] = to_int(match.group("index") or match.group("bindex"))
        return True
    if key == "dpd":
        _apply_dpd(tunnel, value)
        return True
    if key == "nat traversal mode":
        _apply_natt(tunnel, value)
        return True
    if key == "dpd-link":
        tunnel["dpd_link"] = value.strip() or None
        return True
    if key == "type":
        tunnel["type"] = value.strip() or None
        return True
    _store_other(tunnel, key, value, include_keys)
    return True


def _selector_line(selector: Dict[str, Any], key: str, value: str, include_keys: bool) -> bool:
    if key in ("src", "dst"):
        parsed = parse_selector(value)
        if parsed is None or selector[key] is not None:
            return False
        selector[key] = parsed
        return True
    if key == "auto-negotiate":
        selector["auto_negotiate"] = yes_no(value)
        return True
    if key == "mode":
        selector["mode"] = value.strip() or None
        return True
    _store_other(selector, key, value, include_keys)
    return True


def _sa_line(state: _State, key: str, value: str, include_keys: bool) -> bool:
    sa = state.sa
    if sa is None:
        return False
    lowered = key.lower()
    if lowered == "lifetime/rekey":
        match = _LIFETIME_RE.match(value.strip())
        if not match:
            return False
        sa["lifetime"], sa["rekey"] = int(match.group("lifetime")), int(match.group("rekey"))
    elif lowered in ("mtu", "qat"):
        number = to_int(value)
        sa[lowered] = number if number is not None else value.strip()
    elif lowered == "tx-esp-seq":
        sa["tx_esp_seq"] = value.strip() or None  # kept as printed: decimal or hex is not known
    elif lowered == "replay":
        sa["replay"] = yes_no(value)
    elif lowered == "npu acceleration":
        sa["npu_acceleration"] = value.strip() or None
        sa["offload"] = _offload(value)
        state.direction = None
    elif lowered == "spi" and state.direction is not None:
        state.direction["spi"] = value.strip() or None
    elif lowered in ("enc", "auth") and state.direction is not None:
        algorithm, material = _algorithm_and_key(value, include_keys)
        state.direction[lowered] = algorithm
        state.direction["key" if lowered == "enc" else "auth_key"] = material
    else:
        _store_other(sa, key, value, include_keys)
    return True


def _handle_heading(state: _State, word: str, tunnels: List[Dict[str, Any]]) -> bool:
    if word == "gateway":
        state.start_tunnel(tunnels)
        return True
    if word == "selectors":
        if state.tunnel is None:
            state.start_tunnel(tunnels)
        state.in_selectors = True
        state.selector = None
        state.sa = None
        state.direction = None
        return True
    if word == "SA":
        if state.selector is None:
            return False
        state.sa = _new_sa()
        state.selector["sas"].append(state.sa)
        if state.selector["sa"] is None:
            state.selector["sa"] = state.sa
        state.direction = None
        return True
    if word in ("inbound", "outbound"):
        if state.sa is None:
            return False
        state.direction = state.sa[word]
        return True
    return False


def _handle_line(state: _State, line: str, tunnels: List[Dict[str, Any]], include_keys: bool) -> bool:
    if " " not in line and ":" not in line:
        return _handle_heading(state, line, tunnels)
    match = _COUNTERS_RE.match(line)
    if match:
        tunnel = state.tunnel if state.tunnel is not None else state.start_tunnel(tunnels)
        prefix = match.group("dir")
        for field in ("packets", "bytes", "errors"):
            tunnel["%s_%s" % (prefix, field)] = int(match.group(field))
        if match.group("rest").strip():
            _store_other(tunnel, prefix + "_extra", match.group("rest").strip(), include_keys)
        return True
    match = _KEY_VALUE_RE.match(line)
    if not match:
        return False
    key, value = match.group("key").strip(), match.group("value")
    lowered = key.lower()
    if lowered == "name":
        name = _strip_quotes(value)
        if state.in_selectors:
            state.selector = _new_selector(name)
            state.sa = None
            state.direction = None
            if state.tunnel is None:
                state.start_tunnel(tunnels)
            state.tunnel["selectors"].append(state.selector)
            return True
        tunnel = state.tunnel
        if tunnel is None or tunnel["name"] is not None:
            tunnel = state.start_tunnel(tunnels)  # output without the `gateway` heading
        tunnel["name"] = name
        return True
    if state.sa is not None and lowered not in _TUNNEL_KEYS and lowered not in ("src", "dst", "auto-negotiate"):
        return _sa_line(state, key, value, include_keys)
    if state.selector is not None and lowered not in _TUNNEL_KEYS:
        return _selector_line(state.selector, lowered, value, include_keys)
    tunnel = state.tunnel
    if tunnel is None:
        return False
    if lowered == "mode" and not state.in_selectors:
        tunnel["mode"] = value.strip() or None
        digits = re.sub(r"[^0-9]", "", tunnel["mode"] or "")
        tunnel["ike_version"] = to_int(digits) if digits else None
        return True
    return _tunnel_line(tunnel, lowered, value, include_keys)


def parse_tunnel_details(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get vpn ipsec tunnel details|name X` into {"tunnels": [...], "unparsed": [...]}."""
    tunnels: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    try:
        state = _State()
        for raw in clean_lines(text):
            line = raw.strip()
            try:
                placed = _handle_line(state, line, tunnels, include_keys)
            except Exception:  # a malformed line must never sink the whole output
                placed = False
            if not placed:
                unparsed.append(line if include_keys else _scrub(line))
    except Exception:
        pass
    return {"tunnels": tunnels, "unparsed": unparsed}
