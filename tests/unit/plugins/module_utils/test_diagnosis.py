# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Diagnosis rules: evidence built with the real parsers from real-format CLI text."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

from ansible_collections.fortidiag.ipsec.plugins.filter.diagnose import FilterModule
from ansible_collections.fortidiag.ipsec.plugins.module_utils.diagnosis import (
    RULES,
    RULES_BY_CODE,
    SEVERITIES,
    STAGES,
    diagnose_all,
    diagnose_tunnel,
    rules_as_dicts,
    rules_markdown,
    top_cause,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import parse_debug_flow
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import FINDING_CODES, parse_ike_debug
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ping import parse_ping
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import parse_sniffer
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import parse_phase1_config, parse_phase2_config

DOCS = Path(__file__).resolve().parents[4] / "docs" / "diagnosis.md"
HUB_WAN, SPOKE_WAN = "203.0.113.74", "198.51.100.64"

# ---------------------------------------------------------------- real-format text builders


def phase1(name: str, remote_gw: str, **settings: Optional[str]) -> Dict[str, Any]:
    values: Dict[str, Optional[str]] = {
        "interface": '"wan1"', "ike-version": "2", "peertype": "any", "net-device": "disable",
        "proposal": "aes256-sha256 aes128-sha256", "dhgrp": "14 19", "remote-gw": remote_gw, "psksecret": "ENC YWJjZGVmZ2hpams="}
    values.update({key.replace("_", "-"): value for key, value in settings.items()})
    lines = ["config vpn ipsec phase1-interface", '    edit "%s"' % name]
    lines += ["        set %s %s" % (key, value) for key, value in values.items() if value is not None]
    return parse_phase1_config("\n".join(lines + ["    next", "end", ""]))["phase1"][0]


def phase2(name: str, p1: str, src: str, dst: str, **settings: Optional[str]) -> Dict[str, Any]:
    values: Dict[str, Optional[str]] = {"phase1name": '"%s"' % p1, "proposal": "aes256-sha256", "dhgrp": "14",
                                        "src-subnet": src, "dst-subnet": dst}
    values.update({key.replace("_", "-"): value for key, value in settings.items()})
    lines = ["config vpn ipsec phase2-interface", '    edit "%s"' % name]
    lines += ["        set %s %s" % (key, value) for key, value in values.items() if value is not None]
    return parse_phase2_config("\n".join(lines + ["    next", "end", ""]))["phase2"][0]


def ping(received: int) -> Dict[str, Any]:
    loss = 100 - received * 20
    head = "FGT-HUB # execute ping %s\nPING %s (%s): 56 data bytes\n\n--- %s ping statistics ---\n" % ((SPOKE_WAN,) * 4)
    return parse_ping(head + "5 packets transmitted, %d packets received, %d%% packet loss\n" % (received, loss))


IKE_OUT = "1.0 wan1 out %s.500 -> %s.500: udp 476\n" % (HUB_WAN, SPOKE_WAN)
IKE_IN = "1.1 wan1 in %s.500 -> %s.500: udp 440\n" % (SPOKE_WAN, HUB_WAN)
ESP_OUT = "2.0 wan1 out %s -> %s: ESP(spi=0x11111111,seq=0x1)\n" % (HUB_WAN, SPOKE_WAN)
ESP_IN = "2.1 wan1 in %s -> %s: ip-proto-50 120\n" % (SPOKE_WAN, HUB_WAN)
NATT_OUT = "3.0 wan1 out %s.4500 -> %s.4500: udp 120\n" % (HUB_WAN, SPOKE_WAN)
NATT_IN = "3.1 wan1 in %s.4500 -> %s.4500: udp 120\n" % (SPOKE_WAN, HUB_WAN)


def flow_trace(extra: str, trace_id: int = 41, dst: str = "10.2.0.20") -> Dict[str, Any]:
    head = ('id=65308 trace_id=%d func=print_pkt_detail line=5895 msg="vd-root:0 received a packet(proto=6, 10.1.0.17:51022->%s:443) '
            'tun_id=0.0.0.0 from port2. flag [S], seq 3385112016, ack 0, win 64240"\n' % (trace_id, dst))
    return parse_debug_flow(head + extra.replace("TID", str(trace_id)))


FLOW_OK = ('id=65308 trace_id=TID func=__vf_ip_route_input_rcu line=1988 msg="find a route: flag=04000000 gw-198.51.100.64 via to-spoke"\n'
           'id=65308 trace_id=TID func=fw_forward_handler line=997 msg="Allowed by Policy-12:"\n'
           'id=65308 trace_id=TID func=ipsecdev_hard_start_xmit line=662 msg="enter IPSec interface to-spoke, tun_id=0.0.0.0"\n')
FLOW_NO_SELECTOR = FLOW_OK + 'id=65308 trace_id=TID func=ipsec_common_output4 line=880 msg="No matching IPsec selector, drop"\n'
FLOW_SNAT = ('id=65308 trace_id=TID func=get_new_addr line=1221 msg="find SNAT: IP-10.255.0.1(from IPPOOL), port-61002"\n'
             'id=65308 trace_id=TID func=fw_forward_handler line=881 msg="Allowed by Policy-12: SNAT"\n'
             'id=65308 trace_id=TID func=__ip_session_run_tuple line=3471 msg="SNAT 10.1.0.17->10.255.0.1:61002"\n'
             'id=65308 trace_id=TID func=ipsecdev_hard_start_xmit line=662 msg="enter IPSec interface to-spoke, tun_id=0.0.0.0"\n')


def policies(nat: bool = False, inbound: bool = True, outbound: bool = True) -> List[Dict[str, Any]]:
    result = []
    if outbound:
        result.append({"id": 12, "name": "lan-to-spoke", "srcintf": ["port2"], "dstintf": ["to-spoke"], "srcaddr": ["lan"],
                       "dstaddr": ["spoke-lan"], "action": "accept", "nat": nat, "status": "enable"})
    if inbound:
        result.append({"id": 13, "name": "spoke-to-lan", "srcintf": ["to-spoke"], "dstintf": ["port2"], "srcaddr": ["spoke-lan"],
                       "dstaddr": ["lan"], "action": "accept", "nat": False, "status": "enable"})
    return result


def route(prefix: str, interface: str, gateway: Optional[str] = None) -> Dict[str, Any]:
    return {"prefix": prefix, "gateway": gateway, "interface": interface, "via_tunnel": interface == "to-spoke",
            "selected": True, "code": "S"}


DEFAULT_ROUTE = route("0.0.0.0/0", "wan1", "203.0.113.1")


def healthy() -> Dict[str, Any]:
    """HUB-74's tunnel to SPOKE-64, up and passing traffic, with every kind of evidence."""
    return {
        "host": "HUB-74", "vdom": "root", "tunnel": "to-spoke", "state": "up",
        "selectors_up": 1, "selectors_total": 1, "rx_packets": 1200, "tx_packets": 1180,
        "config": {"phase1": phase1("to-spoke", SPOKE_WAN),
                   "phase2": [phase2("to-spoke-p2", "to-spoke", "10.1.0.0 255.255.255.0", "10.2.0.0 255.255.255.0")],
                   "gateway_ip": HUB_WAN},
        "peer": {"host": "SPOKE-64", "phase1": phase1("to-hub", HUB_WAN),
                 "phase2": [phase2("to-hub-p2", "to-hub", "10.2.0.0 255.255.255.0", "10.1.0.0 255.255.255.0")],
                 "gateway_ip": SPOKE_WAN},
        "ping_gateway": ping(5),
        "sniffer": parse_sniffer(IKE_OUT + IKE_IN + ESP_OUT + ESP_IN),
        "ike": parse_ike_debug("ike 0:to-spoke:5: established IKE SA 0011223344556677/8899aabbccddeeff\n"
                               "ike 0:to-spoke:5:to-spoke-p2:6: added IPsec SA: SPIs=11111111/22222222\n"),
        "flow": flow_trace(FLOW_OK),
        "policies": policies(),
        "routes": [DEFAULT_ROUTE, route("10.2.0.0/24", "to-spoke")],
    }


def down(evidence: Dict[str, Any], ike_text: Optional[str] = None, sniffer: Optional[str] = None) -> Dict[str, Any]:
    evidence.update(state="down", selectors_up=0, rx_packets=0, tx_packets=0, flow=None)
    evidence["sniffer"] = parse_sniffer(sniffer if sniffer is not None else IKE_OUT + IKE_IN)
    evidence["ike"] = parse_ike_debug(ike_text or "")
    return evidence


def set_p1(evidence: Dict[str, Any], which: str, **settings: Optional[str]) -> None:
    if which == "config":
        evidence["config"]["phase1"] = phase1("to-spoke", SPOKE_WAN, **settings)
    else:
        evidence["peer"]["phase1"] = phase1("to-hub", HUB_WAN, **settings)


def set_p2(evidence: Dict[str, Any], which: str, src: str, dst: str, **settings: Optional[str]) -> None:
    if which == "config":
        evidence["config"]["phase2"] = [phase2("to-spoke-p2", "to-spoke", src, dst, **settings)]
    else:
        evidence["peer"]["phase2"] = [phase2("to-hub-p2", "to-hub", src, dst, **settings)]


# ---------------------------------------------------------------- one scenario per fault


def phase1_encryption() -> Dict[str, Any]:
    evidence = down(healthy(), "ike Negotiate ISAKMP SA Error: ike 0:to-spoke:5: no SA proposal chosen\n")
    set_p1(evidence, "config", proposal="aes256-sha256")
    set_p1(evidence, "peer", proposal="aes128-sha1")
    return evidence


def phase2_pfs() -> Dict[str, Any]:
    evidence = down(healthy(), "ike Negotiate IPsec SA Error: ike 0:to-spoke:5:12: no SA proposal chosen\n")
    evidence["state"] = "partial"
    set_p2(evidence, "peer", "10.2.0.0 255.255.255.0", "10.1.0.0 255.255.255.0", pfs="disable")
    return evidence


def psk() -> Dict[str, Any]:
    return down(healthy(), "ike 0:to-spoke:5: probable pre-shared secret mismatch\nike 0:to-spoke:5: negotiation failure\n")


def peer_id() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: peer identifier IDi mismatch\n")
    set_p1(evidence, "config", peertype="one", peerid='"spoke64"')
    set_p1(evidence, "peer", localid='"spoke-64"')
    return evidence


def ike_version() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: negotiation failure\n", IKE_OUT * 3)
    set_p1(evidence, "peer", ike_version="1")
    return evidence


def ike_mode() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: negotiation failure\n")
    set_p1(evidence, "config", ike_version="1", mode="aggressive")
    set_p1(evidence, "peer", ike_version="1")
    return evidence


def selectors_phase2() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: received notify type TS_UNACCEPTABLE\n")
    evidence["state"] = "partial"
    set_p2(evidence, "peer", "10.2.0.0 255.255.255.0", "10.1.1.0 255.255.255.0")
    return evidence


def selectors_flow_only() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(peer=None, flow=flow_trace(FLOW_NO_SELECTOR), rx_packets=0, remote_subnets=["10.2.0.0/24"])
    return evidence


def no_gateway() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0: ignoring request from 198.51.100.64:500, no matching gateway found\n", IKE_IN * 3)
    evidence["peer"] = None
    return evidence


def unreachable() -> Dict[str, Any]:
    text = "".join("ike 0:to-spoke:5: sent IKE msg (RETRANSMIT_SA_INIT): %s:500->%s:500, len=500\n" % (HUB_WAN, SPOKE_WAN) for count in range(3))
    evidence = down(healthy(), text, IKE_OUT * 3)
    evidence["ping_gateway"] = ping(0)
    return evidence


def dpd_loss() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(state="down", selectors_up=0, ping_gateway=ping(3))
    evidence["ike"] = parse_ike_debug("ike 0:to-spoke:5: DPD failure, no R-U-THERE-ACK after 3 retries\n"
                                      "ike 0:to-spoke:5: established IKE SA 0011223344556677/8899aabbccddeeff\n")
    return evidence


def negotiation() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: negotiation failure\n")
    evidence["peer"] = None
    return evidence


def esp_blocked() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(rx_packets=0, sniffer=parse_sniffer(ESP_OUT * 4))
    return evidence


def nat_t_off_behind_nat() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: NAT detected: PEER\nike 0:to-spoke:5: negotiation failure\n", IKE_OUT + IKE_IN + NATT_OUT)
    set_p1(evidence, "peer", nattraversal="disable")
    return evidence


def nat_policy() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(rx_packets=0, policies=policies(nat=True), flow=flow_trace(FLOW_SNAT), sniffer=parse_sniffer(ESP_OUT * 4 + ESP_IN))
    return evidence


def no_route() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(rx_packets=0, tx_packets=0, routes=[route("10.1.0.0/24", "port2")])
    return evidence


def wrong_route() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(rx_packets=0, tx_packets=0, routes=[DEFAULT_ROUTE, route("10.2.0.0/16", "port3", "10.9.0.1")])
    return evidence


def no_policy() -> Dict[str, Any]:
    evidence = healthy()
    evidence.update(rx_packets=0, tx_packets=0, policies=policies(inbound=False))
    return evidence


def dpd_config() -> Dict[str, Any]:
    evidence = down(healthy(), "", "")
    evidence.update(sniffer=None, ike=None)
    set_p1(evidence, "peer", dpd="disable")
    return evidence


def lifetimes_only() -> Dict[str, Any]:
    evidence = down(healthy(), "ike 0:to-spoke:5: NAT detected: ME\n")
    set_p1(evidence, "config", keylife="28800")
    set_p1(evidence, "peer", keylife="86400")
    return evidence


# (scenario, expected top cause, codes that must be present)
SCENARIOS: Dict[str, Any] = {
    "phase1_proposal_mismatch": (phase1_encryption, "phase1_proposal_mismatch", ["phase1_proposal_mismatch"]),
    "phase2_proposal_mismatch": (phase2_pfs, "phase2_proposal_mismatch", ["phase2_proposal_mismatch"]),
    "psk_mismatch": (psk, "psk_mismatch", ["psk_mismatch"]),
    "peer_id_mismatch": (peer_id, "peer_id_mismatch", ["peer_id_mismatch"]),
    "ike_version_mismatch": (ike_version, "ike_version_mismatch", ["ike_version_mismatch", "peer_unreachable", "negotiation_failure"]),
    "ike_mode_mismatch": (ike_mode, "ike_mode_mismatch", ["ike_mode_mismatch", "negotiation_failure"]),
    "selector_mismatch": (selectors_phase2, "selector_mismatch", ["selector_mismatch"]),
    "selector_mismatch_flow": (selectors_flow_only, "selector_mismatch", ["selector_mismatch"]),
    "no_matching_gateway": (no_gateway, "no_matching_gateway", ["no_matching_gateway"]),
    "peer_unreachable": (unreachable, "peer_unreachable", ["peer_unreachable"]),
    "dpd_timeout": (dpd_loss, "dpd_timeout", ["dpd_timeout"]),
    "negotiation_failure": (negotiation, "negotiation_failure", ["negotiation_failure"]),
    "esp_blocked": (esp_blocked, "esp_blocked", ["esp_blocked"]),
    "nat_t_disabled": (nat_t_off_behind_nat, "nat_t_disabled", ["nat_t_disabled"]),
    "nat_on_vpn_policy": (nat_policy, "nat_on_vpn_policy", ["nat_on_vpn_policy"]),
    "route_missing": (no_route, "route_missing", ["route_missing"]),
    "route_wrong_interface": (wrong_route, "route_wrong_interface", ["route_wrong_interface"]),
    "policy_missing": (no_policy, "policy_missing", ["policy_missing"]),
    "dpd_mismatch": (dpd_config, "dpd_mismatch", ["dpd_mismatch"]),
    "lifetime_mismatch": (lifetimes_only, None, ["lifetime_mismatch", "nat_detected"]),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_fault_gets_its_top_cause(name: str) -> None:
    build, expected, present = SCENARIOS[name]
    result = diagnose_tunnel(build())
    found = [finding["code"] for finding in result["findings"]]
    assert result["top_cause"] == expected, result["findings"]
    assert set(present) <= set(found)
    assert (result["tunnel"], result["host"], result["vdom"]) == ("to-spoke", "HUB-74", "root")
    for finding in result["findings"]:
        rule = RULES_BY_CODE[finding["code"]]
        assert set(finding) == {"code", "severity", "stage", "evidence", "fix", "cause", "tunnel"}
        assert finding["fix"] == rule.fix and finding["cause"] == rule.cause and finding["tunnel"] == "to-spoke"
        assert finding["stage"] in STAGES and finding["severity"] in SEVERITIES
        assert finding["evidence"] and all(isinstance(line, str) and line for line in finding["evidence"])


def test_every_rule_has_a_scenario() -> None:
    covered = {code for build, expected, present in SCENARIOS.values() for code in present}
    assert covered == set(RULES_BY_CODE)


def test_healthy_tunnel_has_no_findings() -> None:
    result = diagnose_tunnel(healthy())
    assert result == {"tunnel": "to-spoke", "vdom": "root", "host": "HUB-74", "state": "up", "top_cause": None, "findings": []}


def test_healthy_tunnel_behind_nat_and_with_small_differences_has_no_findings() -> None:
    evidence = healthy()
    evidence["sniffer"] = parse_sniffer(NATT_OUT + NATT_IN)
    evidence["ike"] = parse_ike_debug("ike 0:to-spoke:5: NAT detected: ME\nike 0:to-spoke:5: established IKE SA 0011223344556677/8899aabbccddeeff\n")
    set_p1(evidence, "peer", keylife="28800", dpd="disable")
    assert diagnose_tunnel(evidence)["findings"] == []


def test_empty_evidence_gives_nothing() -> None:
    assert diagnose_tunnel({"tunnel": "t", "state": "down"}) == {
        "tunnel": "t", "vdom": None, "host": None, "state": "down", "top_cause": None, "findings": []}
    assert diagnose_tunnel({})["state"] == "unknown"


# ---------------------------------------------------------------- evidence detail per rule


def test_config_finding_names_setting_and_both_values() -> None:
    finding = next(f for f in diagnose_tunnel(phase1_encryption())["findings"] if f["code"] == "phase1_proposal_mismatch")
    assert finding["stage"] == "configuration"
    assert "phase 1 proposal: HUB-74 offers aes256-sha256, SPOKE-64 offers aes128-sha1 (no common proposal)" in finding["evidence"]
    assert "ike Negotiate ISAKMP SA Error: ike 0:to-spoke:5: no SA proposal chosen" in finding["evidence"]  # debug merged in


def test_pfs_mismatch_is_a_phase2_proposal_mismatch() -> None:
    finding = diagnose_tunnel(phase2_pfs())["findings"][0]
    assert finding["code"] == "phase2_proposal_mismatch"
    assert any("pfs: HUB-74 has enable, SPOKE-64 has disable" in line for line in finding["evidence"])


def test_ike_debug_of_other_gateways_is_ignored() -> None:
    evidence = negotiation()
    evidence["ike"] = parse_ike_debug("ike 0:to-branch9:7: probable pre-shared secret mismatch\n"
                                      "ike 0:to-spoke_0:8: negotiation failure\n")
    assert [f["code"] for f in diagnose_tunnel(evidence)["findings"]] == ["negotiation_failure"]


def test_peer_unreachable_evidence_has_ping_and_sniffer() -> None:
    finding = next(f for f in diagnose_tunnel(unreachable())["findings"] if f["code"] == "peer_unreachable")
    assert finding["stage"] == "connectivity"
    assert finding["evidence"][0] == "ping to the remote gateway: 5 sent, 0 received, 100% loss"
    assert any(line.startswith("sniffer:") for line in finding["evidence"])
    assert any("RETRANSMIT_SA_INIT" in line for line in finding["evidence"])


def test_ping_loss_alone_on_a_down_tunnel_is_unreachable_but_not_on_an_answering_peer() -> None:
    evidence = down(healthy(), "", "")
    evidence.update(peer=None, sniffer=None, ping_gateway=ping(0))
    assert diagnose_tunnel(evidence)["top_cause"] == "peer_unreachable"
    evidence["sniffer"] = parse_sniffer(IKE_OUT + IKE_IN)  # ICMP filtered, IKE answers
    assert diagnose_tunnel(evidence)["findings"] == []


def test_esp_one_way_only_counts_when_the_tunnel_is_up() -> None:
    evidence = esp_blocked()
    evidence["state"] = "down"
    assert "esp_blocked" not in [f["code"] for f in diagnose_tunnel(evidence)["findings"]]


def test_nat_t_out_without_reply() -> None:
    evidence = healthy()
    evidence.update(rx_packets=0, sniffer=parse_sniffer(NATT_OUT * 3))
    assert diagnose_tunnel(evidence)["top_cause"] == "esp_blocked"
    set_p1(evidence, "config", nattraversal="disable")
    result = diagnose_tunnel(evidence)
    assert result["top_cause"] == "nat_t_disabled"
    finding = result["findings"][0]
    assert "HUB-74 phase1 to-spoke: set nattraversal disable" in finding["evidence"]


def test_nat_detected_alone_is_info_and_never_top_cause() -> None:
    evidence = down(healthy(), "ike 0:to-spoke:5: NAT detected: PEER\n")
    result = diagnose_tunnel(evidence)
    assert [f["code"] for f in result["findings"]] == ["nat_detected"] and result["findings"][0]["severity"] == "info"
    assert result["top_cause"] is None


def test_policy_missing_names_the_missing_direction() -> None:
    finding = diagnose_tunnel(no_policy())["findings"][0]
    assert finding["code"] == "policy_missing" and finding["stage"] == "policies"
    assert finding["evidence"][0] == "no accept policy with srcintf to-spoke (tunnel -> internal)"
    evidence = no_policy()
    evidence["policies"] = [dict(policies()[0], action="deny"), dict(policies()[1], status="disable")]
    assert len(diagnose_tunnel(evidence)["findings"][0]["evidence"]) == 3  # both missing + the deny policy
    evidence["policies"].append(dict(policies()[1], id=14, srcintf=["any"], dstintf=["any"]))
    assert diagnose_tunnel(evidence)["findings"] == []  # any -> any covers both directions


def test_nat_on_vpn_policy_evidence() -> None:
    finding = diagnose_tunnel(nat_policy())["findings"][0]
    line = next(line for line in finding["evidence"] if line.startswith("policy "))
    assert line.startswith('policy 12 "lan-to-spoke": srcintf port2 -> dstintf to-spoke') and "nat enable" in line
    assert any("after source NAT" in line for line in finding["evidence"])


def test_routes_per_remote_subnet() -> None:
    finding = diagnose_tunnel(no_route())["findings"][0]
    assert finding["evidence"] == ["no route to remote subnet 10.2.0.0/24 (phase 2 destination of to-spoke)"]
    finding = diagnose_tunnel(wrong_route())["findings"][0]
    assert finding["evidence"] == ["route 10.2.0.0/16 to remote subnet 10.2.0.0/24 goes via port3 gateway 10.9.0.1, not the tunnel to-spoke"]
    evidence = wrong_route()
    evidence["routes"].append(route("10.2.0.0/24", "to-spoke"))  # the more specific route wins
    assert diagnose_tunnel(evidence)["findings"] == []
    evidence = no_route()
    evidence["remote_subnets"] = ["0.0.0.0/0"]  # `any` selectors: nothing to check
    assert diagnose_tunnel(evidence)["findings"] == []


# ---------------------------------------------------------------- runbook symptom table


RUNBOOK = [
    ("tunnel not coming up", "IKE debug: negotiation failure", negotiation, "negotiation_failure", "verify phase 1 and phase 2"),
    ("tunnel not coming up", "IKE debug: no SA proposal chosen",
     lambda: down(healthy(), "ike Negotiate ISAKMP SA Error: ike 0:to-spoke:5: no SA proposal chosen\n"),
     "phase1_proposal_mismatch", "on both peers"),
    ("tunnel unstable", "DPD packets lost", dpd_loss, "dpd_timeout", "internet connection"),
    ("up, no traffic", "debug flow: no matching IPsec selector, drop", selectors_flow_only, "selector_mismatch", "selectors"),
    ("up, no traffic", "NAT enabled on the VPN policy", nat_policy, "nat_on_vpn_policy", "Disable NAT"),
    ("up, no traffic", "routing: route missing", no_route, "route_missing", "route"),
    ("up, no traffic", "routing: route pointing elsewhere", wrong_route, "route_wrong_interface", "route"),
]


@pytest.mark.parametrize("symptom, evidence_text, build, code, fix_words", RUNBOOK, ids=[row[1] for row in RUNBOOK])
def test_runbook_symptom_table(symptom: str, evidence_text: str, build: Callable[[], Dict[str, Any]], code: str, fix_words: str) -> None:
    result = diagnose_tunnel(build())
    assert result["top_cause"] == code
    assert fix_words.lower() in result["findings"][0]["fix"].lower()
    assert result["state"] in (("down", "partial") if symptom != "up, no traffic" else ("up",))


# ---------------------------------------------------------------- ordering, table, filter, docs


def test_top_cause_uses_priority_then_stage() -> None:
    def finding(code: str, stage: str, severity: str = "critical") -> Dict[str, Any]:
        return {"code": code, "stage": stage, "severity": severity}
    assert top_cause([finding("negotiation_failure", "debug"), finding("psk_mismatch", "debug")]) == "psk_mismatch"
    assert top_cause([finding("route_missing", "policies"), finding("peer_unreachable", "connectivity")]) == "peer_unreachable"
    assert top_cause([finding("nat_detected", "debug", "info"), finding("lifetime_mismatch", "configuration", "info")]) is None
    assert top_cause([finding("dpd_mismatch", "configuration", "warning"), finding("nat_detected", "debug", "info")]) == "dpd_mismatch"
    assert top_cause([finding("selector_mismatch", "selectors"), finding("selector_mismatch", "configuration")]) == "selector_mismatch"


def test_findings_are_merged_per_code_in_the_earliest_stage() -> None:
    result = diagnose_tunnel(selectors_phase2())
    selector = [f for f in result["findings"] if f["code"] == "selector_mismatch"]
    assert len(selector) == 1 and selector[0]["stage"] == "configuration" and len(selector[0]["evidence"]) == 2


def test_findings_are_sorted_most_likely_first() -> None:
    result = diagnose_tunnel(ike_version())
    assert [f["code"] for f in result["findings"]][0] == result["top_cause"] == "ike_version_mismatch"


def test_rules_table_is_complete_and_well_formed() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    required = set(FINDING_CODES) - {"established"} | {
        "ike_version_mismatch", "ike_mode_mismatch", "nat_on_vpn_policy", "route_missing", "route_wrong_interface",
        "policy_missing", "esp_blocked", "nat_t_disabled"}
    assert required <= set(codes)
    for rule in RULES:
        assert rule.stage in STAGES and rule.severity in SEVERITIES and isinstance(rule.priority, int)
        assert rule.cause.endswith(".") and rule.fix.endswith(".") and len(rule.cause) > 20 and len(rule.fix) > 20
    assert RULES_BY_CODE["nat_detected"].severity == "info"
    assert len({rule.priority for rule in RULES}) == len(RULES)


def test_docs_show_every_rule() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in RULES:
        assert "`%s`" % rule.code in text and rule.fix in text and rule.cause in text, rule.code
    assert rules_markdown() in text, "regenerate the table in docs/diagnosis.md from rules_markdown()"


def test_filters() -> None:
    filters = FilterModule().filters()
    evidence = [healthy(), psk()]
    result = filters["diagnose"](evidence)
    assert result == diagnose_all(evidence)
    assert [item["top_cause"] for item in result] == [None, "psk_mismatch"]
    assert filters["diagnose"](healthy())[0]["top_cause"] is None
    assert filters["diagnose"](None) == []
    assert filters["diagnosis_rules"]([]) == rules_as_dicts()
    assert rules_as_dicts()[0] == {"code": RULES[0].code, "stage": RULES[0].stage, "severity": RULES[0].severity,
                                   "cause": RULES[0].cause, "fix": RULES[0].fix, "priority": RULES[0].priority}
    with pytest.raises(Exception, match="list of evidence"):
        filters["diagnose"]("text")
    with pytest.raises(Exception, match="item 0"):
        filters["diagnose"](["text"])


def test_evidence_is_not_modified() -> None:
    evidence = phase1_encryption()
    before = copy.deepcopy(evidence)
    diagnose_tunnel(evidence)
    assert evidence == before


def test_only_the_default_route_covering_a_remote_subnet_means_route_missing() -> None:
    # `get router info routing-table all`: `S*` marks the candidate default, every line is in use.
    evidence = healthy()
    evidence.update(rx_packets=0, tx_packets=0, routes=[dict(DEFAULT_ROUTE, selected=True)])
    result = diagnose_tunnel(evidence)
    assert result["top_cause"] == "route_missing", result["findings"]
    assert "only the default route" in result["findings"][0]["evidence"][0]


def test_a_tunnel_route_without_the_star_still_counts() -> None:
    evidence = healthy()
    tunnel_route = [r for r in evidence["routes"] if r.get("via_tunnel") or r.get("interface") == evidence["tunnel"]]
    assert tunnel_route
    evidence["routes"] = [dict(DEFAULT_ROUTE, selected=True)] + [dict(r, selected=False) for r in tunnel_route]
    assert diagnose_tunnel(evidence)["findings"] == []
