"""playbooks/troubleshoot.yml: every device's tunnels with their state, failed hosts reported."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest
import yaml

from playbook_runner import ROOT, run_playbook

DEMO_LAB = ROOT / "tests" / "fortisim" / "labs" / "demo.yml"
PLAYBOOK = ROOT / "playbooks" / "troubleshoot.yml"


def expected_states(lab: Any) -> Dict[str, Dict[Tuple[str, str], str]]:
    """Ground truth from the simulator's model: {host: {(vdom, tunnel): state}}."""
    truth: Dict[str, Dict[Tuple[str, str], str]] = {}
    for host, device in lab.lab.devices.items():
        for vdom, views in device.tunnels.items():
            for view in views:
                state = "dialup-parent" if view.kind == "dialup" else view.state
                truth.setdefault(host, {})[(vdom, view.name)] = state
    return truth


def reported_states(report: Dict[str, Any]) -> Dict[str, Dict[Tuple[str, str], str]]:
    got: Dict[str, Dict[Tuple[str, str], str]] = {}
    for host, entry in report["hosts"].items():
        for tunnel in entry["tunnels"]:
            # `partial` (some selectors up) is `down` for the simulator, which needs them all.
            state = "down" if tunnel["state"] == "partial" else tunnel["state"]
            got.setdefault(host, {})[(tunnel["vdom"] or "root", tunnel["name"])] = state
    return got


def test_demo_report_lists_every_tunnel_with_its_state(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory("demo", DEMO_LAB)
    out = tmp_path / "report"
    run = run_playbook(tmp_path, lab.inventory, "", playbook=PLAYBOOK, extra=["-e", "fortidiag_report_dir=%s" % out])
    assert run.rc == 0, run.output
    assert "Report: %s/report.md" % out in run.output
    report = json.loads((out / "report.json").read_text())
    assert [h["status"] for h in report["hosts"].values()] == ["ok"] * len(lab.hosts)
    assert reported_states(report) == expected_states(lab)
    assert report["fleet"]["tunnels_down"] >= 1  # the demo lab has broken tunnels on purpose
    markdown = (out / "report.md").read_text()
    for host in lab.hosts:
        assert "## %s" % host in markdown
    # One login per device for the whole play, and no configuration written anywhere.
    stats = lab.stats()
    assert {h: s["logins"] for h, s in stats.items()} == {h: 1 for h in lab.hosts}
    assert {h: s["config_writes"] for h, s in stats.items()} == {h: 0 for h in lab.hosts}
    # The demo's broken tunnels are diagnosed, and the HTML report shows every finding in a browser.
    causes = {t["name"]: t["top_cause"] for t in report["hosts"]["HUB-74"]["tunnels"]}
    assert causes["to-spoke64"] == "phase1_proposal_mismatch" and causes["to-partner"] == "peer_unreachable", causes
    assert causes["to-spoke72"] is None
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed: apt-get install chromium (the CI installs it)")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", (out / "report.html").as_uri()],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    findings = [f for h in report["hosts"].values() for t in h["tunnels"] for f in t["findings"]]
    assert findings
    for finding in findings:
        assert finding["code"] in dom and html.escape(finding["fix"], quote=False) in dom, finding["code"]


def test_failed_host_is_in_the_report_and_fails_with_one_line(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory("basic")
    inv = tmp_path / "overlay.yml"
    inv.write_text(yaml.safe_dump({"all": {"children": {"fortigates": {"hosts": {"FW-D": {"ansible_password": "bad"}}}}}}))
    out = tmp_path / "report"
    run = run_playbook(tmp_path, lab.inventory, "", playbook=PLAYBOOK,
                       extra=["-i", str(inv), "-e", "fortidiag_report_dir=%s" % out])
    assert run.rc == 2, run.output
    assert "Traceback" not in run.output
    report = json.loads((out / "report.json").read_text())
    status = {h: (e["status"], e["error"]) for h, e in report["hosts"].items()}
    assert status["FW-D"][0] == "failed"
    assert status["FW-D"][1].startswith("FW-D (127.0.0.1:") and "authentication failed for user 'admin'" in status["FW-D"][1]
    assert all(s == "ok" for h, (s, _e) in status.items() if h != "FW-D")
    assert '"msg": "%s"' % status["FW-D"][1] in run.output
    tunnels_a = {t["name"]: t["state"] for t in report["hosts"]["FW-A"]["tunnels"]}
    assert tunnels_a == {"to-b": "up", "to-d": "down", "to-v": "up"}


@pytest.mark.parametrize("extra_var, message, checked", [
    # The troubleshooting options: before any host is checked.
    ("fortidiag_stages_to_run=configuration,bogus", "value of troubleshoot_stages must be one or more of", False),
    # The report options: after the checks, before anything is written.
    ("report_set_stats=maybe", "report_set_stats", True),
])
def test_a_bad_option_stops_the_play_with_one_message(lab_factory: Any, tmp_path: Path, extra_var: str, message: str,
                                                      checked: bool) -> None:
    """Options are validated once per play (not once per host): one message and no report."""
    lab = lab_factory("basic")
    before = {h: s["logins"] for h, s in lab.stats().items()}
    out = tmp_path / "report"
    run = run_playbook(tmp_path, lab.inventory, "", playbook=PLAYBOOK,
                       extra=["-e", "fortidiag_report_dir=%s" % out, "-e", extra_var])
    assert run.rc == 2, run.output
    assert "Validation of arguments failed" in run.output and message in run.output, run.output[-3000:]
    assert len(re.findall(r"^fatal: ", run.output, re.M)) == 1, run.output[-3000:]  # once, not once per host
    assert "Traceback" not in run.output
    assert not (out / "report.json").exists()
    if not checked:
        assert {h: s["logins"] for h, s in lab.stats().items()} == before  # no host was touched
