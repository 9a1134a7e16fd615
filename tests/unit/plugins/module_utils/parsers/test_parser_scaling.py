# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tunnel list parser at scale: counts, linearity of the output, and no dependence on
where the input is cut into pieces. No timing here: speed is `make bench` (tools/bench_parsers.py).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Dict, List, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers import common
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers import tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list

HEADER = "list all ipsec tunnel in vd 0"
SEPARATOR = "-" * 54
# (esp, esp key length, ah, ah key length) as FortiOS prints them.
CIPHERS = (("aes", 16, "sha1", 20), ("aes", 32, "sha256", 32), ("aes-gcm", 36, "null", 0), ("3des", 24, "sha1", 20))


def _hex(label: str, digits: int) -> str:
    return hashlib.shake_256(label.encode("ascii")).hexdigest((digits + 1) // 2)[:digits]


def _sa(index: int, number: int, local: str, remote: str) -> List[str]:
    esp, esp_len, ah, ah_len = CIPHERS[(index + number) % len(CIPHERS)]
    lines = ["  SA:  ref=3 options=18227 type=00 soft=0 mtu=1438 expire=%d/0B replaywin=2048" % (1000 + index),
             "       seqno=%x esn=0 replaywin_lastseq=%08x qat=0 rekey=0 hash_search_len=1" % (index, index + 2),
             "  life: type=01 bytes=0/0 timeout=%d/3600" % (1011 + index)]
    for direction in ("dec", "enc"):
        tag = "%d-%d-%s" % (index, number, direction)
        lines.append("  %s: spi=%s esp=%s key=%d %s" % (direction, _hex("spi" + tag, 8), esp, esp_len,
                                                        _hex("esp" + tag, esp_len * 2)))
        lines.append("       ah=%s key=%d %s" % (ah, ah_len, _hex("ah" + tag, ah_len * 2)) if ah_len else "       ah=null key=0")
    lines.append("  dec:pkts/bytes=%d/%d, enc:pkts/bytes=%d/%d" % (index, index * 90, index + 1, index * 120))
    lines.append("  npu_flag=0%d npu_rgwy=%s npu_lgwy=%s npu_selid=%x dec_npuid=0 enc_npuid=0"
                 % (index % 4, remote, local, index))
    return lines


def _record(index: int) -> Tuple[List[str], int, int]:
    """One tunnel record: its lines, its proxy ID count and its SA count.

    Shapes by index: 1-3 proxy IDs; every 7th tunnel down (sa=0); every 5th proxy ID in a
    rekey (sa=2); 7.4 lines (real_if=, dpd status=) on odd indexes; every 9th a dial-up
    instance (parent=, NAT-T).
    """
    local = "192.0.2.%d" % (1 + index % 4)
    remote = "198.18.%d.%d" % ((index >> 8) & 255, 1 + index % 250)
    v74 = index % 2 == 1
    dialup = index % 9 == 0
    name = "hub_%d" % index if dialup else "vpn-site-%d" % index
    proxyids = 1 + index % 3
    lines = [
        "name=%s ver=2 serial=%x %s:4500->%s:4500 tun_id=%s tun_id6=::%s dst_mtu=1500 dpd-link=on weight=1"
        % (name, 1 + index % 4000, local, remote, remote, remote),
        "bound_if=%d%s lgwy=static/1 tun=intf mode=%s encap=none/520 options[0208]=npu frag-rfc  run_state=0 "
        "role=primary accept_traffic=1 overlay_id=0"
        % (3 + index % 30, " real_if=%d" % (3 + index % 30) if v74 else "", "dial_inst/3" if dialup else "auto/1"),
        "",
    ]
    if dialup:
        lines.append("parent=hub index=%d" % index)
    lines += [
        "proxyid_num=%d child_num=0 refcnt=5 ilast=%d olast=%d ad=/0" % (proxyids, index % 50, index % 40),
        "stat: rxp=%d txp=%d rxb=%d txb=%d" % (index, index + 1, index * 100, index * 110),
        "dpd: mode=on-demand on=1%s idle=20000ms retry=3 count=0 seqno=%x" % (" status=ok" if v74 else "", index),
        "natt: mode=%s draft=0 interval=%d remote_port=%d" % (("silent", 10, 4500) if dialup else ("none", 0, 0)),
        "fec: egress=0 ingress=0",
    ]
    sas = 0
    for number in range(proxyids):
        count = 0 if index % 7 == 0 else (2 if (index + number) % 5 == 0 else 1)
        lines.append("proxyid=%s-p2-%d proto=0 sa=%d ref=%d serial=%d%s"
                     % (name, number, count, 2 + count, number + 1, " auto-negotiate" if number % 2 else ""))
        lines.append("  src: 0:10.%d.%d.0/255.255.255.0:0" % ((index >> 8) & 255, index & 255))
        lines.append("  dst: 0:172.16.%d.0-172.16.%d.255:0" % ((index + number) & 255, (index + number) & 255))
        for sa_number in range(count):
            lines += _sa(index, number * 2 + sa_number, local, remote)
        sas += count
    lines.append("run_tally=0")
    return lines, proxyids, sas


def _capture(indexes: List[int]) -> Tuple[str, int, int]:
    lines = ["FGT-SCALE # diagnose vpn tunnel list", HEADER]
    proxyids = sas = 0
    for index in indexes:
        record, record_proxyids, record_sas = _record(index)
        lines.append(SEPARATOR)
        lines += record
        proxyids += record_proxyids
        sas += record_sas
    lines += ["", "FGT-SCALE # "]
    return "\n".join(lines), proxyids, sas


def _counts(result: Dict[str, Any]) -> Tuple[int, int, int]:
    tunnels = result["tunnels"]
    proxyids = [proxyid for tunnel in tunnels for proxyid in tunnel["proxyids"]]
    return len(tunnels), len(proxyids), sum(len(proxyid["sas"]) for proxyid in proxyids)


def test_large_capture_counts() -> None:
    text, proxyids, sas = _capture(list(range(3000)))
    result = parse_tunnel_list(text)
    assert result["unparsed"] == []
    assert _counts(result) == (3000, proxyids, sas)
    assert sas > 3000 and proxyids > 5000
    tunnel = result["tunnels"][1]
    assert tunnel["name"] == "vpn-site-1" and tunnel["real_if"] == 4 and tunnel["dpd"]["status"] == "ok"
    assert result["tunnels"][9]["parent"] == "hub" and result["tunnels"][9]["natt"]["remote_port"] == 4500


def test_twice_the_input_gives_exactly_twice_the_output() -> None:
    indexes = list(range(1500))
    once = parse_tunnel_list(_capture(indexes)[0])
    twice = parse_tunnel_list(_capture(indexes + indexes)[0])
    assert once["unparsed"] == [] and twice["unparsed"] == []
    assert len(twice["tunnels"]) == 2 * len(once["tunnels"])
    assert json.dumps(twice["tunnels"]) == json.dumps(once["tunnels"] + once["tunnels"])


def test_whole_capture_equals_records_parsed_one_by_one() -> None:
    # Block matching (a whole SA, a tunnel head) must not depend on where pieces are cut.
    indexes = list(range(400))
    whole = parse_tunnel_list(_capture(indexes)[0], include_keys=True)
    one_by_one: List[Dict[str, Any]] = []
    for index in indexes:
        one_by_one += parse_tunnel_list(_capture([index])[0], include_keys=True)["tunnels"]
    assert json.dumps(whole["tunnels"]) == json.dumps(one_by_one)


def test_piece_size_does_not_change_the_result(monkeypatch: Any) -> None:
    text = _capture(list(range(120)))[0]
    expected = json.dumps(parse_tunnel_list(text))
    default = common.iter_clean_lines
    for chunk_chars in (0, 1, 50, 333, 4096):
        def pieces(data: Any, drop_command_echo: bool = True, strip: bool = True, size: int = chunk_chars) -> Any:
            return default(data, drop_command_echo, strip, size)
        monkeypatch.setattr(tunnel_list, "iter_clean_lines", pieces)
        assert json.dumps(parse_tunnel_list(text)) == expected, chunk_chars


def test_no_key_material_at_scale() -> None:
    text = _capture(list(range(500)))[0]
    hidden = json.dumps(parse_tunnel_list(text))
    shown = json.dumps(parse_tunnel_list(text, include_keys=True))
    material = re.findall(r"key=[0-9]+ ([0-9a-f]+)", text)
    assert len(material) > 1000
    assert all(key not in hidden for key in material)
    assert all(key in shown for key in material)
