# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn per-host facts and diagnoses into the fleet report (data, Markdown and HTML). Pure functions.

The data schema (``fortidiag.report/1``) is documented in docs/report.md; its names are fixed.
"""
from __future__ import annotations

import html
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.fortidiag.ipsec.plugins.module_utils.evidence import host_vpn_facts

REPORT_SCHEMA = "fortidiag.report/1"
FINDING_FIELDS = ("code", "severity", "stage", "evidence", "fix")
STATES = ("up", "partial", "down", "dialup-parent", "unknown")


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


def _finding(item: Mapping[str, Any]) -> Dict[str, Any]:
    evidence = item.get("evidence")
    if evidence is None:
        evidence = []
    elif isinstance(evidence, str):
        evidence = evidence.splitlines()
    finding = {"code": item.get("code"), "severity": item.get("severity"), "stage": item.get("stage"),
               "evidence": [str(line) for line in evidence], "fix": item.get("fix")}
    if item.get("cause") is not None:
        finding["cause"] = item.get("cause")
    return finding


def merge_diagnosis(tunnels: List[Dict[str, Any]], diagnosis: Optional[Sequence[Mapping[str, Any]]]) -> List[Dict[str, Any]]:
    """Give every tunnel `top_cause` and `findings`, matched by (vdom or root, name).

    A diagnosed tunnel the facts do not list is added with the diagnosis' state.
    """
    by_key: Dict[tuple, Mapping[str, Any]] = {}
    for item in diagnosis or []:
        if isinstance(item, Mapping):
            by_key[(item.get("vdom") or "root", item.get("tunnel") or item.get("name"))] = item
    rows = [dict(t) for t in tunnels]
    seen = set()
    for row in rows:
        key = _key(row)
        seen.add(key)
        item = by_key.get(key) or {}
        row["top_cause"] = item.get("top_cause")
        row["findings"] = [_finding(f) for f in item.get("findings") or [] if isinstance(f, Mapping)]
        if row.get("state") in (None, "unknown") and item.get("state"):
            row["state"] = item["state"]
    for key, item in by_key.items():
        if key in seen:
            continue
        rows.append({"name": key[1], "vdom": item.get("vdom"), "state": item.get("state") or "unknown",
                     "top_cause": item.get("top_cause"),
                     "findings": [_finding(f) for f in item.get("findings") or [] if isinstance(f, Mapping)]})
    return sorted(rows, key=lambda r: (str(r.get("vdom") or ""), str(r.get("name") or "")))


def _stages(stages: Optional[Sequence[Mapping[str, Any]]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for item in stages or []:
        if not isinstance(item, Mapping):
            continue
        try:
            seconds = round(float(item.get("seconds") or 0), 1)
        except (TypeError, ValueError):
            seconds = 0.0
        out.append({"stage": item.get("stage"), "status": item.get("status") or "ok", "seconds": seconds,
                    "note": str(item.get("note") or "")})
    return out


def _host_summary(name: str, entry: Mapping[str, Any]) -> str:
    if entry.get("error"):
        return "%s: not checked: %s" % (name, entry["error"])
    if entry.get("status") == "not_checked":
        return "%s: no IPsec state gathered" % name
    tunnels = entry.get("tunnels") or []
    down = sum(1 for t in tunnels if t.get("state") in ("down", "partial"))
    causes = ["%s (%s)" % (t["top_cause"], t.get("name")) for t in tunnels if t.get("top_cause")]
    return "%s: %d tunnels, %d down, top causes: %s" % (name, len(tunnels), down, ", ".join(causes) or "none")


def host_report(name: str, host_vars: Mapping[str, Any]) -> Dict[str, Any]:
    """The report entry for one host from its variables (facts, diagnosis, stages or the recorded error)."""
    error = host_vars.get("fortidiag_host_error")
    facts = host_vpn_facts(host_vars)
    diagnosis = host_vars.get("fortidiag_diagnosis") or []
    tunnels = merge_diagnosis(host_tunnels(facts) if facts else [], diagnosis)
    unparsed = sum(len((facts.get(s) or {}).get("unparsed") or []) for s in ("tunnel_summary", "tunnel_list", "ike_gateways"))
    entry: Dict[str, Any] = {
        "host": name,
        "status": "failed" if error else ("ok" if facts or diagnosis else "not_checked"),
        "error": error,
        "device": facts.get("device"),
        "stages": _stages(host_vars.get("fortidiag_stages")),
        "tunnels": tunnels,
        "counts": {state: sum(1 for t in tunnels if t["state"] == state) for state in STATES},
        "unparsed_lines": unparsed,
    }
    entry["summary"] = _host_summary(name, entry)
    return entry


def fleet_report(hosts: Sequence[str], hostvars: Mapping[str, Any], generated: str = "") -> Dict[str, Any]:
    """The whole report: one entry per inventory host of the play, failed ones included."""
    entries = {h: host_report(h, hostvars[h]) for h in hosts}
    tunnels = [t for e in entries.values() for t in e["tunnels"]]
    causes = Counter(t["top_cause"] for t in tunnels if t.get("top_cause"))
    return {
        "schema": REPORT_SCHEMA,
        "generated": generated,
        "fleet": {
            "hosts": len(entries),
            "hosts_failed": sum(1 for e in entries.values() if e["status"] == "failed"),
            "tunnels": len(tunnels),
            "tunnels_up": sum(1 for t in tunnels if t["state"] == "up"),
            "tunnels_down": sum(1 for t in tunnels if t["state"] in ("down", "partial")),
            "tunnels_with_findings": sum(1 for t in tunnels if t.get("findings")),
            "top_causes": dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
        "hosts": entries,
    }


def _cell(value: Any) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _fence(lines: Sequence[str]) -> str:
    longest = 0
    for line in lines:
        run = 0
        for char in line:
            run = run + 1 if char == "`" else 0
            longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _causes_text(causes: Mapping[str, Any]) -> str:
    return ", ".join("%s (%s)" % (code, count) for code, count in causes.items()) or "none"


def report_markdown(report: Mapping[str, Any]) -> str:
    """Render the report for people: a fleet summary, then per host its tunnels, findings and stages."""
    fleet = report.get("fleet") or {}
    hosts: Mapping[str, Any] = report.get("hosts") or {}
    lines = [
        "# FortiGate IPsec report",
        "",
        "Generated %s. Hosts: %s (failed: %s). Tunnels: %s (up: %s, down or partial: %s, with findings: %s)." % (
            report.get("generated") or "-", fleet.get("hosts", 0), fleet.get("hosts_failed", 0), fleet.get("tunnels", 0),
            fleet.get("tunnels_up", 0), fleet.get("tunnels_down", 0), fleet.get("tunnels_with_findings", 0)),
        "",
        "Top causes: %s." % _causes_text(fleet.get("top_causes") or {}),
        "",
        "| host | status | version | tunnels | up | down/partial | findings |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in hosts.items():
        counts = entry.get("counts") or {}
        tunnels = entry.get("tunnels") or []
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            _cell(name), entry.get("status"), _cell((entry.get("device") or {}).get("version")), len(tunnels),
            counts.get("up", 0), counts.get("down", 0) + counts.get("partial", 0), sum(len(t.get("findings") or []) for t in tunnels)))
    for name, entry in hosts.items():
        device = entry.get("device") or {}
        lines += ["", "## %s" % name, ""]
        if entry.get("error"):
            lines += ["**Not checked:** %s" % entry["error"]]
            continue
        lines.append("%s, FortiOS %s, VDOM mode %s." % (
            _cell(device.get("model")), _cell(device.get("version")), _cell(device.get("vdom_mode"))))
        if not entry.get("tunnels"):
            lines += ["", "No IPsec tunnels."]
        else:
            lines += ["", "| tunnel | vdom | state | top cause | remote gateway | selectors up/total | IKE SA | SAs | rx/tx packets | offload |",
                      "|---|---|---|---|---|---|---|---|---|---|"]
            for t in entry["tunnels"]:
                selectors = "-" if t.get("selectors_total") is None else "%s/%s" % (t.get("selectors_up"), t.get("selectors_total"))
                lines.append("| %s | %s | **%s** | %s | %s | %s | %s | %s | %s/%s | %s |" % (
                    _cell(t.get("name")), _cell(t.get("vdom")), t.get("state"), _cell(t.get("top_cause")),
                    _cell(t.get("remote_gateway")), selectors, _cell(t.get("ike_sa")), _cell(t.get("sa_count")),
                    _cell(t.get("rx_packets")), _cell(t.get("tx_packets")), _cell(t.get("offload"))))
        findings = [(t, f) for t in entry.get("tunnels") or [] for f in t.get("findings") or []]
        if findings:
            lines += ["", "### Findings"]
            for tunnel, finding in findings:
                top = " (top cause)" if finding.get("code") == tunnel.get("top_cause") else ""
                lines += ["", "#### %s: `%s`%s" % (tunnel.get("name"), finding.get("code"), top), "",
                          "Severity %s, stage %s." % (finding.get("severity") or "-", finding.get("stage") or "-")]
                if finding.get("cause"):
                    lines += ["", "Cause: %s" % finding["cause"]]
                evidence = [str(line) for line in finding.get("evidence") or []]
                if evidence:
                    fence = _fence(evidence)
                    lines += ["", "Evidence:", "", fence + "text"] + evidence + [fence]
                lines += ["", "Fix: %s" % (finding.get("fix") or "-")]
        if entry.get("stages"):
            lines += ["", "### Stages", "", "| stage | status | seconds | note |", "|---|---|---|---|"]
            for stage in entry["stages"]:
                lines.append("| %s | %s | %s | %s |" % (_cell(stage.get("stage")), _cell(stage.get("status")),
                                                        _cell(stage.get("seconds")), _cell(stage.get("note") or None)))
        if entry.get("unparsed_lines"):
            lines += ["", "%s output lines were not understood; see report.json." % entry["unparsed_lines"]]
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}
header h1{margin:0 0 8px;font-size:22px}
main{padding:16px 24px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;color:#1f2328;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}
section.host{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:16px 0;padding:12px 18px}
table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f0f3f6}
td.state{font-weight:bold;color:#fff}
.state-up{background:#1a7f37}
.state-down{background:#cf222e}
.state-partial{background:#bf8700}
.state-dialup-parent,.state-unknown{background:#6e7781}
.finding{border-left:4px solid #d0d7de;margin:10px 0;padding:4px 12px}
.finding.top{border-left-color:#cf222e}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:bold;color:#fff;background:#6e7781}
.sev-critical{background:#cf222e}
.sev-error{background:#bc4c00}
.sev-warning{background:#bf8700}
.sev-info{background:#0969da}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow-x:auto;white-space:pre-wrap}
.error{color:#cf222e;font-weight:bold}
.status-ok{color:#1a7f37}.status-findings{color:#bf8700}.status-error{color:#cf222e}.status-skipped{color:#6e7781}
"""


