# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters the troubleshoot role uses to build and fill the evidence of each tunnel."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.module_utils.evidence import (
    attach,
    attach_connectivity,
    attach_vdom,
    evidence_skeletons,
    host_vpn_facts,
    ping_commands,
    probe_addresses,
    sniffer_filter,
)

STAGE_KEYS = ("ping_gateway", "sniffer", "ike", "flow")


def _facts(hostvars: Mapping[str, Any], host: str) -> Dict[str, Any]:
    try:
        return host_vpn_facts(hostvars[host])
    except (KeyError, AttributeError, TypeError):
        return {}


def _troubleshoot_evidence(hostvars: Mapping[str, Any], host: str, hosts: Sequence[str], tunnels: Optional[List[str]] = None,
                           include_healthy: bool = False, peers: Optional[Dict[str, str]] = None) -> List[Dict[str, Any]]:
    if isinstance(hosts, str):
        raise AnsibleFilterError("troubleshoot_evidence expects the list of play hosts, e.g. ansible_play_hosts")
    # Each hostvars[h] costs a copy of that host's facts: read the others only for a tunnel that
    # needs its peer, never on a healthy host (100 hosts reading each other was O(n^2)).
    return evidence_skeletons(host, _facts(hostvars, host), _LazyFacts(hostvars, hosts), list(tunnels or []),
                              bool(include_healthy), dict(peers or {}))


class _LazyFacts(Mapping):
    """The play hosts' vpn_facts, each read from hostvars on first use."""

    def __init__(self, hostvars: Mapping[str, Any], hosts: Sequence[str]) -> None:
        self._hostvars = hostvars
        self._hosts = list(hosts)
        self._cache: Dict[str, Dict[str, Any]] = {}

    def __getitem__(self, host: str) -> Dict[str, Any]:
        if host not in self._hosts:
            raise KeyError(host)
        if host not in self._cache:
            self._cache[host] = _facts(self._hostvars, host)
        return self._cache[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hosts)

    def __len__(self) -> int:
        return len(self._hosts)


def _troubleshoot_attach(evidence: List[Dict[str, Any]], results: Any, key: str) -> List[Dict[str, Any]]:
    if key not in STAGE_KEYS:
        raise AnsibleFilterError("troubleshoot_attach key must be one of %s" % ", ".join(STAGE_KEYS))
    return attach(list(evidence or []), results, key)


def _troubleshoot_attach_vdom(evidence: List[Dict[str, Any]], results: Any, vdoms: List[Optional[str]]) -> List[Dict[str, Any]]:
    return attach_vdom(list(evidence or []), results, list(vdoms or []))


def _troubleshoot_pending(evidence: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Mark the tunnels the evidence so far already explains (`skip_later`), for stop-at-first-cause."""
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.diagnosis import diagnose_tunnel  # pylint: disable=import-outside-toplevel
    out = []
    for item in evidence or []:
        item = dict(item)
        item["skip_later"] = bool(diagnose_tunnel(item).get("top_cause"))
        out.append(item)
    return out


def _troubleshoot_probe(evidence: Dict[str, Any]) -> Optional[Dict[str, str]]:
    return probe_addresses(dict(evidence or {}))


def _troubleshoot_connectivity(evidence: List[Dict[str, Any]], what: str, vdom: Optional[str] = None) -> Any:
    """`pings` (the ping batch of a VDOM) or `sniffer` (the capture filter of a VDOM)."""
    if what == "pings":
        return ping_commands(list(evidence or []), vdom)
    if what == "sniffer":
        return sniffer_filter(list(evidence or []), vdom)
    raise AnsibleFilterError("troubleshoot_connectivity takes pings or sniffer, got '%s'" % what)


def _troubleshoot_attach_connectivity(evidence: List[Dict[str, Any]], pings: Any, sniffs: Any,
                                      vdoms: List[Optional[str]]) -> List[Dict[str, Any]]:
    return attach_connectivity(list(evidence or []), pings, sniffs, list(vdoms or []))


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {
            "troubleshoot_evidence": _troubleshoot_evidence,
            "troubleshoot_attach": _troubleshoot_attach,
            "troubleshoot_attach_vdom": _troubleshoot_attach_vdom,
            "troubleshoot_probe": _troubleshoot_probe,
            "troubleshoot_pending": _troubleshoot_pending,
            "troubleshoot_connectivity": _troubleshoot_connectivity,
            "troubleshoot_attach_connectivity": _troubleshoot_attach_connectivity,
        }
