# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which tunnels to troubleshoot, who their peer is, and the evidence skeleton per tunnel.

Pure functions over `vpn_facts` results (ansible_facts.fortios_ipsec) of every host in the
play: the troubleshoot role fills the skeleton stage by stage and hands it to the diagnosis.
"""
from __future__ import annotations

import ipaddress
import json
from typing import Any, Dict, List, Mapping, Optional


# The troubleshoot role registers vpn_facts (set_facts: false) as fortidiag_vpn: facts would be
# copied for every host on every later task. Users' own gathering sets ansible_facts.
REGISTERED = "fortidiag_vpn"


def host_vpn_facts(host_vars: Mapping[str, Any]) -> Dict[str, Any]:
    """A host's vpn_facts data from its variables: the role's registered result, else its facts."""
    registered = host_vars.get(REGISTERED)
    data = registered.get("fortios_ipsec") if isinstance(registered, Mapping) else None
    if isinstance(data, str):  # result_format: json
        data = json.loads(data)
    if isinstance(data, Mapping):
        return dict(data)
    return dict((host_vars.get("ansible_facts") or {}).get("fortios_ipsec") or {})


def _key(vdom: Optional[str], name: str) -> str:
    return "%s/%s" % (vdom or "root", name)


def tunnel_states(facts: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One row per tunnel of a host: name, vdom, state, selectors, traffic, gateways."""
    rows = []
    for tunnel in (facts.get("tunnel_list") or {}).get("tunnels") or []:
        if tunnel.get("mode") == "dialup":
            continue  # a dial-up server has no selectors of its own; its instances are listed
        proxyids = tunnel.get("proxyids") or []
        up = sum(1 for p in proxyids if p.get("sas"))
        state = "up" if proxyids and up == len(proxyids) else ("partial" if up else "down")
        rows.append({
            "name": tunnel.get("name"), "vdom": tunnel.get("vdom"), "state": state,
            "selectors_up": up, "selectors_total": len(proxyids),
            "rx_packets": tunnel.get("rx_packets"), "tx_packets": tunnel.get("tx_packets"),
            "local_gateway": tunnel.get("local_gateway"), "remote_gateway": tunnel.get("remote_gateway"),
            "parent": tunnel.get("parent"),
        })
    return rows


def select_tunnels(facts: Dict[str, Any], names: List[str], include_healthy: bool) -> List[Dict[str, Any]]:
    """The tunnels to troubleshoot: the named ones, else every tunnel that is down, partly up,
    or up without traffic in one direction (unless include_healthy)."""
    rows = tunnel_states(facts)
    if names:
        return [r for r in rows if r["name"] in names or r["parent"] in names]
    if include_healthy:
        return rows
    return [r for r in rows if r["state"] != "up" or not r["rx_packets"] or not r["tx_packets"]]


def _phase1(facts: Dict[str, Any], vdom: Optional[str], name: str) -> Optional[Dict[str, Any]]:
    for entry in (facts.get("config") or {}).get("phase1") or []:
        if entry.get("name") == name and (entry.get("vdom") or "root") == (vdom or "root"):
            return entry
    for entry in (facts.get("config") or {}).get("phase1") or []:
        if entry.get("name") == name:
            return entry
    return None


def _phase2(facts: Dict[str, Any], vdom: Optional[str], phase1: str) -> List[Dict[str, Any]]:
    return [e for e in (facts.get("config") or {}).get("phase2") or []
            if e.get("phase1name") == phase1 and (e.get("vdom") or "root") == (vdom or "root")]


def find_peer(host: str, row: Dict[str, Any], all_facts: Dict[str, Dict[str, Any]],
              explicit: Optional[Dict[str, str]] = None) -> Optional[Dict[str, Any]]:
    """The other FortiGate of a tunnel when it is in the play: named explicitly
    (`{tunnel: host}`), else the host with a tunnel whose gateways are ours mirrored."""
    wanted = (explicit or {}).get(row["name"])
    # Keys first: all_facts may load each host's facts on access (see the troubleshoot filter).
    for other in sorted(all_facts):
        if other == host or (wanted and other != wanted):
            continue
        facts = all_facts[other]
        if not facts:
            continue
        for theirs in tunnel_states(facts):
            mirrored = (theirs["local_gateway"] == row["remote_gateway"] and theirs["remote_gateway"] == row["local_gateway"])
            if mirrored or (wanted and theirs["remote_gateway"] == row["local_gateway"]):
                name = theirs["parent"] or theirs["name"]
                return {"host": other, "tunnel": name, "vdom": theirs["vdom"],
                        "phase1": _phase1(facts, theirs["vdom"], name), "phase2": _phase2(facts, theirs["vdom"], name),
                        "gateway_ip": theirs["local_gateway"]}
    return None


def _subnets(phase2: List[Dict[str, Any]], key: str) -> List[str]:
    out = []
    for entry in phase2:
        value = entry.get(key)
        if value and value not in out:
            out.append(value)
    return out


def evidence_skeletons(host: str, facts: Dict[str, Any], all_facts: Dict[str, Dict[str, Any]], names: List[str],
                       include_healthy: bool = False, peers: Optional[Dict[str, str]] = None) -> List[Dict[str, Any]]:
    """Evidence per selected tunnel with what vpn_facts already tells (state and configuration)."""
    out = []
    for row in select_tunnels(facts, names, include_healthy):
        name = row["parent"] or row["name"]
        phase2 = _phase2(facts, row["vdom"], name)
        out.append({
            "host": host, "vdom": row["vdom"], "tunnel": row["name"], "state": row["state"],
            "selectors_up": row["selectors_up"], "selectors_total": row["selectors_total"],
            "rx_packets": row["rx_packets"], "tx_packets": row["tx_packets"],
            "local_gateway": row["local_gateway"], "remote_gateway": row["remote_gateway"],
            "config": {"phase1": _phase1(facts, row["vdom"], name), "phase2": phase2, "gateway_ip": row["local_gateway"]},
            "peer": find_peer(host, row, all_facts, peers),
            "local_subnets": _subnets(phase2, "src_subnet"), "remote_subnets": _subnets(phase2, "dst_subnet"),
        })
    return out


