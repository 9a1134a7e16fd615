"""tunnel, ike_gateway_clear and phase1_interface against the simulator: state, changed, check and diff mode."""
from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from playbook_runner import assert_one_line_failure as _one_line, ROOT, PlaybookRun, run_playbook

_COUNTER = itertools.count()


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("ops")


def _run(lab: Any, tmp: Path, host: str, tasks: str, check: bool = False, diff: bool = False) -> PlaybookRun:
    """Run tasks on one host; each task registers `rN` and test_result collects them all."""
    work = tmp / ("run%d" % next(_COUNTER))
    work.mkdir()
    extra = (["--check"] if check else []) + (["--diff"] if diff else [])
    return run_playbook(work, lab.inventory, tasks, hosts=host, extra=extra)


def _steps(*tasks: str) -> str:
    """Each module call becomes a task registering rN (errors kept), then all go to test_result."""
    out: List[str] = []
    for index, body in enumerate(tasks):
        out.append("- name: Step %d\n%s\n  register: r%d\n  ignore_errors: true\n" % (index, _indent(body), index))
    names = ", ".join("'r%d': r%d" % (i, i) for i in range(len(tasks)))
    out.append("- name: Keep\n  ansible.builtin.set_fact:\n    test_result: \"{{ {%s} }}\"\n" % names)
    return "".join(out)


def _indent(body: str) -> str:
    return "\n".join("  " + line for line in body.strip("\n").splitlines())


def _state(lab: Any, host: str, key: str) -> Dict[str, Any]:
    return lab.stats()[host]["tunnels"][key]


def _settle(lab: Any) -> Dict[str, Any]:
    """Stats after the simulator's write debounce, so before/after comparisons are exact."""
    time.sleep(0.4)
    return lab.stats()


def test_down_and_up_report_changed_truthfully(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.tunnel: {name: t-two, state: down}",
        "fortidiag.ipsec.tunnel: {name: t-two, state: down}",
        "fortidiag.ipsec.tunnel: {name: t-two, phase2: t-two-voice, state: up, wait: 15}",
        "fortidiag.ipsec.tunnel: {name: t-two, state: up, wait: 15}",
        "fortidiag.ipsec.tunnel: {name: t-two, state: up, wait: 15}",
    ))
    assert run.rc == 0, run.output
    r = run.results["OPS-A"]
    assert r["r0"]["changed"] and r["r0"]["before"]["state"] == "up" and r["r0"]["after"]["state"] == "down"
    assert r["r0"]["commands"] == ["diagnose vpn tunnel down t-two-lan t-two", "diagnose vpn tunnel down t-two-voice t-two"]
    assert r["r1"]["changed"] is False and r["r1"]["commands"] == []
    assert r["r2"]["changed"] and r["r2"]["commands"] == ["diagnose vpn tunnel up t-two-voice t-two"]
    assert r["r2"]["after"]["state"] == "partial" and r["r2"]["state_reached"]
    assert r["r3"]["changed"] and r["r3"]["commands"] == ["diagnose vpn tunnel up t-two-lan t-two"]
    assert r["r3"]["after"]["state"] == "up" and r["r3"]["after"]["selectors_up"] == 2
    assert r["r4"]["changed"] is False and r["r4"]["commands"] == []
    # The peer saw the same: both ends up again, on SPIs that differ from the start.
    assert _state(lab, "OPS-B", "root/t-two")["state"] == "up"
    old = {spi for s in r["r0"]["before"]["selectors"] for spi in s["inbound_spis"]}
    new = {spi for s in r["r4"]["after"]["selectors"] for spi in s["inbound_spis"]}
    assert new and not old & new


