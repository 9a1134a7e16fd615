"""The troubleshooting playbook on the fault lab: every fault gets its top cause, healthy tunnels none."""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest
import yaml

from playbook_runner import ROOT, run_playbook

FAULTS_LAB = ROOT / "tests" / "fortisim" / "labs" / "faults.yml"


@pytest.fixture(scope="module")
def report(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    lab = lab_factory("faults", FAULTS_LAB)
    tmp = tmp_path_factory.mktemp("faults")
    out = tmp / "report"
    run = run_playbook(tmp, lab.inventory, "", playbook=ROOT / "playbooks" / "troubleshoot.yml", extra=[
        "-e", "fortidiag_report_dir=%s" % out, "-e", "fortidiag_sniffer_seconds=2",
        "-e", "fortidiag_debug_seconds=8", "-e", "fortidiag_flow_seconds=4", "-e", "fortidiag_include_healthy=true"], timeout=900)
    assert run.rc == 0, run.output[-4000:]
    data = json.loads((out / "report.json").read_text())
    assert (out / "report.md").exists() and (out / "report.html").exists()
    return data


def _expected() -> Dict[str, str]:
    lab = yaml.safe_load(FAULTS_LAB.read_text())
    return {t["name"]: t["expected_cause"] for t in lab["tunnels"] if t.get("a", {}).get("device") == "HUB"}


@pytest.mark.parametrize("tunnel,expected", sorted(_expected().items()))
def test_hub_tunnel_top_cause(report: Dict[str, Any], tunnel: str, expected: str) -> None:
    tunnels = {t["name"]: t for t in report["hosts"]["HUB"]["tunnels"]}
    assert tunnel in tunnels, sorted(tunnels)
    row = tunnels[tunnel]
    want = None if expected == "none" else expected
    assert row["top_cause"] == want, (tunnel, row["top_cause"], [(f["code"], f["stage"]) for f in row["findings"]])
    if want:
        top = [f for f in row["findings"] if f["code"] == want][0]
        assert top["fix"] and top["evidence"] and top["stage"] in (
            "configuration", "connectivity", "debug", "selectors", "policies")
    else:
        assert [f for f in row["findings"] if f["severity"] != "info"] == []
