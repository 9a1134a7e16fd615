"""State derivation: agreeing ends come up; each disagreement yields its fault."""

from __future__ import annotations

from typing import Any

import pytest
from sim_helpers import pair_lab

from fortisim.lab import parse_lab
from fortisim.model import Lab, TunnelView


def _views(lab: Lab, name: str = "vpn") -> tuple[TunnelView, TunnelView]:
    a = next(v for v in lab.devices["A"].views("root") if v.name == name)
    b = next(v for v in lab.devices["B"].views("root") if v.name == name)
    return a, b


def test_agreeing_ends_come_up() -> None:
    lab = pair_lab()
    a, b = _views(lab)
    assert lab.result("vpn").state == "up" and lab.result("vpn").fault is None
    assert a.state == b.state == "up"
    assert a.ike_proposal == "aes256-sha256" and a.ike_dhgrp == 20  # initiator's order wins
    assert a.initiator and not b.initiator
    # b got the shared phase2 mirrored
    assert (str(b.selectors[0].src), str(b.selectors[0].dst)) == ("10.2.0.0/24", "10.1.0.0/24")


MISMATCHES: list[tuple[dict[str, Any], str, bool]] = [
    # (changes to the tunnel, expected fault, phase 1 still up?)
    ({"b": {"device": "B", "phase1": {"ike_version": 1}}}, "ike_version_mismatch", False),
    ({"phase1": {"ike_version": 1}, "b": {"device": "B", "phase1": {"mode": "aggressive"}}}, "ike_mode_mismatch", False),
    ({"b": {"device": "B", "phase1": {"proposal": "3des-md5"}}}, "phase1_proposal_mismatch", False),
    ({"b": {"device": "B", "phase1": {"dhgrp": 5}}}, "phase1_proposal_mismatch", False),
    ({"b": {"device": "B", "phase1": {"psksecret": "other"}}}, "psk_mismatch", False),
    ({"a": {"device": "A", "phase1": {"peerid": "branch-b"}}}, "peer_id_mismatch", False),
    ({"b": {"device": "B", "phase1": {"peerid": "nobody"}}}, "peer_id_mismatch", False),
    ({"b": {"device": "B", "phase2": [{"src_subnet": "10.9.0.0/24", "dst_subnet": "10.1.0.0/24"}]}},
     "selector_mismatch", True),
    ({"b": {"device": "B", "phase2": [{"src_subnet": "10.2.0.0/24", "dst_subnet": "10.1.0.0/24",
                                       "proposal": "aes128-sha1"}]}}, "phase2_proposal_mismatch", True),
    ({"b": {"device": "B", "phase2": [{"src_subnet": "10.2.0.0/24", "dst_subnet": "10.1.0.0/24",
                                       "pfs": "disable"}]}}, "phase2_proposal_mismatch", True),
    ({"b": {"device": "B", "phase2": [{"src_subnet": "10.2.0.0/24", "dst_subnet": "10.1.0.0/24",
                                       "dhgrp": 5}]}}, "phase2_proposal_mismatch", True),
]


@pytest.mark.parametrize("changes,fault,phase1_up", MISMATCHES, ids=[f"{m[1]}-{i}" for i, m in enumerate(MISMATCHES)])
def test_each_mismatch_gives_its_fault(changes: dict[str, Any], fault: str, phase1_up: bool) -> None:
    lab = pair_lab(**changes)
    a, b = _views(lab)
    assert lab.result("vpn").state == "down"
    assert lab.result("vpn").fault == fault
    for view in (a, b):
        assert view.state == "down" and view.fault == fault
        assert view.phase1_up is phase1_up
        assert not any(s.up for s in view.selectors)


def test_matching_peer_ids_come_up() -> None:
    lab = pair_lab(a={"device": "A", "phase1": {"peerid": "branch-b", "localid": "hq-a"}},
                   b={"device": "B", "phase1": {"peerid": "hq-a", "localid": "branch-b"}})
    assert lab.result("vpn").state == "up"


@pytest.mark.parametrize("version,mode,first", [(1, "main", "psk_mismatch"), (1, "aggressive", "peer_id_mismatch"),
                                                (2, "main", "peer_id_mismatch")])
def test_psk_and_id_order_follows_the_exchange(version: int, mode: str, first: str) -> None:
    lab = pair_lab(phase1={"ike_version": version, "mode": mode},
                   b={"device": "B", "phase1": {"psksecret": "wrong", "peerid": "nobody"}})
    assert lab.result("vpn").fault == first


def test_extra_responder_selector_is_a_selector_mismatch() -> None:
    lab = pair_lab(b={"device": "B", "phase2": [
        {"name": "one", "src_subnet": "10.2.0.0/24", "dst_subnet": "10.1.0.0/24"},
        {"name": "two", "src_subnet": "10.3.0.0/24", "dst_subnet": "10.1.0.0/24"}]})
    a, b = _views(lab)
    assert lab.result("vpn").fault == "selector_mismatch"
    assert a.selectors[0].up and [s.up for s in b.selectors] == [True, False]


def _dialup(spoke_b: dict[str, Any]) -> Lab:
    return parse_lab({
        "devices": [{"hostname": "HUB", "version": "7.6.3"}, {"hostname": "S1", "version": "7.0.17"},
                    {"hostname": "S2", "version": "6.4.15"}],
        "dialup": [{
            "name": "dial",
            "phase1": {"psksecret": "dial-psk"},
            "phase2": [{"src_subnet": "10.0.0.0/16", "dst_subnet": "0.0.0.0/0"}],
            "hub": {"device": "HUB"},
            "spokes": [
                {"device": "S1", "name": "to-hub", "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.0.0.0/16"}]},
                spoke_b,
                {"external": "192.0.2.10", "state": "up", "behind_nat": True, "nat_port": 40000},
                {"external": "192.0.2.11", "state": "down"},
            ],
        }],
    })


def test_dialup_instances_follow_connected_spokes() -> None:
    lab = _dialup({"device": "S2", "name": "to-hub"})
    hub = {v.name: v for v in lab.devices["HUB"].views("root")}
    assert hub["dial"].kind == "dialup" and hub["dial"].child_num == 3
    assert [hub[f"dial_{i}"].parent for i in range(3)] == ["dial"] * 3
    assert [hub[f"dial_{i}"].index for i in range(3)] == [0, 1, 2]
    # The instance carries S1's selectors, seen from the hub.
    sel = hub["dial_0"].selectors[0]
    assert (str(sel.src), str(sel.dst), sel.up) == ("10.0.0.0/16", "10.1.0.0/24", True)
    assert hub["dial_2"].remote_gw == "192.0.2.10" and hub["dial_2"].remote_port == 40000
    assert lab.result("dial@192.0.2.11").fault == "peer_unreachable"


def test_failed_spoke_makes_no_instance() -> None:
    lab = _dialup({"device": "S2", "name": "to-hub", "phase1": {"psksecret": "bad"}})
    hub = {v.name: v for v in lab.devices["HUB"].views("root")}
    assert hub["dial"].child_num == 2 and "dial_2" not in hub
    s2 = lab.devices["S2"].views("root")[0]
    assert s2.state == "down" and s2.fault == "psk_mismatch"
    assert lab.result("dial@S2").fault == "psk_mismatch"


def test_external_phase2_fault_keeps_phase1() -> None:
    lab = pair_lab(b={"external": "203.0.113.7", "state": "down", "fault": "phase2_proposal_mismatch"})
    view = lab.devices["A"].views("root")[0]
    assert view.phase1_up and view.state == "down" and not view.connecting
