# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose vpn tunnel list` (also `list name X` and `dialup-list X`).

One pass over the lines; each line is classified by its leading keyword and applied
to the current tunnel / proxy ID / SA. Works for FortiOS 5.6 to 7.6 layouts:
line 1 gained `tun_id= tun_id6= dst_mtu= dpd-link= weight=` in 7.0 and
`nexthop= status=` in 7.4 dialup-list; line 2 gained `run_state= role= overlay_id=`
in 6.4 and `real_if=` in 7.4; `fec:` appeared in 7.2.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    clean_lines,
    is_hex,
    parse_selector,
    redact_text,
    split_host_port,
    split_tokens,
    to_int,
)

# "list all ipsec tunnel in vd 0", "list ipsec tunnel by names in vd 0",
# "list all instance of tunnel X in vd 0" (dialup-list).
_HEADER_RE = re.compile(r"^list\b.*\bin vd (\d+)\s*$")
_SEPARATOR_RE = re.compile(r"^-{3,}$")
_PKTS_RE = re.compile(r"^dec:pkts/bytes=(\d+)/(\d+),?\s*enc:pkts/bytes=(\d+)/(\d+),?(.*)$")

# npu_flag: 00 both SAs in the kernel, 01 outbound on the NPU, 02 inbound, 03 both;
# 20 = cipher/HMAC the NPU cannot do (so not offloaded either).
_OFFLOAD = {"00": "none", "01": "outbound", "02": "inbound", "03": "both", "20": "none"}

_STAT_FIELDS = {"rxp": "rx_packets", "txp": "tx_packets", "rxb": "rx_bytes", "txb": "tx_bytes"}

# Keys whose value is a decimal integer wherever they appear.
_INT_KEYS = frozenset((
    "dst_mtu", "weight", "bound_if", "real_if", "run_state", "overlay_id", "refcnt", "ilast",
    "olast", "proxyid_num", "child_num", "index", "run_tally", "soft", "mtu", "replaywin",
    "esn", "itn", "qat", "rekey", "hash_search_len", "dec_npuid", "enc_npuid", "draft",
    "interval", "remote_port", "retry", "count", "egress", "ingress", "ref",
))


def _new_tunnel(name: str, vdom_index: Optional[int]) -> Dict[str, Any]:
    return {
        "name": name,
        "vdom": None,  # the header only gives the VDOM index; callers may fill the name
        "vdom_index": vdom_index,
        "version": None,
        "serial": None,
        "local_gateway": None,
        "local_port": None,
        "remote_gateway": None,
        "remote_port": None,
        "status": None,
        "mode": None,
        "parent": None,
        "index": None,
        "proxyid_num": None,
        "child_num": None,
        "rx_packets": None,
        "tx_packets": None,
        "rx_bytes": None,
        "tx_bytes": None,
        "npu": None,
        "tun_id": None,
        "tun_id6": None,
        "nexthop": None,
        "dst_mtu": None,
        "dpd_link": None,
        "weight": None,
        "bound_if": None,
        "real_if": None,
        "lgwy": None,
        "tun": None,
        "encap": None,
        "options": [],
        "options_hex": None,
        "run_state": None,
        "role": None,
        "accept_traffic": None,
        "overlay_id": None,
        "refcnt": None,
        "ilast": None,
        "olast": None,
        "ad": None,
        "run_tally": None,
        "encap_addr": None,
        "dpd": {"mode": None, "status": None, "on": None, "idle_ms": None, "retry": None,
                "count": None, "seqno": None},
        "natt": {"mode": None, "remote_port": None, "draft": None, "interval": None},
        "fec": None,
        "proxyids": [],
        "other": {},
    }


def _new_proxyid(name: str) -> Dict[str, Any]:
    return {
        "name": name,
        "protocol": None,
        "sa_count": None,
        "ref": None,
        "serial": None,
        "flags": [],
        "auto_negotiate": False,
        "src": [],
        "dst": [],
        "sas": [],
        "other": {},
    }


def _new_direction() -> Dict[str, Any]:
    return {"spi": None, "esp": None, "ah": None, "key": None, "key_length": None,
            "ah_key": None, "ah_key_length": None}


def _new_sa() -> Dict[str, Any]:
    return {
        "inbound": _new_direction(),
        "outbound": _new_direction(),
        "dec_packets": None,
        "dec_bytes": None,
        "enc_packets": None,
        "enc_bytes": None,
        "npu_flag": None,
        "offload": None,
        "ref": None,
        "options": None,
        "type": None,
        "soft": None,
        "mtu": None,
        "expire_seconds": None,
        "expire_bytes": None,
        "replaywin": None,
        "seqno": None,
        "esn": None,
        "replaywin_lastseq": None,
        "itn": None,
        "qat": None,
        "rekey": None,
        "hash_search_len": None,
        "life_type": None,
        "life_bytes": None,
        "lifetime_remaining": None,
        "lifetime": None,
        "npu_rgwy": None,
        "npu_lgwy": None,
        "npu_selid": None,
        "dec_npuid": None,
        "enc_npuid": None,
        "other": {},
    }


