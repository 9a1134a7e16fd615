# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose vpn tunnel list` (also `list name X` and `dialup-list X`).

One pass over the lines; each line is classified by its leading keyword and applied
to the current tunnel / proxy ID / SA. Works for FortiOS 5.6 to 7.6 layouts:
line 1 gained `tun_id= tun_id6= dst_mtu= dpd-link= weight=` in 7.0 and
`nexthop= status=` in 7.4 dialup-list; line 2 gained `run_state= role= overlay_id=`
in 6.4 and `real_if=` in 7.4; `fec:` appeared in 7.2.

Speed (a hub can list thousands of tunnels): lines are dispatched on their first three
characters; lines as FortiOS prints them go through one precompiled regex each, and the
runs of lines that always come together (a tunnel's head, a proxy ID with its selectors,
a whole SA) through one regex per run. Anything else falls back to the token-by-token
code, which defines the result: the fast paths give exactly the same output.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    gc_paused,
    is_hex,
    iter_clean_lines,
    normalize_address,
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


# Every record starts as a copy of one of these (faster than building the literal each
# time); the mutable members are then replaced with fresh ones.
_TUNNEL_TEMPLATE: Dict[str, Any] = {
    "name": None,
    "vdom": None,  # the header only gives the VDOM index; callers may fill the name
    "vdom_index": None,
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
    "options": None,  # list
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
    "dpd": None,  # _DPD_TEMPLATE
    "natt": None,  # _NATT_TEMPLATE
    "fec": None,
    "proxyids": None,  # list
    "other": None,  # dict
}
_DPD_TEMPLATE: Dict[str, Any] = {"mode": None, "status": None, "on": None, "idle_ms": None, "retry": None,
                                 "count": None, "seqno": None}
_NATT_TEMPLATE: Dict[str, Any] = {"mode": None, "remote_port": None, "draft": None, "interval": None}

_PROXYID_TEMPLATE: Dict[str, Any] = {
    "name": None,
    "protocol": None,
    "sa_count": None,
    "ref": None,
    "serial": None,
    "flags": None,  # list
    "auto_negotiate": False,
    "src": None,  # list
    "dst": None,  # list
    "sas": None,  # list
    "other": None,  # dict
}

_DIRECTION_TEMPLATE: Dict[str, Any] = {"spi": None, "esp": None, "ah": None, "key": None, "key_length": None,
                                       "ah_key": None, "ah_key_length": None}

_SA_TEMPLATE: Dict[str, Any] = {
    "inbound": None,  # _DIRECTION_TEMPLATE
    "outbound": None,  # _DIRECTION_TEMPLATE
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
    "other": None,  # dict
}


def _new_tunnel(name: str, vdom_index: Optional[int]) -> Dict[str, Any]:
    tunnel = _TUNNEL_TEMPLATE.copy()
    tunnel["name"] = name
    tunnel["vdom_index"] = vdom_index
    tunnel["options"] = []
    tunnel["dpd"] = _DPD_TEMPLATE.copy()
    tunnel["natt"] = _NATT_TEMPLATE.copy()
    tunnel["proxyids"] = []
    tunnel["other"] = {}
    return tunnel


def _new_proxyid(name: str) -> Dict[str, Any]:
    proxyid = _PROXYID_TEMPLATE.copy()
    proxyid["name"] = name
    proxyid["flags"] = []
    proxyid["src"] = []
    proxyid["dst"] = []
    proxyid["sas"] = []
    proxyid["other"] = {}
    return proxyid


def _new_sa() -> Dict[str, Any]:
    sa = _SA_TEMPLATE.copy()
    sa["inbound"] = _DIRECTION_TEMPLATE.copy()
    sa["outbound"] = _DIRECTION_TEMPLATE.copy()
    sa["other"] = {}
    return sa


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


def _tunnel_body(tunnel: Optional[Dict[str, Any]], line: str, include_keys: bool) -> bool:
    """Lines that belong to a tunnel but not to a proxy ID. Returns False if not placed."""
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


