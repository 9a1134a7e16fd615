"""ike_debug, debug_flow and sniffer against the simulator: findings per fault, and debug always cleaned up."""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from playbook_runner import assert_one_line_failure as _one_line, BIN, PlaybookRun, ansible_env, run_playbook

_COUNTER = itertools.count()

# (tunnel, finding code, trigger): every fault the simulator knows, plus NAT-T and success.
FAULTS = [
    ("p1-72", "phase1_proposal_mismatch", "up"),
    ("psk-72", "psk_mismatch", "up"),
    ("id-72", "peer_id_mismatch", "up"),
    ("sel-72", "selector_mismatch", "up"),
    ("p2-72", "phase2_proposal_mismatch", "up"),
    ("dead", "peer_unreachable", "up"),
    ("dpd", "dpd_timeout", "none"),
    ("negfail", "negotiation_failure", "up"),
    ("nat-72", "nat_detected", "clear"),
    ("ok-72", "established", "clear"),
]


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("debug")


def _run(lab: Any, tmp: Path, host: str, tasks: List[str], extra: List[str] = ()) -> PlaybookRun:
    work = tmp / ("run%d" % next(_COUNTER))
    work.mkdir()
    body = "".join("- name: Step %d\n%s\n  register: r%d\n  ignore_errors: true\n" % (
        i, "\n".join("  " + line for line in t.strip("\n").splitlines()), i) for i, t in enumerate(tasks))
    body += "- name: Keep\n  ansible.builtin.set_fact:\n    test_result: \"{{ {%s} }}\"\n" % ", ".join(
        "'r%d': r%d" % (i, i) for i in range(len(tasks)))
    return run_playbook(work, lab.inventory, body, hosts=host, extra=list(extra))


def _clean(lab: Any, host: str, timeout: float = 15.0) -> Dict[str, Any]:
    """Wait for the stats file to show no debug left on the host, and return them."""
    deadline = time.monotonic() + timeout
    while True:
        stats = lab.stats()[host]
        if not stats["debug_enabled"] and not stats["debug_filters"]:
            return stats
        if time.monotonic() > deadline:
            raise AssertionError("debug left on %s: enabled=%s filters=%s" % (host, stats["debug_enabled"], stats["debug_filters"]))
        time.sleep(0.2)


def test_every_fault_gives_its_finding_and_debug_is_off_afterwards(lab: Any, tmp_path: Path) -> None:
    tasks = ["fortidiag.ipsec.ike_debug: {tunnel: %s, trigger: %s, until: [%s], duration: 25}" % (t, trig, code)
             for t, code, trig in FAULTS]
    run = _run(lab, tmp_path, "DBG-74", tasks)
    assert run.rc == 0, run.output
    results = run.results["DBG-74"]
    for index, (tunnel, code, _trigger) in enumerate(FAULTS):
        result = results["r%d" % index]
        assert not result.get("failed"), (tunnel, result.get("msg"))
        codes = {f["code"] for f in result["findings"] if f["gateway"] in (tunnel, None) or f["gateway"].startswith(tunnel)}
        assert code in codes, (tunnel, code, result["findings"], result["events"][-5:])
        assert result["capture"]["stopped_by"] == "until", (tunnel, result["capture"])
        assert result["capture"]["cleanup"][0] == "diagnose debug disable"
        assert "diagnose vpn ike log filter clear" in result["capture"]["cleanup"]  # 7.4 syntax
        assert "diagnose vpn ike log filter name %s" % tunnel in result["capture"]["commands"]
        assert result["events"] and all(e["timestamp"] for e in result["events"])
    _clean(lab, "DBG-74")


def test_log_filter_syntax_per_version_keys_and_redaction(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "DBG-72", [
        "fortidiag.ipsec.ike_debug: {filters: {rem_addr4: [198.51.100.1]}, duration: 2, timestamps: false}",
        "fortidiag.ipsec.ike_debug: {tunnel: ok-72, trigger: clear, until: [established], duration: 20}",
        "fortidiag.ipsec.ike_debug: {tunnel: ok-72, trigger: clear, until: [established], duration: 20, include_keys: true}",
    ])
    assert run.rc == 0, run.output
    r = run.results["DBG-72"]
    assert "diagnose vpn ike log-filter dst-addr4 198.51.100.1" in r["r0"]["capture"]["commands"]
    assert "diagnose vpn ike log-filter clear" in r["r0"]["capture"]["cleanup"]
    assert r["r1"]["changed"] and any(f["code"] == "established" for f in r["r1"]["findings"])
    texts = "\n".join(e["text"] for e in r["r1"]["events"])
    if "<redacted>" in texts:  # the simulator prints keys with category 64: hidden by default
        keyed = "\n".join(e["text"] for e in r["r2"]["events"])
        assert "<redacted>" not in keyed
    old = _run(lab, tmp_path, "DBG-64", ["fortidiag.ipsec.ike_debug: {tunnel: old-64, duration: 2}"])
    assert old.rc == 0, old.output
    assert "diagnose vpn ike log-filter name old-64" in old.results["DBG-64"]["r0"]["capture"]["commands"]
    for host in ("DBG-72", "DBG-64"):
        _clean(lab, host)


