"""The collection end to end: ansible-playbook, the persistent connection, fortisim."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from playbook_runner import run_playbook

FACTS_TASK = """\
- name: Gather
  fortidiag.ipsec.vpn_facts:
    vdom: "{{ fortidiag_vdoms | default(omit) }}"
- name: Keep
  ansible.builtin.set_fact:
    test_result: "{{ ansible_facts.fortios_ipsec }}"
"""


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("basic")


def overlay(tmp: Path, hosts: Dict[str, Dict[str, Any]]) -> Path:
    """A second inventory source whose host vars override the simulator's."""
    path = tmp / "overlay.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"fortigates": {"hosts": hosts}}}}))
    return path


def test_ten_tasks_share_one_login(lab: Any, tmp_path: Path) -> None:
    before = lab.stats()["FW-A"]["logins"]
    tasks = "".join(
        "- name: Gather %d\n  fortidiag.ipsec.vpn_facts:\n    gather_subset: [tunnel_summary]\n" % i for i in range(9)
    ) + FACTS_TASK
    run = run_playbook(tmp_path, lab.inventory, tasks, hosts="FW-A")
    assert run.rc == 0, run.output
    stats = lab.wait_stats(lambda s: s["FW-A"]["logins"] > before)
    assert stats["FW-A"]["logins"] - before == 1
    assert stats["FW-A"]["config_writes"] == 0
    tunnels = {t["name"]: t for t in run.results["FW-A"]["tunnel_summary"]["tunnels"]}
    assert tunnels["to-b"]["selectors_total"] == 2 and tunnels["to-b"]["selectors_up"] == 2
    assert tunnels["to-d"]["selectors_up"] == 0


def test_no_config_write_and_paging_in_band(lab: Any, tmp_path: Path) -> None:
    run = run_playbook(tmp_path, lab.inventory, FACTS_TASK, hosts="FW-A:FW-B:FW-D")
    assert run.rc == 0, run.output
    stats = lab.stats()
    assert {h: stats[h]["config_writes"] for h in ("FW-A", "FW-B", "FW-D")} == {"FW-A": 0, "FW-B": 0, "FW-D": 0}
    # FW-B pages (`output more`): the whole tunnel list still arrives, nothing left unparsed.
    facts_b = run.results["FW-B"]
    to_a = {t["name"]: t for t in facts_b["tunnel_list"]["tunnels"]}["to-a"]
    assert len(to_a["proxyids"]) == 2
    assert all(len(p["sas"]) == 1 for p in to_a["proxyids"])
    assert facts_b["tunnel_list"]["unparsed"] == []
    assert facts_b["device"]["version"] == "7.0.17"
    # FW-D shows a disclaimer before the prompt.
    assert run.results["FW-D"]["device"]["version"] == "6.4.15"


def test_console_configure_mode_restores_more(lab: Any, tmp_path: Path) -> None:
    before = lab.stats()
    run = run_playbook(tmp_path, lab.inventory, FACTS_TASK, hosts="FW-A:FW-B",
                       extra=["-e", "ansible_fortios_console_paging=configure"])
    assert run.rc == 0, run.output
    after = lab.wait_stats(lambda s: s["FW-B"]["config_writes"] >= before["FW-B"]["config_writes"] + 2)
    assert after["FW-B"]["config_writes"] - before["FW-B"]["config_writes"] == 2  # standard, then more again
    assert after["FW-A"]["config_writes"] == before["FW-A"]["config_writes"]  # already standard


def test_keys_are_redacted_unless_asked(lab: Any, tmp_path: Path) -> None:
    tasks = """\
- name: Without keys
  fortidiag.ipsec.vpn_facts:
    gather_subset: [tunnel_list, ike_gateways]
  register: plain
- name: With keys
  fortidiag.ipsec.vpn_facts:
    gather_subset: [tunnel_list]
    include_keys: true
  register: keyed
- name: Keep
  ansible.builtin.set_fact:
    test_result: {plain: "{{ plain.ansible_facts.fortios_ipsec }}", keyed: "{{ keyed.ansible_facts.fortios_ipsec }}"}
"""
    run = run_playbook(tmp_path, lab.inventory, tasks, hosts="FW-A")
    assert run.rc == 0, run.output
    plain = run.results["FW-A"]["plain"]
    keyed = run.results["FW-A"]["keyed"]
    sa_plain = plain["tunnel_list"]["tunnels"][0]["proxyids"][0]["sas"][0]
    sa_keyed = keyed["tunnel_list"]["tunnels"][0]["proxyids"][0]["sas"][0]
    assert sa_plain["inbound"]["key"] == "<redacted>"
    assert re.fullmatch(r"[0-9a-f]{16,}", sa_keyed["inbound"]["key"])
    assert sa_keyed["inbound"]["key"] not in json.dumps(plain)
    assert sa_keyed["inbound"]["key"] not in run.output


def test_multi_vdom_gathers_each_vdom(lab: Any, tmp_path: Path) -> None:
    run = run_playbook(tmp_path, lab.inventory, FACTS_TASK, hosts="FW-V")
    assert run.rc == 0, run.output
    facts = run.results["FW-V"]
    assert facts["vdoms"] == ["root", "Cust"]
    where = {t["name"]: t["vdom"] for t in facts["tunnel_summary"]["tunnels"]}
    assert where == {"root-vpn": "root", "cust-vpn": "Cust"}
    assert {g["name"]: g["vdom"] for g in facts["ike_gateways"]["gateways"]} == where


