# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing both peers' phase 1 / phase 2, parsed from real-format `show` output."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.config_compare import compare, normalize_subnet, pair_phase2
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import parse_phase1_config, parse_phase2_config


def phase1(name: str, remote_gw: str, **settings: str) -> Dict[str, Any]:
    values = {"interface": '"wan1"', "ike-version": "2", "peertype": "any", "net-device": "disable",
              "proposal": "aes256-sha256 aes128-sha256", "dhgrp": "14 19", "remote-gw": remote_gw,
              "psksecret": "ENC YWJjZGVmZ2hpams="}
    values.update({key.replace("_", "-"): value for key, value in settings.items()})
    lines = ["config vpn ipsec phase1-interface", '    edit "%s"' % name]
    lines += ["        set %s %s" % (key, value) for key, value in values.items() if value is not None]
    lines += ["    next", "end", ""]
    parsed = parse_phase1_config("\n".join(lines))
    assert not parsed["unparsed"]
    return parsed["phase1"][0]


def phase2(name: str, p1: str, src: str, dst: str, **settings: str) -> Dict[str, Any]:
    values = {"phase1name": '"%s"' % p1, "proposal": "aes256-sha256", "dhgrp": "14", "src-subnet": src, "dst-subnet": dst}
    values.update({key.replace("_", "-"): value for key, value in settings.items()})
    lines = ["config vpn ipsec phase2-interface", '    edit "%s"' % name]
    lines += ["        set %s %s" % (key, value) for key, value in values.items() if value is not None]
    lines += ["    next", "end", ""]
    parsed = parse_phase2_config("\n".join(lines))
    assert not parsed["unparsed"]
    return parsed["phase2"][0]


def side(host: str, p1: Dict[str, Any], p2: List[Dict[str, Any]], gateway_ip: Optional[str]) -> Dict[str, Any]:
    return {"host": host, "phase1": p1, "phase2": p2, "gateway_ip": gateway_ip}


