# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsers for `get router info routing-table all|static|connected|database|bgp|ospf` and
`get router info routing-table details X`.

    Routing table for VRF=0
    S*      0.0.0.0/0 [10/0] via 203.0.113.1, port1, [1/0]
                      [10/0] via 203.0.113.9, port2, [1/0]
    S       10.2.0.0/16 [10/0] via VPN1 tunnel 198.51.100.2, [1/0]
    C       10.1.0.0/24 is directly connected, port3
    B       10.9.0.0/24 [200/0] via 10.255.0.2 (recursive via HUB1 tunnel 192.0.2.1), 01:02:03, [1/0]

`parse_routing_table` gives {"routes": [...], "vrf": int|None, "unparsed": [...]}: one route per
next hop. An ECMP next hop printed on an indented continuation line is an extra route with the
same `prefix`, `code`, `codes`, `selected`, and `ecmp_index` 1, 2, ... (0 for the first line).
Each route: `code` (`S`, `C`, `B`, `O`, `O E2`, ...), `codes` (the marker text as printed with
spaces collapsed: `S*`, `S *>`), `selected` (a `*` in it), `prefix` (CIDR as printed),
`distance`/`metric` (ints, null when not printed, as for connected routes), `gateway` (null
when directly connected), `interface`, `via_tunnel` (`via NAME tunnel GW`: `interface` NAME,
`tunnel_gateway` GW, `gateway` GW too), `recursive` (list of the `(recursive ...)` next hops,
each `gateway`, `interface`, `via_tunnel`, `tunnel_gateway`; a route with no interface of its
own takes them from the first one), `age` (`01:02:03`, `6d02h10m`, null), `weight` (first
number of the trailing `[1/0]`, null when absent as in older builds), `weight_pair` (both numbers,
null when absent), `ecmp_index` and `vrf` (from the last `Routing table for VRF=N` header,
null without one). The `Codes:` legend is skipped.

`parse_routing_details` gives {"entries": [...], "unparsed": [...]}: per `Routing entry for P`,
`prefix`, `vrf`, `known_via` (`static`, `connected`, `bgp`, ...), `distance`, `metric`, `best`
(bool), `flags` (other words after the metric), `last_update` and `nexthops` (`gateway`,
`interface`, `via_tunnel`, `active` (the leading `*`), `vrf`, `weight`, `tun_id`).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import clean_lines_stripped
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import _scrub

_VRF_RE = re.compile(r"^Routing table for VRF=(\d+)\s*$", re.IGNORECASE)
_LEGEND_RE = re.compile(r"^(?:Codes:\s*)?(?:[A-Za-z0-9*>+%]{1,3} - [^,]+(?:,\s*|$))+$")
_ROUTE_RE = re.compile(
    r"^(?P<codes>[A-Za-z]{1,2}(?:\s+(?:E1|E2|N1|N2|IA|ia|L1|L2))?\s*(?:\*>|\*|>)?)\s+"
    r"(?P<prefix>[0-9A-Fa-f:.]+/\d{1,3})\s+(?P<rest>.+)$")
_DIST_RE = re.compile(r"^\[(\d+)/(\d+)\]\s*")
_WEIGHT_RE = re.compile(r",?\s*\[(\d+)/(\d+)\]\s*$")
_RECURSIVE_RE = re.compile(r"\s*\(recursive\s+([^()]*)\)")
_AGE_RE = re.compile(r"^(?:\d+:\d{2}:\d{2}|(?:\d+[ywdhms])+)$")
_VIA_TUNNEL_RE = re.compile(r"^via\s+(\S+)\s+tunnel\s+(\S+)$")
_VIA_RE = re.compile(r"^via\s+(\S+)$")
_CONNECTED_RE = re.compile(r"^(?:is\s+)?directly connected$")
_SUMMARY_RE = re.compile(r"^is a summary$")


def _int(value: Optional[str]) -> Optional[int]:
    return int(value) if value is not None and value.isdigit() else None