def test_vdom_scoped_admin(lab: Any, tmp_path: Path) -> None:
    inv = overlay(tmp_path, {"FW-V": {"ansible_user": "cust-admin", "ansible_password": "cust-pass",
                                      "fortidiag_vdoms": []}})
    tasks = """\
- name: Own VDOM
  fortidiag.ipsec.vpn_facts:
    gather_subset: [tunnel_summary]
  register: own
- name: Another VDOM
  fortidiag.ipsec.vpn_facts:
    vdom: [root]
  register: other
  ignore_errors: true
- name: Keep
  ansible.builtin.set_fact:
    test_result: {own: "{{ own.ansible_facts.fortios_ipsec }}", other: "{{ other.msg }}"}
"""
    run = run_playbook(tmp_path, lab.inventory, tasks, hosts="FW-V", extra=["-i", str(inv)])
    assert run.rc == 0, run.output
    result = run.results["FW-V"]
    assert result["own"]["device"]["admin_vdom"] == "Cust"
    assert [t["name"] for t in result["own"]["tunnel_summary"]["tunnels"]] == ["cust-vpn"]
    assert "admin 'cust-admin' is scoped to VDOM Cust, not root" in result["other"]
    assert "\n" not in result["other"]


def test_wrong_password_and_unreachable_fail_only_their_host(lab: Any, tmp_path: Path) -> None:
    inv = overlay(tmp_path, {
        "FW-D": {"ansible_password": "wrong"},
        "GHOST": {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "admin", "ansible_password": "x",
                  "ansible_connection": "fortidiag.ipsec.fortios", "ansible_host_key_checking": False,
                  "ansible_fortios_ssh_timeout": 3, "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
    })
    run = run_playbook(tmp_path, lab.inventory, FACTS_TASK, hosts="FW-A:FW-D:GHOST", extra=["-i", str(inv)])
    assert run.rc != 0
    assert "Traceback" not in run.output
    fatal = {m.group(1): m.group(2) for m in re.finditer(r"fatal: \[([^\]]+)\]: FAILED! => (.*)", run.output)}
    assert set(fatal) == {"FW-D", "GHOST"}, run.output
    assert re.search(r"FW-D \(127\.0\.0\.1:\d+\): authentication failed for user 'admin'", fatal["FW-D"])
    assert re.search(r"GHOST \(127\.0\.0\.1:9\): cannot connect", fatal["GHOST"])
    # The healthy host finished the play.
    assert run.results["FW-A"]["tunnel_summary"]["tunnels"]
    assert re.search(r"FW-A\s+: ok=\d+ .* failed=0", run.output)


def test_unknown_host_key_is_refused_with_the_fix(lab: Any, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    run = run_playbook(tmp_path, lab.inventory, FACTS_TASK, hosts="FW-A",
                       extra=["-e", "ansible_fortios_known_hosts_file=%s" % empty])
    assert run.rc != 0
    assert "Traceback" not in run.output
    assert re.search(r"FW-A \(127\.0\.0\.1:\d+\): host key not trusted .*ssh-keyscan -p \d+ 127\.0\.0\.1", run.output), run.output


def test_fleet_strategy_forks_the_connection_process_and_keeps_one_login(lab: Any, tmp_path: Path) -> None:
    """fortidiag.ipsec.fleet starts the persistent connection from the worker (no new interpreter):
    the same one login per host for every task, the same results, and the process closed at the end."""
    hosts = ("FW-A", "FW-B")
    before = {h: lab.stats()[h]["logins"] for h in hosts}
    tasks = "".join(
        "- name: Gather %d\n  fortidiag.ipsec.vpn_facts:\n    gather_subset: [tunnel_summary]\n" % i for i in range(3)
    ) + FACTS_TASK
    run = run_playbook(tmp_path, lab.inventory, tasks, hosts=":".join(hosts), extra=["-vvvv"],
                       strategy="fortidiag.ipsec.fleet")
    assert run.rc == 0, run.stdout[-3000:]
    # Started once per host by a fork of the worker, found by every later task.
    assert run.stdout.count("starting it (forked from the worker)") == len(hosts), run.stdout[-3000:]
    assert run.stdout.count("found existing local domain socket") == 3 * len(hosts)
    stats = lab.wait_stats(lambda s: all(s[h]["logins"] > before[h] for h in hosts))
    assert {h: stats[h]["logins"] - before[h] for h in hosts} == {h: 1 for h in hosts}
    tunnels = {t["name"]: t for t in run.results["FW-A"]["tunnel_summary"]["tunnels"]}
    assert tunnels["to-b"]["selectors_up"] == 2 and tunnels["to-d"]["selectors_up"] == 0
    # The strategy's cleanup closed every connection process: their control sockets are gone.
    deadline = time.monotonic() + 20
    while [p for p in (tmp_path / "pc").glob("*") if not p.name.startswith(".")] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in (tmp_path / "pc").glob("*") if not p.name.startswith(".")]


def test_fleet_strategy_reports_a_failed_login_in_one_line_and_keeps_the_other_host(lab: Any, tmp_path: Path) -> None:
    inventory = overlay(tmp_path, {"FW-B": {"ansible_password": "not-the-password"}})
    run = run_playbook(tmp_path, lab.inventory, FACTS_TASK, hosts="FW-A:FW-B", strategy="fortidiag.ipsec.fleet",
                       extra=["-i", str(inventory)])
    assert run.rc != 0
    assert run.results["FW-A"] is not None and run.results["FW-B"] is None
    failed = [line for line in run.stdout.splitlines() if line.startswith("fatal: [FW-B]")]
    assert failed and "Traceback" not in run.stdout, run.stdout[-3000:]
    assert re.search(r"auth|password|login", run.stdout, re.I), run.stdout[-3000:]
