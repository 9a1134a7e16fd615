# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Selecting tunnels, finding their peer and attaching stage results, on real-format facts."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict

from ansible_collections.fortidiag.ipsec.plugins.module_utils import evidence as ev
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import (
    parse_phase1_config,
    parse_phase2_config,
)

FIXTURES = Path(__file__).resolve().parents[3] / "unit" / "fixtures"


def _text(command_dir: str, case: str) -> str:
    text = (FIXTURES / command_dir / (case + ".txt")).read_text(encoding="utf-8")
    return text.replace("\n", "\r\n") if case.endswith("_crlf") else text


def _branch_facts() -> Dict[str, Any]:
    # A branch: to-hq (two phase 2s, up) and to-hq-backup (down), with their configuration.
    return {
        "tunnel_list": parse_tunnel_list(_text("diagnose_vpn_tunnel_list", "v60_site_to_site_mask_selectors_crlf")),
        "config": {
            "phase1": parse_phase1_config(_text("show_vpn_ipsec_phase1_interface", "v62_ikev1_two_edits"))["phase1"],
            "phase2": parse_phase2_config(_text("show_vpn_ipsec_phase2_interface", "v62_multiple_selectors_subnets"))["phase2"],
        },
    }


def _mirror(facts: Dict[str, Any]) -> Dict[str, Any]:
    """The HQ side: the same tunnel list with the gateways swapped."""
    other = copy.deepcopy(facts)
    for tunnel in other["tunnel_list"]["tunnels"]:
        tunnel["local_gateway"], tunnel["remote_gateway"] = tunnel["remote_gateway"], tunnel["local_gateway"]
    return other


def test_unhealthy_tunnels_are_selected_by_default() -> None:
    facts = _branch_facts()
    states = {r["name"]: r["state"] for r in ev.tunnel_states(facts)}
    assert states == {"to-hq": "up", "to-hq-backup": "down"}
    assert [r["name"] for r in ev.select_tunnels(facts, [], False)] == ["to-hq-backup"]
    assert [r["name"] for r in ev.select_tunnels(facts, [], True)] == ["to-hq", "to-hq-backup"]
    assert [r["name"] for r in ev.select_tunnels(facts, ["to-hq"], False)] == ["to-hq"]


def test_skeleton_carries_configuration_selectors_and_the_peer() -> None:
    facts = _branch_facts()
    skeletons = ev.evidence_skeletons("BR-1", facts, {"BR-1": facts, "HQ-1": _mirror(facts)}, ["to-hq"])
    assert len(skeletons) == 1
    item = skeletons[0]
    assert item["config"]["phase1"]["name"] == "to-hq"
    assert [p["name"] for p in item["config"]["phase2"]] == ["to-hq-lan", "to-hq-voice"]
    assert item["local_subnets"] == ["10.20.0.0/24", "10.20.50.0/25"]
    assert item["remote_subnets"] == ["10.0.0.0/16", "10.0.50.10/32"]
    assert item["peer"]["host"] == "HQ-1" and item["peer"]["tunnel"] == "to-hq"
    assert item["peer"]["gateway_ip"] == item["remote_gateway"]
    # No other play host mirrors the gateways: no peer.
    assert ev.evidence_skeletons("BR-1", facts, {"BR-1": facts}, ["to-hq"])[0]["peer"] is None
    assert ev.probe_addresses(item) == {"source": "10.20.0.1", "destination": "10.0.0.1"}
    assert ev.probe_addresses(dict(item, local_subnets=["0.0.0.0/0"])) is None


def test_attach_keeps_order_and_ignores_skipped_and_failed_items() -> None:
    facts = _branch_facts()
    items = ev.evidence_skeletons("BR-1", facts, {"BR-1": facts}, [], include_healthy=True)
    ping = {"results": [
        {"parsed": [None, None, None, {"transmitted": 3, "received": 0, "loss_percent": 100}, None]},
        {"skipped": True},
    ]}
    out = ev.attach(items, ping, "ping_gateway")
    assert out[0]["ping_gateway"]["loss_percent"] == 100 and out[1].get("ping_gateway") is None
    wire = {"results": [{"failed": True, "msg": "x"}, {"summary": {"ike": 3}, "verdicts": [{"code": "ike_no_reply"}]}]}
    out = ev.attach(out, wire, "sniffer")
    assert "sniffer" not in out[0] and out[1]["sniffer"]["verdicts"][0]["code"] == "ike_no_reply"
    tables = {"results": [{"parsed": [{"policies": [{"id": 1}]}, {"routes": [{"prefix": "10.0.0.0/16"}]}]}]}
    out = ev.attach_vdom(out, tables, [None])
    assert all(i["policies"] == [{"id": 1}] and i["routes"][0]["prefix"] == "10.0.0.0/16" for i in out)


class _CountingHostvars(dict):
    """hostvars stand-in that records which hosts were read (each read costs a facts copy in Ansible)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads: list = []

    def __getitem__(self, host: str) -> Any:
        self.reads.append(host)
        return dict.__getitem__(self, host)


def test_evidence_filter_reads_other_hosts_only_for_a_tunnel_that_needs_its_peer() -> None:
    from ansible_collections.fortidiag.ipsec.plugins.filter.troubleshoot import FilterModule

    evidence = FilterModule().filters()["troubleshoot_evidence"]
    facts = _branch_facts()
    healthy = copy.deepcopy(facts)
    healthy["tunnel_list"]["tunnels"] = [t for t in healthy["tunnel_list"]["tunnels"] if t["name"] == "to-hq"]
    hosts = ["BR-1", "HQ-1"] + ["SPARE-%d" % i for i in range(20)]
    hostvars = _CountingHostvars({h: {"ansible_facts": {"fortios_ipsec": healthy}} for h in hosts})
    hostvars["HQ-1"] = {"ansible_facts": {"fortios_ipsec": _mirror(facts)}}
    assert evidence(hostvars, "BR-1", hosts) == []
    assert hostvars.reads == ["BR-1"]  # a healthy host never reads the fleet

    hostvars["BR-1"] = {"ansible_facts": {"fortios_ipsec": facts}}
    hostvars.reads.clear()
    items = evidence(hostvars, "BR-1", hosts, ["to-hq"], False, {"to-hq": "HQ-1"})
    assert items[0]["peer"]["host"] == "HQ-1"
    assert hostvars.reads == ["BR-1", "HQ-1"]  # an explicit peer: only that host is read
