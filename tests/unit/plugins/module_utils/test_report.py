"""The fleet report: tunnel states, joins across subsets, diagnosis merge, schema, failed hosts, Markdown and HTML."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any, Dict, List

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.filter.report import FilterModule
from ansible_collections.fortidiag.ipsec.plugins.module_utils.report import (
    REPORT_SCHEMA,
    fleet_report,
    host_tunnels,
    merge_diagnosis,
    report_html,
    report_markdown,
    tunnel_state,
)


def test_tunnel_state() -> None:
    assert tunnel_state(2, 2, None, False) == "up"
    assert tunnel_state(1, 2, None, False) == "partial"
    assert tunnel_state(0, 1, 0, False) == "down"
    assert tunnel_state(None, None, 1, False) == "up"
    assert tunnel_state(None, None, 0, False) == "down"
    assert tunnel_state(None, None, None, False) == "unknown"
    assert tunnel_state(0, 0, 0, True) == "dialup-parent"


FACTS = {
    "tunnel_summary": {"tunnels": [
        {"name": "to-hq", "vdom": "root", "remote_ip": "192.0.2.1", "remote_port": 500,
         "selectors_total": 2, "selectors_up": 2, "rx_packets": 10, "rx_errors": 0, "tx_packets": 11, "tx_errors": 0},
        {"name": "to-dc", "vdom": "root", "remote_ip": "192.0.2.9", "remote_port": 500,
         "selectors_total": 1, "selectors_up": 0, "rx_packets": 0, "rx_errors": 0, "tx_packets": 0, "tx_errors": 0},
    ], "unparsed": []},
    "tunnel_list": {"tunnels": [
        {"name": "to-hq", "vdom": "root", "remote_gateway": "192.0.2.1", "mode": "auto", "parent": None,
         "child_num": 0, "rx_packets": 10, "tx_packets": 11, "dpd": {"mode": "on-idle", "status": "ok"},
         "proxyids": [{"sas": [{"offload": "both"}]}, {"sas": [{"offload": "both"}]}],
         "offload_summary": {"state": "full"}},
        {"name": "dial", "vdom": "root", "remote_gateway": "0.0.0.0", "mode": "dialup", "parent": None,
         "child_num": 2, "rx_packets": 0, "tx_packets": 0, "dpd": None, "proxyids": []},
    ], "unparsed": ["odd line"]},
    "ike_gateways": {"gateways": [
        {"name": "to-hq", "vdom": "root", "version": 2, "sas": [{"status": "established"}]},
    ], "unparsed": []},
}


def test_host_tunnels_joins_subsets_by_vdom_and_name() -> None:
    rows = {row["name"]: row for row in host_tunnels(FACTS)}
    assert rows["to-hq"]["state"] == "up"
    assert rows["to-hq"]["sa_count"] == 2
    assert rows["to-hq"]["offload"] == "full"
    assert rows["to-hq"]["ike_sa"] == "established"
    assert rows["to-hq"]["ike_version"] == 2
    assert rows["to-dc"]["state"] == "down"
    assert rows["dial"]["state"] == "dialup-parent"


def test_fleet_report_lists_failed_hosts_with_their_error() -> None:
    hostvars = {
        "fw1": {"ansible_facts": {"fortios_ipsec": dict(FACTS, device={"version": "7.2.8"})}},
        "fw2": {"fortidiag_host_error": "fw2 (192.0.2.2:22): authentication failed for user 'admin'"},
    }
    report = fleet_report(["fw1", "fw2"], hostvars, "2026-11-27T10:00:00Z")
    assert [h["status"] for h in report["hosts"].values()] == ["ok", "failed"]
    assert report["hosts"]["fw2"]["error"].startswith("fw2 (192.0.2.2:22): authentication failed")
    assert report["fleet"] == {"hosts": 2, "hosts_failed": 1, "tunnels": 3, "tunnels_up": 1, "tunnels_down": 1,
                               "tunnels_with_findings": 0, "top_causes": {}}
    assert report["hosts"]["fw1"]["unparsed_lines"] == 1
    # Without a diagnosis every tunnel still has the fixed names, with no cause and no findings.
    assert all(t["top_cause"] is None and t["findings"] == [] for t in report["hosts"]["fw1"]["tunnels"])
    assert report["hosts"]["fw1"]["stages"] == []
    text = report_markdown(report)
    assert "| fw1 | ok | 7.2.8 | 3 | 1 | 1 | 0 |" in text
    assert "**Not checked:** fw2 (192.0.2.2:22): authentication failed" in text
    assert "| to-dc | root | **down** | - | 192.0.2.9 | 0/1 |" in text
    assert "fw2: not checked: fw2 (192.0.2.2:22)" in report["hosts"]["fw2"]["summary"]


EVIDENCE_XSS = "<script>alert('pwned')</script> & \"quoted\""

DIAGNOSIS = [
    {"tunnel": "to-dc", "vdom": None, "host": "fw1", "state": "down", "top_cause": "psk_mismatch",
     "findings": [
         {"code": "psk_mismatch", "severity": "critical", "stage": "debug", "tunnel": "to-dc",
          "evidence": ["ike 0:to-dc:12: probable pre-shared secret mismatch", EVIDENCE_XSS],
          "fix": "Set the same pre-shared key on both peers.", "cause": "The pre-shared keys differ."},
         {"code": "dpd_timeout", "severity": "warning", "stage": "debug", "tunnel": "to-dc",
          "evidence": ["ike 0:to-dc: DPD send, no reply"], "fix": "Check the internet path.", "cause": "DPD lost."},
     ]},
    {"tunnel": "to-hq", "vdom": "root", "host": "fw1", "state": "up", "top_cause": None, "findings": []},
    {"tunnel": "only-diag", "vdom": "dmz", "host": "fw1", "state": "down", "top_cause": "route_missing",
     "findings": [{"code": "route_missing", "severity": "critical", "stage": "policies", "evidence": ["no route to 10.9.0.0/16"],
                   "fix": "Add a route via only-diag.", "cause": "No route.", "tunnel": "only-diag"}]},
]

STAGES = [
    {"stage": "configuration", "status": "ok", "seconds": 0, "note": ""},
    {"stage": "connectivity", "status": "findings", "seconds": 4.26, "note": "<b>ping lost</b>"},
    {"stage": "debug", "status": "error", "seconds": 12.0, "note": "timeout"},
    {"stage": "selectors", "status": "skipped", "seconds": 0, "note": "tunnel down"},
]


def diagnosed_report() -> Dict[str, Any]:
    hostvars = {
        "fw1": {"ansible_facts": {"fortios_ipsec": dict(FACTS, device={"version": "7.2.8", "model": "FGT60F"})},
                "fortidiag_diagnosis": DIAGNOSIS, "fortidiag_stages": STAGES},
        "fw2": {"fortidiag_host_error": "fw2: <unreachable>"},
        "fw3": {"ansible_facts": {"fortios_ipsec": FACTS}},
    }
    return fleet_report(["fw1", "fw2", "fw3"], hostvars, "2026-11-27T10:00:00Z")


def test_merge_diagnosis_by_vdom_or_root_and_name() -> None:
    rows = {(t["vdom"] or "root", t["name"]): t for t in merge_diagnosis(host_tunnels(FACTS), DIAGNOSIS)}
    assert rows[("root", "to-dc")]["top_cause"] == "psk_mismatch"  # diagnosis vdom None matches facts vdom root
    assert [f["code"] for f in rows[("root", "to-dc")]["findings"]] == ["psk_mismatch", "dpd_timeout"]
    assert rows[("root", "to-dc")]["selectors_total"] == 1  # existing fields are kept
    assert rows[("root", "to-hq")]["top_cause"] is None and rows[("root", "to-hq")]["findings"] == []
    assert rows[("root", "to-hq")]["offload"] == "full"
    assert rows[("root", "dial")]["top_cause"] is None and rows[("root", "dial")]["findings"] == []
    assert rows[("dmz", "only-diag")]["state"] == "down"  # diagnosed but not in the facts: still listed
    assert rows[("dmz", "only-diag")]["top_cause"] == "route_missing"


def test_report_json_schema_fixed_names() -> None:
    report = json.loads(json.dumps(diagnosed_report()))  # survives JSON as written to report.json
    assert report["schema"] == REPORT_SCHEMA == "fortidiag.report/1"
    assert report["generated"] == "2026-11-27T10:00:00Z"
    assert set(report["fleet"]) >= {"hosts", "hosts_failed", "tunnels", "tunnels_up", "tunnels_with_findings", "top_causes"}
    assert list(report["hosts"]) == ["fw1", "fw2", "fw3"]
    for entry in report["hosts"].values():
        assert {"device", "error", "stages", "tunnels"} <= set(entry)
        for tunnel in entry["tunnels"]:
            assert {"name", "state", "top_cause", "findings"} <= set(tunnel)
            assert tunnel["top_cause"] is None or isinstance(tunnel["top_cause"], str)
            for finding in tunnel["findings"]:
                assert {"code", "severity", "stage", "evidence", "fix"} <= set(finding)
                assert isinstance(finding["evidence"], list)
    fw1 = report["hosts"]["fw1"]
    assert fw1["error"] is None and fw1["device"]["model"] == "FGT60F"
    assert [s["stage"] for s in fw1["stages"]] == ["configuration", "connectivity", "debug", "selectors"]
    assert fw1["stages"][1] == {"stage": "connectivity", "status": "findings", "seconds": 4.3, "note": "<b>ping lost</b>"}
    assert report["hosts"]["fw2"]["error"] == "fw2: <unreachable>" and report["hosts"]["fw2"]["tunnels"] == []


def test_fleet_counts_with_findings() -> None:
    fleet = diagnosed_report()["fleet"]
    # fw1: to-hq up, to-dc down, dial parent, only-diag down; fw3: same three tunnels as fw1's facts.
    assert fleet == {"hosts": 3, "hosts_failed": 1, "tunnels": 7, "tunnels_up": 2, "tunnels_down": 3,
                     "tunnels_with_findings": 2, "top_causes": {"psk_mismatch": 1, "route_missing": 1}}


def test_summary_lines() -> None:
    hosts = diagnosed_report()["hosts"]
    assert hosts["fw1"]["summary"] == "fw1: 4 tunnels, 2 down, top causes: route_missing (only-diag), psk_mismatch (to-dc)"
    assert hosts["fw3"]["summary"] == "fw3: 3 tunnels, 1 down, top causes: none"


def test_markdown_has_tunnel_table_findings_evidence_and_fix() -> None:
    text = report_markdown(diagnosed_report())
    assert "Top causes: psk_mismatch (1), route_missing (1)." in text
    assert "| to-dc | root | **down** | psk_mismatch |" in text
    assert "| to-hq | root | **up** | - |" in text
    assert "#### to-dc: `psk_mismatch` (top cause)" in text
    assert "#### to-dc: `dpd_timeout`" in text
    assert "```text\nike 0:to-dc:12: probable pre-shared secret mismatch\n%s\n```" % EVIDENCE_XSS in text
    assert "Fix: Set the same pre-shared key on both peers." in text
    assert "| connectivity | findings | 4.3 |" in text
    for host in ("fw1", "fw2", "fw3"):
        assert "## %s" % host in text


def test_markdown_fence_outlasts_backticks_in_evidence() -> None:
    diagnosis = [{"tunnel": "to-dc", "vdom": "root", "state": "down", "top_cause": "x",
                  "findings": [{"code": "x", "severity": "info", "stage": "debug", "evidence": ["a ```` b"], "fix": "f"}]}]
    report = fleet_report(["fw"], {"fw": {"ansible_facts": {"fortios_ipsec": FACTS}, "fortidiag_diagnosis": diagnosis}})
    assert "`````text\na ```` b\n`````" in report_markdown(report)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: List[str] = []
        self.text: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Any]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_device_output_and_is_self_contained() -> None:
    page = report_html(diagnosed_report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert "&lt;b&gt;ping lost&lt;/b&gt;" in page and "<b>ping lost</b>" not in page
    assert "fw2: &lt;unreachable&gt;" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page and "@import" not in page
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags
    text = "".join(parser.text)
    assert EVIDENCE_XSS in text  # the browser shows the evidence exactly as the device printed it
    for code in ("psk_mismatch", "dpd_timeout", "route_missing"):
        assert code in text
    assert "Set the same pre-shared key on both peers." in text
    assert "Add a route via only-diag." in text


def test_html_state_colours_badges_and_timeline() -> None:
    page = report_html(diagnosed_report())
    assert '<td class="state state-up">up</td>' in page
    assert '<td class="state state-down">down</td>' in page
    assert ".state-up{background:#1a7f37}" in page and ".state-down{background:#cf222e}" in page
    assert ".state-partial{background:#bf8700}" in page
    assert '<span class="badge sev-critical">critical</span>' in page
    assert '<span class="badge sev-warning">warning</span>' in page
    assert '<pre class="evidence">ike 0:to-dc:12: probable pre-shared secret mismatch\n' in page
    assert '<tr><td>debug</td><td class="status-error">error</td><td>12.0</td><td>timeout</td></tr>' in page
    for card in ("<b>3</b>hosts", "<b>1</b>hosts failed", "<b>7</b>tunnels", "<b>2</b>with findings"):
        assert card in page


def test_html_partial_state_is_amber() -> None:
    facts = {"tunnel_summary": {"tunnels": [{"name": "half", "vdom": "root", "selectors_total": 2, "selectors_up": 1}]}}
    page = report_html(fleet_report(["fw"], {"fw": {"ansible_facts": {"fortios_ipsec": facts}}}))
    assert '<td class="state state-partial">partial</td>' in page


def test_filters_check_their_input() -> None:
    filters = FilterModule().filters()
    report = diagnosed_report()
    assert filters["report_html"](report) == report_html(report)
    assert filters["report_markdown"](report) == report_markdown(report)
    for name in ("report_html", "report_markdown"):
        with pytest.raises(AnsibleFilterError, match="fortidiag.ipsec.fleet_report"):
            filters[name]({"hosts": []})
    with pytest.raises(AnsibleFilterError):
        filters["fleet_report"]("fw1", {})