def probe_addresses(evidence: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """A ping that should cross the tunnel: from the first address of a local selector subnet
    (where FortiGates usually sit) to the first address of a remote one."""
    try:
        local = ipaddress.ip_network(evidence["local_subnets"][0], strict=False)
        remote = ipaddress.ip_network(evidence["remote_subnets"][0], strict=False)
    except (IndexError, KeyError, ValueError):
        return None
    if local.prefixlen == 0 or remote.prefixlen == 0 or local.num_addresses < 4 or remote.num_addresses < 4:
        return None
    return {"source": str(local.network_address + 1), "destination": str(remote.network_address + 1)}


def _result_at(results: Any, index: int) -> Dict[str, Any]:
    items = results.get("results") if isinstance(results, dict) else results
    try:
        item = (items or [])[index]
    except IndexError:
        return {}
    return item if isinstance(item, dict) and not item.get("skipped") and not item.get("failed") else {}


def attach(evidence: List[Dict[str, Any]], results: Any, key: str) -> List[Dict[str, Any]]:
    """Put the evidence a looped stage task registered (one result per tunnel, same order) under `key`."""
    out = []
    for index, item in enumerate(evidence):
        result = _result_at(results, index)
        item = dict(item)
        if key == "ping_gateway":
            parsed = [p for p in result.get("parsed") or [] if isinstance(p, dict) and "transmitted" in p]
            item[key] = parsed[0] if parsed else item.get(key)
        elif key == "sniffer" and result:
            item[key] = {"summary": result.get("summary"), "verdicts": result.get("verdicts")}
        elif key == "ike" and result:
            item[key] = {"findings": result.get("findings"), "events": len(result.get("events") or [])}
        elif key == "flow" and result:
            item[key] = {"traces": result.get("traces"), "probe": result.get("probe")}
        out.append(item)
    return out


def attach_vdom(evidence: List[Dict[str, Any]], results: Any, vdoms: List[Optional[str]]) -> List[Dict[str, Any]]:
    """Policies and routes, read once per VDOM (`vdoms` in the order of the looped task)."""
    by_vdom: Dict[str, Dict[str, Any]] = {}
    for index, vdom in enumerate(vdoms):
        result = _result_at(results, index)
        parsed = result.get("parsed") or []
        policies = next((p.get("policies") for p in parsed if isinstance(p, dict) and "policies" in p), None)
        routes = next((p.get("routes") for p in parsed if isinstance(p, dict) and "routes" in p), None)
        by_vdom[vdom or "root"] = {"policies": policies, "routes": routes}
    out = []
    for item in evidence:
        item = dict(item)
        found = by_vdom.get(item.get("vdom") or "root") or {}
        item["policies"] = found.get("policies")
        item["routes"] = found.get("routes")
        out.append(item)
    return out


def _with_gateway(evidence: List[Dict[str, Any]], vdom: Optional[str]) -> List[Dict[str, Any]]:
    return [e for e in evidence if (e.get("vdom") or "root") == (vdom or "root") and not e.get("skip_later")
            and e.get("remote_gateway") not in (None, "", "0.0.0.0") and e.get("local_gateway")]


def ping_commands(evidence: List[Dict[str, Any]], vdom: Optional[str]) -> List[str]:
    """One batch per VDOM: a 3-packet ping to each remote gateway from the tunnel's local gateway."""
    commands: List[str] = []
    for item in _with_gateway(evidence, vdom):
        commands += ["execute ping-options reset", "execute ping-options source %s" % item["local_gateway"],
                     "execute ping-options repeat-count 3", "execute ping %s" % item["remote_gateway"]]
    return commands + ["execute ping-options reset"] if commands else []


def sniffer_filter(evidence: List[Dict[str, Any]], vdom: Optional[str]) -> Optional[str]:
    """One capture per VDOM for every remote gateway: IKE, NAT-T and ESP to any of them."""
    peers = sorted({item["remote_gateway"] for item in _with_gateway(evidence, vdom)})
    if not peers:
        return None
    return "(%s) and (udp port 500 or udp port 4500 or esp)" % " or ".join("host %s" % p for p in peers)


def attach_connectivity(evidence: List[Dict[str, Any]], pings: Any, sniffs: Any, vdoms: List[Optional[str]]) -> List[Dict[str, Any]]:
    """Split the per-VDOM ping batch and capture back into each tunnel's evidence."""
    by_key: Dict[str, Dict[str, Any]] = {}
    for index, vdom in enumerate(vdoms):
        ping = _result_at(pings, index)
        sniff = _result_at(sniffs, index)
        parsed = ping.get("parsed") or []
        for position, item in enumerate(_with_gateway(evidence, vdom)):
            found = parsed[position * 4 + 3] if len(parsed) > position * 4 + 3 else None
            entry: Dict[str, Any] = {"ping_gateway": found if isinstance(found, dict) else None}
            if sniff:
                entry["sniffer"] = {"summary": sniff.get("summary"),
                                    "verdicts": [v for v in sniff.get("verdicts") or [] if v.get("peer") == item["remote_gateway"]]}
            by_key[_key(item.get("vdom"), item["tunnel"])] = entry
    out = []
    for item in evidence:
        item = dict(item)
        item.update(by_key.get(_key(item.get("vdom"), item["tunnel"]), {}))
        out.append(item)
    return out
