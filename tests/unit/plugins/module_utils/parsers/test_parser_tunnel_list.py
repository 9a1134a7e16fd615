# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`diagnose vpn tunnel list` parser: contract fields and format generations."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list

FIXTURES = Path(__file__).parents[3] / "fixtures" / "diagnose_vpn_tunnel_list"

TUNNEL_FIELDS = {
    "name", "version", "serial", "local_gateway", "local_port", "remote_gateway", "remote_port",
    "status", "mode", "parent", "proxyid_num", "child_num", "rx_packets", "tx_packets", "rx_bytes",
    "tx_bytes", "npu", "dpd", "natt", "proxyids",
}
PROXYID_FIELDS = {"name", "protocol", "src", "dst", "sas"}
SA_FIELDS = {"inbound", "outbound", "dec_packets", "dec_bytes", "enc_packets", "enc_bytes", "npu_flag", "offload"}
DIRECTION_FIELDS = {"spi", "esp", "ah", "key"}


def load(case: str, include_keys: bool = False) -> Dict[str, Any]:
    text = (FIXTURES / (case + ".txt")).read_bytes().decode("utf-8")
    if case.endswith("_crlf"):
        text = text.replace("\n", "\r\n")
    return parse_tunnel_list(text, include_keys=include_keys)


def by_name(result: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {tunnel["name"]: tunnel for tunnel in result["tunnels"]}


def test_contract_fields_everywhere() -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        for tunnel in load(path.stem)["tunnels"]:
            assert TUNNEL_FIELDS <= set(tunnel), path.stem
            assert set(tunnel["dpd"]) >= {"mode", "status"}
            assert set(tunnel["natt"]) >= {"mode", "remote_port"}
            for proxyid in tunnel["proxyids"]:
                assert PROXYID_FIELDS <= set(proxyid)
                for selector in proxyid["src"] + proxyid["dst"]:
                    assert set(selector) == {"protocol", "address", "port"}
                for sa in proxyid["sas"]:
                    assert SA_FIELDS <= set(sa)
                    assert DIRECTION_FIELDS <= set(sa["inbound"]) and DIRECTION_FIELDS <= set(sa["outbound"])


def test_pre_70_layout() -> None:
    tunnels = by_name(load("v60_site_to_site_mask_selectors_crlf"))
    hq = tunnels["to-hq"]
    assert (hq["version"], hq["local_gateway"], hq["remote_gateway"], hq["remote_port"]) == (
        1, "192.0.2.10", "198.51.100.20", 0)
    assert hq["tun_id"] is None and hq["run_state"] is None and hq["status"] is None
    assert hq["accept_traffic"] is True and hq["npu"] is True
    assert [p["src"][0]["address"] for p in hq["proxyids"]] == ["10.10.1.0/24", "10.10.5.0/25"]
    assert hq["proxyids"][0]["sas"][0]["expire_seconds"] == 19877
    backup = tunnels["to-hq-backup"]
    assert backup["accept_traffic"] is False
    assert backup["proxyids"][0]["sa_count"] == 0 and backup["proxyids"][0]["sas"] == []


def test_advpn_shortcut_is_a_dial_up_instance() -> None:
    tunnels = by_name(load("v62_advpn_spoke_shortcut"))
    shortcut = tunnels["spoke-inet_0"]
    assert (shortcut["mode"], shortcut["parent"], shortcut["index"]) == ("dial_inst", "spoke-inet", 0)
    assert shortcut["serial"] == "e"  # serials are printed in hex
    assert shortcut["natt"] == {"mode": "keepalive", "remote_port": 4500, "draft": 32, "interval": 10}
    assert tunnels["spoke-inet"]["ad"] == "r/2"
    assert "adr" in tunnels["spoke-inet"]["proxyids"][0]["flags"]
    assert tunnels["spoke-inet"]["proxyids"][0]["auto_negotiate"] is True


def test_64_line_two_and_run_tally() -> None:
    tunnel = load("v64_ikev2_dynamic_down_sa0")["tunnels"][0]
    assert (tunnel["run_state"], tunnel["role"], tunnel["overlay_id"], tunnel["run_tally"]) == (0, "primary", 0, 1)
    assert tunnel["lgwy"] == "dyn" and tunnel["npu"] is False and tunnel["options"] == ["frag-rfc"]
    assert tunnel["dst_mtu"] == 0 and tunnel["version"] == 2


def test_dial_up_parent_and_instances() -> None:
    tunnels = by_name(load("v70_dialup_hub_instances"))
    parent = tunnels["HUB-DIAL"]
    assert (parent["mode"], parent["proxyid_num"], parent["child_num"], parent["run_tally"]) == ("dialup", 0, 2, 0)
    assert parent["proxyids"] == [] and parent["parent"] is None
    for index, name in enumerate(["HUB-DIAL_0", "HUB-DIAL_1"]):
        assert (tunnels[name]["parent"], tunnels[name]["index"], tunnels[name]["mode"]) == ("HUB-DIAL", index, "dial_inst")
    nat = tunnels["HUB-DIAL_1"]
    assert (nat["local_port"], nat["remote_port"], nat["natt"]["mode"]) == (4500, 64916, "silent")
    assert nat["tun_id6"] == "::10.0.0.6" and nat["dpd_link"] == "on" and nat["weight"] == 1


def test_transport_mode_l2tp() -> None:
    proxyid = by_name(load("v70_l2tp_transport_mode"))["L2TP-RA_0"]["proxyids"][0]
    assert proxyid["protocol"] == 17
    assert proxyid["src"] == [{"protocol": 17, "address": "192.0.2.5/32", "port": 1701}]
    assert proxyid["dst"] == [{"protocol": 17, "address": "203.0.113.77/32", "port": 0}]
    assert "transport-mode" in proxyid["flags"]
    assert proxyid["sas"][0]["inbound"]["esp"] == "3des" and proxyid["sas"][0]["inbound"]["key_length"] == 24


def test_rekey_gcm_two_sas() -> None:
    tunnel = load("v72_gcm_rekey_two_sas")["tunnels"][0]
    assert tunnel["fec"] == {"egress": 0, "ingress": 0}
    proxyid = tunnel["proxyids"][0]
    assert proxyid["sa_count"] == 2 and len(proxyid["sas"]) == 2
    assert proxyid["dst"][0]["address"] == "10.30.0.0/22"
    old, new = proxyid["sas"]
    assert (old["npu_flag"], old["offload"], new["npu_flag"], new["offload"]) == ("00", "none", "03", "both")
    for direction in (old["inbound"], old["outbound"]):
        assert direction["esp"] == "aes-gcm" and direction["ah"] == "null"
        assert direction["key"] == "<redacted>" and direction["ah_key"] is None and direction["ah_key_length"] == 0
    assert old["rekey"] == 1 and old["expire_seconds"] == 17 and old["lifetime"] == 3600


def test_include_keys_gives_hex_without_length() -> None:
    text = (FIXTURES / "v72_gcm_rekey_two_sas.txt").read_text()
    first_key = text.split("key=36 ", 1)[1].split()[0]
    sa = parse_tunnel_list(text, include_keys=True)["tunnels"][0]["proxyids"][0]["sas"][0]
    assert sa["inbound"]["key"] == first_key and len(first_key) == 72
    assert sa["inbound"]["ah_key"] is None


def test_multi_vdom_timestamps_gre_and_ranges() -> None:
    result = load("v72_advpn_hub_multi_vdom_timestamps")
    assert [(t["name"], t["vdom_index"]) for t in result["tunnels"]] == [
        ("HUB-INET_0", 0), ("HUB-INET", 0), ("cust-b-gre", 3), ("cust-b-partner", 3)]
    tunnels = by_name(result)
    assert tunnels["HUB-INET_0"]["ad"] == "s/1" and tunnels["HUB-INET_0"]["proxyids"][0]["flags"] == ["ads"]
    gre = tunnels["cust-b-gre"]
    assert gre["encap"] == "GRE" and gre["encap_addr"] == "192.0.2.66->198.51.100.70"
    assert gre["proxyids"][0]["protocol"] == 47
    partner = tunnels["cust-b-partner"]["proxyids"][0]
    assert partner["src"][0]["address"] == "10.50.0.10-10.50.0.20"
    assert partner["dst"][0] == {"protocol": 6, "address": "10.140.40.0/22", "port": 443}
    assert partner["sas"][0]["npu_flag"] == "20" and partner["sas"][0]["offload"] == "none"


def test_74_dialup_list_fields() -> None:
    tunnels = by_name(load("v74_dialup_list_nexthop"))
    first = tunnels["EDGE-INET1_0"]
    assert (first["status"], first["nexthop"], first["real_if"], first["overlay_id"]) == ("up", "198.51.100.254", 22, 11)
    assert first["dpd"]["status"] == "ok" and first["vdom_index"] == 0
    assert tunnels["EDGE-INET1_1"]["proxyids"][0]["sas"][0]["offload"] == "both"


def test_name_with_spaces_and_paging() -> None:
    tunnel = load("v74_name_with_spaces_more_paging")["tunnels"][0]
    assert tunnel["name"] == "to branch 7" and tunnel["vdom_index"] == 2 and tunnel["serial"] == "1c"
    proxyid = tunnel["proxyids"][0]
    assert proxyid["name"] == "to branch 7 p2"
    assert proxyid["dst"] == [{"protocol": 0, "address": "10.7.0.0/24", "port": 0}]
    assert proxyid["sas"][0]["offload"] == "outbound"


def test_error_output_goes_to_unparsed() -> None:
    result = load("error_unknown_action_and_empty")
    assert result == {"tunnels": [], "unparsed": ["Unknown action 0", "Command fail. Return code -1"]}


def test_old_single_line_sa_and_ipv6_gateways() -> None:
    text = "\n".join([
        "list all ipsec tunnel in vd 0",
        "name=v6 ver=2 serial=1 2001:db8::1:0->2001:db8::2:0",
        "lgwy=static tun=intf mode=auto bound_if=5",
        "proxyid_num=1 child_num=0 refcnt=7 ilast=0 olast=0",
        "proxyid=v6 proto=0 sa=1 ref=2 serial=1",
        "  src: 0:2001:db8:1::/64:0",
        "  dst: 0:2001:db8:2::/64:0",
        "  SA: ref=3 options=0000000e type=00 soft=0 mtu=1412 expire=1644 replaywin=1024 seqno=1",
        "  dec: spi=0a0b0c0d esp=aes key=16 00112233445566778899aabbccddeeff ah=sha1 key=20 "
        "00112233445566778899aabbccddeeff00112233",
        "  npu_flag=07",
    ])
    tunnel = parse_tunnel_list(text)["tunnels"][0]
    assert (tunnel["local_gateway"], tunnel["remote_gateway"], tunnel["remote_port"]) == (
        "2001:db8::1", "2001:db8::2", 0)
    assert tunnel["bound_if"] == 5 and tunnel["mode"] == "auto"
    sa = tunnel["proxyids"][0]["sas"][0]
    assert (sa["expire_seconds"], sa["expire_bytes"], sa["seqno"]) == (1644, None, "1")
    assert sa["inbound"]["key"] == "<redacted>" and sa["inbound"]["ah_key"] == "<redacted>"
    assert sa["inbound"]["ah"] == "sha1"
    assert (sa["npu_flag"], sa["offload"]) == ("07", None)
    assert tunnel["proxyids"][0]["src"][0]["address"] == "2001:db8:1::/64"


def test_orphans_and_unknown_tokens() -> None:
    text = "\n".join([
        "  src: 0:0.0.0.0/0.0.0.0:0",  # before any tunnel
        "name=a ver=1 serial=1 192.0.2.1:0->192.0.2.2:0 newkey=7",
        "bound_if=3 mode=auto/1 future_flag surprise=1",
        "something nobody printed before",
        "  SA: ref=1",  # no proxy ID yet
        "  ah=sha1 key=20 00112233445566778899aabbccddeeff00112233",
    ])
    result = parse_tunnel_list(text)
    tunnel = result["tunnels"][0]
    assert tunnel["other"] == {"newkey": "7", "flags": ["future_flag"], "surprise": "1"}
    assert result["unparsed"] == [
        "src: 0:0.0.0.0/0.0.0.0:0",
        "something nobody printed before",
        "SA: ref=1",
        "ah=sha1 key=20 <redacted>",
    ]


def test_unparsed_keeps_hex_with_include_keys() -> None:
    line = "ah=sha1 key=20 00112233445566778899aabbccddeeff00112233"
    assert parse_tunnel_list(line, include_keys=True)["unparsed"] == [line]


def test_five_thousand_tunnels_is_fast() -> None:
    block = (FIXTURES / "v74_dialup_list_nexthop.txt").read_text().split("-" * 54)[1]
    text = "list all ipsec tunnel in vd 0\n" + "".join(
        "-" * 54 + block.replace("EDGE-INET1_0", "EDGE-INET1_%d" % number) for number in range(5000))
    started = time.perf_counter()
    result = parse_tunnel_list(text)
    elapsed = time.perf_counter() - started
    assert len(result["tunnels"]) == 5000 and result["unparsed"] == []
    assert result["tunnels"][4999]["name"] == "EDGE-INET1_4999"
    assert elapsed < 10.0


def test_trailing_tokens_on_counter_line_are_kept() -> None:
    text = "\n".join([
        "name=a ver=1 serial=1 192.0.2.1:0->192.0.2.2:0",
        "proxyid=a proto=0 sa=1 ref=2 serial=1",
        "  SA: ref=3",
        "  dec:pkts/bytes=1/2, enc:pkts/bytes=3/4, drop=5",
    ])
    sa = parse_tunnel_list(text)["tunnels"][0]["proxyids"][0]["sas"][0]
    assert (sa["dec_packets"], sa["enc_bytes"], sa["other"]) == (1, 4, {"drop": "5"})