# Fast paths. Each line as FortiOS prints it (single spaces, plain ASCII values, decimal
# numbers short enough for int()) has a pattern and a `_fill_*` function that applies
# its groups; a line that does not match exactly goes through the token-by-token code
# above, which gives the same result for the lines the patterns accept. In the patterns
# N stands for a number group and V for a value group (no other capital N or V appears).
# Runs of lines that always come together (a whole SA, the head of a tunnel, a proxy ID
# with its selectors) are also matched at once, joined with "\n", which saves the
# per-line dispatch: the result is the same as applying the lines one by one.
_NUM = r"([0-9]{1,18})"
_VAL = r"([!-~]+)"
_FLAGS = r"((?: +[!-<>-~]+(?![!-~]))*)"  # whole tokens without "=" (the lookahead stops backtracking)


def _expand(pattern: str) -> str:
    return pattern.replace("N", _NUM).replace("V", _VAL)


def _fast(pattern: str) -> Any:
    return re.compile(_expand(pattern)).fullmatch


def _group_count(pattern: str) -> int:
    return re.compile(_expand(pattern)).groups


_NAME_LINE = (r"name=(.*?) ver=N serial=V ([0-9.]+):N->([0-9.]+):N"
              r"(?: nexthop=V)?(?: tun_id=V)?(?: tun_id6=V)?(?: status=V)?(?: dst_mtu=N)?(?: dpd-link=V)?(?: weight=N)?")
_LINE2_LINE = (r"bound_if=N(?: real_if=N)? lgwy=V tun=V mode=V encap=V options\[([0-9A-Fa-f]*)\]=([!-~]*)" + _FLAGS
               + r"(?: +run_state=N)?(?: +role=V)? +accept_traffic=N(?: +overlay_id=N)?")
_PARENT_LINE = r"parent=V index=N"
_PROXYID_NUM_LINE = r"proxyid_num=N child_num=N refcnt=N ilast=N olast=N ad=([!-~]*)"
_STAT_LINE = r"stat: +rxp=N txp=N rxb=N txb=N"
_DPD_LINE = r"dpd: +mode=V on=N(?: status=V)? idle=Nms retry=N count=N seqno=V"
_NATT_LINE = r"natt: +mode=V draft=N interval=N remote_port=N"
_FEC_LINE = r"fec: +egress=N ingress=N"
_RUN_TALLY_LINE = r"run_tally=N"
_PROXYID_LINE = r"proxyid=(.*?) proto=N sa=N ref=N serial=V" + _FLAGS
_SELECTOR_LINE = r"(src|dst): +N:([0-9./-]+):N"
_SA_LINE = r"SA: +ref=N options=V type=V soft=N mtu=N expire=N/([!-~]*) replaywin=N"
_SEQNO_LINE = r"seqno=V esn=N replaywin_lastseq=V(?: itn=N)?(?: qat=N rekey=N hash_search_len=N)?"
_LIFE_LINE = r"life: +type=V bytes=V timeout=N/N"
_CRYPTO_TAIL = r": +spi=V esp=V key=N(?: ([0-9A-Fa-f]+))?"  # after `dec` or `enc`
_AH_LINE = r"ah=V key=N(?: ([0-9A-Fa-f]+))?"
_PKTS_LINE = r"dec:pkts/bytes=N/N, enc:pkts/bytes=N/N"  # the plain form of _PKTS_RE
_NPU_LINE = r"npu_flag=V npu_rgwy=V npu_lgwy=V npu_selid=V dec_npuid=N enc_npuid=N"

_NAME_FAST = _fast(_NAME_LINE)
_LINE2_FAST = _fast(_LINE2_LINE)
_PARENT_FAST = _fast(_PARENT_LINE)
_PROXYID_NUM_FAST = _fast(_PROXYID_NUM_LINE)
_STAT_FAST = _fast(_STAT_LINE)
_DPD_FAST = _fast(_DPD_LINE)
_NATT_FAST = _fast(_NATT_LINE)
_FEC_FAST = _fast(_FEC_LINE)
_RUN_TALLY_FAST = _fast(_RUN_TALLY_LINE)
_PROXYID_FAST = _fast(_PROXYID_LINE)
_SELECTOR_FAST = _fast(_SELECTOR_LINE)
_SA_FAST = _fast(_SA_LINE)
_SEQNO_FAST = _fast(_SEQNO_LINE)
_LIFE_FAST = _fast(_LIFE_LINE)
_CRYPTO_FAST = _fast(r"(?:dec|enc)" + _CRYPTO_TAIL)
_AH_FAST = _fast(_AH_LINE)
_NPU_FAST = _fast(_NPU_LINE)