def test_check_mode_sends_nothing_and_diff_shows_the_states(lab: Any, tmp_path: Path) -> None:
    before = _settle(lab)
    run = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.tunnel: {name: t-flush, state: down}",
        "fortidiag.ipsec.tunnel: {name: t-flush, state: flushed, wait: 5}",
        "fortidiag.ipsec.ike_gateway_clear: {name: t-flush}",
    ), check=True, diff=True)
    assert run.rc == 0, run.output
    r = run.results["OPS-A"]
    assert r["r0"]["changed"] and r["r0"]["commands"] == ["diagnose vpn tunnel down t-flush t-flush"]
    assert r["r0"]["after"] == r["r0"]["before"]
    assert r["r0"]["diff"]["before"].startswith("state: up") and "state: up" in r["r0"]["diff"]["after"]
    assert r["r1"]["changed"] and r["r1"]["commands"] == ["diagnose vpn tunnel flush t-flush"]
    assert r["r2"]["changed"] and r["r2"]["commands"] == ["diagnose vpn ike gateway clear name t-flush"]
    after = _settle(lab)
    assert after["OPS-A"]["tunnel_ops"] == before["OPS-A"]["tunnel_ops"]
    assert after["OPS-A"]["config_writes"] == before["OPS-A"]["config_writes"]
    assert after["OPS-A"]["tunnels"]["root/t-flush"] == before["OPS-A"]["tunnels"]["root/t-flush"]


def test_flush_renegotiates_on_new_spis_and_an_idle_tunnel_is_unchanged(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.tunnel: {name: t-flush, state: flushed, wait: 15}",
        "fortidiag.ipsec.tunnel: {name: t-dead, state: flushed}",
    ))
    assert run.rc == 0, run.output
    r = run.results["OPS-A"]
    before, after = r["r0"]["before"]["selectors"][0], r["r0"]["after"]["selectors"][0]
    assert r["r0"]["changed"] and after["up"] and r["r0"]["state_reached"]
    assert set(before["inbound_spis"]).isdisjoint(after["inbound_spis"])
    assert set(before["outbound_spis"]).isdisjoint(after["outbound_spis"])
    assert r["r1"]["changed"] is False and r["r1"]["commands"] == []


def test_wait_timeout_and_bad_requests_fail_in_one_line(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.tunnel: {name: t-dead, state: up, wait: 2}",
        "fortidiag.ipsec.tunnel: {name: no-such, state: up}",
        "fortidiag.ipsec.tunnel: {name: t-two, phase2: t-two-lan, state: flushed}",
        "fortidiag.ipsec.tunnel: {name: t-two, phase2: nope, state: down}",
        "fortidiag.ipsec.tunnel: {name: t-two, state: up, wait: -1}",
        "fortidiag.ipsec.tunnel: {name: t-two, state: sideways}",
        "fortidiag.ipsec.ike_gateway_clear: {}",
        "fortidiag.ipsec.ike_gateway_clear: {all_gateways: true}",
        "fortidiag.ipsec.ike_gateway_clear: {name: t-gw, all_gateways: true, confirm_all_vdoms: true}",
        "fortidiag.ipsec.ike_gateway_clear: {name: no-such}",
        "fortidiag.ipsec.phase1_interface: {name: no-such, npu_offload: disable}",
        "fortidiag.ipsec.tunnel: {name: t-two, state: up, vdom: Cust}",
    ))
    r = run.results["OPS-A"]
    _one_line(r["r0"], "t-dead not up within 2s", "0/1 selectors up")
    assert r["r0"]["before"]["state"] == "down" and r["r0"]["commands"] == ["diagnose vpn tunnel up t-dead t-dead"]
    _one_line(r["r1"], "no IPsec tunnel named 'no-such'")
    _one_line(r["r2"], "remove phase2")
    _one_line(r["r3"], "has no phase2 'nope' (it has: t-two-lan, t-two-voice)")
    _one_line(r["r4"], "wait must be 0 or more")
    _one_line(r["r5"], "state", "up, down, flushed")
    _one_line(r["r6"], "name is required")
    _one_line(r["r7"], "confirm_all_vdoms: true")
    _one_line(r["r8"], "mutually exclusive")
    _one_line(r["r9"], "no IKE gateway named 'no-such'")
    _one_line(r["r10"], "no phase1-interface named 'no-such'")
    _one_line(r["r11"], "VDOMs are not enabled")