def _e(value: Any) -> str:
    """Escape any value for HTML text and attribute values."""
    if value is None:
        return "-"
    return html.escape(str(value), quote=True)


def _cls(prefix: str, value: Any) -> str:
    word = "".join(c if c.isalnum() or c == "-" else "-" for c in str(value or "unknown").lower())
    return "%s-%s" % (prefix, word)


def _html_host(name: str, entry: Mapping[str, Any]) -> List[str]:
    device = entry.get("device") or {}
    out = ['<section class="host" id="%s">' % _e(_cls("host", name)), "<h2>%s</h2>" % _e(name)]
    if entry.get("error"):
        out += ['<p class="error">Not checked: %s</p>' % _e(entry["error"]), "</section>"]
        return out
    out.append("<p>%s, FortiOS %s, VDOM mode %s.</p>" % (_e(device.get("model")), _e(device.get("version")), _e(device.get("vdom_mode"))))
    tunnels = entry.get("tunnels") or []
    if tunnels:
        out += ["<table>", "<thead><tr><th>tunnel</th><th>vdom</th><th>state</th><th>top cause</th><th>remote gateway</th>"
                "<th>selectors up/total</th><th>findings</th></tr></thead>", "<tbody>"]
        for t in tunnels:
            selectors = "-" if t.get("selectors_total") is None else "%s/%s" % (t.get("selectors_up"), t.get("selectors_total"))
            out.append('<tr><td>%s</td><td>%s</td><td class="state %s">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>' % (
                _e(t.get("name")), _e(t.get("vdom")), _e(_cls("state", t.get("state"))), _e(t.get("state")),
                "<code>%s</code>" % _e(t["top_cause"]) if t.get("top_cause") else "-",
                _e(t.get("remote_gateway")), _e(selectors), len(t.get("findings") or [])))
        out += ["</tbody>", "</table>"]
    else:
        out.append("<p>No IPsec tunnels.</p>")
    findings = [(t, f) for t in tunnels for f in t.get("findings") or []]
    if findings:
        out.append("<h3>Findings</h3>")
        for tunnel, finding in findings:
            top = finding.get("code") == tunnel.get("top_cause")
            out.append('<div class="finding%s">' % (" top" if top else ""))
            out.append('<h4>%s: <code>%s</code> <span class="badge %s">%s</span>%s</h4>' % (
                _e(tunnel.get("name")), _e(finding.get("code")), _e(_cls("sev", finding.get("severity"))),
                _e(finding.get("severity")), " (top cause)" if top else ""))
            out.append("<p>Stage: %s</p>" % _e(finding.get("stage")))
            if finding.get("cause"):
                out.append("<p>Cause: %s</p>" % _e(finding["cause"]))
            evidence = finding.get("evidence") or []
            if evidence:
                out.append('<pre class="evidence">%s</pre>' % "\n".join(_e(line) for line in evidence))
            out.append('<p class="fix"><b>Fix:</b> %s</p>' % _e(finding.get("fix")))
            out.append("</div>")
    stages = entry.get("stages") or []
    if stages:
        out += ["<h3>Stages</h3>", '<table class="timeline">',
                "<thead><tr><th>stage</th><th>status</th><th>seconds</th><th>note</th></tr></thead>", "<tbody>"]
        for stage in stages:
            out.append('<tr><td>%s</td><td class="%s">%s</td><td>%s</td><td>%s</td></tr>' % (
                _e(stage.get("stage")), _e(_cls("status", stage.get("status"))), _e(stage.get("status")),
                _e(stage.get("seconds")), _e(stage.get("note") or "")))
        out += ["</tbody>", "</table>"]
    out.append("</section>")
    return out


def report_html(report: Mapping[str, Any]) -> str:
    """Render the report as one self-contained HTML page: inline CSS, no scripts, no external URLs."""
    fleet = report.get("fleet") or {}
    hosts: Mapping[str, Any] = report.get("hosts") or {}
    cards = [("hosts", fleet.get("hosts", 0)), ("hosts failed", fleet.get("hosts_failed", 0)),
             ("tunnels", fleet.get("tunnels", 0)), ("tunnels up", fleet.get("tunnels_up", 0)),
             ("down or partial", fleet.get("tunnels_down", 0)), ("with findings", fleet.get("tunnels_with_findings", 0))]
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           "<title>FortiGate IPsec report</title>", "<style>%s</style>" % _CSS, "</head>", "<body>", "<header>",
           "<h1>FortiGate IPsec report</h1>", "<p>Generated %s</p>" % _e(report.get("generated") or "-"), '<div class="cards">']
    out += ['<div class="card"><b>%s</b>%s</div>' % (_e(value), _e(label)) for label, value in cards]
    out += ["</div>", "<p>Top causes: %s</p>" % _e(_causes_text(fleet.get("top_causes") or {})), "</header>", "<main>"]
    for name, entry in hosts.items():
        out += _html_host(name, entry)
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