# Head of a tunnel: name=, line 2, [parent=], proxyid_num=, stat:, dpd:, natt:, [fec:],
# ending at a line end (what follows is read line by line).
_HEAD_MAX_LINES = 8
_HEAD_MATCH = re.compile(_expand("\n".join((
    _NAME_LINE, _LINE2_LINE + "(?:\n" + _PARENT_LINE + ")?", _PROXYID_NUM_LINE, _STAT_LINE, _DPD_LINE,
    _NATT_LINE + "(?:\n" + _FEC_LINE + ")?(?=\n|\\Z)")))).match
# proxyid= and its first two selector lines.
_PROXYID_BLOCK_LINES = 3
_PROXYID_BLOCK_FAST = _fast("\n".join((_PROXYID_LINE, _SELECTOR_LINE, _SELECTOR_LINE)))
# A whole SA: SA:, seqno=, life:, dec:, ah=, enc:, ah=, dec:pkts/bytes=, npu_flag=.
_SA_BLOCK_LINES = 9
_SA_BLOCK_FAST = _fast("\n".join((_SA_LINE, _SEQNO_LINE, _LIFE_LINE, "dec" + _CRYPTO_TAIL, _AH_LINE,
                                  "enc" + _CRYPTO_TAIL, _AH_LINE, _PKTS_LINE, _NPU_LINE)))

# Lines after the current one that a block match may read.
_LOOKAHEAD = max(_HEAD_MAX_LINES, _PROXYID_BLOCK_LINES, _SA_BLOCK_LINES) - 1

# Where each line's groups start in the block patterns.
_AT_LINE2 = _group_count(_NAME_LINE)
_AT_PARENT = _AT_LINE2 + _group_count(_LINE2_LINE)
_AT_PROXYID_NUM = _AT_PARENT + _group_count(_PARENT_LINE)
_AT_STAT = _AT_PROXYID_NUM + _group_count(_PROXYID_NUM_LINE)
_AT_DPD = _AT_STAT + _group_count(_STAT_LINE)
_AT_NATT = _AT_DPD + _group_count(_DPD_LINE)
_AT_FEC = _AT_NATT + _group_count(_NATT_LINE)
_AT_SELECTOR = _group_count(_PROXYID_LINE)
_SELECTOR_GROUPS = _group_count(_SELECTOR_LINE)
_AT_SEQNO = _group_count(_SA_LINE)
_AT_LIFE = _AT_SEQNO + _group_count(_SEQNO_LINE)
_AT_DEC = _AT_LIFE + _group_count(_LIFE_LINE)
_AT_DEC_AH = _AT_DEC + _group_count("dec" + _CRYPTO_TAIL)
_AT_ENC = _AT_DEC_AH + _group_count(_AH_LINE)
_AT_ENC_AH = _AT_ENC + _group_count("enc" + _CRYPTO_TAIL)
_AT_PKTS = _AT_ENC_AH + _group_count(_AH_LINE)
_AT_NPU = _AT_PKTS + _group_count(_PKTS_LINE)

# Line kind by its first three characters. Every rule of the parser needs one of these
# prefixes, so a line with any other start cannot be placed.
(_K_OTHER, _K_SELECTOR, _K_SA, _K_SEQNO, _K_LIFE, _K_DEC, _K_ENC, _K_AH, _K_NPU, _K_HEADER, _K_SEPARATOR,
 _K_NAME, _K_PROXYID, _K_LINE2, _K_PARENT, _K_STAT, _K_DPD, _K_NATT, _K_FEC, _K_RUN_TALLY) = range(20)