def test_ike_gateway_clear_renegotiates_and_clear_all_needs_both_flags(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.ike_gateway_clear: {name: t-gw, wait: 15}",
        "fortidiag.ipsec.tunnel: {name: t-gw, state: up, wait: 15}",
    ))
    assert run.rc == 0, run.output
    r = run.results["OPS-A"]
    assert r["r0"]["changed"] and r["r0"]["commands"] == ["diagnose vpn ike gateway clear name t-gw"]
    old = {sa["spi"] for sa in r["r0"]["before"]["ike_sas"]}
    assert r["r0"]["after"]["established"] and not old & {sa["spi"] for sa in r["r0"]["after"]["ike_sas"]}
    assert r["r1"]["changed"] is False  # the phase 2 came back with the phase 1
    before = _settle(lab)["OPS-C"]["tunnel_ops"]
    run = _run(lab, tmp_path, "OPS-C", _steps(
        "fortidiag.ipsec.ike_gateway_clear: {all_gateways: true, confirm_all_vdoms: true}"))
    assert run.rc == 0, run.output
    assert run.results["OPS-C"]["r0"]["changed"] and run.results["OPS-C"]["r0"]["commands"] == ["diagnose vpn ike gateway clear"]
    assert _settle(lab)["OPS-C"]["tunnel_ops"] == before + 1


def test_npu_offload_check_diff_apply_idempotent_renegotiate(lab: Any, tmp_path: Path) -> None:
    start = _settle(lab)["OPS-A"]
    check = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.phase1_interface: {name: t-npu}",
        "fortidiag.ipsec.phase1_interface: {name: t-npu, npu_offload: disable, renegotiate: true}",
    ), check=True, diff=True)
    assert check.rc == 0, check.output
    r = check.results["OPS-A"]
    assert r["r0"]["changed"] is False and r["r0"]["before"] == {"npu_offload": "enable"} and r["r0"]["commands"] == []
    assert r["r1"]["changed"] and r["r1"]["after"] == {"npu_offload": "disable"}
    assert r["r1"]["diff"]["before"].endswith("set npu-offload enable\n    next\nend\n")
    assert "set npu-offload disable" in r["r1"]["diff"]["after"]
    assert r["r1"]["commands"][-1] == "diagnose vpn tunnel flush t-npu"
    mid = _settle(lab)["OPS-A"]
    assert (mid["config_writes"], mid["tunnel_ops"]) == (start["config_writes"], start["tunnel_ops"])
    assert mid["tunnels"]["root/t-npu"] == start["tunnels"]["root/t-npu"]

    apply = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.phase1_interface: {name: t-npu, npu_offload: disable}",
        "fortidiag.ipsec.tunnel: {name: t-npu, state: up}",
        "fortidiag.ipsec.phase1_interface: {name: t-npu, npu_offload: disable, renegotiate: true}",
    ), diff=True)
    assert apply.rc == 0, apply.output
    r = apply.results["OPS-A"]
    assert r["r0"]["changed"] and r["r0"]["after"] == {"npu_offload": "disable"}
    assert r["r0"]["commands"] == ["config vpn ipsec phase1-interface", "edit t-npu", "set npu-offload disable", "next", "end"]
    # Existing SAs keep their offload until they are renegotiated.
    assert r["r1"]["after"]["selectors"][0]["npu_flags"] == ["03"]
    assert r["r2"]["changed"] is False and r["r2"]["commands"] == [] and "tunnel" not in r["r2"]
    assert _settle(lab)["OPS-A"]["config_writes"] == start["config_writes"] + 1

    back = _run(lab, tmp_path, "OPS-A", _steps(
        "fortidiag.ipsec.phase1_interface: {name: t-npu, npu_offload: enable, renegotiate: true, wait: 15}",
        "fortidiag.ipsec.phase1_interface: {name: t-npu, npu_offload: disable, renegotiate: true, wait: 15}",
    ))
    assert back.rc == 0, back.output
    r = back.results["OPS-A"]
    assert r["r0"]["changed"] and r["r0"]["tunnel"]["selectors"][0]["npu_flags"] == ["03"]
    assert r["r1"]["changed"] and r["r1"]["tunnel"]["selectors"][0]["npu_flags"] == ["00"]
    assert r["r1"]["summary"]["npu_flags"] == ["00"] and r["r1"]["summary"]["after"] == {"npu_offload": "disable"}
    assert _state(lab, "OPS-A", "root/t-npu")["npu_flags"] == ["00"]
    assert _settle(lab)["OPS-A"]["config_writes"] == start["config_writes"] + 3


