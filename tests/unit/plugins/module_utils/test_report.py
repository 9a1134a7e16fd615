"""The fleet report: tunnel states, joins across subsets, failed hosts, Markdown."""
from __future__ import annotations

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report import (
    fleet_report,
    host_tunnels,
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
    assert [h["status"] for h in report["hosts"]] == ["ok", "failed"]
    assert report["hosts"][1]["error"].startswith("fw2 (192.0.2.2:22): authentication failed")
    assert report["totals"] == {"hosts": 2, "hosts_failed": 1, "tunnels": 3, "tunnels_down": 1}
    assert report["hosts"][0]["unparsed_lines"] == 1
    text = report_markdown(report)
    assert "| fw1 | ok | 7.2.8 | 3 | 1 | 1 |" in text
    assert "**Not checked:** fw2 (192.0.2.2:22): authentication failed" in text
    assert "| to-dc | root | **down** | 192.0.2.9 | 0/1 |" in text
