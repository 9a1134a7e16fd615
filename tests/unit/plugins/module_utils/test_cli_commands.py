"""Command matching for parse_cli: abbreviations as the FortiOS CLI accepts them."""
from __future__ import annotations

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.cli_commands import (
    SUPPORTED_COMMANDS,
    UnknownCommand,
    find_parser,
    parse_cli,
)


@pytest.mark.parametrize("command, parser", [
    ("diagnose vpn tunnel list", "parse_tunnel_list"),
    ("diag vpn tun list", "parse_tunnel_list"),
    ("di vpn tunnel list name 'to hq'", "parse_tunnel_list"),
    ("diagnose vpn tunnel dialup-list dial-hub", "parse_tunnel_list"),
    ("get vpn ipsec tunnel sum", "parse_tunnel_summary"),
    ("get vpn ipsec tunnel summary | grep to-hq", "parse_tunnel_summary"),
    ("get ipsec tunnel list", "parse_ipsec_tunnel_list"),
    ("get vpn ipsec tunnel details", "parse_tunnel_details"),
    ("get vpn ipsec tunnel det", "parse_tunnel_details"),
    ('get vpn ipsec tunnel name "to hq"', "parse_tunnel_details"),
    ("diagnose vpn ike gateway list name to-hq", "parse_ike_gateway_list"),
    ("diag vpn ike gate list", "parse_ike_gateway_list"),
    ("get vpn ipsec stats tunnel", "parse_stats_tunnel"),
    ("get vpn ipsec stats crypto", "parse_ipsec_status"),
    ("diagnose vpn ipsec status", "parse_ipsec_status"),
    ("show vpn ipsec phase1-interface", "parse_phase1_config"),
    ("show full-configuration vpn ipsec phase1-interface to-hq", "parse_phase1_config"),
    ("show full vpn ipsec phase2-interface", "parse_phase2_config"),
    ("show vpn ipsec phase1", "parse_phase1_config"),
    ("get system status", "parse_system_status"),
    ("get sys stat", "parse_system_status"),
    ("exec ping 192.0.2.1", "parse_ping"),
    ("sudo Branch diagnose vpn tunnel list", "parse_tunnel_list"),
    ("DIAGNOSE VPN TUNNEL LIST", "parse_tunnel_list"),
])
def test_commands_match_their_parser(command: str, parser: str) -> None:
    assert find_parser(command).__name__ == parser


@pytest.mark.parametrize("command", [
    "diagnose vpn tunnel flush",
    "diagnose vpn tunnel list extra words here",
    "get vpn ipsec tunnel",
    "get vpn ipsec s",          # stats? ambiguous with nothing else, but incomplete
    "show",
    "",
    "execute reboot",
])
def test_unknown_or_incomplete_commands_name_the_supported_ones(command: str) -> None:
    with pytest.raises(UnknownCommand, match=r"no parser for .*supported commands \(abbreviations allowed\): diagnose vpn tunnel list;"):
        find_parser(command)


def test_supported_commands_are_listed_with_placeholders() -> None:
    assert "diagnose vpn ike gateway list name X" in SUPPORTED_COMMANDS
    assert "show full-configuration vpn ipsec phase2-interface X" in SUPPORTED_COMMANDS


def test_parse_cli_passes_include_keys() -> None:
    text = ("get vpn ipsec tunnel summary\n"
            "'to hq' 192.0.2.1:0  selectors(total,up): 1/1  rx(pkt,err): 5/0  tx(pkt,err): 6/0\n")
    parsed = parse_cli(text, "get vpn ipsec tunnel sum")
    assert parsed["tunnels"][0]["name"] == "to hq"
    assert parsed["unparsed"] == []
