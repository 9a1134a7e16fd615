# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which commands each fact subset needs, and how their outputs become facts.

Gathering is planned as one batch of commands: the whole set costs a single RPC call,
device-wide commands run once in the global context, and each VDOM costs one switch.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import quote_name
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_status import parse_ipsec_status
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_tunnel_list import parse_ipsec_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.stats_tunnel import parse_stats_tunnel
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_details import parse_tunnel_details
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_summary import parse_tunnel_summary
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import (
    parse_phase1_config,
    parse_phase2_config,
)


class Step(NamedTuple):
    command: str
    by_name: Optional[str]  # the command for one tunnel; None filters the full output instead
    parser: Callable[..., Dict[str, Any]]
    scope: str = "vdom"  # vdom: once per VDOM; device: once, in the first VDOM


SUBSETS: Dict[str, List[Step]] = {
    "system": [],  # read at login (`get system status`): costs no command
    "tunnel_summary": [Step("get vpn ipsec tunnel summary", None, parse_tunnel_summary)],
    "tunnel_list": [Step("diagnose vpn tunnel list", "diagnose vpn tunnel list name {name}", parse_tunnel_list)],
    "ike_gateways": [Step("diagnose vpn ike gateway list", "diagnose vpn ike gateway list name {name}",
                          parse_ike_gateway_list)],
    "tunnel_details": [Step("get vpn ipsec tunnel details", "get vpn ipsec tunnel name {name}", parse_tunnel_details)],
    "ipsec_tunnel_list": [Step("get ipsec tunnel list", None, parse_ipsec_tunnel_list)],
    "stats": [Step("get vpn ipsec stats tunnel", None, parse_stats_tunnel)],
    # Crypto engine counters are per device, not per VDOM. Running it in a VDOM (not in
    # `config global`) keeps it open to VDOM-scoped admins.
    "hw_offload": [Step("diagnose vpn ipsec status", None, parse_ipsec_status, scope="device")],
    "config": [
        Step("show full-configuration vpn ipsec phase1-interface",
             "show full-configuration vpn ipsec phase1-interface {name}", parse_phase1_config),
        Step("show full-configuration vpn ipsec phase2-interface", None, parse_phase2_config),
    ],
}
SUBSET_CHOICES = list(SUBSETS) + ["all"]


class FactsError(ValueError):
    """Bad gather parameters."""


def resolve_subsets(requested: Sequence[str]) -> List[str]:
    """Expand `all` and `!name` exclusions, keeping the registry's order."""
    wanted: List[str] = []
    excluded = set()
    for item in requested or ["all"]:
        name = item[1:] if item.startswith("!") else item
        if name not in SUBSET_CHOICES:
            raise FactsError("gather_subset: unknown subset %r; choose from %s" % (name, ", ".join(SUBSET_CHOICES)))  # %r: one line
        targets = list(SUBSETS) if name == "all" else [name]
        if item.startswith("!"):
            excluded.update(targets)
        else:
            wanted.extend(t for t in targets if t not in wanted)
    if not wanted:
        wanted = list(SUBSETS)
    return [name for name in SUBSETS if name in wanted and name not in excluded]


def plan_commands(subsets: Sequence[str], vdoms: Sequence[Optional[str]], tunnels: Sequence[str]) -> List[Dict[str, Any]]:
    """The command batch: per VDOM every subset's steps; device-wide steps only in the first VDOM."""
    plan: List[Dict[str, Any]] = []

    def add(step: Step, subset: str, vdom: Optional[str]) -> None:
        if tunnels and step.by_name:
            for name in tunnels:
                plan.append({"command": step.by_name.format(name=quote_name(name)), "vdom": vdom,
                             "subset": subset, "step": step})
        else:
            plan.append({"command": step.command, "vdom": vdom, "subset": subset, "step": step})

    for index, vdom in enumerate(vdoms):
        for subset in subsets:
            for step in SUBSETS[subset]:
                if step.scope == "vdom" or index == 0:
                    add(step, subset, vdom)
    return plan


def _matches(item: Mapping[str, Any], tunnels: Sequence[str]) -> bool:
    names = {item.get("name"), item.get("parent"), item.get("phase1name")}
    # Dial-up instances are NAME_0, NAME_1 ... in the summary.
    return any(n in names or str(item.get("name") or "").startswith(n + "_") for n in tunnels)


