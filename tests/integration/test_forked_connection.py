"""The fleet strategy's forked connection start (plugins/plugin_utils/forked_connection.py) under session faults.

A stalled command, a connection dropped mid-output and a debug session cut by a stall each fail their own host in
one line; the next task on that host recovers with a new login; the healthy host keeps its one login; debug is off
and its filters reset on every device afterwards. The fault matrix (test_fault_matrix.py) runs the same faults
through ansible-core's own start; this runs them through the fork.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from playbook_runner import run_playbook

COMMAND_TIMEOUT = 6
TUNNEL_LIST = r"^diagnose vpn tunnel list$"


def _lab() -> Dict[str, Any]:
    def device(name: str, n: int, faults: Any) -> Dict[str, Any]:
        return {"hostname": name, "version": "7.4.7", "session_faults": faults,
                "interfaces": {"port1": "198.51.100.%d/24" % n, "port3": "10.%d.0.1/24" % n}}

    devices = [device("FK-STALL", 1, [{"kind": "stall", "command": TUNNEL_LIST}]),
               device("FK-DROP", 2, [{"kind": "drop", "command": TUNNEL_LIST, "after_bytes": 40}]),
               device("FK-DEBUG", 3, [{"kind": "stall", "command": r"^diagnose debug enable$"}]),
               device("FK-OK", 4, [])]
    tunnels = [{"name": "vpn", "phase2": [{"src_subnet": "10.%d.0.0/24" % n, "dst_subnet": "10.200.%d.0/24" % n}],
                "a": {"device": d["hostname"], "interface": "port1"}, "b": {"external": "203.0.113.%d" % n, "state": "up"}}
               for n, d in enumerate(devices, start=1)]
    return {"description": "forked connection faults", "defaults": {"username": "admin", "password": "fk-pass"},
            "devices": devices, "tunnels": tunnels}


@pytest.fixture(scope="module")
def lab(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("fklab") / "lab.yml"
    path.write_text(json.dumps(_lab()))
    return lab_factory("forked", path)


TASKS = """\
- name: First gather (faults fire here)
  fortidiag.ipsec.vpn_facts: {gather_subset: [tunnel_list], set_facts: false}
  register: first
  ignore_errors: true
- name: IKE debug (a stall after debug is switched on)
  fortidiag.ipsec.ike_debug: {tunnel: vpn, duration: 1}
  register: debug
  ignore_errors: true
- name: Second gather (the session recovers)
  fortidiag.ipsec.vpn_facts: {gather_subset: [tunnel_list], set_facts: false}
  register: second
- name: Keep
  ansible.builtin.set_fact:
    test_result: {first: "{{ first }}", debug: "{{ debug }}", second: "{{ second }}"}
"""


def test_faults_fail_their_host_in_one_line_and_the_next_task_recovers(lab: Any, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yml"
    overlay.write_text(yaml.safe_dump({"all": {"vars": {"ansible_command_timeout": COMMAND_TIMEOUT}}}))
    run = run_playbook(tmp_path, lab.inventory, TASKS, hosts="FK-STALL:FK-DROP:FK-DEBUG:FK-OK",
                       strategy="fortidiag.ipsec.fleet", extra=["-i", str(overlay), "-vvvv"], timeout=600)
    assert run.rc == 0, run.stdout[-4000:]
    assert run.stdout.count("starting it (forked from the worker)") >= 4
    assert "Traceback" not in run.stdout
    results = run.results
    for host in ("FK-STALL", "FK-DROP"):
        first = results[host]["first"]
        assert first.get("failed"), (host, first)
        assert "\n" not in first["msg"] and host in first["msg"], (host, first["msg"])
    assert "no prompt within %ds after 'diagnose vpn tunnel list'" % COMMAND_TIMEOUT in results["FK-STALL"]["first"]["msg"]
    debug = results["FK-DEBUG"]["debug"]
    assert debug.get("failed") and "\n" not in debug["msg"], debug
    assert not results["FK-OK"]["first"].get("failed") and not results["FK-OK"]["debug"].get("failed")
    for host in ("FK-STALL", "FK-DROP", "FK-DEBUG", "FK-OK"):
        second = results[host]["second"]
        assert not second.get("failed"), (host, second)
        assert [t["name"] for t in second["fortios_ipsec"]["tunnel_list"]["tunnels"]] == ["vpn"], (host, second)
    stats = lab.wait_stats(lambda s: not any(d["debug_enabled"] or d["debug_filters"] for d in s.values()))
    assert stats["FK-OK"]["logins"] == 1
    assert all(stats[h]["logins"] >= 2 for h in ("FK-STALL", "FK-DROP", "FK-DEBUG")), stats
    assert not [h for h, s in stats.items() if s["debug_enabled"] or s["debug_filters"]]
