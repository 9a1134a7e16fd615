"""vpn_facts gather_subset=all on every FortiOS version of the demo lab, in one batch."""
from __future__ import annotations

import json
from typing import Any

import pytest

from playbook_runner import ROOT, run_playbook

DEMO_LAB = ROOT / "tests" / "fortisim" / "labs" / "demo.yml"
SUBSETS = ("system", "tunnel_summary", "tunnel_list", "ike_gateways", "tunnel_details", "ipsec_tunnel_list",
           "stats", "hw_offload", "config")


@pytest.fixture(scope="module")
def gathered(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    lab = lab_factory("demo_all", DEMO_LAB)
    tmp = tmp_path_factory.mktemp("all")
    tasks = """\
- name: Everything
  fortidiag.ipsec.vpn_facts:
    gather_subset: [all]
    vdom: "{{ fortidiag_vdoms | default(omit) }}"
- name: Keep
  ansible.builtin.set_fact:
    test_result: "{{ ansible_facts.fortios_ipsec }}"
"""
    run = run_playbook(tmp, lab.inventory, tasks)
    assert run.rc == 0, run.output
    return lab, run


def test_every_subset_is_complete_and_fully_parsed(gathered: Any) -> None:
    lab, run = gathered
    for host, facts in run.results.items():
        for subset in SUBSETS:
            assert subset in facts, (host, subset)
            assert facts[subset]["unparsed"] == [], (host, subset, facts[subset]["unparsed"][:3])
        version = lab.hosts[host]["fortidiag_sim_version"]
        assert facts["system"]["version"] == version
        names = {t["name"] for t in facts["tunnel_summary"]["tunnels"]}
        assert names <= {t["name"] for t in facts["tunnel_list"]["tunnels"]}
        assert {t["name"] for t in facts["tunnel_details"]["tunnels"]} >= names
        assert {p["name"] for p in facts["config"]["phase1"]} >= {t.get("parent") or t["name"]
                                                                  for t in facts["tunnel_list"]["tunnels"]}
        assert facts["stats"]["selectors"]["total"] >= 1
        assert facts["hw_offload"]["devices"]


def test_details_agree_with_the_tunnel_list(gathered: Any) -> None:
    _lab, run = gathered
    hub = run.results["HUB-74"]
    listed = {t["name"]: t for t in hub["tunnel_list"]["tunnels"]}
    for tunnel in hub["tunnel_details"]["tunnels"]:
        sas = [sel["sa"] for sel in tunnel["selectors"] if sel["sa"]]
        list_sas = [sa for p in listed[tunnel["name"]]["proxyids"] for sa in p["sas"]]
        assert sorted(sa["inbound"]["spi"] for sa in sas) == sorted(sa["inbound"]["spi"] for sa in list_sas)


def test_no_secret_reaches_the_facts(gathered: Any) -> None:
    lab, run = gathered
    dumped = json.dumps(run.results)
    assert "<redacted>" in dumped
    for secret in ("demo-psk-72", "demo-psk-70", "demo-psk-64", "demo-psk-br", "demo-psk-dial"):
        assert secret not in dumped and secret not in run.output
    assert all(p["psksecret"] == "<redacted>" for f in run.results.values() for p in f["config"]["phase1"]
               if "psksecret" in p)


def test_one_login_per_device_for_everything(gathered: Any) -> None:
    lab, _run = gathered
    stats = lab.stats()
    assert {h: s["logins"] for h, s in stats.items()} == {h: 1 for h in lab.hosts}
    assert {h: s["config_writes"] for h, s in stats.items()} == {h: 0 for h in lab.hosts}


def test_offload_summary_follows_npu_offload_setting(gathered: Any) -> None:
    _lab, run = gathered
    hub = {t["name"]: t for t in run.results["HUB-74"]["tunnel_list"]["tunnels"]}
    assert hub["to-spoke70"]["offload_summary"]["state"] == "none"  # set npu-offload disable
    assert hub["to-spoke72"]["offload_summary"]["state"] == "full"
    assert hub["to-spoke64"]["offload_summary"]["state"] == "no_sa"  # down
    phase1 = {p["name"]: p for p in run.results["HUB-74"]["config"]["phase1"]}
    assert phase1["to-spoke70"]["npu_offload"] == "disable"
    assert phase1["to-spoke72"]["npu_offload"] == "enable"