def _typed(key: str, value: str) -> Any:
    if key in _INT_KEYS:
        number = to_int(value)
        return value if number is None else number
    return value


def _store_other(target: Dict[str, Any], key: str, value: Optional[str], include_keys: bool) -> None:
    """Unknown tokens of a known line: kept as strings so nothing is lost."""
    other = target["other"]
    if value is None:
        other.setdefault("flags", []).append(key if include_keys else redact_text(key))
    else:
        other[key.replace("-", "_")] = value if include_keys else redact_text(value)


def _parse_name_line(line: str, vdom_index: Optional[int], include_keys: bool) -> Dict[str, Any]:
    body = line[len("name="):]
    # Names may contain spaces: the name runs up to " ver=".
    cut = body.find(" ver=")
    if cut < 0:
        name, dummy, rest = body.partition(" ")
    else:
        name, rest = body[:cut], body[cut + 1:]
    tunnel = _new_tunnel(name.strip(), vdom_index)
    for key, value in split_tokens(rest):
        if value is None:
            if "->" in key:
                local, dummy, remote = key.partition("->")
                tunnel["local_gateway"], tunnel["local_port"] = split_host_port(local)
                tunnel["remote_gateway"], tunnel["remote_port"] = split_host_port(remote)
            else:
                _store_other(tunnel, key, None, include_keys)
        elif key == "ver":
            tunnel["version"] = to_int(value)
        elif key == "serial":
            tunnel["serial"] = value  # printed in hex (serial=b), kept as printed
        elif key in ("tun_id", "tun_id6", "nexthop", "status"):
            tunnel[key] = value
        elif key == "dpd-link":
            tunnel["dpd_link"] = value
        elif key in ("dst_mtu", "weight"):
            tunnel[key] = _typed(key, value)
        else:
            _store_other(tunnel, key, value, include_keys)
    return tunnel


def _parse_line2(tunnel: Dict[str, Any], line: str, include_keys: bool) -> None:
    """`bound_if= lgwy=static/1 tun=intf/0 mode=auto/1 encap=none/552 options[0228]=npu ...`."""
    in_options = False
    for key, value in split_tokens(line):
        if value is None:
            if in_options:
                tunnel["options"].append(key)
            else:
                _store_other(tunnel, key, None, include_keys)
            continue
        in_options = False
        if key.startswith("options"):
            in_options = True
            tunnel["options_hex"] = key[len("options["):-1] if key.endswith("]") else None
            if value:
                tunnel["options"].append(value)
        elif key in ("mode", "lgwy", "tun", "encap"):
            # `mode=dial_inst/3`: the name before the slash is what matters.
            tunnel[key] = value.split("/", 1)[0]
        elif key == "accept_traffic":
            number = to_int(value)
            tunnel[key] = None if number is None else number != 0
        elif key in ("bound_if", "real_if", "run_state", "overlay_id"):
            tunnel[key] = _typed(key, value)
        elif key == "role":
            tunnel[key] = value
        else:
            _store_other(tunnel, key, value, include_keys)
    tunnel["npu"] = "npu" in tunnel["options"]


def _apply_simple(target: Dict[str, Any], text: str, mapping: Dict[str, str], include_keys: bool) -> None:
    for key, value in split_tokens(text):
        field = mapping.get(key)
        if field is None or value is None:
            _store_other(target, key, value, include_keys)
        else:
            target[field] = _typed(key, value)


def _parse_stat(tunnel: Dict[str, Any], text: str) -> bool:
    found = False
    for key, value in split_tokens(text):
        field = _STAT_FIELDS.get(key)
        if field and value is not None:
            tunnel[field] = to_int(value)
            found = True
    return found


def _parse_dpd(tunnel: Dict[str, Any], text: str) -> None:
    dpd = tunnel["dpd"]
    for key, value in split_tokens(text):
        if value is None:
            continue
        if key in ("mode", "status"):
            dpd[key] = value
        elif key == "on":
            number = to_int(value)
            dpd["on"] = None if number is None else number != 0
        elif key == "idle":
            dpd["idle_ms"] = to_int(value[:-2] if value.endswith("ms") else value)
        elif key in ("retry", "count"):
            dpd[key] = to_int(value)
        elif key == "seqno":
            dpd["seqno"] = value  # printed in hex, kept as printed
        else:
            dpd[key] = value