def _hop(body: str) -> Optional[Dict[str, Any]]:
    """`via GW, IF`, `via NAME tunnel GW`, `is directly connected, IF`, `is a summary, IF`."""
    parts = [part.strip() for part in body.split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return None
    hop: Dict[str, Any] = {"gateway": None, "interface": None, "via_tunnel": False, "tunnel_gateway": None, "age": None}
    first = parts[0]
    match = _VIA_TUNNEL_RE.match(first)
    if match:
        hop.update(interface=match.group(1), gateway=match.group(2), via_tunnel=True, tunnel_gateway=match.group(2))
    elif _VIA_RE.match(first):
        hop["gateway"] = _VIA_RE.match(first).group(1)
    elif not (_CONNECTED_RE.match(first) or _SUMMARY_RE.match(first)):
        return None
    for part in parts[1:]:
        if _AGE_RE.match(part) and hop["age"] is None:
            hop["age"] = part
        elif hop["interface"] is None and " " not in part:
            hop["interface"] = part
        else:
            return None
    return hop


def _recursive(text: str) -> Optional[Dict[str, Any]]:
    hop = _hop(text)
    if hop is None:
        return None
    del hop["age"]
    return hop


def _nexthop(rest: str) -> Optional[Dict[str, Any]]:
    """The part after the prefix, or a whole ECMP continuation line."""
    result: Dict[str, Any] = {"distance": None, "metric": None, "weight": None, "weight_pair": None, "recursive": []}
    match = _DIST_RE.match(rest)
    if match:
        result["distance"], result["metric"] = int(match.group(1)), int(match.group(2))
        rest = rest[match.end():]
    match = _WEIGHT_RE.search(rest)
    if match:
        result["weight"] = int(match.group(1))
        result["weight_pair"] = [int(match.group(1)), int(match.group(2))]
        rest = rest[:match.start()]
    for found in _RECURSIVE_RE.findall(rest):
        hop = _recursive(found)
        if hop is None:
            return None
        result["recursive"].append(hop)
    rest = _RECURSIVE_RE.sub("", rest).strip()
    hop = _hop(rest)
    if hop is None:
        return None
    result.update(hop)
    if result["interface"] is None and result["recursive"]:
        first = result["recursive"][0]
        result["interface"] = first["interface"]
        result["via_tunnel"] = first["via_tunnel"]
        result["tunnel_gateway"] = first["tunnel_gateway"]
    return result


def _route(codes: str, prefix: str, hop: Dict[str, Any], index: int, vrf: Optional[int]) -> Dict[str, Any]:
    code = codes.replace("*", "").replace(">", "").strip()
    return {
        "code": code,
        "codes": " ".join(codes.split()),
        "selected": "*" in codes,
        "prefix": prefix,
        "distance": hop["distance"],
        "metric": hop["metric"],
        "gateway": hop["gateway"],
        "interface": hop["interface"],
        "via_tunnel": hop["via_tunnel"],
        "tunnel_gateway": hop["tunnel_gateway"],
        "recursive": hop["recursive"],
        "age": hop["age"],
        "weight": hop["weight"],
        "weight_pair": hop["weight_pair"],
        "ecmp_index": index,
        "vrf": vrf,
    }


def _continuation(line: str, routes: List[Dict[str, Any]], vrf: Optional[int]) -> bool:
    if not routes:
        return False
    last = routes[-1]
    if line.startswith("(recursive"):
        # One more recursive next hop of the previous route.
        match = _WEIGHT_RE.search(line)
        body = line[:match.start()] if match else line
        pieces = [piece.strip() for piece in _RECURSIVE_RE.sub("", body).split(",") if piece.strip()]
        found = _RECURSIVE_RE.findall(body)
        hops = [_recursive(text) for text in found]
        if not found or any(hop is None for hop in hops) or any(not _AGE_RE.match(piece) for piece in pieces):
            return False
        last["recursive"].extend(hops)
        if match and last["weight"] is None:
            last["weight"] = int(match.group(1))
            last["weight_pair"] = [int(match.group(1)), int(match.group(2))]
        return True
    if not (line.startswith("[") or line.startswith("via ") or line.startswith("is ")):
        return False
    hop = _nexthop(line)
    if hop is None:
        return False
    routes.append(_route(last["codes"], last["prefix"], hop, last["ecmp_index"] + 1, vrf))
    return True


def parse_routing_table(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get router info routing-table all|static|connected|database|...` output."""
    del include_keys  # routes hold no key material
    routes: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    vrf: Optional[int] = None
    try:
        for line in clean_lines_stripped(text):
            try:
                match = _VRF_RE.match(line)
                if match:
                    vrf = int(match.group(1))
                    continue
                match = _ROUTE_RE.match(line)
                if match:
                    hop = _nexthop(match.group("rest"))
                    if hop is not None:
                        routes.append(_route(match.group("codes"), match.group("prefix"), hop, 0, vrf))
                        continue
                if _continuation(line, routes, vrf):
                    continue
                if _LEGEND_RE.match(line):
                    continue
                unparsed.append(line)
            except Exception:  # a malformed line must never sink the whole output
                unparsed.append(line)
    except Exception:
        pass
    return {"routes": routes, "vrf": vrf, "unparsed": [_scrub(line) for line in unparsed]}


_ENTRY_RE = re.compile(r"^Routing entry for\s+([0-9A-Fa-f:.]+(?:/\d{1,3})?)\s*$", re.IGNORECASE)
_KNOWN_RE = re.compile(r'^Known via\s+"([^"]*)"(.*)$')
_LAST_UPDATE_RE = re.compile(r"^Last update\s+(.+?)(?:\s+ago)?$")
_HOP_VRF_RE = re.compile(r"(?:^|\s)vrf\s+(\d+)(?=\s|,|$)")
_HOP_WEIGHT_RE = re.compile(r",?\s*weight\s+(\d+)")
_HOP_TUN_RE = re.compile(r",?\s*tun_id\s+(\S+?)(?=,|\s|$)")
_IP_RE = re.compile(r"^[0-9A-Fa-f:.]+$")


def _known(entry: Dict[str, Any], match: Any) -> bool:
    entry["known_via"] = match.group(1)
    for part in (piece.strip() for piece in match.group(2).split(",")):
        if not part:
            continue
        words = part.split()
        if len(words) == 2 and words[0] in ("distance", "metric") and words[1].isdigit():
            entry[words[0]] = int(words[1])
        elif part == "best":
            entry["best"] = True
        else:
            entry["flags"].append(part)
    return True


def _detail_hop(line: str) -> Optional[Dict[str, Any]]:
    hop: Dict[str, Any] = {"gateway": None, "interface": None, "via_tunnel": False, "active": False,
                           "vrf": None, "weight": None, "tun_id": None}
    body = line
    if body.startswith("*"):
        hop["active"] = True
        body = body[1:].strip()
    for regex, key in ((_HOP_WEIGHT_RE, "weight"), (_HOP_TUN_RE, "tun_id"), (_HOP_VRF_RE, "vrf")):
        match = regex.search(body)
        if match:
            hop[key] = int(match.group(1)) if key != "tun_id" else match.group(1)
            body = (body[:match.start()] + " " + body[match.end():]).strip()
    parts = [part.strip() for part in body.split(",") if part.strip()]
    if not parts:
        return None
    first = parts[0]
    rest = parts[1:]
    match = _VIA_TUNNEL_RE.match(first)
    if match:
        hop.update(interface=match.group(1), gateway=match.group(2), via_tunnel=True)
    elif _CONNECTED_RE.match(first):
        if len(rest) == 1:
            hop["interface"] = rest.pop().replace("via ", "", 1).strip()
    elif _IP_RE.match(first) and ("." in first or ":" in first):
        hop["gateway"] = first
        if len(rest) == 1:
            tunnel = _VIA_TUNNEL_RE.match(rest[0])
            via = _VIA_RE.match(rest[0])
            if tunnel:
                hop.update(interface=tunnel.group(1), via_tunnel=True)
            elif via:
                hop["interface"] = via.group(1)
            else:
                return None
            rest = []
    else:
        return None
    if rest or (hop["interface"] is None and hop["gateway"] is None):
        return None
    return hop


def parse_routing_details(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get router info routing-table details X` into {"entries": [...], "unparsed": [...]}."""
    del include_keys
    entries: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    vrf: Optional[int] = None
    try:
        for line in clean_lines_stripped(text):
            try:
                if not _detail_line(line, entries, vrf):
                    match = _VRF_RE.match(line)
                    if match:
                        vrf = int(match.group(1))
                    else:
                        unparsed.append(line)
            except Exception:  # a malformed line must never sink the whole output
                unparsed.append(line)
    except Exception:
        pass
    return {"entries": entries, "unparsed": [_scrub(line) for line in unparsed]}


def _detail_line(line: str, entries: List[Dict[str, Any]], vrf: Optional[int]) -> bool:
    match = _ENTRY_RE.match(line)
    if match:
        entries.append({"prefix": match.group(1), "vrf": vrf, "known_via": None, "distance": None, "metric": None,
                        "best": False, "flags": [], "last_update": None, "nexthops": []})
        return True
    if not entries:
        return False
    entry = entries[-1]
    match = _KNOWN_RE.match(line)
    if match:
        return _known(entry, match)
    match = _LAST_UPDATE_RE.match(line)
    if match:
        entry["last_update"] = match.group(1)
        return True
    hop = _detail_hop(line)
    if hop is None:
        return False
    entry["nexthops"].append(hop)
    return True