_KINDS: Dict[str, int] = {
    "src": _K_SELECTOR, "dst": _K_SELECTOR, "SA:": _K_SA, "seq": _K_SEQNO, "lif": _K_LIFE, "dec": _K_DEC,
    "enc": _K_ENC, "ah=": _K_AH, "npu": _K_NPU, "lis": _K_HEADER, "---": _K_SEPARATOR, "nam": _K_NAME,
    "pro": _K_PROXYID, "bou": _K_LINE2, "lgw": _K_LINE2, "rea": _K_LINE2, "tun": _K_LINE2, "par": _K_PARENT,
    "sta": _K_STAT, "dpd": _K_DPD, "nat": _K_NATT, "fec": _K_FEC, "run": _K_RUN_TALLY,
}

_Groups = Tuple[Optional[str], ...]


def _new_tunnel_from(values: _Groups, vdom_index: Optional[int]) -> Dict[str, Any]:
    (name, version, serial, local, local_port, remote, remote_port, nexthop, tun_id, tun_id6, status, dst_mtu,
     dpd_link, weight) = values[:_AT_LINE2]
    tunnel = _new_tunnel(name.strip(), vdom_index)
    tunnel["version"] = int(version)
    tunnel["serial"] = serial
    tunnel["local_gateway"] = local
    tunnel["local_port"] = int(local_port)
    tunnel["remote_gateway"] = remote
    tunnel["remote_port"] = int(remote_port)
    if nexthop is not None:
        tunnel["nexthop"] = nexthop
    if tun_id is not None:
        tunnel["tun_id"] = tun_id
    if tun_id6 is not None:
        tunnel["tun_id6"] = tun_id6
    if status is not None:
        tunnel["status"] = status
    if dst_mtu is not None:
        tunnel["dst_mtu"] = int(dst_mtu)
    if dpd_link is not None:
        tunnel["dpd_link"] = dpd_link
    if weight is not None:
        tunnel["weight"] = int(weight)
    return tunnel


