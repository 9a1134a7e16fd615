# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn per-host facts into the fleet report (data and Markdown). Pure functions."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

REPORT_VERSION = 1


def tunnel_state(selectors_up: Optional[int], selectors_total: Optional[int], sa_count: Optional[int],
                 is_dialup_parent: bool) -> str:
    """One word per tunnel: up, partial, down, dialup-parent or unknown."""
    if is_dialup_parent:
        return "dialup-parent"
    if selectors_total:
        if selectors_up == selectors_total:
            return "up"
        return "partial" if selectors_up else "down"
    if sa_count is not None:
        return "up" if sa_count > 0 else "down"
    return "unknown"


def _key(item: Mapping[str, Any]) -> tuple:
    # Without VDOMs the gateway list still says `vd: root/0` while other commands name no
    # VDOM: both are root.
    return (item.get("vdom") or "root", item.get("name"))


def host_tunnels(facts: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Join summary, tunnel list and IKE gateways by (vdom, name)."""
    rows: Dict[tuple, Dict[str, Any]] = {}

    def row(item: Mapping[str, Any]) -> Dict[str, Any]:
        return rows.setdefault(_key(item), {"name": item.get("name"), "vdom": item.get("vdom")})

    for item in (facts.get("tunnel_summary") or {}).get("tunnels") or []:
        row(item).update(remote_gateway=item.get("remote_ip"), remote_port=item.get("remote_port"),
                         selectors_up=item.get("selectors_up"), selectors_total=item.get("selectors_total"),
                         rx_packets=item.get("rx_packets"), tx_packets=item.get("tx_packets"),
                         rx_errors=item.get("rx_errors"), tx_errors=item.get("tx_errors"))
    for item in (facts.get("tunnel_list") or {}).get("tunnels") or []:
        entry = row(item)
        sas = [sa for proxy in item.get("proxyids") or [] for sa in proxy.get("sas") or []]
        entry.setdefault("remote_gateway", item.get("remote_gateway"))
        entry.update(mode=item.get("mode"), parent=item.get("parent"), sa_count=len(sas),
                     child_num=item.get("child_num"), offload=(item.get("offload_summary") or {}).get("state"),
                     dpd=(item.get("dpd") or {}).get("status"))
        for field in ("rx_packets", "tx_packets"):
            if entry.get(field) is None:
                entry[field] = item.get(field)
    for gateway in (facts.get("ike_gateways") or {}).get("gateways") or []:
        entry = rows.get(_key(gateway))
        if entry is None:
            continue
        statuses = [sa.get("status") for sa in gateway.get("sas") or []]
        entry["ike_version"] = gateway.get("version")
        entry["ike_sa"] = "established" if "established" in statuses else (statuses[0] if statuses else None)
    for entry in rows.values():
        entry["state"] = tunnel_state(entry.get("selectors_up"), entry.get("selectors_total"),
                                      entry.get("sa_count"), entry.get("mode") == "dialup")
    return sorted(rows.values(), key=lambda r: (str(r.get("vdom") or ""), str(r.get("name") or "")))


def host_report(name: str, host_vars: Mapping[str, Any]) -> Dict[str, Any]:
    """The report entry for one host from its variables (facts or the recorded error)."""
    error = host_vars.get("fortidiag_host_error")
    facts = (host_vars.get("ansible_facts") or {}).get("fortios_ipsec") or {}
    tunnels = host_tunnels(facts) if facts else []
    unparsed = sum(len((facts.get(s) or {}).get("unparsed") or []) for s in ("tunnel_summary", "tunnel_list", "ike_gateways"))
    return {
        "host": name,
        "status": "failed" if error else ("ok" if facts else "not_checked"),
        "error": error,
        "device": facts.get("device"),
        "tunnels": tunnels,
        "counts": {state: sum(1 for t in tunnels if t["state"] == state)
                   for state in ("up", "partial", "down", "dialup-parent", "unknown")},
        "unparsed_lines": unparsed,
    }


def fleet_report(hosts: Sequence[str], hostvars: Mapping[str, Any], generated: str = "") -> Dict[str, Any]:
    """The whole report: one entry per inventory host of the play, failed ones included."""
    entries = [host_report(h, hostvars[h]) for h in hosts]
    return {
        "report_version": REPORT_VERSION,
        "generated": generated,
        "hosts": entries,
        "totals": {
            "hosts": len(entries),
            "hosts_failed": sum(1 for e in entries if e["status"] == "failed"),
            "tunnels": sum(len(e["tunnels"]) for e in entries),
            "tunnels_down": sum(e["counts"]["down"] + e["counts"]["partial"] for e in entries),
        },
    }


def _cell(value: Any) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|")


def report_markdown(report: Mapping[str, Any]) -> str:
    """Render the report for people: a fleet summary, then one table per host."""
    totals = report.get("totals") or {}
    lines = [
        "# FortiGate IPsec report",
        "",
        "Generated %s. Hosts: %s (failed: %s). Tunnels: %s (down or partial: %s)." % (
            report.get("generated") or "-", totals.get("hosts", 0), totals.get("hosts_failed", 0),
            totals.get("tunnels", 0), totals.get("tunnels_down", 0)),
        "",
        "| host | status | version | tunnels | up | down/partial |",
        "|---|---|---|---|---|---|",
    ]
    for entry in report.get("hosts") or []:
        counts = entry.get("counts") or {}
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            _cell(entry["host"]), entry["status"], _cell((entry.get("device") or {}).get("version")),
            len(entry.get("tunnels") or []), counts.get("up", 0), counts.get("down", 0) + counts.get("partial", 0)))
    for entry in report.get("hosts") or []:
        device = entry.get("device") or {}
        lines += ["", "## %s" % entry["host"], ""]
        if entry.get("error"):
            lines += ["**Not checked:** %s" % entry["error"]]
            continue
        lines.append("%s, FortiOS %s, VDOM mode %s." % (
            _cell(device.get("model")), _cell(device.get("version")), _cell(device.get("vdom_mode"))))
        if not entry.get("tunnels"):
            lines += ["", "No IPsec tunnels."]
            continue
        lines += ["", "| tunnel | vdom | state | remote gateway | selectors up/total | IKE SA | SAs | rx/tx packets | offload |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for t in entry["tunnels"]:
            selectors = "-" if t.get("selectors_total") is None else "%s/%s" % (t.get("selectors_up"), t.get("selectors_total"))
            lines.append("| %s | %s | **%s** | %s | %s | %s | %s | %s/%s | %s |" % (
                _cell(t.get("name")), _cell(t.get("vdom")), t["state"], _cell(t.get("remote_gateway")), selectors,
                _cell(t.get("ike_sa")), _cell(t.get("sa_count")), _cell(t.get("rx_packets")), _cell(t.get("tx_packets")),
                _cell(t.get("offload"))))
        if entry.get("unparsed_lines"):
            lines += ["", "%s output lines were not understood; see report.json." % entry["unparsed_lines"]]
    return "\n".join(lines) + "\n"