def hub(p1: Optional[Dict[str, str]] = None, p2: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    return side("HUB-74", phase1("to-spoke", "198.51.100.64", **(p1 or {})),
                [phase2("to-spoke-p2", "to-spoke", "10.1.0.0 255.255.255.0", "10.2.0.0 255.255.255.0", **(p2 or {}))], "203.0.113.74")


def spoke(p1: Optional[Dict[str, str]] = None, p2: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    return side("SPOKE-64", phase1("to-hub", "203.0.113.74", **(p1 or {})),
                [phase2("to-hub-p2", "to-hub", "10.2.0.0 255.255.255.0", "10.1.0.0 255.255.255.0", **(p2 or {}))], "198.51.100.64")


def codes(result: List[Dict[str, Any]]) -> List[str]:
    return [item["code"] for item in result]


def test_matching_peers_have_no_mismatch() -> None:
    assert compare(hub(), spoke()) == []
    assert compare(spoke(), hub()) == []


def test_secrets_are_never_compared() -> None:
    local, peer = hub(), spoke({"psksecret": "ENC b3RoZXI="})
    assert local["phase1"]["psksecret"] == "<redacted>"
    assert compare(local, peer) == []


def test_phase1_proposal_text_names_the_setting_and_both_values() -> None:
    result = compare(hub({"proposal": "aes256-sha256"}), spoke({"proposal": "aes128-sha1"}))
    assert result == [{
        "code": "phase1_proposal_mismatch", "setting": "phase1 proposal", "local": ["aes256-sha256"], "peer": ["aes128-sha1"],
        "severity": "critical",
        "text": "phase 1 proposal: HUB-74 offers aes256-sha256, SPOKE-64 offers aes128-sha1 (no common proposal)"}]


def test_one_common_proposal_is_enough() -> None:
    assert compare(hub({"proposal": "aes256-sha256 aes128-sha1"}), spoke({"proposal": "aes128-sha1"})) == []


def test_phase1_dhgrp_without_common_group() -> None:
    result = compare(hub({"dhgrp": "21"}), spoke({"dhgrp": "14 5"}))
    assert codes(result) == ["phase1_proposal_mismatch"]
    assert result[0]["setting"] == "phase1 dhgrp" and "HUB-74 offers 21, SPOKE-64 offers 14 5" in result[0]["text"]


def test_ike_version_mismatch_and_default_version() -> None:
    result = compare(hub({"ike_version": "2"}), spoke({"ike_version": None}))  # unset = FortiOS default 1
    assert codes(result) == ["ike_version_mismatch"]
    assert result[0]["text"] == "phase 1 ike-version: HUB-74 uses IKEv2, SPOKE-64 uses IKEv1"


def test_ike_mode_only_compared_for_ikev1() -> None:
    result = compare(hub({"ike_version": "1", "mode": "aggressive"}), spoke({"ike_version": "1"}))
    assert codes(result) == ["ike_mode_mismatch"]
    assert "HUB-74 uses aggressive mode, SPOKE-64 uses main mode" in result[0]["text"]
    assert compare(hub({"mode": "aggressive"}), spoke()) == []  # IKEv2 has no mode


def test_peer_id_against_the_other_sides_localid() -> None:
    result = compare(hub({"peertype": "one", "peerid": '"spoke64"'}), spoke({"localid": '"spoke-64"'}))
    assert codes(result) == ["peer_id_mismatch"]
    assert result[0]["text"] == "phase 1 peerid: HUB-74 accepts peer ID spoke64, SPOKE-64 sends spoke-64"
    assert compare(hub({"peertype": "one", "peerid": '"spoke-64"'}), spoke({"localid": '"spoke-64"'})) == []


def test_peer_id_without_localid_uses_the_address() -> None:
    assert compare(hub({"peerid": "198.51.100.64"}), spoke()) == []
    result = compare(spoke(), hub({"peerid": '"spoke"'}))
    assert codes(result) == ["peer_id_mismatch"]
    assert result[0]["local"] == "no localid (ID is its address 198.51.100.64)" and result[0]["peer"] == "spoke"


def test_nat_traversal_on_one_side_only() -> None:
    result = compare(hub({"nattraversal": "disable"}), spoke())
    assert codes(result) == ["nat_t_disabled"] and result[0]["severity"] == "warning"
    assert "HUB-74 has disable, SPOKE-64 has enable" in result[0]["text"]
    assert compare(hub({"nattraversal": "disable"}), spoke({"nattraversal": "disable"})) == []


def test_dpd_disabled_on_one_side_is_a_warning() -> None:
    result = compare(hub({"dpd": "on-idle"}), spoke({"dpd": "disable"}))
    assert codes(result) == ["dpd_mismatch"] and result[0]["severity"] == "warning"
    assert compare(hub({"dpd": "on-idle"}), spoke()) == []  # both detect dead peers


def test_lifetimes_are_info() -> None:
    result = compare(hub({"keylife": "28800"}, {"keylifeseconds": "3600"}), spoke({"keylife": "86400"}, {"keylifeseconds": "43200"}))
    assert codes(result) == ["lifetime_mismatch", "lifetime_mismatch"]
    assert {item["severity"] for item in result} == {"info"}
    assert "keylifeseconds: HUB-74 has 3600 s, SPOKE-64 has 43200 s" in result[1]["text"]


def test_selectors_must_mirror() -> None:
    result = compare(hub(), spoke(None, {"src_subnet": "10.2.0.0 255.255.255.0", "dst_subnet": "10.1.1.0 255.255.255.0"}))
    assert codes(result) == ["selector_mismatch"]
    assert result[0]["local"] == ["10.1.0.0/24", "10.2.0.0/24"] and result[0]["peer"] == ["10.2.0.0/24", "10.1.1.0/24"]
    assert "HUB-74 has src 10.1.0.0/24 dst 10.2.0.0/24, SPOKE-64 has src 10.2.0.0/24 dst 10.1.1.0/24" in result[0]["text"]


def test_phase2_pairs_by_mirror_then_by_order() -> None:
    local = [phase2("a", "p", "10.1.0.0/24", "10.2.0.0/24"), phase2("b", "p", "10.1.5.0/24", "10.2.5.0/24")]
    peer = [phase2("y", "q", "10.2.9.0/24", "10.1.9.0/24"), phase2("x", "q", "10.2.0.0/24", "10.1.0.0/24")]
    pairs, lonely_local, lonely_peer = pair_phase2(local, peer)
    assert [(a["name"], b["name"], mirrored) for a, b, mirrored in pairs] == [("a", "x", True), ("b", "y", False)]
    assert lonely_local == [] and lonely_peer == []
    extra = hub()
    extra["phase2"].append(phase2("second", "to-spoke", "10.1.7.0/24", "10.2.7.0/24"))
    result = compare(extra, spoke())
    assert codes(result) == ["selector_mismatch"] and "SPOKE-64 has no phase 2 with the mirrored selectors" in result[0]["text"]


def test_phase2_proposal_pfs_and_dhgrp() -> None:
    result = compare(hub(None, {"proposal": "aes256gcm"}), spoke(None, {"proposal": "aes128-sha1 3des-sha1"}))
    assert codes(result) == ["phase2_proposal_mismatch"]
    assert "proposal: HUB-74 offers aes256gcm, SPOKE-64 offers aes128-sha1 3des-sha1" in result[0]["text"]
    result = compare(hub(None, {"pfs": "disable"}), spoke())
    assert codes(result) == ["phase2_proposal_mismatch"] and result[0]["setting"] == "phase2 pfs"
    assert "pfs: HUB-74 has disable, SPOKE-64 has enable" in result[0]["text"]
    result = compare(hub(None, {"dhgrp": "21"}), spoke(None, {"dhgrp": "14"}))
    assert [item["setting"] for item in result] == ["phase2 dhgrp"]
    assert compare(hub(None, {"pfs": "disable", "dhgrp": "21"}), spoke(None, {"pfs": "disable"})) == []


@pytest.mark.parametrize("value, expected", [
    (None, "0.0.0.0/0"), ("10.1.0.5/24", "10.1.0.0/24"), ("10.1.0.0 255.255.0.0", "10.1.0.0/16"), ("grp-lan", "grp-lan"),
])
def test_normalize_subnet(value: Any, expected: str) -> None:
    assert normalize_subnet(value) == expected


def test_missing_sides_compare_nothing() -> None:
    assert compare({"phase1": None, "phase2": None}, spoke()) == []
    assert compare({}, {}) == []