def _fill_line2(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    (bound_if, real_if, lgwy, tun, mode, encap, options_hex, first_option, flags, run_state, role, accept_traffic,
     overlay_id) = values[at:at + 13]
    tunnel["bound_if"] = int(bound_if)
    if real_if is not None:
        tunnel["real_if"] = int(real_if)
    # `mode=dial_inst/3`: the name before the slash is what matters.
    tunnel["lgwy"] = lgwy.split("/", 1)[0]
    tunnel["tun"] = tun.split("/", 1)[0]
    tunnel["mode"] = mode.split("/", 1)[0]
    tunnel["encap"] = encap.split("/", 1)[0]
    tunnel["options_hex"] = options_hex
    options = tunnel["options"]
    if first_option:
        options.append(first_option)
    if flags:
        options.extend(flags.split())
    if run_state is not None:
        tunnel["run_state"] = int(run_state)
    if role is not None:
        tunnel["role"] = role
    tunnel["accept_traffic"] = int(accept_traffic) != 0
    if overlay_id is not None:
        tunnel["overlay_id"] = int(overlay_id)
    tunnel["npu"] = "npu" in options


def _fill_parent(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    tunnel["parent"] = values[at]
    tunnel["index"] = int(values[at + 1])


def _fill_proxyid_num(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    tunnel["proxyid_num"] = int(values[at])
    tunnel["child_num"] = int(values[at + 1])
    tunnel["refcnt"] = int(values[at + 2])
    tunnel["ilast"] = int(values[at + 3])
    tunnel["olast"] = int(values[at + 4])
    tunnel["ad"] = values[at + 5]


def _fill_stat(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    tunnel["rx_packets"] = int(values[at])
    tunnel["tx_packets"] = int(values[at + 1])
    tunnel["rx_bytes"] = int(values[at + 2])
    tunnel["tx_bytes"] = int(values[at + 3])


def _fill_dpd(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    mode, on, status, idle, retry, count, seqno = values[at:at + 7]
    dpd = tunnel["dpd"]
    dpd["mode"] = mode
    dpd["on"] = int(on) != 0
    if status is not None:
        dpd["status"] = status
    dpd["idle_ms"] = int(idle)
    dpd["retry"] = int(retry)
    dpd["count"] = int(count)
    dpd["seqno"] = seqno  # printed in hex, kept as printed


def _fill_natt(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    natt = tunnel["natt"]
    natt["mode"] = values[at]
    natt["draft"] = int(values[at + 1])
    natt["interval"] = int(values[at + 2])
    natt["remote_port"] = int(values[at + 3])


def _fill_fec(tunnel: Dict[str, Any], values: _Groups, at: int) -> None:
    tunnel["fec"] = {"egress": int(values[at]), "ingress": int(values[at + 1])}


def _new_proxyid_from(values: _Groups) -> Dict[str, Any]:
    name, proto, sa_count, ref, serial, flags = values[:_AT_SELECTOR]
    proxyid = _new_proxyid(name.strip())
    proxyid["protocol"] = int(proto)
    proxyid["sa_count"] = int(sa_count)
    proxyid["ref"] = int(ref)
    proxyid["serial"] = serial
    if flags:
        proxyid["flags"].extend(flags.split())
        proxyid["auto_negotiate"] = "auto-negotiate" in proxyid["flags"]
    return proxyid


def _fill_selector(proxyid: Dict[str, Any], values: _Groups, at: int, addresses: Dict[str, str]) -> None:
    """`addresses` memoizes normalize_address() for one parse (a hub repeats its subnets)."""
    text: str = values[at + 2]
    address = addresses.get(text)
    if address is None:
        address = addresses[text] = normalize_address(text)
    proxyid[values[at]].append({"protocol": int(values[at + 1]),
                                "address": address,
                                "port": int(values[at + 3])})


def _fill_sa(sa: Dict[str, Any], values: _Groups, at: int) -> None:
    sa["ref"] = int(values[at])
    sa["options"] = values[at + 1]  # hex as printed
    sa["type"] = values[at + 2]
    sa["soft"] = int(values[at + 3])
    sa["mtu"] = int(values[at + 4])
    sa["expire_seconds"] = int(values[at + 5])
    sa["expire_bytes"] = values[at + 6] or None
    sa["replaywin"] = int(values[at + 7])


def _fill_seqno(sa: Dict[str, Any], values: _Groups, at: int) -> None:
    seqno, esn, lastseq, itn, qat, rekey, hash_search_len = values[at:at + 7]
    sa["seqno"] = seqno
    sa["esn"] = int(esn)
    sa["replaywin_lastseq"] = lastseq
    if itn is not None:
        sa["itn"] = int(itn)
    if qat is not None:
        sa["qat"] = int(qat)
        sa["rekey"] = int(rekey)
        sa["hash_search_len"] = int(hash_search_len)


def _fill_life(sa: Dict[str, Any], values: _Groups, at: int) -> None:
    sa["life_type"] = values[at]
    sa["life_bytes"] = values[at + 1]
    sa["lifetime_remaining"] = int(values[at + 2])
    sa["lifetime"] = int(values[at + 3])


def _set_key(direction: Dict[str, Any], prefix: str, length: Optional[str], material: Optional[str],
             include_keys: bool) -> None:
    direction[prefix + "key_length"] = int(length)
    if material is None:
        direction[prefix + "key"] = None
    else:
        direction[prefix + "key"] = material if include_keys else REDACTED


def _fill_crypto(direction: Dict[str, Any], values: _Groups, at: int, include_keys: bool) -> None:
    direction["spi"] = values[at]
    direction["esp"] = values[at + 1]
    _set_key(direction, "", values[at + 2], values[at + 3], include_keys)


def _fill_ah(direction: Dict[str, Any], values: _Groups, at: int, include_keys: bool) -> None:
    direction["ah"] = values[at]
    _set_key(direction, "ah_", values[at + 1], values[at + 2], include_keys)


def _fill_pkts(sa: Dict[str, Any], values: _Groups, at: int) -> None:
    # All four converted before any is set: with _PKTS_RE (any digits) int() can refuse one.
    sa["dec_packets"], sa["dec_bytes"], sa["enc_packets"], sa["enc_bytes"] = (
        int(values[at]), int(values[at + 1]), int(values[at + 2]), int(values[at + 3]))


def _fill_npu(sa: Dict[str, Any], values: _Groups, at: int) -> None:
    flag = values[at]
    sa["npu_flag"] = flag
    sa["offload"] = _OFFLOAD.get(flag)
    sa["npu_rgwy"] = values[at + 1]
    sa["npu_lgwy"] = values[at + 2]
    sa["npu_selid"] = values[at + 3]
    sa["dec_npuid"] = int(values[at + 4])
    sa["enc_npuid"] = int(values[at + 5])


def _head_block(lines: List[str], index: int, vdom_index: Optional[int]) -> Tuple[Optional[Dict[str, Any]], int]:
    """The tunnel whose head starts at lines[index], and how many lines it took (or None, 0)."""
    match = _HEAD_MATCH("\n".join(lines[index:index + _HEAD_MAX_LINES]))
    if match is None:
        return None, 0
    values = match.groups()
    if " ver=" in values[0]:
        return None, 0  # the name runs up to the first " ver=": let the line parser cut it
    tunnel = _new_tunnel_from(values, vdom_index)
    _fill_line2(tunnel, values, _AT_LINE2)
    taken = 6
    if values[_AT_PARENT] is not None:
        _fill_parent(tunnel, values, _AT_PARENT)
        taken += 1
    _fill_proxyid_num(tunnel, values, _AT_PROXYID_NUM)
    _fill_stat(tunnel, values, _AT_STAT)
    _fill_dpd(tunnel, values, _AT_DPD)
    _fill_natt(tunnel, values, _AT_NATT)
    if values[_AT_FEC] is not None:
        _fill_fec(tunnel, values, _AT_FEC)
        taken += 1
    return tunnel, taken


def _fill_sa_block(sa: Dict[str, Any], values: _Groups, include_keys: bool) -> None:
    _fill_sa(sa, values, 0)
    _fill_seqno(sa, values, _AT_SEQNO)
    _fill_life(sa, values, _AT_LIFE)
    inbound = sa["inbound"]
    _fill_crypto(inbound, values, _AT_DEC, include_keys)
    _fill_ah(inbound, values, _AT_DEC_AH, include_keys)
    outbound = sa["outbound"]
    _fill_crypto(outbound, values, _AT_ENC, include_keys)
    _fill_ah(outbound, values, _AT_ENC_AH, include_keys)
    _fill_pkts(sa, values, _AT_PKTS)
    _fill_npu(sa, values, _AT_NPU)


def _name_line(line: str, vdom_index: Optional[int], include_keys: bool) -> Dict[str, Any]:
    match = _NAME_FAST(line)
    if match is None or " ver=" in match.group(1):
        return _parse_name_line(line, vdom_index, include_keys)
    return _new_tunnel_from(match.groups(), vdom_index)


def _proxyid_line(line: str, include_keys: bool) -> Dict[str, Any]:
    match = _PROXYID_FAST(line)
    if match is None or " proto=" in match.group(1):
        return _parse_proxyid_line(line, include_keys)
    return _new_proxyid_from(match.groups())


def _crypto_line(direction: Dict[str, Any], sa: Dict[str, Any], line: str, include_keys: bool) -> None:
    match = _CRYPTO_FAST(line)
    if match is None:
        _parse_crypto(direction, sa, line[4:], include_keys)
    else:
        _fill_crypto(direction, match.groups(), 0, include_keys)


# Per-tunnel lines: kind -> (pattern, fill).
_TUNNEL_FAST: Dict[int, Tuple[Any, Any]] = {
    _K_LINE2: (_LINE2_FAST, _fill_line2),
    _K_PARENT: (_PARENT_FAST, _fill_parent),
    _K_PROXYID: (_PROXYID_NUM_FAST, _fill_proxyid_num),
    _K_STAT: (_STAT_FAST, _fill_stat),
    _K_DPD: (_DPD_FAST, _fill_dpd),
    _K_NATT: (_NATT_FAST, _fill_natt),
    _K_FEC: (_FEC_FAST, _fill_fec),
}


def _tunnel_line(kind: int, tunnel: Optional[Dict[str, Any]], line: str, include_keys: bool) -> bool:
    """A per-tunnel line: fast path by kind, else the generic _tunnel_body."""
    if tunnel is None:
        return False
    if kind == _K_RUN_TALLY:
        match = _RUN_TALLY_FAST(line)
        if match is not None:
            tunnel["run_tally"] = int(match.group(1))
            return True
    else:
        fast = _TUNNEL_FAST.get(kind)
        if fast is not None:
            match = fast[0](line)
            if match is not None:
                fast[1](tunnel, match.groups(), 0)
                return True
    return _tunnel_body(tunnel, line, include_keys)


def _parse_lines(pieces: Iterator[List[str]], include_keys: bool, tunnels: List[Dict[str, Any]],
                 unparsed: List[str]) -> None:
    """One pass: each line goes by its kind to the current tunnel / proxy ID / SA.

    Same placement rules, in the same order, as the line-by-line cascade this replaced:
    header, separator, `name=`, `proxyid=`, then the proxy ID body (selectors, SA lines),
    then the tunnel body; a line no rule takes goes to `unparsed`. The lines come in
    pieces; the last _LOOKAHEAD lines of a piece wait for the next one, so that a block
    match sees the same lines as it would in one list.
    """
    kinds = _KINDS
    addresses: Dict[str, str] = {}
    vdom_index: Optional[int] = None
    tunnel: Optional[Dict[str, Any]] = None
    proxyid: Optional[Dict[str, Any]] = None
    sa: Optional[Dict[str, Any]] = None
    direction: Optional[Dict[str, Any]] = None
    skip = 0
    lines: List[str] = []
    following = next(pieces, None)
    while following is not None:
        lines = lines + following if lines else following
        following = next(pieces, None)
        limit = len(lines) if following is None else max(len(lines) - _LOOKAHEAD, 0)
        for index in range(limit):
            if skip:
                skip -= 1  # already applied as part of a block
                continue
            line = lines[index]
            kind = kinds.get(line[:3], _K_OTHER)
            try:
                placed = True
                if kind <= _K_NPU:
                    # Proxy ID body: selectors and SA lines.
                    if proxyid is None or kind == _K_OTHER:
                        placed = False
                    elif kind == _K_SA:
                        sa = _new_sa()
                        direction = None
                        proxyid["sas"].append(sa)
                        match = _SA_BLOCK_FAST("\n".join(lines[index:index + _SA_BLOCK_LINES]))
                        if match is not None:
                            _fill_sa_block(sa, match.groups(), include_keys)
                            direction = sa["outbound"]
                            skip = _SA_BLOCK_LINES - 1
                        else:
                            match = _SA_FAST(line)
                            if match is None:
                                _parse_sa_fields(sa, line[3:], include_keys)
                            else:
                                _fill_sa(sa, match.groups(), 0)
                    elif kind == _K_SELECTOR:
                        match = _SELECTOR_FAST(line)
                        if match is not None:
                            _fill_selector(proxyid, match.groups(), 0, addresses)
                        elif line.startswith(":", 3):
                            selector = parse_selector(line[4:])
                            if selector is None:
                                placed = False
                            else:
                                proxyid[line[:3]].append(selector)
                        else:
                            placed = False
                    elif sa is None:
                        placed = False
                    elif kind == _K_DEC:
                        match = _PKTS_RE.match(line)
                        if match is not None:
                            _fill_pkts(sa, match.groups(), 0)
                            if match.group(5):
                                for key, value in split_tokens(match.group(5)):
                                    _store_other(sa, key, value, include_keys)
                        elif line.startswith(":", 3):
                            direction = sa["inbound"]
                            _crypto_line(direction, sa, line, include_keys)
                        else:
                            placed = False
                    elif kind == _K_ENC:
                        if line.startswith(":", 3):
                            direction = sa["outbound"]
                            _crypto_line(direction, sa, line, include_keys)
                        else:
                            placed = False
                    elif kind == _K_AH:
                        if direction is None:
                            placed = False
                        else:
                            match = _AH_FAST(line)
                            if match is None:
                                _parse_crypto(direction, sa, line, include_keys)
                            else:
                                _fill_ah(direction, match.groups(), 0, include_keys)
                    elif kind == _K_SEQNO:
                        if line.startswith("seqno="):
                            match = _SEQNO_FAST(line)
                            if match is None:
                                _parse_sa_fields(sa, line, include_keys)
                            else:
                                _fill_seqno(sa, match.groups(), 0)
                        else:
                            placed = False
                    elif kind == _K_LIFE:
                        if line.startswith("life:"):
                            match = _LIFE_FAST(line)
                            if match is None:
                                _parse_life(sa, line[5:], include_keys)
                            else:
                                _fill_life(sa, match.groups(), 0)
                        else:
                            placed = False
                    elif line.startswith("npu_flag="):
                        match = _NPU_FAST(line)
                        if match is None:
                            _parse_npu(sa, line, include_keys)
                        else:
                            _fill_npu(sa, match.groups(), 0)
                    else:
                        placed = False
                    if not placed:
                        # Not a proxy ID line after all: the tunnel body may still take it.
                        placed = _tunnel_body(tunnel, line, include_keys)
                elif kind == _K_NAME and line.startswith("name="):
                    tunnel = proxyid = sa = direction = None
                    tunnel, taken = _head_block(lines, index, vdom_index)
                    if tunnel is None:
                        tunnel = _name_line(line, vdom_index, include_keys)
                    else:
                        skip = taken - 1
                    tunnels.append(tunnel)
                elif kind == _K_PROXYID and tunnel is not None and line.startswith("proxyid="):
                    match = _PROXYID_BLOCK_FAST("\n".join(lines[index:index + _PROXYID_BLOCK_LINES]))
                    if match is not None and " proto=" not in match.group(1):
                        values = match.groups()
                        proxyid = _new_proxyid_from(values)
                        _fill_selector(proxyid, values, _AT_SELECTOR, addresses)
                        _fill_selector(proxyid, values, _AT_SELECTOR + _SELECTOR_GROUPS, addresses)
                        skip = _PROXYID_BLOCK_LINES - 1
                    else:
                        proxyid = _proxyid_line(line, include_keys)
                    sa = None
                    direction = None
                    tunnel["proxyids"].append(proxyid)
                elif kind == _K_SEPARATOR and _SEPARATOR_RE.match(line) is not None:
                    tunnel = proxyid = sa = direction = None
                elif kind == _K_HEADER and _HEADER_RE.match(line) is not None:
                    vdom_index = int(_HEADER_RE.match(line).group(1))
                    tunnel = proxyid = sa = direction = None
                else:
                    placed = _tunnel_line(kind, tunnel, line, include_keys)
            except Exception:  # a malformed line must never sink the whole output
                placed = False
            if not placed:
                unparsed.append(line if include_keys else redact_text(line))
        # Lines a block took past the limit are done; the rest wait for the next piece.
        lines = lines[limit + skip:]
        skip = 0


def parse_tunnel_list(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose vpn tunnel list` output into {"tunnels": [...], "unparsed": [...]}."""
    tunnels: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    try:
        with gc_paused():
            _parse_lines(iter_clean_lines(text), include_keys, tunnels, unparsed)
            for tunnel in tunnels:
                tunnel["offload_summary"] = offload_summary(tunnel)
    except Exception:
        pass
    return {"tunnels": tunnels, "unparsed": unparsed}


def offload_summary(tunnel: Dict[str, Any]) -> Dict[str, Any]:
    """How a tunnel's SAs sit on the NPU, from each SA's npu_flag.

    `state`: `full` (every SA offloaded both ways), `partial` (some direction of some SA in
    the kernel), `none` (no SA offloaded), `no_sa` (nothing negotiated), `unknown` (no
    npu_flag printed, e.g. a VM without NPU).
    """
    counts = {"both": 0, "outbound": 0, "inbound": 0, "none": 0, "unknown": 0}
    for proxyid in tunnel.get("proxyids") or []:
        for sa in proxyid.get("sas") or []:
            offload = sa.get("offload")
            counts[offload if offload in counts else "unknown"] += 1
    total = sum(counts.values())
    if not total:
        state = "no_sa"
    elif counts["unknown"] == total:
        state = "unknown"
    elif counts["both"] == total:
        state = "full"
    elif counts["both"] or counts["outbound"] or counts["inbound"]:
        state = "partial"
    else:
        state = "none"
    summary: Dict[str, Any] = dict(counts, sas=total, state=state)
    return summary
