"""Change-window checks: snapshots from real captures (through the module's own parsing path), every problem code,
tolerances, counter resets, dial-up instances, a missing snapshot and the JUnit XML."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.filter.change_check import FilterModule
from ansible_collections.fortidiag.ipsec.plugins.module_utils.change_check import (
    SNAPSHOT_SCHEMA,
    ChangeCheckError,
    compare,
    failure_message,
    junit,
    not_checked,
    snapshot,
    tolerances_from,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import build_facts, plan_commands

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TUNNELS = (FIXTURES / "diagnose_vpn_tunnel_list" / "v72_gcm_rekey_two_sas.txt").read_text()
GATEWAYS = (FIXTURES / "diagnose_vpn_ike_gateway_list" / "v72_ikev2_gcm_connecting_down.txt").read_text()
DIALUP = (FIXTURES / "diagnose_vpn_tunnel_list" / "v70_dialup_hub_instances.txt").read_text()
STAT = "stat: rxp=923311 txp=887602 rxb=1130452209 txb=403221870"


def facts(tunnel_text: str, gateway_text: Optional[str] = GATEWAYS) -> Dict[str, Any]:
    """What fortidiag.ipsec.vpn_facts returns for these outputs (same plan and parsing code)."""
    subsets = ["tunnel_list"] + (["ike_gateways"] if gateway_text is not None else [])
    outputs = {"tunnel_list": tunnel_text, "ike_gateways": gateway_text}
    plan = plan_commands(subsets, [None], [])
    result = build_facts(subsets, [dict(p, output=outputs[p["subset"]]) for p in plan], [], False)
    result["device"] = {"hostname": "FGT-HQ", "version": "7.2.8", "serial": "FGT60F0000000001"}
    result["vdoms"] = None
    return result


def snap(tunnel_text: str = TUNNELS, gateway_text: Optional[str] = GATEWAYS, taken: str = "2026-01-01T00:00:00Z") -> Dict[str, Any]:
    return snapshot(facts(tunnel_text, gateway_text), "FGT-HQ", taken)


def grown(text: str = TUNNELS, rxb: int = 1130452209 + 5000, txb: int = 403221870 + 7000) -> str:
    return text.replace(STAT, "stat: rxp=923400 txp=887700 rxb=%d txb=%d" % (rxb, txb))


def without_sas(text: str) -> str:
    """The same tunnel with its SAs gone (`sa=0`), as FortiOS prints a selector that is down."""
    out: List[str] = []
    in_sa = False
    for line in text.splitlines():
        if line.startswith("  SA:"):
            in_sa = True
        if not in_sa:
            out.append(re.sub(r" sa=\d+ ", " sa=0 ", line))
        if line.startswith("  npu_flag="):
            in_sa = False
    return "\n".join(out) + "\n"


def codes(result: Dict[str, Any]) -> List[str]:
    return [p["code"] for p in result["problems"]]


def test_snapshot_is_compact_json_safe_and_keyless() -> None:
    data = snap()
    assert data["schema"] == SNAPSHOT_SCHEMA and data["host"] == "FGT-HQ" and data["taken"] == "2026-01-01T00:00:00Z"
    tunnel = data["tunnels"]["root/to-dc2"]
    assert tunnel["state"] == "up" and (tunnel["selectors_up"], tunnel["selectors_total"], tunnel["sa_count"]) == (1, 1, 2)
    assert (tunnel["rx_bytes"], tunnel["tx_bytes"]) == (1130452209, 403221870)
    assert tunnel["selectors"] == {"to-dc2": {"up": True, "sas": 2, "offload": "both"}}  # old SA 00, new SA 03
    assert data["gateways"]["root/to-dc2"]["ike_sa"] == "established"
    assert data["gateways"]["root/to-partner"]["ike_sa"] == "connecting"
    text = json.dumps(data)
    assert json.loads(text) == data
    for secret in ("8bb7d72be754", "066308a2", "43b26b6185a8", "da7f47ce80ae", "redacted"):
        assert secret not in text  # no key, SPI or cookie
    assert len(text) < 1000


def test_snapshot_needs_the_tunnel_list() -> None:
    with pytest.raises(ChangeCheckError, match="tunnel_list"):
        snapshot({"tunnel_summary": {"tunnels": []}})


def test_unchanged_state_with_growing_counters_passes() -> None:
    result = compare(snap(), snap(grown()), {})
    assert result["passed"] and result["problems"] == [] and result["info"] == []
    assert result["checked"] == {"tunnels": 1, "selectors": 1, "counters": 1, "offload": 1, "gateways": 1}
    assert result["summary"].startswith("FGT-HQ: passed (1 tunnels, 1 selectors")


def test_tunnel_down_is_one_problem_with_before_and_after() -> None:
    result = compare(snap(), snap(without_sas(TUNNELS)), {})
    assert codes(result) == ["tunnel_down"]
    problem = result["problems"][0]
    assert (problem["tunnel"], problem["vdom"], problem["key"]) == ("to-dc2", "root", "root/to-dc2")
    assert (problem["before"], problem["after"]) == ("up", "down")
    assert problem["detail"] == "was up (1/1 selectors), now down (0/1 selectors)"
    assert failure_message(result).splitlines()[1] == "tunnel_down root/to-dc2: was up (1/1 selectors), now down (0/1 selectors)"


def test_tunnel_gone_is_tunnel_down() -> None:
    result = compare(snap(), snap("FGT-HQ (root) # diagnose vpn tunnel list\n"), {"check_gateways": False})
    assert codes(result) == ["tunnel_down"] and result["problems"][0]["after"] is None
    assert result["problems"][0]["detail"].endswith("now gone")


def two_selectors(text: str) -> str:
    """A second phase 2 on the same tunnel (a copy of the first block under another name)."""
    head, block = text.split("proxyid=to-dc2 ", 1)
    block, tail = block.split("run_tally=0", 1)
    second = "proxyid=voice " + block.replace("066308a2", "166308a2")
    return head + "proxyid=to-dc2 " + block + second + "run_tally=0" + tail


def test_selector_down_while_the_tunnel_stays_up() -> None:
    pre = two_selectors(TUNNELS)
    head, voice = pre.split("proxyid=voice ", 1)
    post = grown(head + "proxyid=voice " + without_sas(voice))
    result = compare(snap(pre), snap(post), {})
    assert codes(result) == ["selector_down"]
    assert result["problems"][0]["detail"] == "selector voice was up, now down"
    assert snap(post)["tunnels"]["root/to-dc2"]["state"] == "partial"


def test_counters_stalled_and_its_tolerances() -> None:
    result = compare(snap(), snap(), {})
    assert codes(result) == ["counters_stalled"]
    assert result["problems"][0]["before"] == {"rx_bytes": 1130452209, "tx_bytes": 403221870}
    assert "rx grew 0 bytes" in result["problems"][0]["detail"] and "tx grew 0 bytes" in result["problems"][0]["detail"]
    assert compare(snap(), snap(), {"check_counters": False})["passed"]
    assert compare(snap(), snap(), {"check_counters": "false"})["passed"]  # survey strings
    little = snap(grown(rxb=1130452209 + 10, txb=403221870 + 10))
    assert compare(snap(), little, {})["passed"]
    assert codes(compare(snap(), little, {"min_counter_delta": 11})) == ["counters_stalled"]


def test_one_way_traffic_is_stalled_unless_either_direction_is_enough() -> None:
    rx_only = snap(grown(rxb=1130452209 + 5000, txb=403221870))  # ESP dropped on the way out
    result = compare(snap(), rx_only, {})
    assert codes(result) == ["counters_stalled"] and "tx grew 0 bytes" in result["problems"][0]["detail"]
    assert "rx grew" not in result["problems"][0]["detail"]
    assert compare(snap(), rx_only, {"counter_directions": "either"})["passed"]


def test_counter_reset_by_a_new_sa_is_not_stalled_when_it_grows_again() -> None:
    reset = snap(grown(rxb=4000, txb=3000))  # renegotiated: counters restarted, growing again
    assert compare(snap(), reset, {})["passed"]
    assert codes(compare(snap(), snap(grown(rxb=0, txb=0)), {})) == ["counters_stalled"]


def test_idle_tunnel_is_not_required_to_move() -> None:
    idle = TUNNELS.replace(STAT, "stat: rxp=0 txp=0 rxb=0 txb=0")
    result = compare(snap(idle), snap(idle), {})
    assert result["passed"] and result["checked"]["counters"] == 0


def test_offload_lost() -> None:
    post = grown(TUNNELS.replace("npu_flag=03", "npu_flag=00"))
    result = compare(snap(), snap(post), {})
    assert codes(result) == ["offload_lost"]
    assert (result["problems"][0]["before"], result["problems"][0]["after"]) == ("both", "none")
    assert compare(snap(), snap(post), {"check_offload": False})["passed"]
    partial = grown(TUNNELS.replace("npu_flag=03", "npu_flag=01"))
    assert codes(compare(snap(), snap(partial), {})) == ["offload_lost"]
    # Offload never on at the pre-check (the first SA alone, 00): nothing to lose.
    never = TUNNELS.replace("npu_flag=03", "npu_flag=00")
    assert compare(snap(never), snap(grown(never)), {})["passed"]


def test_gateway_missing_when_gone_or_no_longer_established() -> None:
    gone = GATEWAYS.split("vd: root/0\nname: to-partner")[0].replace("name: to-dc2", "name: to-other")
    result = compare(snap(), snap(grown(), gone), {})
    assert codes(result) == ["gateway_missing"]
    assert result["problems"][0]["detail"] == "IKE gateway to-dc2 (198.51.100.2) had an established IKE SA, now gone"
    connecting = GATEWAYS.replace("status: established 110-110s ago = 70ms", "status: connecting, state 3, started 2s ago")
    result = compare(snap(), snap(grown(), connecting), {})
    assert codes(result) == ["gateway_missing"] and result["problems"][0]["after"] == "connecting"
    assert compare(snap(), snap(grown(), gone), {"check_gateways": False})["passed"]
    # Gateways not gathered at the post-check: not judged.
    assert compare(snap(), snap(grown(), None), {})["passed"]


def test_allow_down_and_ignore_tunnels() -> None:
    down = snap(without_sas(TUNNELS), GATEWAYS.replace("status: established", "status: connecting"))
    result = compare(snap(), down, {"allow_down": "to-dc2"})
    assert result["passed"]
    assert sorted(i["code"] for i in result["info"]) == ["allowed_gateway_missing", "allowed_tunnel_down"]
    assert compare(snap(), down, {"ignore_tunnels": ["root/to-*"]})["passed"]
    assert not compare(snap(), down, {"ignore_tunnels": "to-partner, other"})["passed"]


def test_new_tunnel_is_info() -> None:
    result = compare(snap("FGT-HQ (root) # diagnose vpn tunnel list\n"), snap(grown()), {})
    assert result["passed"] and [i["code"] for i in result["info"]] == ["new_tunnel"]
    assert result["info"][0]["key"] == "root/to-dc2"


def test_snapshot_missing_and_wrong_schema() -> None:
    result = compare(None, snap(), {}, where="/srv/snapshots/FGT-HQ.json")
    assert not result["passed"] and codes(result) == ["snapshot_missing"]
    assert result["problems"][0]["detail"] == "no pre-check snapshot for FGT-HQ in /srv/snapshots/FGT-HQ.json"
    result = compare({"schema": "other/9"}, snap(), {}, where="extra var fortidiag_precheck")
    assert codes(result) == ["snapshot_missing"] and "not a fortidiag.snapshot/1" in result["problems"][0]["detail"]
    with pytest.raises(ChangeCheckError):
        compare(snap(), {"tunnels": {}}, {})


def test_dialup_instances_are_keyed_by_peer_not_index() -> None:
    pre = snap(DIALUP, None)
    assert set(pre["tunnels"]) == {"root/HUB-DIAL", "root/HUB-DIAL@198.51.100.33", "root/HUB-DIAL@203.0.113.50"}
    # The same two spokes reconnected with swapped instance indexes: still the same peers.
    swapped = DIALUP.replace("HUB-DIAL_0", "HUB-DIAL_X").replace("HUB-DIAL_1", "HUB-DIAL_0").replace("HUB-DIAL_X", "HUB-DIAL_1")
    swapped = swapped.replace("stat: rxp=1520 txp=1498 rxb=184633 txb=171209", "stat: rxp=1600 txp=1600 rxb=190000 txb=180000")
    swapped = swapped.replace("stat: rxp=88 txp=90 rxb=10432 txb=12007", "stat: rxp=99 txp=99 rxb=11000 txb=13000")
    assert compare(pre, snap(swapped, None), {})["passed"]
    # One spoke gone: its instance is down; with instances ignored, nothing to report.
    one = DIALUP.split("------------------------------------------------------\nname=HUB-DIAL_1")[0] + \
        "------------------------------------------------------\nname=HUB-DIAL ver=1" + DIALUP.split("name=HUB-DIAL ver=1", 1)[1]
    one = one.replace("stat: rxp=1520 txp=1498 rxb=184633 txb=171209", "stat: rxp=1600 txp=1600 rxb=190000 txb=180000")
    result = compare(pre, snap(one, None), {})
    assert codes(result) == ["tunnel_down"] and result["problems"][0]["key"] == "root/HUB-DIAL@203.0.113.50"
    assert compare(pre, snap(one, None), {"ignore_dialup_instances": True})["passed"]


def test_bad_tolerances() -> None:
    with pytest.raises(ChangeCheckError, match="unknown tolerance"):
        tolerances_from({"min_delta": 1})
    with pytest.raises(ChangeCheckError, match="min_counter_delta"):
        tolerances_from({"min_counter_delta": "lots"})
    with pytest.raises(ChangeCheckError, match="counter_directions"):
        tolerances_from({"counter_directions": "some"})
    assert tolerances_from({"min_counter_delta": "100", "allow_down": "a, b,", "check_offload": "no"})["allow_down"] == ["a", "b"]


def test_junit_is_well_formed_with_one_suite_per_host() -> None:
    ok = compare(snap(), snap(grown()), {})
    bad = compare(snap(), snap(without_sas(TUNNELS)), {}, host="FGT-<&\"'>")
    missing = compare(None, snap(), {}, where="snapshots/", host="FGT-NEW")
    text = junit([ok, bad, missing, not_checked("FGT-DEAD", "FGT-DEAD: timed out\ntraceback")], timestamp="2026-01-01T00:00:00Z")
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("failures") == "3" and root.get("tests") == "24"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["FGT-HQ", "FGT-<&\"'>", "FGT-NEW", "FGT-DEAD"]
    assert suites["FGT-HQ"].get("failures") == "0" and suites["FGT-HQ"].findall(".//failure") == []
    failure = suites["FGT-<&\"'>"].find("testcase[@name='tunnels']/failure")
    assert failure is not None and failure.get("type") == "tunnel_down"
    assert failure.text == "tunnel_down root/to-dc2: was up (1/1 selectors), now down (0/1 selectors)"
    assert suites["FGT-NEW"].find("testcase[@name='snapshot']/failure").get("type") == "snapshot_missing"
    assert len(suites["FGT-NEW"].findall(".//skipped")) == 5
    assert suites["FGT-DEAD"].find(".//failure").text == "not_checked: FGT-DEAD: timed out"
    # Hosts of the play without a result are failures, not gaps.
    gap = ET.fromstring(junit([ok], hosts=["FGT-HQ", "FGT-GONE"]).split("\n", 1)[1])
    assert [s.get("name") for s in gap.findall("testsuite")] == ["FGT-HQ", "FGT-GONE"] and gap.get("failures") == "1"
    # A dict by host works too.
    assert ET.fromstring(junit({"FGT-HQ": ok}).split("\n", 1)[1]).find("testsuite").get("name") == "FGT-HQ"


def test_filters() -> None:
    filters = FilterModule().filters()
    data = filters["change_snapshot"](facts(TUNNELS), "FGT-HQ")
    assert data["schema"] == SNAPSHOT_SCHEMA and data["taken"]  # stamped now when not given
    result = filters["change_compare"](data, data, {"check_counters": False})
    assert result["passed"]
    assert "<testsuites" in filters["change_junit"]([result])
    with pytest.raises(AnsibleFilterError, match="unknown tolerance"):
        filters["change_compare"](data, data, {"bogus": 1})
    with pytest.raises(AnsibleFilterError, match="tunnel_list"):
        filters["change_snapshot"]({})