def test_debug_flow_probe_through_the_tunnel(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "DBG-74", [
        "fortidiag.ipsec.debug_flow: {probe: {destination: 10.72.0.1, source: 10.74.0.1, count: 2}, count: 2, duration: 15}",
        "fortidiag.ipsec.debug_flow: {probe: {destination: 10.72.1.1, source: 10.74.0.1, count: 1}, count: 1, duration: 10}",
    ])
    assert run.rc == 0, run.output
    r = run.results["DBG-74"]
    traces = r["r0"]["traces"]
    assert len(traces) == 2 and all(t["verdict"] == "allowed" and t["ipsec_tunnel"] == "ok-72" for t in traces), traces
    assert r["r0"]["probe"]["transmitted"] == 2 and r["r0"]["capture"]["stopped_by"] == "ended"
    down = r["r1"]["traces"]
    assert down and down[0]["verdict"] == "dropped", down
    _clean(lab, "DBG-74")


def test_sniffer_verdicts_and_ctrl_c(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "DBG-74", [
        "fortidiag.ipsec.sniffer: {remote_gateway: 203.0.113.9, protocols: [ike, nat_t], duration: 3}",
        "fortidiag.ipsec.sniffer: {remote_gateway: 198.51.100.72, protocols: [esp], duration: 3}",
        "fortidiag.ipsec.sniffer: {remote_gateway: 198.51.100.72, count: 2, duration: 20}",
        "fortidiag.ipsec.command: {commands: [get system status]}",
    ])
    assert run.rc == 0, run.output
    r = run.results["DBG-74"]
    assert "ike_no_reply" in {v["code"] for v in r["r0"]["verdicts"]}, r["r0"]["verdicts"]
    assert r["r0"]["summary"]["ike"] >= 1 and r["r0"]["summary"]["esp"] == 0
    assert r["r0"]["capture"]["stopped_by"] == "duration" and r["r0"]["capture"]["received"] is not None
    assert "esp_both_ways" in {v["code"] for v in r["r1"]["verdicts"]}, r["r1"]["verdicts"]
    assert len(r["r2"]["packets"]) == 2 and r["r2"]["capture"]["stopped_by"] == "ended"
    assert r["r3"]["parsed"][0]["hostname"] == "DBG-74"  # the CLI is back to normal afterwards
    _clean(lab, "DBG-74")


def test_a_task_killed_by_its_timeout_is_cleaned_up_before_the_next_command(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "DBG-72", [
        "fortidiag.ipsec.ike_debug: {tunnel: p1-72, duration: 60}\ntimeout: 4",
        "fortidiag.ipsec.command: {commands: [get system status, diagnose vpn tunnel list name ok-72]}",
    ])
    r = run.results["DBG-72"]
    assert r["r0"].get("failed") and "timed out" in r["r0"]["msg"].lower(), r["r0"]
    # The next command found the CLI clean: no debug lines mixed into its output.
    assert not r["r1"].get("failed"), r["r1"]
    assert r["r1"]["parsed"][0]["hostname"] == "DBG-72"
    assert r["r1"]["parsed"][1]["unparsed"] == [] and "ike" not in r["r1"]["stdout"][1]
    _clean(lab, "DBG-72")


def test_an_interrupted_play_leaves_no_debug(lab: Any, tmp_path: Path) -> None:
    work = tmp_path / "interrupt"
    work.mkdir()
    play = work / "play.yml"
    play.write_text(textwrap.dedent("""\
        - name: Long capture
          hosts: DBG-64
          gather_facts: false
          tasks:
            - name: Capture for a minute
              fortidiag.ipsec.ike_debug: {tunnel: old-64, duration: 60}
        """))
    env = ansible_env(work)
    env["ANSIBLE_PERSISTENT_CONNECT_TIMEOUT"] = "5"  # the idle session closes (and cleans up) soon
    proc = subprocess.Popen([str(BIN / "ansible-playbook"), "-i", str(lab.inventory), str(play)], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lab.wait_stats(lambda s: s["DBG-64"]["debug_enabled"], timeout=60)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    _clean(lab, "DBG-64", timeout=30)


def test_bad_inputs_fail_in_one_line(lab: Any, tmp_path: Path) -> None:
    run = _run(lab, tmp_path, "DBG-74", [
        "fortidiag.ipsec.ike_debug: {categories: [errors, bogus], duration: 1}",
        "fortidiag.ipsec.ike_debug: {until: [sunshine], duration: 1}",
        "fortidiag.ipsec.ike_debug: {trigger: up, duration: 1}",
        "fortidiag.ipsec.ike_debug: {filters: {mdst_addr4: [192.0.2.1]}, duration: 1}",
        "fortidiag.ipsec.ike_debug: {duration: 0}",
        "fortidiag.ipsec.ike_debug: {tunnel: no-such, trigger: up, duration: 1}",
        "fortidiag.ipsec.sniffer: {verbosity: 9}",
        "fortidiag.ipsec.sniffer: {filter: esp, remote_gateway: 192.0.2.1}",
        "fortidiag.ipsec.debug_flow: {count: 0}",
        "fortidiag.ipsec.debug_flow: {filters: {daddr: nowhere}}",
    ])
    r = run.results["DBG-74"]
    _one_line(r["r0"], "unknown IKE debug categories bogus")
    _one_line(r["r1"], "until takes finding codes")
    _one_line(r["r2"], "tunnel")
    _one_line(r["r3"], "mdst_addr4 does not exist on FortiOS 7.4.7")
    _one_line(r["r4"], "duration must be 1-3600")
    _one_line(r["r5"], "no IPsec tunnel named 'no-such'")
    _one_line(r["r6"], "verbosity must be 1-6")
    _one_line(r["r7"], "mutually exclusive")
    _one_line(r["r8"], "count (packets to trace) must be 1-10000")
    _one_line(r["r9"], "daddr takes IP addresses")
    _clean(lab, "DBG-74")
