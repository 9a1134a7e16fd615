# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Firewall policy, routing table, routing details and iprope lookup parsers."""
from __future__ import annotations

import random
from typing import Any, Dict, List

from ansible_collections.fortidiag.ipsec.plugins.module_utils.cli_commands import parse_cli, parser_name
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.firewall_policy import parse_firewall_policy
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.iprope_lookup import parse_iprope_lookup
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.routing_table import (
    parse_routing_details,
    parse_routing_table,
)
from parser_registry import FIXTURES_DIR


def fixture(command_dir: str, case: str) -> str:
    return (FIXTURES_DIR / command_dir / (case + ".txt")).read_text(encoding="utf-8")


def by_id(policies: List[Dict[str, Any]]) -> Dict[Any, Dict[str, Any]]:
    return {policy["id"]: policy for policy in policies}


POLICY_BODY = [
    'set name "LAN to branch 7"',
    'set srcintf "port3"',
    'set dstintf "to-branch7"',
    'set srcaddr "LAN 10.1.0.0" "LAN 10.2.0.0"',
    'set dstaddr "BR7 10.7.0.0"',
    "set action accept",
    'set schedule "always"',
    'set service "HTTPS" "SSH"',
    "set nat enable",
    "set logtraffic all",
]


def test_vpn_policy_with_nat() -> None:
    result = parse_firewall_policy(fixture("show_firewall_policy", "v64_vpn_nat_and_deny"))
    assert result["unparsed"] == []
    policy = by_id(result["policies"])[3]
    assert policy["name"] == "LAN to branch 7"
    assert policy["nat"] is True
    assert policy["ippool"] is True
    assert policy["poolname"] == ["VPN-SNAT pool"]
    assert policy["dstintf"] == ["to-branch7"]
    assert policy["srcaddr"] == ["LAN 10.1.0.0"]
    assert policy["action"] == "accept"
    assert policy["status"] == "enable"


def test_deny_policy_defaults() -> None:
    policy = by_id(parse_firewall_policy(fixture("show_firewall_policy", "v64_vpn_nat_and_deny"))["policies"])[9]
    assert policy["action"] == "deny"  # not printed: the FortiOS default
    assert policy["nat"] is False
    assert policy["dstintf"] == ["port3", "to-branch7"]
    assert policy["comments"] == "guests never reach the LAN"


def test_disabled_policy_and_other_keys() -> None:
    policies = by_id(parse_firewall_policy(fixture("show_firewall_policy", "v70_disabled_unset_and_order"))["policies"])
    assert policies[21]["status"] == "disable"
    assert policies[21]["nat"] is False
    assert policies[22]["nat"] is True
    policy = parse_firewall_policy(fixture("show_firewall_policy", "v74_action_after_dstintf"))["policies"][0]
    assert policy["service"] == ["HTTPS", "SSH", "PING"]
    assert policy["ssl_ssh_profile"] == "certificate-inspection"
    assert policy["logtraffic_start"] == "enable"
    assert policy["logtraffic"] is None


def test_policy_line_order_does_not_matter() -> None:
    expected = None
    shuffler = random.Random(7)
    for dummy in range(10):
        body = list(POLICY_BODY)
        shuffler.shuffle(body)
        text = "config firewall policy\n    edit 8\n" + "".join("        %s\n" % line for line in body) + "    next\nend\n"
        result = parse_firewall_policy(text)
        assert result["unparsed"] == []
        if expected is None:
            expected = result
        assert result == expected
    assert expected is not None
    policy = expected["policies"][0]
    assert policy["id"] == 8 and policy["nat"] is True and policy["srcaddr"] == ["LAN 10.1.0.0", "LAN 10.2.0.0"]


def test_policy_vdom_wrapper_and_foreign_tables() -> None:
    policy = parse_firewall_policy(fixture("show_firewall_policy", "v72_full_configuration_vdom"))["policies"][0]
    assert policy["vdom"] == "customer-a"
    assert policy["groups"] == ["vpn users"]
    assert policy["comments"] == ""
    result = parse_firewall_policy(fixture("show_firewall_policy", "error_foreign_table"))
    assert [p["id"] for p in result["policies"]] == [2]
    assert "set subnet 10.7.0.0 255.255.0.0" in result["unparsed"]


def test_policy_secret_values_redacted() -> None:
    text = "config firewall policy\n edit 1\n  set psksecret ENC QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n next\nend\n"
    policy = parse_firewall_policy(text)["policies"][0]
    assert policy["psksecret"] == "<redacted>"


def test_tunnel_routes() -> None:
    result = parse_routing_table(fixture("get_router_info_routing_table_all", "v72_static_connected_tunnel"))
    assert result["vrf"] == 0 and result["unparsed"] == []
    routes = {route["prefix"]: route for route in result["routes"]}
    tunnel = routes["10.7.0.0/16"]
    assert tunnel["via_tunnel"] is True
    assert tunnel["interface"] == "to-branch7"
    assert tunnel["tunnel_gateway"] == "198.51.100.7"
    assert tunnel["weight"] == 1
    default = routes["0.0.0.0/0"]
    assert default["selected"] is True and default["codes"] == "S*" and default["code"] == "S"
    assert default["gateway"] == "203.0.113.1" and default["via_tunnel"] is False
    connected = routes["10.1.0.0/24"]
    assert connected["gateway"] is None and connected["interface"] == "port3" and connected["distance"] is None
    assert connected["weight"] is None
    to_tunnel = routes["10.8.0.0/16"]
    assert to_tunnel["gateway"] is None and to_tunnel["interface"] == "to-branch8" and to_tunnel["distance"] == 10


