# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which commands each fact subset needs, and how their outputs become facts.

Gathering is planned as one batch of commands so that the whole set costs a single RPC
call and, per VDOM, a single context switch.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_summary import parse_tunnel_summary
from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import quote_name

# subset -> (command, command for one name or None, parser, list key, parser takes include_keys)
SUBSETS: Dict[str, Dict[str, Any]] = {
    "tunnel_summary": {
        "command": "get vpn ipsec tunnel summary",
        "by_name": None,
        "parser": parse_tunnel_summary,
        "items": "tunnels",
        "keys": False,
    },
    "tunnel_list": {
        "command": "diagnose vpn tunnel list",
        "by_name": "diagnose vpn tunnel list name {name}",
        "parser": parse_tunnel_list,
        "items": "tunnels",
        "keys": True,
    },
    "ike_gateways": {
        "command": "diagnose vpn ike gateway list",
        "by_name": "diagnose vpn ike gateway list name {name}",
        "parser": parse_ike_gateway_list,
        "items": "gateways",
        "keys": True,
    },
}
SUBSET_CHOICES = sorted(SUBSETS) + ["all"]


class FactsError(ValueError):
    """Bad gather parameters."""


def resolve_subsets(requested: Sequence[str]) -> List[str]:
    """Expand `all` and `!name` exclusions, keeping the registry's order."""
    wanted: List[str] = []
    excluded = set()
    for item in requested or ["all"]:
        name = item[1:] if item.startswith("!") else item
        if name not in SUBSET_CHOICES:
            raise FactsError("gather_subset: unknown subset '%s'; choose from %s" % (name, ", ".join(SUBSET_CHOICES)))
        targets = sorted(SUBSETS) if name == "all" else [name]
        if item.startswith("!"):
            excluded.update(targets)
        else:
            wanted.extend(t for t in targets if t not in wanted)
    if not wanted:
        wanted = sorted(SUBSETS)
    return [name for name in SUBSETS if name in wanted and name not in excluded]


def plan_commands(subsets: Sequence[str], vdoms: Sequence[Optional[str]],
                  tunnels: Sequence[str]) -> List[Dict[str, Any]]:
    """The command batch: per VDOM, per subset, one full command or one per named tunnel."""
    plan = []
    for vdom in vdoms:
        for subset in subsets:
            spec = SUBSETS[subset]
            if tunnels and spec["by_name"]:
                for name in tunnels:
                    plan.append({"command": spec["by_name"].format(name=quote_name(name)), "vdom": vdom,
                                 "subset": subset})
            else:
                plan.append({"command": spec["command"], "vdom": vdom, "subset": subset})
    return plan


def _matches(item: Dict[str, Any], tunnels: Sequence[str]) -> bool:
    names = {item.get("name"), item.get("parent")}
    # Dial-up instances are NAME_0, NAME_1 ... in the summary.
    return any(n in names or str(item.get("name") or "").startswith(n + "_") for n in tunnels)


def build_facts(subsets: Sequence[str], results: Sequence[Dict[str, Any]], tunnels: Sequence[str],
                include_keys: bool) -> Dict[str, Any]:
    """Parse every output and merge per subset across VDOMs (each item gets its `vdom`)."""
    facts: Dict[str, Any] = {}
    for subset in subsets:
        spec = SUBSETS[subset]
        facts[subset] = {spec["items"]: [], "unparsed": []}
    for result in results:
        subset = result["subset"]
        spec = SUBSETS[subset]
        parser: Callable[..., Dict[str, Any]] = spec["parser"]
        parsed = parser(result["output"], include_keys=include_keys) if spec["keys"] else parser(result["output"])
        items = parsed.get(spec["items"]) or []
        if tunnels and not spec["by_name"]:
            items = [item for item in items if _matches(item, tunnels)]
        for item in items:
            if result.get("vdom") and not item.get("vdom"):
                item["vdom"] = result["vdom"]
        facts[subset][spec["items"]].extend(items)
        facts[subset]["unparsed"].extend(parsed.get("unparsed") or [])
    return facts
