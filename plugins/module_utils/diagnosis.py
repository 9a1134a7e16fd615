# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IPsec diagnosis: evidence -> findings -> top cause. Pure functions, no I/O.

`RULES` is the one table from finding code to stage, severity, cause, fix and priority (lower
priority = more likely the root cause). `diagnose_tunnel(evidence)` turns the evidence the
troubleshoot stages gathered for one tunnel into findings (one per code, evidence lines of
every stage that saw it, the stage that saw it first in stage order) and picks `top_cause`:
the non-info finding with the lowest priority, ties broken by stage order
(configuration < connectivity < debug < selectors < policies).

A healthy tunnel (state up, every selector up, packets received when counted, and no critical
finding) gets no findings at all: warnings and notes are only shown where something is wrong.
"""
from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.config_compare import compare, normalize_subnet

STAGES = ("configuration", "connectivity", "debug", "selectors", "policies")
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Rule:
    code: str
    stage: str
    severity: str
    cause: str
    fix: str
    priority: int


RULES: Tuple[Rule, ...] = (
    Rule("ike_version_mismatch", "configuration", "critical",
         "The peers run different IKE versions, so neither answers the other's first exchange.",
         "Set the same `set ike-version` (1 or 2) in `config vpn ipsec phase1-interface` on both peers.", 10),
    Rule("ike_mode_mismatch", "configuration", "critical",
         "One IKEv1 peer uses main mode and the other aggressive mode.",
         "Set the same `set mode` (main or aggressive) in the phase1-interface of both peers.", 11),
    Rule("phase1_proposal_mismatch", "configuration", "critical",
         "The peers share no phase 1 encryption/authentication proposal or DH group (IKE debug: no SA proposal chosen).",
         "Give the phase1-interface on both peers at least one common `set proposal` and one common `set dhgrp`.", 12),
    Rule("psk_mismatch", "debug", "critical",
         "The pre-shared keys differ, so phase 1 authentication fails.",
         "Re-enter the same `set psksecret` in the phase1-interface on both peers.", 13),
    Rule("peer_id_mismatch", "configuration", "critical",
         "The ID one peer sends (localid or its address) is not the peerid the other side accepts.",
         "Make `set peerid` on one peer equal `set localid` on the other (or unset peerid to accept any ID).", 14),
    Rule("no_matching_gateway", "debug", "critical",
         "The responder has no phase 1 matching the initiator's address, interface or ID, so it ignores the request.",
         "Point `set remote-gw` (and `set interface`) of the responder's phase1-interface at the initiator's address, "
         "or fix the dialup peer ID.", 15),
    Rule("phase2_proposal_mismatch", "configuration", "critical",
         "The peers share no phase 2 proposal, disagree on PFS, or share no PFS DH group (IKE debug: no SA proposal chosen).",
         "Give both phase2-interface entries a common `set proposal`, the same `set pfs`, and a common `set dhgrp` when PFS is on.",
         16),
    Rule("selector_mismatch", "selectors", "critical",
         "The phase 2 quick mode selectors do not mirror each other or the traffic (debug flow: no matching IPsec selector, drop).",
         "Correct the selectors: `set src-subnet` / `set dst-subnet` of the phase2-interface must mirror the peer's "
         "(local source = peer destination) and cover the traffic.", 17),
    Rule("peer_unreachable", "connectivity", "critical",
         "The remote gateway does not answer: the internet path or UDP 500/4500 to it is broken.",
         "Check the WAN link and route to `remote-gw`, and allow UDP 500 and 4500 between both gateways on every device in the path.",
         20),
    Rule("nat_t_disabled", "connectivity", "critical",
         "A NAT device sits between the peers but NAT traversal is disabled on one of them.",
         "Set `set nattraversal enable` in the phase1-interface on both peers.", 22),
    Rule("esp_blocked", "connectivity", "critical",
         "The tunnel is up and ESP leaves this gateway but none comes back: ESP (IP protocol 50) or UDP 4500 is blocked on the path.",
         "Allow ESP (IP protocol 50) and UDP 4500 between both gateways on the path (ISP, upstream firewall), "
         "or force NAT-T with `set nattraversal forced`.", 25),
    Rule("dpd_timeout", "debug", "critical",
         "Dead peer detection packets are lost, so the tunnel is torn down and flaps (ISP / path issue).",
         "Check the internet connection between the gateways (loss, MTU, ISP); raise `set dpd-retryinterval`/`dpd-retrycount` "
         "only once the path is clean.", 19),
    Rule("policy_missing", "policies", "critical",
         "No accept firewall policy lets traffic from the internal interface into the tunnel interface, or back.",
         "Add `config firewall policy` entries from the LAN interface to the tunnel interface and from the tunnel interface "
         "to the LAN, action accept.", 35),
    Rule("nat_on_vpn_policy", "policies", "critical",
         "NAT is enabled on the policy into the tunnel, so traffic leaves with the wrong source and misses the selectors.",
         "Disable NAT (`set nat disable`) on the firewall policy whose dstintf is the tunnel interface.", 36),
    Rule("route_missing", "policies", "critical",
         "No route sends the remote subnet into the tunnel.",
         "Add a static route to each remote subnet with `set device` the tunnel interface (plus a blackhole route "
         "at a higher distance).", 37),
    Rule("route_wrong_interface", "policies", "critical",
         "The best route to the remote subnet points at another interface, not the tunnel.",
         "Change the static route to the remote subnet to `set device` the tunnel interface, or remove the more specific "
         "route that wins.", 38),
    Rule("negotiation_failure", "debug", "critical",
         "IKE negotiation fails without a more precise reason: the IPsec configuration does not match between the peers.",
         "Verify phase 1 and phase 2 settings on both peers (ike-version, mode, proposals, DH groups, PFS, IDs, selectors).", 60),
    Rule("dpd_mismatch", "configuration", "warning",
         "Dead peer detection is disabled on one peer only, so one side keeps a dead tunnel up.",
         "Set the same `set dpd` (on-idle or on-demand) in the phase1-interface on both peers.", 70),
    Rule("lifetime_mismatch", "configuration", "info",
         "The key lifetimes differ; the peers use the shorter one, which is harmless but untidy.",
         "Set the same `set keylife` (phase 1) and `set keylifeseconds` (phase 2) on both peers.", 90),
    Rule("nat_detected", "debug", "info",
         "A NAT device sits between the peers (not a fault by itself: NAT-T carries ESP in UDP 4500).",
         "Nothing to change while `set nattraversal` is enabled on both peers; allow UDP 4500 on the path.", 95),
)
RULES_BY_CODE: Dict[str, Rule] = {rule.code: rule for rule in RULES}

# IKE debug codes whose finding goes to the debug stage as is ("established" is healthy).
_IKE_CODES = frozenset(RULES_BY_CODE) & frozenset((
    "phase1_proposal_mismatch", "phase2_proposal_mismatch", "psk_mismatch", "peer_id_mismatch", "selector_mismatch",
    "no_matching_gateway", "peer_unreachable", "dpd_timeout", "nat_detected", "negotiation_failure"))
_SEVERITY_RANK = {name: index for index, name in enumerate(SEVERITIES)}
_STAGE_RANK = {name: index for index, name in enumerate(STAGES)}


def rules_as_dicts() -> List[Dict[str, Any]]:
    """The table as plain dicts (for reports and docs)."""
    return [asdict(rule) for rule in RULES]


def rules_markdown() -> str:
    """The table as a Markdown table (code, stage, severity, priority, cause, fix)."""
    lines = ["| code | stage | severity | priority | cause | fix |", "|---|---|---|---|---|---|"]
    for rule in RULES:
        cells = (rule.code, rule.stage, rule.severity, rule.priority, rule.cause.replace("|", "\\|"), rule.fix.replace("|", "\\|"))
        lines.append("| `%s` | %s | %s | %d | %s | %s |" % cells)
    return "\n".join(lines) + "\n"


class _Collector:
    """Findings of one tunnel, merged per code."""

    def __init__(self, tunnel: str) -> None:
        self.tunnel = tunnel
        self.by_code: Dict[str, Dict[str, Any]] = {}

    def add(self, code: str, stage: str, evidence: Sequence[str], severity: Optional[str] = None) -> None:
        rule = RULES_BY_CODE[code]
        severity = severity or rule.severity
        lines = [str(line) for line in evidence if line]
        found = self.by_code.get(code)
        if found is None:
            self.by_code[code] = {"code": code, "severity": severity, "stage": stage, "evidence": lines,
                                  "fix": rule.fix, "cause": rule.cause, "tunnel": self.tunnel}
            return
        if _STAGE_RANK[stage] < _STAGE_RANK[found["stage"]]:
            found["stage"] = stage
        if _SEVERITY_RANK[severity] < _SEVERITY_RANK[found["severity"]]:
            found["severity"] = severity
        found["evidence"].extend(line for line in lines if line not in found["evidence"])

    def findings(self) -> List[Dict[str, Any]]:
        return sorted(self.by_code.values(), key=_sort_key)


def _sort_key(finding: Mapping[str, Any]) -> Tuple[int, int, int]:
    return (_SEVERITY_RANK["info"] if finding["severity"] == "info" else 0,
            RULES_BY_CODE[finding["code"]].priority, _STAGE_RANK[finding["stage"]])


def top_cause(findings: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The non-info finding with the lowest priority (ties: stage order), or None."""
    causes = [finding for finding in findings if finding["severity"] != "info"]
    if not causes:
        return None
    return min(causes, key=_sort_key)["code"]