def _parse_natt(tunnel: Dict[str, Any], text: str) -> None:
    natt = tunnel["natt"]
    for key, value in split_tokens(text):
        if value is None:
            continue
        natt[key] = value if key == "mode" else _typed(key, value)


def _parse_fec(tunnel: Dict[str, Any], text: str) -> None:
    fec: Dict[str, Any] = {}
    for key, value in split_tokens(text):
        if value is not None:
            fec[key] = _typed(key, value)
    tunnel["fec"] = fec


def _parse_proxyid_line(line: str, include_keys: bool) -> Dict[str, Any]:
    body = line[len("proxyid="):]
    cut = body.find(" proto=")
    if cut < 0:
        name, dummy, rest = body.partition(" ")
    else:
        name, rest = body[:cut], body[cut + 1:]
    proxyid = _new_proxyid(name.strip())
    for key, value in split_tokens(rest):
        if value is None:
            proxyid["flags"].append(key)
        elif key == "proto":
            proxyid["protocol"] = to_int(value)
        elif key == "sa":
            proxyid["sa_count"] = to_int(value)
        elif key == "ref":
            proxyid["ref"] = to_int(value)
        elif key == "serial":
            proxyid["serial"] = value
        else:
            _store_other(proxyid, key, value, include_keys)
    proxyid["auto_negotiate"] = "auto-negotiate" in proxyid["flags"]
    return proxyid


def _parse_sa_fields(sa: Dict[str, Any], text: str, include_keys: bool) -> None:
    """`SA:` line and its wrapped continuation (`seqno= esn= replaywin_lastseq= ...`)."""
    for key, value in split_tokens(text):
        if value is None:
            _store_other(sa, key, None, include_keys)
        elif key == "expire":
            seconds, dummy, size = value.partition("/")
            sa["expire_seconds"] = to_int(seconds)
            sa["expire_bytes"] = size or None
        elif key in ("options", "type", "seqno", "replaywin_lastseq"):
            sa[key] = value  # hex as printed
        elif key in sa and key not in ("inbound", "outbound", "other"):
            sa[key] = _typed(key, value)
        else:
            _store_other(sa, key, value, include_keys)


def _parse_life(sa: Dict[str, Any], text: str, include_keys: bool) -> None:
    for key, value in split_tokens(text):
        if key == "type" and value is not None:
            sa["life_type"] = value
        elif key == "bytes" and value is not None:
            sa["life_bytes"] = value
        elif key == "timeout" and value is not None:
            remaining, dummy, total = value.partition("/")
            sa["lifetime_remaining"] = to_int(remaining)
            sa["lifetime"] = to_int(total)
        else:
            _store_other(sa, key, value, include_keys)


def _parse_crypto(direction: Dict[str, Any], sa: Dict[str, Any], text: str, include_keys: bool) -> None:
    """`spi=.. esp=aes key=16 HEX` and the wrapped `ah=sha1 key=20 HEX` (GCM: `ah=null key=0`)."""
    tokens = split_tokens(text)
    last = "esp"
    skip = False
    for position, (key, value) in enumerate(tokens):
        if skip:
            skip = False
            continue
        if value is None:
            _store_other(sa, key, None, include_keys)
            continue
        if key == "spi":
            direction["spi"] = value
        elif key in ("esp", "ah"):
            direction[key] = value
            last = key
        elif key == "key":
            prefix = "ah_" if last == "ah" else ""
            direction[prefix + "key_length"] = to_int(value)
            material: Optional[str] = None
            if position + 1 < len(tokens):
                next_key, next_value = tokens[position + 1]
                if next_value is None and is_hex(next_key):
                    material = next_key
                    skip = True
            if material is None:
                direction[prefix + "key"] = None
            else:
                direction[prefix + "key"] = material if include_keys else REDACTED
        else:
            _store_other(sa, key, value, include_keys)


def _parse_npu(sa: Dict[str, Any], text: str, include_keys: bool) -> None:
    for key, value in split_tokens(text):
        if value is None:
            _store_other(sa, key, None, include_keys)
        elif key == "npu_flag":
            sa["npu_flag"] = value
            sa["offload"] = _OFFLOAD.get(value)
        elif key in ("npu_rgwy", "npu_lgwy", "npu_selid"):
            sa[key] = value
        elif key in ("dec_npuid", "enc_npuid"):
            sa[key] = _typed(key, value)
        else:
            _store_other(sa, key, value, include_keys)


