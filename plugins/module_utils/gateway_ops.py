# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning for `diagnose vpn ike gateway clear`: pure functions, no I/O.

`clear name X` drops one phase 1 and its phase 2s; the peers renegotiate. `clear` with no
name drops EVERY IKE gateway of EVERY VDOM, so callers must ask for it twice over.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import quote_name

CLEAR_ALL = "diagnose vpn ike gateway clear"


class GatewayOpError(ValueError):
    """A request that cannot be carried out as asked (one line, says what to fix)."""


def list_command(name: Optional[str] = None) -> str:
    return "diagnose vpn ike gateway list" + (" name %s" % quote_name(name) if name else "")


def clear_command(name: str) -> str:
    return "%s name %s" % (CLEAR_ALL, quote_name(name))


def gateway_state(parsed: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
    """One gateway's IKE SAs from a parsed gateway list, or None when it is not listed."""
    for gw in parsed.get("gateways") or []:
        if gw.get("name") == name:
            sas = gw.get("sas") or []
            established = [sa for sa in sas if sa.get("status") == "established"]
            return {
                "name": name,
                "remote_ip": gw.get("remote_ip"),
                "ike_sas": [{"id": sa.get("id"), "spi": sa.get("spi"), "status": sa.get("status")} for sa in sas],
                "established": bool(established),
                "ipsec_sa_established": gw.get("ipsec_sa_established"),
            }
    return None


def check_request(name: Optional[str], all_gateways: bool, confirm_all_vdoms: bool) -> None:
    if name and all_gateways:
        raise GatewayOpError("name and all_gateways are mutually exclusive: clear one named phase 1, or all")
    if not name and not all_gateways:
        raise GatewayOpError("name is required (clearing without a name clears every IKE gateway of every VDOM; "
                             "for that set all_gateways: true and confirm_all_vdoms: true)")
    if all_gateways and not confirm_all_vdoms:
        raise GatewayOpError("all_gateways: true clears every IKE gateway of EVERY VDOM and drops all tunnels; "
                             "confirm with confirm_all_vdoms: true")


def renegotiated(before: Optional[Dict[str, Any]], now: Optional[Dict[str, Any]]) -> bool:
    """True when the gateway has an established IKE SA that did not exist before the clear."""
    if not now or not now["established"]:
        return False
    old: List[Any] = [sa["spi"] for sa in (before or {}).get("ike_sas", [])]
    return any(sa["status"] == "established" and sa["spi"] not in old for sa in now["ike_sas"])


def cleared(before: Optional[Dict[str, Any]], now: Optional[Dict[str, Any]]) -> bool:
    """True when none of the IKE SAs present before remains."""
    old = {sa["spi"] for sa in (before or {}).get("ike_sas", [])}
    return not any(sa["spi"] in old for sa in (now or {}).get("ike_sas", []))
