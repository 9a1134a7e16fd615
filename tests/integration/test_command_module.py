"""fortidiag.ipsec.command against the demo lab: read-only by default, nothing sent when refused."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Dict

import pytest

from playbook_runner import ROOT, PlaybookRun, run_playbook

DEMO_LAB = ROOT / "tests" / "fortisim" / "labs" / "demo.yml"
# An SA key as `diagnose vpn tunnel list` prints it: `key=32 <hex>`.
KEY_RE = re.compile(r"\bkey=\d+ [0-9a-f]{16,}")


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("demo_command", DEMO_LAB)


def _commands(stats: Dict[str, Dict[str, Any]]) -> Dict[str, int]:
    return {host: entry["commands"] for host, entry in stats.items()}


def run_task(lab: Any, tmp: Path, host: str, args: str, check_mode: bool = False) -> PlaybookRun:
    """One command task on one host, registered as the saved result (failures kept, not fatal)."""
    tasks = "- name: Command\n  fortidiag.ipsec.command:\n%s  register: test_result\n  ignore_errors: true\n" % "".join(
        "    %s\n" % line for line in args.strip().splitlines())
    if check_mode:
        tasks += "  check_mode: true\n"
    run = run_playbook(tmp, lab.inventory, tasks, hosts=host)
    assert run.rc == 0, run.output
    assert host in run.results and run.results[host] is not None, run.output
    return run


def settled_commands(lab: Any) -> Dict[str, int]:
    """The per-device command counters once the (debounced) stats file has caught up."""
    time.sleep(0.5)
    return _commands(lab.stats())


def test_read_only_commands_on_72_are_parsed_and_redacted(lab: Any, tmp_path: Path) -> None:
    run = run_task(lab, tmp_path, "SPOKE-72", """
commands:
  - diag vpn tun li
  - get system status | grep Version
  - execute ping-options view-settings
""")
    result = run.results["SPOKE-72"]
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert [c["kind"] for c in result["commands"]] == ["read", "read", "read"]
    assert all(c["read_only"] and c["error"] is None for c in result["commands"])
    tunnels = {t["name"]: t for t in result["parsed"][0]["tunnels"]}
    assert {"to-hub", "to-dialhub"} <= set(tunnels)
    assert result["parsed"][0]["unparsed"] == []
    assert result["parsed"][1]["version"] == "7.2.10"
    assert result["parsed"][2] is None  # no parser for ping-options view-settings
    assert len(result["stdout"]) == len(result["stdout_lines"]) == 3
    assert result["stdout_lines"][1] == result["stdout"][1].splitlines()
    assert result["stdout"][1].startswith("Version: FortiGate-60F v7.2.10")
    # Key material is hidden in the raw output too, and in the parsed data.
    listing = result["stdout"][0]
    assert "name=to-hub" in listing and "key=32 <redacted>" in listing
    assert not KEY_RE.search(listing)
    assert not KEY_RE.search(run.output)
    # SPIs are identifiers, not secrets: they stay readable for comparing both ends.
    spis = [sa["inbound"]["spi"] for t in tunnels.values() for p in t["proxyids"] for sa in p["sas"]]
    assert spis and all("spi=%s " % spi in listing for spi in spis)


def test_include_keys_returns_the_keys(lab: Any, tmp_path: Path) -> None:
    run = run_task(lab, tmp_path, "SPOKE-72", """
commands: [diagnose vpn tunnel list name to-hub]
include_keys: true
""")
    result = run.results["SPOKE-72"]
    assert KEY_RE.search(result["stdout"][0]), result["stdout"][0]
    assert "<redacted>" not in result["stdout"][0]
    sas = [sa for p in result["parsed"][0]["tunnels"][0]["proxyids"] for sa in p["sas"]]
    assert sas and all(sa["inbound"]["key"] not in (None, "<redacted>") for sa in sas), sas


def test_vdoms_of_the_multi_vdom_box(lab: Any, tmp_path: Path) -> None:
    tasks = """\
- name: Branch VDOM
  fortidiag.ipsec.command:
    commands: [diagnose vpn tunnel list, diagnose vpn ike gateway list]
    vdom: Branch
  register: branch
- name: Default VDOM (root)
  fortidiag.ipsec.command:
    commands: [diag vpn tun li]
  register: root
- name: Global scope
  fortidiag.ipsec.command:
    commands: [get system status]
    scope: global
  register: global_scope
- name: Keep
  ansible.builtin.set_fact:
    test_result: {branch: "{{ branch }}", root: "{{ root }}", global_scope: "{{ global_scope }}"}
"""
    run = run_playbook(tmp_path, lab.inventory, tasks, hosts="MVDOM-72")
    assert run.rc == 0, run.output
    result = run.results["MVDOM-72"]
    assert [t["name"] for t in result["branch"]["parsed"][0]["tunnels"]] == ["to-hub"]
    assert [g["name"] for g in result["branch"]["parsed"][1]["gateways"]] == ["to-hub"]
    assert [t["name"] for t in result["root"]["parsed"][0]["tunnels"]] == ["to-cloud"]
    assert result["global_scope"]["parsed"][0]["version"] == "7.2.8"
    assert not any(r["changed"] for r in result.values())


def test_flush_is_refused_without_allow_changes_and_nothing_is_sent(lab: Any, tmp_path: Path) -> None:
    before = settled_commands(lab)
    run = run_task(lab, tmp_path, "SPOKE-72", """
