# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.html as a browser sees it: headless Chromium renders it, every finding is there, nothing injected."""
from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report import fleet_report, report_html

SKIP_REASON = "chromium not installed: apt-get install chromium (the CI installs it)"

FINDINGS: List[Dict[str, Any]] = [
    {"code": "psk_mismatch", "severity": "critical", "stage": "debug", "tunnel": "to-dc", "cause": "The pre-shared keys differ.",
     "evidence": ["ike 0:to-dc:12: probable pre-shared secret mismatch", "<script>document.title='pwned'</script><img src=x>"],
     "fix": "Set the same pre-shared key on both peers (set psksecret)."},
    {"code": "dpd_timeout", "severity": "warning", "stage": "debug", "tunnel": "to-dc", "cause": "DPD packets lost.",
     "evidence": ["ike 0:to-dc: DPD send, no reply (3 retries)"], "fix": "Check the internet connection to 192.0.2.9."},
    {"code": "nat_on_vpn_policy", "severity": "critical", "stage": "policies", "tunnel": "to-hq", "cause": "NAT on the VPN policy.",
     "evidence": ["config firewall policy / edit 7 / set nat enable"], "fix": "Disable NAT on policy 7 (set nat disable)."},
]

FACTS = {
    "device": {"model": "FGT60F", "version": "7.2.8", "vdom_mode": "no-vdom"},
    "tunnel_summary": {"tunnels": [
        {"name": "to-hq", "vdom": "root", "remote_ip": "192.0.2.1", "selectors_total": 2, "selectors_up": 2},
        {"name": "to-dc", "vdom": "root", "remote_ip": "192.0.2.9", "selectors_total": 1, "selectors_up": 0},
        {"name": "to-br", "vdom": "root", "remote_ip": "192.0.2.7", "selectors_total": 2, "selectors_up": 1},
    ]},
}


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        pytest.skip(SKIP_REASON)
    return binary


def _report_file(tmp_path: Path) -> Path:
    diagnosis = [
        {"tunnel": "to-dc", "vdom": None, "host": "fw1", "state": "down", "top_cause": "psk_mismatch", "findings": FINDINGS[:2]},
        {"tunnel": "to-hq", "vdom": "root", "host": "fw1", "state": "up", "top_cause": "nat_on_vpn_policy", "findings": FINDINGS[2:]},
    ]
    stages = [{"stage": "configuration", "status": "ok", "seconds": 0.2, "note": ""},
              {"stage": "debug", "status": "findings", "seconds": 12.4, "note": "2 findings"},
              {"stage": "selectors", "status": "skipped", "seconds": 0, "note": "tunnel down"}]
    hostvars = {"fw1": {"ansible_facts": {"fortios_ipsec": FACTS}, "fortidiag_diagnosis": diagnosis, "fortidiag_stages": stages},
                "fw2": {"fortidiag_host_error": "fw2 (192.0.2.2:22): authentication failed"}}
    path = tmp_path / "report.html"
    path.write_text(report_html(fleet_report(["fw1", "fw2"], hostvars, "2026-11-27T10:00:00Z")), encoding="utf-8")
    return path


def _run(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=%s" % profile, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_chromium_dom_shows_every_finding_evidence_and_fix(tmp_path: Path) -> None:
    binary = _chromium()
    page = _report_file(tmp_path)
    run = _run(binary, tmp_path, "--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr
    dom = run.stdout
    assert "<title>FortiGate IPsec report</title>" in dom  # not retitled by the evidence
    for finding in FINDINGS:
        assert finding["code"] in dom
        assert html.escape(finding["fix"], quote=False) in dom
        for line in finding["evidence"]:
            assert html.escape(line, quote=False) in dom
    # The hostile evidence line is text, not elements.
    assert "<script>" not in dom and "<img" not in dom
    assert '<td class="state state-up">up</td>' in dom
    assert '<td class="state state-down">down</td>' in dom
    assert '<td class="state state-partial">partial</td>' in dom
    assert "fw2 (192.0.2.2:22): authentication failed" in dom


def test_chromium_screenshot_is_not_blank(tmp_path: Path) -> None:
    binary = _chromium()
    page = _report_file(tmp_path)
    shot = tmp_path / "report.png"
    run = _run(binary, tmp_path, "--hide-scrollbars", "--window-size=1280,1600", "--screenshot=%s" % shot, page.as_uri())
    assert run.returncode == 0, run.stderr
    assert shot.exists(), run.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20000, len(data)  # a blank page of that size compresses to a few kilobytes


def test_without_chromium_the_test_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match="chromium not installed: apt-get install chromium"):
        _chromium()
