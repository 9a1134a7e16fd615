# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`get vpn ipsec stats tunnel`, `execute ping` and `get ipsec tunnel list` parsers."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_tunnel_list import parse_ipsec_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ping import parse_ping
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.stats_tunnel import parse_stats_tunnel

FIXTURES = Path(__file__).parents[3] / "fixtures"


def read(command_dir: str, case: str) -> str:
    text = (FIXTURES / command_dir / (case + ".txt")).read_bytes().decode("utf-8")
    return text.replace("\n", "\r\n") if case.endswith("_crlf") else text


# --- get vpn ipsec stats tunnel ---------------------------------------------------------

def test_stats_groups_and_contract_keys() -> None:
    result = parse_stats_tunnel(read("get_vpn_ipsec_stats_tunnel", "v72_hub_dialup_errors"))
    assert result == {"tunnels": {"total": 14, "static_ddns": 3, "dynamic": 11, "manual": 0, "errors": 1},
                      "selectors": {"total": 19, "up": 16}, "unparsed": []}


def test_stats_crlf_and_vdom_prompt() -> None:
    result = parse_stats_tunnel(read("get_vpn_ipsec_stats_tunnel", "v74_vdom_crlf"))
    assert (result["tunnels"]["dynamic"], result["selectors"]["up"]) == (40, 38)


def test_stats_missing_values_stay_null_and_new_keys_are_kept() -> None:
    result = parse_stats_tunnel("tunnels:\n total: 1\nselectors\n total: 1\n up: 0\n shortcut: 2\nlost line")
    assert result["tunnels"] == {"total": 1, "static_ddns": None, "dynamic": None, "manual": None, "errors": None}
    assert result["selectors"] == {"total": 1, "up": 0, "shortcut": 2}
    assert result["unparsed"] == ["lost line"]


def test_stats_without_headings_places_unambiguous_keys() -> None:
    result = parse_stats_tunnel("static/ddns: 2\nup: 1\ntotal: 3")
    assert (result["tunnels"]["static_ddns"], result["selectors"]["up"]) == (2, 1)
    assert result["unparsed"] == ["total: 3"]  # which group's total is unknown


# --- execute ping -----------------------------------------------------------------------

def test_ping_all_replies() -> None:
    result = parse_ping(read("execute_ping", "v62_all_replies"))
    assert (result["transmitted"], result["received"], result["loss_percent"]) == (5, 5, 0.0)
    assert (result["rtt_min"], result["rtt_avg"], result["rtt_max"]) == (11.9, 12.4, 13.7)
    assert [r["seq"] for r in result["replies"]] == [0, 1, 2, 3, 4]
    assert result["replies"][3] == {"seq": 3, "ttl": 254, "time_ms": 13.7, "bytes": 64, "from": "10.0.0.1",
                                    "duplicate": False}


def test_ping_partial_loss() -> None:
    result = parse_ping(read("execute_ping", "v72_partial_loss_vdom"))
    assert (result["received"], result["loss_percent"], result["rtt_avg"]) == (3, 40.0, 30.417)
    assert [r["seq"] for r in result["replies"]] == [0, 1, 4]


def test_ping_total_loss_has_null_rtt() -> None:
    result = parse_ping(read("execute_ping", "v74_total_loss"))
    assert (result["transmitted"], result["received"], result["loss_percent"]) == (5, 0, 100.0)
    assert result["rtt_min"] is None and result["rtt_avg"] is None and result["rtt_max"] is None
    assert result["replies"] == [] and result["target"] == "172.16.7.20"


def test_ping_hostname_target() -> None:
    result = parse_ping(read("execute_ping", "v76_hostname_large_payload_crlf"))
    assert (result["target"], result["target_ip"], result["data_bytes"]) == ("hq-fw.example.net", "203.0.113.9", 1400)
    assert result["replies"][0]["bytes"] == 1408


def test_ping_variants() -> None:
    text = "\n".join([
        "PING 2001:db8::1 (2001:db8::1): 56 data bytes",
        "64 bytes from 2001:db8::1: icmp_seq=0 ttl=64 time=0.512 ms",
        "64 bytes from 2001:db8::1: icmp_seq=0 ttl=64 time=0.600 ms (DUP!)",
        "--- 2001:db8::1 ping statistics ---",
        "1 packets transmitted, 1 packets received, +1 duplicates, 0% packet loss",
        "round-trip min/avg/max/stddev = 0.512/0.556/0.600/0.044 ms",
    ])
    result = parse_ping(text)
    assert result["unparsed"] == []
    assert result["replies"][0]["from"] == "2001:db8::1"
    assert [r["duplicate"] for r in result["replies"]] == [False, True]
    assert (result["duplicates"], result["rtt_max"]) == (1, 0.6)


def test_ping_error_lines_are_unparsed() -> None:
    result = parse_ping(read("execute_ping", "error_unresolvable_host"))
    assert result["unparsed"] == ["Unable to resolve hostname."] and result["transmitted"] is None


# --- get ipsec tunnel list ---------------------------------------------------------------

def test_tunnel_list_rows() -> None:
    result = parse_ipsec_tunnel_list(read("get_ipsec_tunnel_list", "v60_route_and_policy"))
    assert result["unparsed"] == []
    first = result["tunnels"][0]
    assert {k: first[k] for k in ("name", "remote_gateway", "proxy_src", "proxy_dst", "status", "timeout")} == {
        "name": "to-branch1", "remote_gateway": "198.51.100.20", "proxy_src": "10.10.0.0/16",
        "proxy_dst": "10.20.1.0/24", "status": "up", "timeout": 1642}
    assert [t["status"] for t in result["tunnels"]] == ["up", "down", "up", "up"]


def test_tunnel_list_names_with_spaces_ranges_and_missing_timeout() -> None:
    tunnels = parse_ipsec_tunnel_list(read("get_ipsec_tunnel_list", "v62_names_with_spaces_dialup"))["tunnels"]
    assert [t["name"] for t in tunnels] == ["to branch 7", "DIALUP_0", "DIALUP_1", "198.51.100.30"]
    assert (tunnels[1]["remote_port"], tunnels[1]["proxy_dst"]) == (4500, "10.99.0.5/32")
    last = tunnels[3]
    assert (last["proxy_src"], last["proxy_dst"], last["timeout"]) == ("10.50.0.10-10.50.0.20", "10.60.0.0/24", None)


def test_tunnel_list_selector_cells_and_odd_rows() -> None:
    result = parse_ipsec_tunnel_list("x  192.0.2.1:0  0:10.0.0.0/255.0.0.0:0  0:0.0.0.0/0.0.0.0:0  up  5\n"
                                     "short row\nname 192.0.2.1 a b c d e f\n")
    assert result["tunnels"][0]["proxy_src"] == "10.0.0.0/8"
    assert result["unparsed"] == ["short row", "name 192.0.2.1 a b c d e f"]


@pytest.mark.parametrize("parser", [parse_stats_tunnel, parse_ping, parse_ipsec_tunnel_list])
@pytest.mark.parametrize("text", ["", None, b"\xff\xfe", 3.5, "--- x ping statistics ---\n% packet loss", "tunnels\n: 1"])
def test_odd_input_never_raises(parser: Any, text: Any) -> None:
    result = parser(text)
    assert isinstance(result["unparsed"], list)
    json.dumps(result)