commands:
  - get system status
  - diagnose vpn tunnel flush
""")
    result = run.results["SPOKE-72"]
    assert result["failed"] is True
    msg = result["msg"]
    assert "\n" not in msg
    assert "command 2 refused, nothing sent" in msg and "'diagnose vpn tunnel flush'" in msg
    assert "allow_changes: true" in msg
    assert [c["kind"] for c in result["commands"]] == ["read", "diagnose_change"]
    assert settled_commands(lab) == before


def test_exit_is_refused_even_with_allow_changes(lab: Any, tmp_path: Path) -> None:
    before = settled_commands(lab)
    run = run_task(lab, tmp_path, "HUB-74", """
commands: [get system status, exit]
allow_changes: true
""")
    result = run.results["HUB-74"]
    assert result["failed"] is True
    assert "\n" not in result["msg"] and "would close the persistent session" in result["msg"]
    assert "allow_changes" not in result["msg"]
    assert settled_commands(lab) == before


def test_multi_line_command_is_refused(lab: Any, tmp_path: Path) -> None:
    before = settled_commands(lab)
    run = run_task(lab, tmp_path, "HUB-74", """
commands: ["get system status\\ndiagnose vpn tunnel flush"]
allow_changes: true
""")
    result = run.results["HUB-74"]
    assert result["failed"] is True
    assert "\n" not in result["msg"] and "commands are one line each" in result["msg"]
    assert settled_commands(lab) == before


def test_check_mode_runs_read_only_commands(lab: Any, tmp_path: Path) -> None:
    run = run_task(lab, tmp_path, "HUB-74", """
commands: [get vpn ipsec tunnel summary, diag vpn ike gateway list name to-spoke72]
""", check_mode=True)
    result = run.results["HUB-74"]
    assert not result.get("failed") and result["changed"] is False
    assert "skipped" not in result
    names = {t["name"] for t in result["parsed"][0]["tunnels"]}
    assert {"to-spoke72", "to-spoke70", "to-partner"} <= names
    assert [g["name"] for g in result["parsed"][1]["gateways"]] == ["to-spoke72"]
    assert "to-spoke72" in result["stdout"][0]


def test_check_mode_with_a_change_sends_nothing(lab: Any, tmp_path: Path) -> None:
    before = settled_commands(lab)
    run = run_task(lab, tmp_path, "HUB-74", """
commands: [get system status, diagnose vpn ike gateway clear name to-spoke72]
allow_changes: true
""", check_mode=True)
    result = run.results["HUB-74"]
    assert not result.get("failed") and result["changed"] is True
    assert result["skipped"] == ["get system status", "diagnose vpn ike gateway clear name to-spoke72"]
    assert result["stdout"] == [] and result["msg"] == "check mode: not sent"
    assert settled_commands(lab) == before


def test_cli_error_fails_with_one_line_naming_the_command(lab: Any, tmp_path: Path) -> None:
    run = run_task(lab, tmp_path, "SPOKE-72", """
commands: [get vpn ipsec tunnel nonsense]
""")
    result = run.results["SPOKE-72"]
    assert result["failed"] is True
    assert "\n" not in result["msg"]
    assert "get vpn ipsec tunnel nonsense" in result["msg"] and "parse error" in result["msg"]


def test_cli_error_is_returned_without_check_errors(lab: Any, tmp_path: Path) -> None:
    run = run_task(lab, tmp_path, "SPOKE-72", """
commands: [get vpn ipsec tunnel nonsense, get system status]
check_errors: false
""")
    result = run.results["SPOKE-72"]
    assert not result.get("failed") and result["changed"] is False
    assert "command parse error before 'nonsense'" in result["stdout"][0]
    assert result["commands"][0]["error"].startswith("command parse error")
    assert result["parsed"][0] is None
    assert result["commands"][1]["error"] is None and result["parsed"][1]["version"] == "7.2.10"


def test_allow_changes_sends_the_gateway_clear(lab: Any, tmp_path: Path) -> None:
    before = lab.stats()["SPOKE-72"]
    run = run_task(lab, tmp_path, "SPOKE-72", """
commands: [diagnose vpn ike gateway clear name to-hub, diag vpn ike gateway list name to-hub]
allow_changes: true
""")
    result = run.results["SPOKE-72"]
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert [c["kind"] for c in result["commands"]] == ["diagnose_change", "read"]
    assert result["parsed"][0] is None and result["parsed"][1]["gateways"][0]["name"] == "to-hub"
    after = lab.wait_stats(lambda s: s["SPOKE-72"]["tunnel_ops"] > before["tunnel_ops"])["SPOKE-72"]
    assert after["tunnel_ops"] == before["tunnel_ops"] + 1
    assert after["commands"] > before["commands"]
