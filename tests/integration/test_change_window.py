"""playbooks/precheck.yml and postcheck.yml against the simulator: an unchanged fleet passes, a change is caught
(one line per problem, JUnit, artifact), and the post-check takes the AWX artifact instead of the directory."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict

import pytest

from playbook_runner import ROOT, PlaybookRun, run_playbook

PRECHECK = ROOT / "playbooks" / "precheck.yml"
POSTCHECK = ROOT / "playbooks" / "postcheck.yml"
HOSTS = ["CW-A", "CW-B", "CW-V"]


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("changewindow")


@pytest.fixture(autouse=True)
def _show_artifacts(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default callback prints set_stats data (what AWX keeps as artifacts) as one JSON line.
    monkeypatch.setenv("ANSIBLE_SHOW_CUSTOM_STATS", "1")


def _work(tmp: Path, name: str) -> Path:
    path = tmp / name
    path.mkdir()
    return path


def _artifacts(run: PlaybookRun) -> Dict[str, Any]:
    match = re.search(r"^\s*RUN: (\{.*\})\s*$", run.stdout, re.M)
    assert match, run.output
    return json.loads(match.group(1))


def _failures(run: PlaybookRun) -> Dict[str, str]:
    """Host -> the msg of its failed task (the post-check's fail)."""
    found = {}
    for host, body in re.findall(r"^fatal: \[([^\]]+)\]: FAILED! => (\{.*\})$", run.stdout, re.M):
        found[host] = json.loads(body)["msg"]
    return found


def _junit(path: Path) -> Dict[str, ET.Element]:
    root = ET.parse(str(path)).getroot()
    assert root.tag == "testsuites"
    return {suite.get("name"): suite for suite in root.findall("testsuite")}


def _tunnel_op(lab: Any, tmp: Path, name: str, host: str, tasks: str) -> None:
    run = run_playbook(_work(tmp, name), lab.inventory, tasks, hosts=host)
    assert run.rc == 0, run.output


def test_unchanged_fleet_passes(lab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PWD", str(tmp_path / "pre"))  # as a shell sets it in the directory the operator works in
    pre = run_playbook(_work(tmp_path, "pre"), lab.inventory, "", playbook=PRECHECK)
    assert pre.rc == 0, pre.output
    snapshots = tmp_path / "pre" / "snapshots"  # the default: snapshots/ where the play ran
    assert sorted(p.name for p in snapshots.iterdir()) == sorted(h + ".json" for h in HOSTS)
    a = json.loads((snapshots / "CW-A.json").read_text())
    assert a["schema"] == "fortidiag.snapshot/1" and a["host"] == "CW-A"
    assert {k: t["state"] for k, t in a["tunnels"].items()} == {
        "root/cw-ab": "up", "root/cw-flush": "up", "root/cw-idle": "up", "root/cw-ext": "up", "root/cw-dead": "down"}
    assert a["tunnels"]["root/cw-ab"]["selectors"]["cw-ab-lan"] == {"up": True, "sas": 1, "offload": "both"}
    assert a["tunnels"]["root/cw-ext"]["selectors"]["cw-ext"]["offload"] == "none"
    assert a["tunnels"]["root/cw-idle"]["rx_bytes"] == 0
    assert a["gateways"]["root/cw-ab"]["ike_sa"] == "established"
    v = json.loads((snapshots / "CW-V.json").read_text())
    assert set(v["tunnels"]) == {"root/cw-vb", "Cust/cw-cust"}  # both VDOMs from the inventory's fortidiag_vdoms
    assert "<redacted>" not in (snapshots / "CW-A.json").read_text()
    assert set(_artifacts(pre)["fortidiag_precheck"]) == set(HOSTS)
    assert "Pre-check: 3 of 3 hosts snapshotted in %s" % snapshots in pre.stdout

    junit = tmp_path / "pre" / "postcheck.xml"
    post = run_playbook(tmp_path / "pre", lab.inventory, "", playbook=POSTCHECK, extra=["-e", "fortidiag_junit_path=postcheck.xml"])
    assert post.rc == 0, post.output
    assert "Post-check: 3 of 3 hosts passed, JUnit: postcheck.xml" in post.stdout
    assert "CW-A: passed (5 tunnels, 5 selectors, 3 counters, 4 offload, 4 gateways checked)" in post.stdout
    suites = _junit(junit)
    assert sorted(suites) == HOSTS and all(s.get("failures") == "0" for s in suites.values())
    assert not list(ET.parse(str(junit)).getroot().iter("failure"))
    artifact = _artifacts(post)["fortidiag_postcheck"]
    assert {h: r["passed"] for h, r in artifact.items()} == dict.fromkeys(HOSTS, True)
    result = json.loads((snapshots / "CW-A.post.json").read_text())["result"]
    assert result["passed"] and result["checked"]["counters"] == 3  # cw-idle carried nothing: not required to move


def test_a_change_fails_the_hosts_it_touched_with_one_line_per_problem(lab: Any, tmp_path: Path) -> None:
    out = tmp_path / "snaps"
    pre = run_playbook(_work(tmp_path, "pre"), lab.inventory, "", playbook=PRECHECK, extra=["-e", "fortidiag_snapshot_dir=%s" % out])
    assert pre.rc == 0, pre.output
    # The change: cw-ext goes down, one phase 2 of cw-ab goes down, cw-flush renegotiates (counters restart).
    _tunnel_op(lab, tmp_path, "change", "CW-A", """\
        - name: Take cw-ext down
          fortidiag.ipsec.tunnel: {name: cw-ext, state: down}
        - name: Take one selector of cw-ab down
          fortidiag.ipsec.tunnel: {name: cw-ab, phase2: cw-ab-voice, state: down}
        - name: Renegotiate cw-flush
          fortidiag.ipsec.tunnel: {name: cw-flush, state: flushed, wait: 20}
        """)
    junit = tmp_path / "ci" / "postcheck.xml"
    (tmp_path / "ci").mkdir()
    post = run_playbook(_work(tmp_path, "post"), lab.inventory, "", playbook=POSTCHECK,
                        extra=["-e", "fortidiag_snapshot_dir=%s" % out, "-e", "fortidiag_junit_path=%s" % junit])
    assert post.rc == 2, post.output
    failures = _failures(post)
    assert sorted(failures) == ["CW-A", "CW-B"], post.output  # CW-V was not touched and passed
    a_lines = failures["CW-A"].splitlines()
    assert a_lines[0].startswith("CW-A: FAILED, ")
    problems = sorted(line.split(":")[0] for line in a_lines[1:])
    assert "tunnel_down root/cw-ext" in problems and "selector_down root/cw-ab" in problems, a_lines
    assert not any("cw-flush" in line or "cw-idle" in line or "cw-dead" in line for line in a_lines), a_lines
    assert "selector_down root/cw-ab: selector cw-ab-voice was up, now down" in a_lines
    b_lines = failures["CW-B"].splitlines()
    assert [line.split(":")[0] for line in b_lines[1:]] == ["selector_down root/cw-ab"], b_lines  # the peer end sees it too
    assert "Post-check: 1 of 3 hosts passed" in post.stdout
    suites = _junit(junit)
    assert suites["CW-V"].get("failures") == "0"
    tunnels = suites["CW-A"].find("testcase[@name='tunnels']/failure")
    assert tunnels is not None and tunnels.get("type") == "tunnel_down" and "root/cw-ext" in (tunnels.text or "")
    assert suites["CW-A"].find("testcase[@name='selectors']/failure") is not None
    assert suites["CW-A"].find("testcase[@name='counters']/failure") is None  # the flushed tunnel counts again
    artifact = _artifacts(post)["fortidiag_postcheck"]
    assert {h: r["passed"] for h, r in artifact.items()} == {"CW-A": False, "CW-B": False, "CW-V": True}
    assert {p["code"] for p in artifact["CW-A"]["problems"]} >= {"tunnel_down", "selector_down"}

    # Put it back: the next post-check against the same snapshot passes again (cw-ext expected down is allowed).
    _tunnel_op(lab, tmp_path, "restore", "CW-A", """\
        - name: Bring the selector back
          fortidiag.ipsec.tunnel: {name: cw-ab, phase2: cw-ab-voice, state: up, wait: 20}
        """)
    again = run_playbook(_work(tmp_path, "again"), lab.inventory, "", playbook=POSTCHECK,
                         extra=["-e", "fortidiag_snapshot_dir=%s" % out, "-e", "fortidiag_allow_down=cw-ext,cw-nothing"])
    assert again.rc == 0, again.output


def test_awx_artifact_instead_of_the_directory(lab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PWD", str(tmp_path / "pre"))
    pre = run_playbook(_work(tmp_path, "pre"), lab.inventory, "", playbook=PRECHECK,
                       extra=["-e", "fortidiag_hosts=CW-V", "--check"])
    assert pre.rc == 0, pre.output
    assert not (tmp_path / "pre" / "snapshots").exists()  # check mode writes no baseline
    artifact = _artifacts(pre)
    file = tmp_path / "precheck-artifact.json"  # what AWX passes on: the artifacts as extra vars
    file.write_text(json.dumps({"fortidiag_precheck": artifact["fortidiag_precheck"]}))
    post = run_playbook(_work(tmp_path, "post"), lab.inventory, "", playbook=POSTCHECK,
                        extra=["-e", "fortidiag_hosts=CW-V", "-e", "@%s" % file])
    assert post.rc == 0, post.output
    assert "CW-V: passed (2 tunnels" in post.stdout

    # A host the artifact does not cover fails with where it looked.
    missing = run_playbook(_work(tmp_path, "missing"), lab.inventory, "", playbook=POSTCHECK,
                           extra=["-e", "fortidiag_hosts=CW-V:CW-B", "-e", "@%s" % file])
    assert missing.rc == 2, missing.output
    failures = _failures(missing)
    assert list(failures) == ["CW-B"]
    assert failures["CW-B"].splitlines()[1] == (
        "snapshot_missing: no pre-check snapshot for CW-B in postcheck_precheck (the fortidiag_precheck artifact)")

    # The artifact as JSON text (an AWX survey field) works the same; anything else is refused in one line.
    text = run_playbook(_work(tmp_path, "text"), lab.inventory, "", playbook=POSTCHECK,
                        extra=["-e", json.dumps({"fortidiag_hosts": "CW-V",
                                                 "fortidiag_precheck": json.dumps(artifact["fortidiag_precheck"])})])
    assert text.rc == 0, text.output
    bad = run_playbook(_work(tmp_path, "bad"), lab.inventory, "", playbook=POSTCHECK,
                       extra=["-e", "fortidiag_hosts=CW-V", "-e", "fortidiag_precheck=@%s" % file])
    assert bad.rc == 2 and "from a file use -e @precheck.json" in bad.stdout, bad.output