def _in_tunnel(gateway: Any, tunnel: str, names: Sequence[str]) -> bool:
    """An IKE finding belongs to the tunnel: no gateway named, or the phase 1 (or a dialup instance `NAME_N`)."""
    if not gateway:
        return True
    text = str(gateway)
    return any(text == name or (text.startswith(name + "_") and text[len(name) + 1:].isdigit()) for name in names if name)


def _network(text: Any) -> Optional[Any]:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def _listed(value: Any) -> List[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


def _policy_line(policy: Mapping[str, Any]) -> str:
    return "policy %s %s: srcintf %s -> dstintf %s, srcaddr %s, dstaddr %s, action %s, nat %s, status %s" % (
        policy.get("id"), '"%s"' % policy.get("name") if policy.get("name") else "(no name)",
        " ".join(_listed(policy.get("srcintf"))) or "?", " ".join(_listed(policy.get("dstintf"))) or "?",
        " ".join(_listed(policy.get("srcaddr"))) or "?", " ".join(_listed(policy.get("dstaddr"))) or "?",
        policy.get("action") or "?", "enable" if policy.get("nat") else "disable", policy.get("status") or "enable")


def _nat_t_off(evidence: Mapping[str, Any]) -> List[str]:
    """Lines naming each side whose phase 1 has nattraversal disable."""
    lines = []
    for key, fallback in (("config", evidence.get("host") or "local"), ("peer", "peer")):
        side = evidence.get(key) or {}
        phase1 = side.get("phase1") or {}
        if phase1.get("nattraversal") == "disable":
            name = side.get("host") or fallback
            lines.append("%s phase1 %s: set nattraversal disable" % (name, phase1.get("name") or evidence.get("tunnel")))
    return lines


def _stage_configuration(evidence: Mapping[str, Any], out: _Collector) -> None:
    config, peer = evidence.get("config"), evidence.get("peer")
    if not config or not peer:
        return
    local = dict(config)
    local.setdefault("host", evidence.get("host"))
    for mismatch in compare(local, peer):
        out.add(mismatch["code"], "configuration", [mismatch["text"]], mismatch["severity"])


def _stage_connectivity(evidence: Mapping[str, Any], out: _Collector, up: bool) -> None:
    ping = evidence.get("ping_gateway") or None
    sniffer = evidence.get("sniffer") or {}
    verdicts = [verdict for verdict in sniffer.get("verdicts") or [] if isinstance(verdict, Mapping)]
    codes = {verdict.get("code") for verdict in verdicts}
    ping_dead = bool(ping) and (ping.get("received") == 0 or ping.get("loss_percent") == 100)
    ping_line = []
    if ping:
        loss = ping.get("loss_percent")
        if isinstance(loss, float) and loss.is_integer():
            loss = int(loss)
        ping_line = ["ping to the remote gateway: %s sent, %s received, %s%% loss" % (ping.get("transmitted"), ping.get("received"), loss)]

    def lines(code: str) -> List[str]:
        return ["sniffer: %s" % (verdict.get("message") or code) for verdict in verdicts if verdict.get("code") == code] + [
            str(line) for verdict in verdicts if verdict.get("code") == code for line in _listed(verdict.get("evidence"))[:3]]

    if "ike_no_reply" in codes:
        out.add("peer_unreachable", "connectivity", ping_line + lines("ike_no_reply"))
    elif ping_dead and not up and not codes & {"ike_exchanged", "esp_both_ways", "nat_t_in_use"}:
        out.add("peer_unreachable", "connectivity", ping_line)
    nat_off = _nat_t_off(evidence)
    if "nat_t_in_use" in codes:
        if nat_off:
            out.add("nat_t_disabled", "connectivity", lines("nat_t_in_use") + nat_off)
        else:
            out.add("nat_detected", "connectivity", lines("nat_t_in_use"))
    if up and "esp_out_no_in" in codes:
        out.add("esp_blocked", "connectivity", lines("esp_out_no_in"))
    if up and "nat_t_out_no_in" in codes:
        if nat_off:
            out.add("nat_t_disabled", "connectivity", lines("nat_t_out_no_in") + nat_off)
        else:
            out.add("esp_blocked", "connectivity", lines("nat_t_out_no_in"))


def _stage_debug(evidence: Mapping[str, Any], out: _Collector, names: Sequence[str]) -> None:
    ike = evidence.get("ike") or {}
    findings = [finding for finding in ike.get("findings") or [] if isinstance(finding, Mapping)]
    tunnel = str(evidence.get("tunnel") or "")
    for finding in findings:
        code = finding.get("code")
        if code not in _IKE_CODES or not _in_tunnel(finding.get("gateway"), tunnel, names):
            continue
        line = str(finding.get("evidence") or "")
        count = finding.get("count")
        lines = [line + (" (seen %s times)" % count if isinstance(count, int) and count > 1 else "")] if line else []
        if code == "nat_detected":
            nat_off = _nat_t_off(evidence)
            if nat_off:
                out.add("nat_t_disabled", "debug", lines + nat_off)
                continue
        out.add(code, "debug", lines)


def _stage_selectors(evidence: Mapping[str, Any], out: _Collector, names: Sequence[str]) -> None:
    flow = evidence.get("flow") or {}
    for trace in flow.get("traces") or []:
        if not isinstance(trace, Mapping):
            continue
        where = "debug flow trace %s: %s -> %s" % (trace.get("trace_id"), trace.get("src_ip"), trace.get("dst_ip"))
        if trace.get("drop_reason") == "no_ipsec_selector":
            out.add("selector_mismatch", "selectors", ["%s dropped: no matching IPsec selector" % where])
        elif trace.get("ipsec_tunnel") in names and trace.get("snat"):
            out.add("nat_on_vpn_policy", "policies", ["%s enters %s after source NAT (policy %s)"
                                                      % (where, trace.get("ipsec_tunnel"), trace.get("policy_id"))])


def _subnets(evidence: Mapping[str, Any], key: str, field: str) -> List[str]:
    given = evidence.get(key)
    if given:
        return [normalize_subnet(item) for item in given]
    config = evidence.get("config") or {}
    found = []
    for entry in config.get("phase2") or []:
        subnet = normalize_subnet(entry.get(field))
        if subnet not in found:
            found.append(subnet)
    return found


def _stage_policies(evidence: Mapping[str, Any], out: _Collector, names: Sequence[str]) -> None:
    tunnel_if = names[0]
    policies = evidence.get("policies")
    if policies is not None:
        active = [p for p in policies if isinstance(p, Mapping) and str(p.get("status") or "enable") != "disable"]
        into = set(names) | {"any"}  # an `any` interface covers the tunnel too
        outbound = [p for p in active if set(_listed(p.get("dstintf"))) & into and not set(_listed(p.get("srcintf"))) & set(names)]
        inbound = [p for p in active if set(_listed(p.get("srcintf"))) & into and not set(_listed(p.get("dstintf"))) & set(names)]
        out_ok = [p for p in outbound if str(p.get("action") or "").lower() == "accept"]
        in_ok = [p for p in inbound if str(p.get("action") or "").lower() == "accept"]
        missing = []
        if not out_ok:
            missing.append("no accept policy with dstintf %s (internal -> tunnel)" % tunnel_if)
        if not in_ok:
            missing.append("no accept policy with srcintf %s (tunnel -> internal)" % tunnel_if)
        if missing:
            out.add("policy_missing", "policies", missing + [_policy_line(p) for p in outbound + inbound])
        natted = [p for p in out_ok if p.get("nat")]
        if natted:
            out.add("nat_on_vpn_policy", "policies", [_policy_line(p) for p in natted])
    routes = evidence.get("routes")
    if routes is None:
        return
    for subnet in _subnets(evidence, "remote_subnets", "dst_subnet"):
        wanted = _network(subnet)
        if wanted is None or wanted.prefixlen == 0:
            continue  # `any` selectors: the routing table decides, nothing to check per subnet
        covering = []
        for route in routes:
            net = _network(route.get("prefix")) if isinstance(route, Mapping) else None
            if net is not None and net.version == wanted.version and wanted.subnet_of(net):
                covering.append((route, net))
        # Every route `get router info routing-table all` prints is in use (`*` there marks a
        # candidate default, not a selected route): the longest covering prefix decides.
        route, net = max(covering, key=lambda item: item[1].prefixlen) if covering else (None, None)
        if route is None or net.prefixlen == 0:
            default = " (only the default route %s covers it)" % _route_text(route) if route else ""
            out.add("route_missing", "policies", ["no route to remote subnet %s (phase 2 destination of %s)%s" % (
                subnet, tunnel_if, default)])
            continue
        if route.get("via_tunnel") or route.get("interface") in names:
            continue
        out.add("route_wrong_interface", "policies", ["route %s to remote subnet %s goes via %s%s, not the tunnel %s" % (
            net, subnet, route.get("interface") or "?", " gateway %s" % route["gateway"] if route.get("gateway") else "", tunnel_if)])


def _route_text(route: Mapping[str, Any]) -> str:
    return "via %s%s" % (route.get("gateway") or "?", ", %s" % route["interface"] if route.get("interface") else "")


def _healthy(evidence: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> bool:
    if evidence.get("state") != "up":
        return False
    total, up = evidence.get("selectors_total"), evidence.get("selectors_up")
    if isinstance(total, int) and isinstance(up, int) and up < total:
        return False
    if evidence.get("rx_packets") == 0 and isinstance(evidence.get("tx_packets"), int) and evidence["tx_packets"] > 0:
        return False
    return not any(finding["severity"] == "critical" for finding in findings)


def diagnose_tunnel(evidence: Mapping[str, Any]) -> Dict[str, Any]:
    """Findings and top cause of one tunnel (see the module doc for the evidence layout)."""
    tunnel = str(evidence.get("tunnel") or "")
    config = evidence.get("config") or {}
    phase1_name = (config.get("phase1") or {}).get("name")
    names = [tunnel] + ([str(phase1_name)] if phase1_name and phase1_name != tunnel else [])
    state = evidence.get("state") or "unknown"
    up = state in ("up", "partial")
    out = _Collector(tunnel)
    _stage_configuration(evidence, out)
    _stage_connectivity(evidence, out, up)
    _stage_debug(evidence, out, names)
    _stage_selectors(evidence, out, names)
    _stage_policies(evidence, out, names)
    findings = out.findings()
    if _healthy(evidence, findings):
        findings = []
    return {"tunnel": tunnel, "vdom": evidence.get("vdom"), "host": evidence.get("host"), "state": state,
            "top_cause": top_cause(findings), "findings": findings}


def diagnose_all(evidence_list: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """`diagnose_tunnel` over a list of evidence dicts, in order."""
    return [diagnose_tunnel(evidence) for evidence in evidence_list or []]
