# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which parser reads each fixture directory (used by conftest.py and the property tests).

`tests/unit/fixtures/<command_dir>/<case>.txt` is raw CLI output; `<case>.json` is exactly
what the parser returns with include_keys=False.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable, Dict

FIXTURES_DIR = Path(__file__).parent / "fixtures"
_PARSERS_PKG = "ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers"

# command directory -> (parser module, parser function, key of the item list or None)
PARSER_REGISTRY: Dict[str, tuple] = {
    "diagnose_vpn_tunnel_list": ("tunnel_list", "parse_tunnel_list", "tunnels"),
    "get_vpn_ipsec_tunnel_summary": ("tunnel_summary", "parse_tunnel_summary", "tunnels"),
    "diagnose_vpn_ike_gateway_list": ("ike_gateway", "parse_ike_gateway_list", "gateways"),
    "get_system_status": ("system_status", "parse_system_status", None),
    "get_ipsec_tunnel_list": ("ipsec_tunnel_list", "parse_ipsec_tunnel_list", "tunnels"),
    "get_vpn_ipsec_tunnel_details": ("tunnel_details", "parse_tunnel_details", "tunnels"),
    "get_vpn_ipsec_stats_tunnel": ("stats_tunnel", "parse_stats_tunnel", None),
    "diagnose_vpn_ipsec_status": ("ipsec_status", "parse_ipsec_status", "devices"),
    "show_vpn_ipsec_phase1_interface": ("vpn_config", "parse_phase1_config", "phase1"),
    "show_vpn_ipsec_phase2_interface": ("vpn_config", "parse_phase2_config", "phase2"),
    "execute_ping": ("ping", "parse_ping", None),
    "diagnose_debug_application_ike": ("ike_debug", "parse_ike_debug", "events"),
    "diagnose_debug_flow": ("debug_flow", "parse_debug_flow", "traces"),
    "diagnose_sniffer_packet": ("sniffer", "parse_sniffer", "packets"),
    "show_firewall_policy": ("firewall_policy", "parse_firewall_policy", "policies"),
    "get_router_info_routing_table_all": ("routing_table", "parse_routing_table", "routes"),
    "get_router_info_routing_table_details": ("routing_table", "parse_routing_details", "entries"),
    "diagnose_firewall_iprope_lookup": ("iprope_lookup", "parse_iprope_lookup", None),
}


def parser_for(command_dir: str) -> Callable[..., Dict[str, Any]]:
    module_name, function_name = PARSER_REGISTRY[command_dir][:2]
    module = importlib.import_module("%s.%s" % (_PARSERS_PKG, module_name))
    return getattr(module, function_name)