def test_phase1_interface_vdom_vm_and_dialup_instances(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "OPS-V", _steps(
        "fortidiag.ipsec.phase1_interface: {name: t-cust, vdom: Cust, npu_offload: disable}",
        "fortidiag.ipsec.phase1_interface: {name: t-cust, npu_offload: disable}",
        "fortidiag.ipsec.phase1_interface: {name: dial_0, npu_offload: disable}",
        "fortidiag.ipsec.tunnel: {name: dial, state: down}",
        "fortidiag.ipsec.tunnel: {name: dial_0, state: up}",
    ))
    r = run.results["OPS-V"]
    assert r["r0"]["changed"] and not r["r0"].get("failed")
    _one_line(r["r1"], "no phase1-interface named 't-cust'")  # it lives in Cust, not root
    _one_line(r["r2"], "use the parent")
    _one_line(r["r3"], "dial-up server")
    _one_line(r["r4"], "only the client can bring it up")
    vm = _run(lab, tmp_path, "OPS-VM", _steps("fortidiag.ipsec.phase1_interface: {name: t-vm, npu_offload: disable}"))
    _one_line(vm.results["OPS-VM"]["r0"], "no 'npu-offload' setting", "no NPU")


def test_a_failed_config_line_is_aborted_and_the_session_stays_usable(lab: Any, tmp_path: Path) -> None:
    start = _settle(lab)["OPS-B"]["config_writes"]
    run = _run(lab, tmp_path, "OPS-B", _steps(
        "fortidiag.ipsec.command:\n  commands: [config vpn ipsec phase1-interface, edit t-flush, set npu-offload disable,"
        " set npu-offload sometimes, next, end]\n  allow_changes: true",
        "fortidiag.ipsec.phase1_interface: {name: t-flush}",
    ))
    r = run.results["OPS-B"]
    _one_line(r["r0"], "set npu-offload sometimes", "value parse error")
    assert r["r1"]["before"] == {"npu_offload": "enable"} and not r["r1"].get("failed")
    assert _settle(lab)["OPS-B"]["config_writes"] == start


def _playbook(lab: Any, tmp: Path, extra: List[str], check: bool = False) -> PlaybookRun:
    work = tmp / ("pb%d" % next(_COUNTER))
    work.mkdir()
    return run_playbook(work, lab.inventory, "", playbook=ROOT / "playbooks" / "npu_offload.yml",
                        extra=extra + (["--check", "--diff"] if check else []))


def test_npu_offload_playbook_reports_dry_runs_and_applies(lab: Any, tmp_path: Path) -> None:
    hosts = ["-e", "fortidiag_hosts=OPS-B,OPS-V", "-e", '{"fortidiag_tunnels": ["t-two", "t-cust2", "missing"]}',
             "-e", '{"fortidiag_vdoms": ["root", "Cust"]}']
    start = _settle(lab)
    report = _playbook(lab, tmp_path, hosts)
    assert report.rc == 0, report.output
    assert '"absent": [\n' in report.output or "missing" in report.output
    dry = _playbook(lab, tmp_path, hosts + ["-e", "fortidiag_npu_offload=disable"], check=True)
    assert dry.rc == 0, dry.output
    assert "changed=1" in dry.output and "set npu-offload disable" in dry.output
    mid = _settle(lab)
    assert [mid[h]["config_writes"] for h in ("OPS-B", "OPS-V")] == [start[h]["config_writes"] for h in ("OPS-B", "OPS-V")]
    apply = _playbook(lab, tmp_path, hosts + ["-e", "fortidiag_npu_offload=disable"])
    assert apply.rc == 0, apply.output
    end = _settle(lab)
    assert end["OPS-B"]["config_writes"] == start["OPS-B"]["config_writes"] + 1
    assert end["OPS-V"]["config_writes"] == start["OPS-V"]["config_writes"] + 1
    again = _playbook(lab, tmp_path, hosts + ["-e", "fortidiag_npu_offload=disable"])
    assert again.rc == 0 and "changed=0" in again.output, again.output
    bad = _playbook(lab, tmp_path, ["-e", "fortidiag_hosts=OPS-B", "-e", "fortidiag_npu_offload=off",
                                    "-e", '{"fortidiag_tunnels": ["t-two"]}'])
    assert bad.rc != 0 and "fortidiag_npu_offload to enable or disable" in bad.output
