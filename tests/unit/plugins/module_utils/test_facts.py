"""Planning and merging of vpn_facts subsets."""
from __future__ import annotations

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import (
    FactsError,
    build_facts,
    plan_commands,
    resolve_subsets,
)


def test_resolve_all_and_exclusions() -> None:
    everything = ["system", "tunnel_summary", "tunnel_list", "ike_gateways", "tunnel_details",
                  "ipsec_tunnel_list", "stats", "hw_offload", "config"]
    assert resolve_subsets(["all"]) == everything
    assert resolve_subsets(["all", "!ike_gateways", "!config"]) == [s for s in everything if s not in ("ike_gateways", "config")]
    assert resolve_subsets(["ike_gateways", "tunnel_summary"]) == ["tunnel_summary", "ike_gateways"]
    assert resolve_subsets(["!tunnel_list"]) == [s for s in everything if s != "tunnel_list"]


def test_resolve_unknown_subset_names_the_choices() -> None:
    with pytest.raises(FactsError, match="unknown subset 'tunnels'; choose from .*tunnel_list"):
        resolve_subsets(["tunnels"])


def test_plan_groups_commands_by_vdom() -> None:
    plan = plan_commands(["tunnel_summary", "tunnel_list"], ["root", "cust"], [])
    assert [(p["vdom"], p["command"]) for p in plan] == [
        ("root", "get vpn ipsec tunnel summary"), ("root", "diagnose vpn tunnel list"),
        ("cust", "get vpn ipsec tunnel summary"), ("cust", "diagnose vpn tunnel list"),
    ]


def test_plan_runs_device_wide_commands_once_in_the_first_vdom() -> None:
    plan = plan_commands(["hw_offload", "stats", "config"], ["root", "cust"], [])
    assert [(p["vdom"], p["command"]) for p in plan] == [
        ("root", "diagnose vpn ipsec status"), ("root", "get vpn ipsec stats tunnel"),
        ("root", "show full-configuration vpn ipsec phase1-interface"),
        ("root", "show full-configuration vpn ipsec phase2-interface"),
        ("cust", "get vpn ipsec stats tunnel"),
        ("cust", "show full-configuration vpn ipsec phase1-interface"),
        ("cust", "show full-configuration vpn ipsec phase2-interface"),
    ]
    assert plan_commands(["system"], ["root"], []) == []  # read at login


def test_plan_by_name_quotes_names_with_spaces() -> None:
    plan = plan_commands(["tunnel_summary", "ike_gateways"], [None], ["to hq", "dial"])
    assert [p["command"] for p in plan] == [
        "get vpn ipsec tunnel summary",
        'diagnose vpn ike gateway list name "to hq"',
        "diagnose vpn ike gateway list name dial",
    ]


SUMMARY = """'to hq' 192.0.2.10:0  selectors(total,up): 2/2  rx(pkt,err): 10/0  tx(pkt,err): 12/0
'dial_0' 198.51.100.7:4500  selectors(total,up): 1/1  rx(pkt,err): 5/0  tx(pkt,err): 5/0
'other' 203.0.113.9:0  selectors(total,up): 1/0  rx(pkt,err): 0/0  tx(pkt,err): 0/3
"""


def _results(subset: str, vdom: object, output: str) -> list:
    return [dict(p, output=output) for p in plan_commands([subset], [vdom], [])]


def test_build_facts_filters_summary_by_name_and_dialup_parent_and_tags_vdom() -> None:
    results = _results("tunnel_summary", "root", SUMMARY)
    facts = build_facts(["tunnel_summary"], results, ["to hq", "dial"], include_keys=False)
    tunnels = facts["tunnel_summary"]["tunnels"]
    assert [t["name"] for t in tunnels] == ["to hq", "dial_0"]
    assert {t["vdom"] for t in tunnels} == {"root"}
    assert tunnels[0]["selectors_up"] == 2
    assert facts["tunnel_summary"]["unparsed"] == []


STATS = """\
tunnels
  total: 3
  static/ddns: 2
  dynamic: 1
  manual: 0
  errors: 0
selectors
  total: 4
  up: 3
"""


def test_stats_add_up_across_vdoms_and_keep_each_vdom() -> None:
    results = _results("stats", "root", STATS) + _results("stats", "cust", STATS)
    stats = build_facts(["stats"], results, [], include_keys=False)["stats"]
    assert stats["selectors"] == {"total": 8, "up": 6}
    assert stats["tunnels"]["total"] == 6
    assert set(stats["by_vdom"]) == {"root", "cust"}
    assert stats["by_vdom"]["cust"]["selectors"] == {"total": 4, "up": 3}


def test_system_subset_comes_from_the_login() -> None:
    device = {"status": {"version": "7.2.8", "hostname": "FW", "unparsed": []}}
    facts = build_facts(["system"], [], [], include_keys=False, device=device)
    assert facts["system"]["version"] == "7.2.8"


def test_result_as_facts_registered_data_or_one_json_string() -> None:
    import json

    from ansible_collections.fortidiag.ipsec.plugins.module_utils.evidence import host_vpn_facts
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import FactsError, result

    facts = {"tunnel_summary": {"tunnels": [{"name": "to-dc", "selectors_up": 1}]}, "vdoms": None}
    assert result(facts, True) == {"changed": False, "ansible_facts": {"fortios_ipsec": facts}}
    assert result(facts, False) == {"changed": False, "fortios_ipsec": facts}
    packed = result(facts, False, "json")["fortios_ipsec"]
    assert isinstance(packed, str) and json.loads(packed) == facts
    with pytest.raises(FactsError, match="needs set_facts=false"):
        result(facts, True, "json")
    # Every reader takes the role's registered JSON, registered data, or plain facts alike.
    assert host_vpn_facts({"fortidiag_vpn": {"fortios_ipsec": packed}}) == facts
    assert host_vpn_facts({"fortidiag_vpn": {"fortios_ipsec": facts}}) == facts
    assert host_vpn_facts({"ansible_facts": {"fortios_ipsec": facts}}) == facts
    assert host_vpn_facts({"fortidiag_vpn": {"skipped": True}, "ansible_facts": {}}) == {}