class _State(object):
    """Where the next line belongs."""

    __slots__ = ("vdom_index", "tunnel", "proxyid", "sa", "direction")

    def __init__(self) -> None:
        self.vdom_index: Optional[int] = None
        self.tunnel: Optional[Dict[str, Any]] = None
        self.proxyid: Optional[Dict[str, Any]] = None
        self.sa: Optional[Dict[str, Any]] = None
        self.direction: Optional[Dict[str, Any]] = None

    def reset(self) -> None:
        self.tunnel = None
        self.proxyid = None
        self.sa = None
        self.direction = None


def _handle_tunnel_body(state: _State, line: str, include_keys: bool) -> bool:
    """Lines that belong to a tunnel but not to a proxy ID. Returns False if not placed."""
    tunnel = state.tunnel
    if tunnel is None:
        return False
    head = line.split(None, 1)[0]
    key = head.split("=", 1)[0]
    if key in ("bound_if", "lgwy", "real_if", "tun"):
        _parse_line2(tunnel, line, include_keys)
    elif key == "parent":
        _apply_simple(tunnel, line, {"parent": "parent", "index": "index"}, include_keys)
    elif key == "proxyid_num":
        _apply_simple(tunnel, line, {"proxyid_num": "proxyid_num", "child_num": "child_num",
                                     "refcnt": "refcnt", "ilast": "ilast", "olast": "olast",
                                     "ad": "ad"}, include_keys)
    elif head == "stat:":
        return _parse_stat(tunnel, line[len("stat:"):])
    elif head == "dpd:":
        _parse_dpd(tunnel, line[len("dpd:"):])
    elif head == "natt:":
        _parse_natt(tunnel, line[len("natt:"):])
    elif head == "fec:":
        _parse_fec(tunnel, line[len("fec:"):])
    elif key == "run_tally":
        _apply_simple(tunnel, line, {"run_tally": "run_tally"}, include_keys)
    elif head == "encap-addr:":
        tunnel["encap_addr"] = line[len("encap-addr:"):].strip()
    else:
        return False
    return True


def _handle_proxyid_body(state: _State, line: str, include_keys: bool) -> bool:
    """Selector, SA and crypto lines. Returns False if not placed."""
    proxyid = state.proxyid
    if proxyid is None:
        return False
    if line.startswith("src:") or line.startswith("dst:"):
        selector = parse_selector(line[4:])
        if selector is None:
            return False
        proxyid[line[:3]].append(selector)
        return True
    if line.startswith("SA:"):
        state.sa = _new_sa()
        state.direction = None
        proxyid["sas"].append(state.sa)
        _parse_sa_fields(state.sa, line[3:], include_keys)
        return True
    sa = state.sa
    if sa is None:
        return False
    match = _PKTS_RE.match(line)
    if match:
        sa["dec_packets"], sa["dec_bytes"], sa["enc_packets"], sa["enc_bytes"] = (
            int(match.group(1)), int(match.group(2)), int(match.group(3)), int(match.group(4)))
        for key, value in split_tokens(match.group(5)):
            _store_other(sa, key, value, include_keys)
        return True
    if line.startswith("dec:") or line.startswith("enc:"):
        state.direction = sa["inbound"] if line.startswith("dec:") else sa["outbound"]
        _parse_crypto(state.direction, sa, line[4:], include_keys)
        return True
    if line.startswith("ah="):
        if state.direction is None:
            return False
        _parse_crypto(state.direction, sa, line, include_keys)
        return True
    if line.startswith("life:"):
        _parse_life(sa, line[5:], include_keys)
        return True
    if line.startswith("npu_flag="):
        _parse_npu(sa, line, include_keys)
        return True
    if line.startswith("seqno="):
        _parse_sa_fields(sa, line, include_keys)
        return True
    return False


def _handle_line(state: _State, line: str, tunnels: List[Dict[str, Any]], include_keys: bool) -> bool:
    match = _HEADER_RE.match(line)
    if match:
        state.vdom_index = int(match.group(1))
        state.reset()
        return True
    if _SEPARATOR_RE.match(line):
        state.reset()
        return True
    if line.startswith("name="):
        state.reset()
        state.tunnel = _parse_name_line(line, state.vdom_index, include_keys)
        tunnels.append(state.tunnel)
        return True
    if line.startswith("proxyid=") and state.tunnel is not None:
        state.proxyid = _parse_proxyid_line(line, include_keys)
        state.sa = None
        state.direction = None
        state.tunnel["proxyids"].append(state.proxyid)
        return True
    if _handle_proxyid_body(state, line, include_keys):
        return True
    # `run_tally=` follows the proxy IDs but belongs to the tunnel.
    return _handle_tunnel_body(state, line, include_keys)


def parse_tunnel_list(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose vpn tunnel list` output into {"tunnels": [...], "unparsed": [...]}."""
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
                unparsed.append(line if include_keys else redact_text(line))
    except Exception:
        pass
    return {"tunnels": tunnels, "unparsed": unparsed}
