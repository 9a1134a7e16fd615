# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning tunnel up/down/flush and IKE gateway clears from real-format CLI output."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils import gateway_ops
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_ops import (
    TunnelOpError,
    plan,
    progress,
    reached,
    snapshot,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_runner import poll

FIXTURES = Path(__file__).resolve().parents[3] / "unit" / "fixtures"


def _tunnels(case: str) -> Dict[str, Any]:
    text = (FIXTURES / "diagnose_vpn_tunnel_list" / (case + ".txt")).read_text(encoding="utf-8")
    return parse_tunnel_list(text.replace("\n", "\r\n") if case.endswith("_crlf") else text)


def _gateways(case: str) -> Dict[str, Any]:
    text = (FIXTURES / "diagnose_vpn_ike_gateway_list" / (case + ".txt")).read_text(encoding="utf-8")
    return parse_ike_gateway_list(text.replace("\n", "\r\n") if case.endswith("_crlf") else text)


TWO_SELECTORS = "v60_site_to_site_mask_selectors_crlf"  # to-hq: 2 phase2s up; to-hq-backup: down
DIALUP = "v70_dialup_hub_instances"


def test_snapshot_of_tunnel_with_two_up_selectors() -> None:
    snap = snapshot(_tunnels(TWO_SELECTORS), "to-hq")
    assert snap is not None
    assert (snap["state"], snap["selectors_up"], snap["selectors_total"], snap["kind"]) == ("up", 2, 2, "static")
    assert [s["name"] for s in snap["selectors"]] == ["to-hq-lan", "to-hq-voice"]
    assert all(s["inbound_spis"] and s["outbound_spis"] for s in snap["selectors"])
    assert progress(snap) == "2/2 selectors up"


def test_snapshot_of_down_tunnel_and_unknown_name() -> None:
    snap = snapshot(_tunnels(TWO_SELECTORS), "to-hq-backup")
    assert snap is not None and snap["state"] == "down" and snap["selectors_up"] == 0
    assert snapshot(_tunnels(TWO_SELECTORS), "nope") is None
    assert progress(None) == "tunnel not listed"


def test_snapshot_keeps_every_sa_during_a_rekey() -> None:
    snap = snapshot(_tunnels("v72_gcm_rekey_two_sas"), "to-dc2")
    assert snap is not None
    assert len(snap["selectors"][0]["inbound_spis"]) == 2
    assert snap["selectors"][0]["npu_flags"] == [sa["npu_flag"] for sa in
                                                 _tunnels("v72_gcm_rekey_two_sas")["tunnels"][0]["proxyids"][0]["sas"]]


def test_up_on_an_up_tunnel_sends_nothing() -> None:
    todo = plan(snapshot(_tunnels(TWO_SELECTORS), "to-hq"), "to-hq", "up")
    assert (todo.commands, todo.changed, todo.targets) == ([], False, ["to-hq-lan", "to-hq-voice"])


def test_down_names_each_phase2_first_then_the_phase1() -> None:
    todo = plan(snapshot(_tunnels(TWO_SELECTORS), "to-hq"), "to-hq", "down")
    assert todo.changed
    assert todo.commands == ["diagnose vpn tunnel down to-hq-lan to-hq", "diagnose vpn tunnel down to-hq-voice to-hq"]


def test_one_phase2_only() -> None:
    todo = plan(snapshot(_tunnels(TWO_SELECTORS), "to-hq"), "to-hq", "down", phase2="to-hq-voice")
    assert todo.commands == ["diagnose vpn tunnel down to-hq-voice to-hq"] and todo.targets == ["to-hq-voice"]


def test_up_a_down_tunnel() -> None:
    todo = plan(snapshot(_tunnels(TWO_SELECTORS), "to-hq-backup"), "to-hq-backup", "up")
    assert todo.commands == ["diagnose vpn tunnel up to-hq-backup to-hq-backup"] and todo.changed


def test_flush_names_the_tunnel_and_skips_a_tunnel_without_sas() -> None:
    todo = plan(snapshot(_tunnels(TWO_SELECTORS), "to-hq"), "to-hq", "flushed")
    assert todo.commands == ["diagnose vpn tunnel flush to-hq"] and todo.changed
    idle = plan(snapshot(_tunnels(TWO_SELECTORS), "to-hq-backup"), "to-hq-backup", "flushed")
    assert idle.commands == [] and not idle.changed


def test_names_with_spaces_are_quoted() -> None:
    parsed = _tunnels(TWO_SELECTORS)
    parsed = copy.deepcopy(parsed)
    parsed["tunnels"][0]["name"] = "to hq"
    todo = plan(snapshot(parsed, "to hq"), "to hq", "flushed")
    assert todo.commands == ['diagnose vpn tunnel flush "to hq"']


@pytest.mark.parametrize("name,state,phase2,message", [
    ("nope", "up", None, "no IPsec tunnel named 'nope' in VDOM root"),
    ("to-hq", "flushed", "to-hq-lan", "remove phase2"),
    ("to-hq", "down", "missing", "has no phase2 'missing' (it has: to-hq-lan, to-hq-voice)"),
    ("to-hq", "sideways", None, "state must be one of up, down, flushed"),
])
def test_bad_requests_are_one_line(name: str, state: str, phase2: Any, message: str) -> None:
    with pytest.raises(TunnelOpError) as err:
        plan(snapshot(_tunnels(TWO_SELECTORS), name), name, state, phase2, vdom_label="root")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_dialup_server_and_instances() -> None:
    parsed = _tunnels(DIALUP)
    with pytest.raises(TunnelOpError, match="dial-up server"):
        plan(snapshot(parsed, "HUB-DIAL"), "HUB-DIAL", "down")
    inst = snapshot(parsed, "HUB-DIAL_0")
    assert inst is not None and inst["kind"] == "dial_inst" and inst["parent"] == "HUB-DIAL"
    with pytest.raises(TunnelOpError, match="only the client can bring it up"):
        plan(inst, "HUB-DIAL_0", "up")
    assert plan(inst, "HUB-DIAL_0", "down").commands == ["diagnose vpn tunnel down HUB-DIAL HUB-DIAL_0"]
    assert plan(inst, "HUB-DIAL_0", "flushed").commands == ["diagnose vpn tunnel flush HUB-DIAL_0"]


def _down(snap: Dict[str, Any], names: List[str]) -> Dict[str, Any]:
    snap = copy.deepcopy(snap)
    for sel in snap["selectors"]:
        if sel["name"] in names:
            sel.update(up=False, inbound_spis=[], outbound_spis=[], npu_flags=[])
    return snap


def _renewed(snap: Dict[str, Any]) -> Dict[str, Any]:
    snap = copy.deepcopy(snap)
    for sel in snap["selectors"]:
        sel["inbound_spis"] = [spi[::-1] for spi in sel["inbound_spis"]]
    return snap


def test_reached_up_and_down() -> None:
    up = snapshot(_tunnels(TWO_SELECTORS), "to-hq")
    assert up is not None
    targets = ["to-hq-lan", "to-hq-voice"]
    assert reached(up, up, "up", targets) and not reached(up, up, "down", targets)
    half = _down(up, ["to-hq-lan"])
    assert not reached(up, half, "down", targets) and reached(up, half, "down", ["to-hq-lan"])
    assert reached(up, _down(up, targets), "down", targets)
    assert reached(up, None, "down", targets) and not reached(up, None, "up", targets)


def test_reached_flushed_needs_new_spis_and_with_renegotiation_up_again() -> None:
    before = snapshot(_tunnels(TWO_SELECTORS), "to-hq")
    assert before is not None
    targets = ["to-hq-lan", "to-hq-voice"]
    assert not reached(before, before, "flushed", targets)  # same SPIs: not flushed yet
    gone = _down(before, targets)
    assert reached(before, gone, "flushed", targets)
    assert not reached(before, gone, "flushed", targets, renegotiated=True)
    assert reached(before, _renewed(before), "flushed", targets, renegotiated=True)
    # A selector that was down before the flush is not waited for.
    partly = _down(before, ["to-hq-voice"])
    assert reached(partly, _renewed(partly), "flushed", targets, renegotiated=True)


def test_poll_stops_when_done_or_at_the_deadline() -> None:
    reads = iter([{"n": 1}, {"n": 2}, {"n": 3}])
    now = [0.0]
    sleeps: List[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    ok, last = poll(lambda: next(reads), lambda s: s["n"] == 2, 10, sleep=sleep, clock=lambda: now[0])
    assert ok and last == {"n": 2} and sleeps == [1.0]
    ok, last = poll(lambda: {"n": 0}, lambda s: False, 2.5, sleep=sleep, clock=lambda: now[0])
    assert not ok and last == {"n": 0} and sleeps[1:] == [1.0, 1.0, 0.5]
    ok, last = poll(lambda: {"n": 0}, lambda s: False, 0, sleep=sleep, clock=lambda: now[0])
    assert not ok and len(sleeps) == 4  # timeout 0 reads once and never sleeps


def test_gateway_state_and_clear_plan() -> None:
    parsed = _gateways("v72_ikev2_gcm_connecting_down")
    est = gateway_ops.gateway_state(parsed, "to-dc2")
    assert est is not None and est["established"] and est["ike_sas"][0]["status"] == "established"
    connecting = gateway_ops.gateway_state(parsed, "to-partner")
    assert connecting is not None and not connecting["established"] and connecting["ike_sas"]
    idle = gateway_ops.gateway_state(parsed, "to-dr-site")
    assert idle is not None and idle["ike_sas"] == []
    assert gateway_ops.gateway_state(parsed, "nope") is None
    assert gateway_ops.clear_command("to dc2") == 'diagnose vpn ike gateway clear name "to dc2"'
    assert gateway_ops.list_command("to-dc2") == "diagnose vpn ike gateway list name to-dc2"


def test_gateway_renegotiated_and_cleared() -> None:
    parsed = _gateways("v72_ikev2_gcm_connecting_down")
    before = gateway_ops.gateway_state(parsed, "to-dc2")
    assert before is not None
    assert not gateway_ops.renegotiated(before, before) and not gateway_ops.cleared(before, before)
    empty = dict(before, ike_sas=[], established=False)
    assert gateway_ops.cleared(before, empty) and not gateway_ops.renegotiated(before, empty)
    fresh = dict(before, ike_sas=[dict(before["ike_sas"][0], spi="00/11")])
    assert gateway_ops.renegotiated(before, fresh) and gateway_ops.cleared(before, fresh)


@pytest.mark.parametrize("name,all_gw,confirm,message", [
    (None, False, False, "name is required"),
    ("x", True, True, "mutually exclusive"),
    (None, True, False, "confirm_all_vdoms: true"),
])
def test_clear_request_rules(name: Any, all_gw: bool, confirm: bool, message: str) -> None:
    with pytest.raises(gateway_ops.GatewayOpError, match=message):
        gateway_ops.check_request(name, all_gw, confirm)
    gateway_ops.check_request("x", False, False)
    gateway_ops.check_request(None, True, True)
