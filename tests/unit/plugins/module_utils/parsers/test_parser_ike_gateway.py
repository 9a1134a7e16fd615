# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`diagnose vpn ike gateway list` parser."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list

FIXTURES = Path(__file__).parents[3] / "fixtures" / "diagnose_vpn_ike_gateway_list"

GATEWAY_FIELDS = {
    "vdom", "name", "version", "interface", "local_ip", "local_port", "remote_ip", "remote_port",
    "created_seconds", "ike_sa_created", "ike_sa_created_total", "ike_sa_established",
    "ike_sa_established_total", "ipsec_sa_created", "ipsec_sa_created_total", "ipsec_sa_established",
    "ipsec_sa_established_total", "sas",
}
SA_FIELDS = {"direction", "status", "proposal", "lifetime", "rekey", "dpd_sent", "dpd_received"}


def load(case: str, include_keys: bool = False) -> Dict[str, Any]:
    text = (FIXTURES / (case + ".txt")).read_text()
    if case.endswith("_crlf"):
        text = text.replace("\n", "\r\n")
    return parse_ike_gateway_list(text, include_keys=include_keys)


def by_name(result: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {gateway["name"]: gateway for gateway in result["gateways"]}


def test_contract_fields_everywhere() -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        for gateway in load(path.stem)["gateways"]:
            assert GATEWAY_FIELDS <= set(gateway), path.stem
            for sa in gateway["sas"]:
                assert SA_FIELDS <= set(sa)


def test_ikev1_pre_70() -> None:
    gateway = by_name(load("v62_ikev1_two_gateways"))["to-hq"]
    assert (gateway["vdom"], gateway["vdom_index"], gateway["interface"], gateway["interface_index"]) == (
        "root", 0, "wan1", 5)
    assert (gateway["local_ip"], gateway["local_port"], gateway["remote_ip"], gateway["remote_port"]) == (
        "192.0.2.10", 500, "198.51.100.20", 500)
    assert (gateway["ike_sa_created"], gateway["ike_sa_created_total"]) == (1, 3)
    assert (gateway["ipsec_sa_established"], gateway["ipsec_sa_established_total"]) == (2, 9)
    assert gateway["ike_sa_time_ms"] == {"min": 10, "avg": 13, "max": 20}
    assert gateway["tun_id"] is None and gateway["transport"] is None
    sa = gateway["sas"][0]
    assert (sa["status"], sa["proposal"], sa["lifetime"], sa["rekey"]) == ("established", "aes256-sha256", 86400, 84022)
    assert (sa["dpd_sent"], sa["dpd_received"]) == (0x1A4, 3)  # printed as hex
    assert sa["key"] == "<redacted>" and sa["sk_ei"] is None


def test_ipsec_sa_without_established_part() -> None:
    backup = by_name(load("v62_ikev1_two_gateways"))["to-hq-backup"]
    assert (backup["ipsec_sa_created"], backup["ipsec_sa_created_total"]) == (0, 0)
    assert backup["ipsec_sa_established"] is None and backup["ipsec_sa_time_ms"] is None


def test_two_ike_sas_during_rekey() -> None:
    gateway = by_name(load("v70_ikev1_advpn_spoke_rekey"))["spoke-inet"]
    assert [sa["direction"] for sa in gateway["sas"]] == ["responder", "initiator"]
    late = gateway["sas"][1]
    assert (late["started_seconds_ago"], late["established_seconds_ago"], late["negotiation_ms"]) == (95, 74, 21000)
    assert (gateway["auto_discovery"], gateway["auto_discovery_flags"]) == ("receiver", 2)
    assert (gateway["virtual_interface_local"], gateway["virtual_interface_remote"]) == ("10.10.10.2", "10.10.10.1")
    assert gateway["peer_id_auth"] is False and gateway["sas"][0]["peer_id"] == "198.51.100.1"


def test_ikev2_gcm_connecting_and_down() -> None:
    gateways = by_name(load("v72_ikev2_gcm_connecting_down"))
    sa = gateways["to-dc2"]["sas"][0]
    assert (sa["sk_ei"], sa["sk_er"], sa["sk_ai"], sa["sk_ar"]) == ("<redacted>", "<redacted>", None, None)
    assert (sa["child"], sa["ppk"], sa["message_id_sent"], sa["message_id_received"]) == (False, False, 2, 3)
    connecting = gateways["to-partner"]
    assert connecting["ike_sa_established"] is None and connecting["ike_sa_created_total"] == 4
    assert (connecting["sas"][0]["status"], connecting["sas"][0]["state"]) == ("connecting", 3)
    assert connecting["sas"][0]["started_seconds_ago"] == 12 and connecting["sas"][0]["lifetime"] is None
    down = gateways["to-dr-site"]
    assert (down["local_ip"], down["local_port"], down["remote_ip"], down["remote_port"]) == (None, None, None, None)
    assert down["sas"] == []


def test_gcm_empty_keys_stay_null_with_include_keys() -> None:
    sa = by_name(load("v72_ikev2_gcm_connecting_down", include_keys=True))["to-dc2"]["sas"][0]
    assert sa["sk_ai"] is None and sa["sk_ar"] is None
    assert sa["sk_ei"].count("-") == 4 and "<redacted>" not in sa["sk_ei"]


def test_74_transport_dialup_fields() -> None:
    gateway = by_name(load("v74_dialup_instances_transport_timestamps"))["EDGE-INET1_1"]
    assert (gateway["transport"], gateway["network_id"], gateway["remote_location"]) == ("UDP", 11, "10.200.1.3")
    assert (gateway["tun_id"], gateway["tun_id6"]) == ("10.201.1.3", "::10.0.0.9")
    assert (gateway["peer_sn"], gateway["auto_discovery"], gateway["pending_queue"]) == ("FGT40FTK22000333", "sender", 0)
    assert (gateway["assigned_ipv4"], gateway["nat"]) == ("10.201.1.3/255.255.255.0", "peer")
    assert (gateway["remote_port"], gateway["sas"][0]["qkd"], gateway["sas"][0]["dpd_received"]) == (61027, False, 0xB6)


def test_forticlient_and_multi_vdom() -> None:
    gateways = by_name(load("v76_forticlient_xauth_multi_vdom_crlf"))
    client = gateways["RA-FCT_0"]
    assert (client["xauth_user"], client["two_factor"], client["forticlient_uid"]) == (
        "jdoe", False, "6A0F3C2B9E4D4F71A2B8C5D6E7F80912")
    assert (client["sas"][0]["pqc_kem_ike"], client["sas"][0]["pqc_kem_ipsec"]) == (False, False)
    branch = gateways["to branch 7"]
    assert (branch["vdom"], branch["vdom_index"], branch["peer_id_auth"]) == ("cust-a", 2, True)


def test_legacy_get_vpn_ike_gateway_layout() -> None:
    text = "\n".join([
        "FGT (root) # get vpn ike gateway to-lab",
        "vd: root/0",
        "name: to-lab",
        "version: 2",
        "interface: wan2 6",
        "addr: 192.0.2.1:500 -> 192.0.2.2:500",
        "created: 459s ago",
        "peer-auth: no",
        "IKE SA  created: 2/2  established: 2/2  time: 300/10955/21610 ms",
        "IPsec SA  created: 2/2  established: 2/2  time: 0/10805/21610 ms",
        "  id/spi: 640 0011223344556677/8899aabbccddeeff",
        "  direction: responder",
        "  status: established 441-441s ago = 300ms",
        "  SK_ei: 0011223344556677-8899aabbccddeeff",
    ])
    gateway = parse_ike_gateway_list(text)["gateways"][0]
    assert (gateway["ike_sa_established_total"], gateway["ipsec_sa_time_ms"]) == (
        2, {"min": 0, "avg": 10805, "max": 21610})
    assert gateway["peer_id_auth"] is False
    assert gateway["sas"][0]["sk_ei"] == "<redacted>"


def test_name_without_vd_starts_new_gateway_and_unknown_lines() -> None:
    text = "\n".join([
        "key: 0011223344556677",  # key material before any block
        "name: a",
        "some-new-field: 42",
        "name: b",
        "IKE SA: created 1/1",
        "no colon here",
        "  id/spi: 1 00/00",
        "  future-secret-key: abcdef0123456789",
        "  shiny: new",
    ])
    result = parse_ike_gateway_list(text)
    assert [g["name"] for g in result["gateways"]] == ["a", "b"]
    assert result["gateways"][0]["other"] == {"some_new_field": "42"}
    assert result["gateways"][1]["sas"][0]["other"] == {"future_secret_key": "<redacted>", "shiny": "new"}
    assert result["unparsed"] == ["key: <redacted>", "no colon here"]


def test_trailing_text_on_sa_counter_line_is_kept() -> None:
    text = "vd: root/0\nname: a\nIKE SA: created 1/1  established 1/1  time 0/0/0 ms  retries 2"
    gateway = parse_ike_gateway_list(text)["gateways"][0]
    assert gateway["ike_sa_established"] == 1 and gateway["other"] == {"ike_sa_extra": "retries 2"}


def test_gateway_without_bound_interface() -> None:
    text = "vd: tp/3\nname: to-hq\nversion: 1\ninterface:  0\naddr: 192.0.2.5:4500 -> 198.51.100.2:4500\n"
    gateway = parse_ike_gateway_list(text)["gateways"][0]
    assert (gateway["interface"], gateway["interface_index"], gateway["vdom"]) == (None, 0, "tp")
    assert gateway["remote_port"] == 4500
