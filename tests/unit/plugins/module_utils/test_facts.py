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
    assert resolve_subsets(["all"]) == ["tunnel_summary", "tunnel_list", "ike_gateways"]
    assert resolve_subsets(["all", "!ike_gateways"]) == ["tunnel_summary", "tunnel_list"]
    assert resolve_subsets(["ike_gateways", "tunnel_summary"]) == ["tunnel_summary", "ike_gateways"]
    assert resolve_subsets(["!tunnel_list"]) == ["tunnel_summary", "ike_gateways"]


def test_resolve_unknown_subset_names_the_choices() -> None:
    with pytest.raises(FactsError, match="unknown subset 'tunnels'; choose from .*tunnel_list"):
        resolve_subsets(["tunnels"])


def test_plan_groups_commands_by_vdom() -> None:
    plan = plan_commands(["tunnel_summary", "tunnel_list"], ["root", "cust"], [])
    assert [(p["vdom"], p["command"]) for p in plan] == [
        ("root", "get vpn ipsec tunnel summary"), ("root", "diagnose vpn tunnel list"),
        ("cust", "get vpn ipsec tunnel summary"), ("cust", "diagnose vpn tunnel list"),
    ]


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


def test_build_facts_filters_summary_by_name_and_dialup_parent_and_tags_vdom() -> None:
    results = [{"subset": "tunnel_summary", "vdom": "root", "output": SUMMARY}]
    facts = build_facts(["tunnel_summary"], results, ["to hq", "dial"], include_keys=False)
    tunnels = facts["tunnel_summary"]["tunnels"]
    assert [t["name"] for t in tunnels] == ["to hq", "dial_0"]
    assert {t["vdom"] for t in tunnels} == {"root"}
    assert tunnels[0]["selectors_up"] == 2
    assert facts["tunnel_summary"]["unparsed"] == []