def test_ecmp_routes_and_recursive() -> None:
    result = parse_routing_table(fixture("get_router_info_routing_table_all", "v74_ecmp_default_and_bgp_recursive"))
    assert result["unparsed"] == []
    defaults = [route for route in result["routes"] if route["prefix"] == "0.0.0.0/0"]
    assert [(r["gateway"], r["interface"], r["ecmp_index"]) for r in defaults] == [
        ("192.0.2.1", "wan1", 0), ("192.0.2.65", "wan2", 1)]
    assert all(r["selected"] and r["distance"] == 10 for r in defaults)
    bgp = [route for route in result["routes"] if route["prefix"] == "10.20.0.0/16"]
    assert len(bgp) == 1
    assert [hop["interface"] for hop in bgp[0]["recursive"]] == ["HUB1-VPN1", "HUB1-VPN2"]
    assert bgp[0]["via_tunnel"] is True and bgp[0]["gateway"] == "172.31.255.1" and bgp[0]["age"] == "2d03h11m"


def test_older_format_and_database() -> None:
    old = parse_routing_table(fixture("get_router_info_routing_table_all", "v56_no_weight_older_format"))
    assert old["vrf"] is None and old["unparsed"] == []
    assert all(route["weight"] is None and route["weight_pair"] is None for route in old["routes"])
    ospf = [route for route in old["routes"] if route["code"] == "O E2"][0]
    assert ospf["distance"] == 110 and ospf["metric"] == 20 and ospf["age"] == "00:15:27"
    database = parse_routing_table(fixture("get_router_info_routing_table_all", "v70_database_vrf"))
    assert database["vrf"] == 3
    selected = [(r["prefix"], r["selected"]) for r in database["routes"] if r["prefix"] == "0.0.0.0/0"]
    assert selected == [("0.0.0.0/0", True), ("0.0.0.0/0", False)]
    assert database["routes"][0]["codes"] == "S *>"
    assert [r["interface"] for r in database["routes"] if r["prefix"] == "10.40.0.0/16"] == ["branch-vpn", "branch-vpn2"]


def test_routing_details() -> None:
    entries = parse_routing_details(fixture("get_router_info_routing_table_details", "v74_static_best"))["entries"]
    assert [(e["distance"], e["best"]) for e in entries] == [(10, True), (20, False)]
    assert entries[0]["known_via"] == "static"
    assert entries[0]["nexthops"] == [{"gateway": "198.51.100.7", "interface": "to-branch7", "via_tunnel": True,
                                       "active": True, "vrf": 0, "weight": None, "tun_id": None}]
    result = parse_routing_details(fixture("get_router_info_routing_table_details", "v64_default_and_connected"))
    assert len(result["entries"][0]["nexthops"]) == 2
    connected = result["entries"][1]
    assert connected["known_via"] == "connected"
    assert connected["nexthops"][0]["gateway"] is None and connected["nexthops"][0]["interface"] == "port3"
    weighted = parse_routing_details(fixture("get_router_info_routing_table_details", "v72_vrf_gateway_weight"))
    hop = weighted["entries"][0]["nexthops"][0]
    assert (hop["gateway"], hop["interface"], hop["weight"], hop["vrf"]) == ("192.0.2.1", "wan1", 1, 0)
    assert weighted["entries"][0]["last_update"] == "3d04h12m"


def test_iprope_lookup() -> None:
    result = parse_iprope_lookup(fixture("diagnose_firewall_iprope_lookup", "v64_match"))
    assert result["policy_id"] == 3 and result["implicit_deny"] is False
    assert (result["src"], result["src_port"], result["dst"], result["dst_port"]) == ("10.1.0.25", 40000, "10.7.3.4", 443)
    assert result["protocol"] == 6 and result["interface"] == "port3"
    deny = parse_iprope_lookup(fixture("diagnose_firewall_iprope_lookup", "v74_implicit_deny"))
    assert deny["policy_id"] == 0 and deny["implicit_deny"] is True and deny["protocol"] == "icmp"
    failed = parse_iprope_lookup(fixture("diagnose_firewall_iprope_lookup", "error_unrecognised_lines"))
    assert failed["policy_id"] is None and len(failed["unparsed"]) == 2


def test_command_shapes() -> None:
    assert parser_name("show firewall policy") == "parse_firewall_policy"
    assert parser_name("show firewall policy 12") == "parse_firewall_policy"
    assert parser_name("show full-configuration firewall policy 12") == "parse_firewall_policy"
    assert parser_name("get router info routing-table all") == "parse_routing_table"
    assert parser_name("get router info routing-table database") == "parse_routing_table"
    assert parser_name("get router info routing-table details 10.7.1.20") == "parse_routing_details"
    assert parser_name("diag firewall iprope lookup 10.1.0.25 40000 10.7.3.4 443 6 port3") == "parse_iprope_lookup"
    assert parser_name("diagnose firewall iprope lookup 10.1.0.25 0 10.7.3.4 0 1 port3 policy ldap") == "parse_iprope_lookup"
    result = parse_cli(fixture("get_router_info_routing_table_all", "v72_static_connected_tunnel"), "get router info routing-table all")
    assert len(result["routes"]) == 6