def _merge(target: Dict[str, Any], parsed: Mapping[str, Any], vdom: Optional[str]) -> None:
    """Lists extend (items tagged with their VDOM); counters add up across VDOMs."""
    for key, value in parsed.items():
        if isinstance(value, list):
            for item in value:
                if vdom and isinstance(item, dict) and not item.get("vdom"):
                    item["vdom"] = vdom
            target.setdefault(key, []).extend(value)
        elif key not in target:
            target[key] = value
        else:
            target[key] = _add_counters(target[key], value)


def _add_counters(left: Any, right: Any) -> Any:
    if isinstance(left, dict) and isinstance(right, dict):
        return {k: _add_counters(left.get(k), right.get(k)) if k in left and k in right else left.get(k, right.get(k))
                for k in list(left) + [k for k in right if k not in left]}
    if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
        return left + right
    return left


def build_facts(subsets: Sequence[str], results: Sequence[Mapping[str, Any]], tunnels: Sequence[str],
                include_keys: bool, device: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Parse every output and merge per subset across VDOMs."""
    facts: Dict[str, Any] = {subset: {"unparsed": []} for subset in subsets}
    if "system" in facts:
        facts["system"] = dict((device or {}).get("status") or {"unparsed": []})
    per_vdom: Dict[str, Dict[str, Any]] = {}
    for result in results:
        step: Step = result["step"]
        parsed = step.parser(result["output"], include_keys=include_keys)
        if tunnels and not step.by_name:
            parsed = {k: [i for i in v if not isinstance(i, dict) or _matches(i, tunnels)] if isinstance(v, list)
                      and k != "unparsed" else v for k, v in parsed.items()}
        _merge(facts[result["subset"]], parsed, result.get("vdom"))
        if result.get("vdom") and not any(isinstance(v, list) and k != "unparsed" for k, v in parsed.items()):
            # Counter-only output (stats): keep each VDOM's own numbers beside the sum.
            per_vdom.setdefault(result["subset"], {})[result["vdom"]] = parsed
    for subset, by_vdom in per_vdom.items():
        if len(by_vdom) > 1:
            facts[subset]["by_vdom"] = by_vdom
    for subset in subsets:
        facts[subset].setdefault("unparsed", [])
    return facts


# The module and its action plugin (which runs it in the controller's worker, without a module
# process per host) share the argument spec and the gathering itself.
ARGUMENT_SPEC: Dict[str, Any] = dict(
    gather_subset=dict(type="list", elements="str", default=["all"]),
    tunnels=dict(type="list", elements="str", default=[]),
    vdom=dict(type="list", elements="str"),
    include_keys=dict(type="bool", default=False, no_log=False),
    set_facts=dict(type="bool", default=True),
    result_format=dict(type="str", default="data", choices=["data", "json"]),
)

DEVICE_KEYS = ("hostname", "version", "build", "model", "serial", "vdom_mode", "ha_mode", "admin_vdom")


def result(facts: Dict[str, Any], set_facts: bool, result_format: str = "data") -> Dict[str, Any]:
    """The task result: facts, or (set_facts false) a plain C(fortios_ipsec) key to register,
    as data or (result_format json) as one JSON string."""
    if set_facts:
        if result_format != "data":
            raise FactsError("result_format=json needs set_facts=false (facts are always data)")
        return {"changed": False, "ansible_facts": {"fortios_ipsec": facts}}
    if result_format == "json":
        # One string instead of thousands of nested values: the controller copies and walks every
        # value of every result, which on a 100-host run cost more than the devices' answers.
        return {"changed": False, "fortios_ipsec": json.dumps(facts, sort_keys=True, separators=(",", ":"))}
    return {"changed": False, "fortios_ipsec": facts}


def gather(client: Any, params: Mapping[str, Any]) -> Dict[str, Any]:
    """Run the plan over ``client`` (module_utils.client.FortiOSClient) and return the facts.

    Raises FactsError on a bad gather_subset and FortiOSClientError on a connection failure.
    """
    subsets = resolve_subsets(params["gather_subset"])
    device = client.device_info()
    vdoms = (params.get("vdom") or [device.get("admin_vdom") or "root"]) if device.get("multi_vdom") else [None]
    plan = plan_commands(subsets, vdoms, params["tunnels"])
    outputs = client.run_commands([{"command": p["command"], "vdom": p["vdom"]} for p in plan])
    results = [dict(p, output=o["output"]) for p, o in zip(plan, outputs)]
    facts = build_facts(subsets, results, params["tunnels"], params["include_keys"], device)
    facts["device"] = {k: device.get(k) for k in DEVICE_KEYS}
    facts["vdoms"] = [v for v in vdoms if v] or None
    return facts
