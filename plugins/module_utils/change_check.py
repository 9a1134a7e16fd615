# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Change-window checks: snapshot the IPsec state before a change, compare after it. Pure functions.

The snapshot (``fortidiag.snapshot/1``) and the comparison (``fortidiag.compare/1``) schemas and the
problem codes are documented in docs/change-window.md; their names are fixed (extend, never rename).
A snapshot holds state and counters only: no key, SPI or cookie, so it is safe to store and publish.
"""
from __future__ import annotations

import fnmatch
import xml.etree.ElementTree as ET
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report import tunnel_state

SNAPSHOT_SCHEMA = "fortidiag.snapshot/1"
COMPARE_SCHEMA = "fortidiag.compare/1"
# Problem code -> the JUnit test case (check) it fails.
CHECKS: Dict[str, str] = {
    "snapshot_missing": "snapshot",
    "not_checked": "snapshot",
    "tunnel_down": "tunnels",
    "selector_down": "selectors",
    "counters_stalled": "counters",
    "offload_lost": "offload",
    "gateway_missing": "gateways",
}
CHECK_ORDER = ("snapshot", "tunnels", "selectors", "counters", "offload", "gateways")
DEFAULT_TOLERANCES: Dict[str, Any] = {
    "min_counter_delta": 1,  # bytes each direction that carried traffic must grow by
    "check_counters": True,
    "counter_directions": "both",  # both: rx and tx must each grow; either: one of them is enough
    "check_offload": True,
    "check_gateways": True,
    "allow_down": [],  # tunnels expected to go down: down, selector and gateway problems become info
    "ignore_tunnels": [],  # names or VDOM/name, shell patterns allowed (to-hub_*)
    "ignore_dialup_instances": False,
}
_UP_STATES = ("up", "partial")
_OFFLOAD_RANK = {"none": 0, "partial": 1, "both": 2}


class ChangeCheckError(ValueError):
    """Bad input to a change-window function."""


# -- snapshot ---------------------------------------------------------------


def _vdom(item: Mapping[str, Any]) -> str:
    # Without VDOMs the gateway list still says `vd: root/0` while the tunnel list names none.
    return str(item.get("vdom") or "root")


def _selector_offload(sas: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """Best NPU placement among a selector's SAs (a rekey briefly shows old and new SA)."""
    values = [sa.get("offload") for sa in sas]
    if not values or all(v is None for v in values):
        return None
    if "both" in values:
        return "both"
    if "inbound" in values or "outbound" in values:
        return "partial"
    return "none"


def _unique(key: str, taken: Mapping[str, Any]) -> str:
    if key not in taken:
        return key
    index = 2
    while "%s#%d" % (key, index) in taken:
        index += 1
    return "%s#%d" % (key, index)


def _tunnel_entry(item: Mapping[str, Any]) -> Dict[str, Any]:
    selectors: Dict[str, Dict[str, Any]] = {}
    sa_count = 0
    for proxy in item.get("proxyids") or []:
        sas = [sa for sa in proxy.get("sas") or [] if isinstance(sa, Mapping)]
        sa_count += len(sas)
        name = _unique(str(proxy.get("name") or "selector"), selectors)
        selectors[name] = {"up": bool(sas) or bool(proxy.get("sa_count")), "sas": len(sas),
                           "offload": _selector_offload(sas)}
    kind = {"dial_inst": "dial_inst", "dialup": "dialup"}.get(str(item.get("mode") or ""), "static")
    up = sum(1 for s in selectors.values() if s["up"])
    # Compact on purpose: hundreds of hosts' snapshots travel as one AWX artifact.
    entry = {
        "name": item.get("name"),
        "vdom": _vdom(item),
        "kind": kind,
        "remote_gateway": item.get("remote_gateway"),
        "state": tunnel_state(up, len(selectors), sa_count, kind == "dialup"),
        "selectors_up": up,
        "selectors_total": len(selectors),
        "sa_count": sa_count,
        "rx_bytes": item.get("rx_bytes"),
        "tx_bytes": item.get("tx_bytes"),
        "selectors": selectors,
    }
    if kind == "dial_inst":
        entry["parent"] = item.get("parent")
    if kind == "dialup":
        entry["child_num"] = item.get("child_num")
    return entry


def tunnel_key(entry: Mapping[str, Any]) -> str:
    """`VDOM/name`; a dial-up instance is `VDOM/parent@remote_gateway`, since its `_N` index can change."""
    if entry.get("kind") == "dial_inst" and entry.get("parent"):
        return "%s/%s@%s" % (_vdom(entry), entry["parent"], entry.get("remote_gateway") or "?")
    return "%s/%s" % (_vdom(entry), entry.get("name"))


def snapshot(facts: Mapping[str, Any], host: Optional[str] = None, taken: Optional[str] = None) -> Dict[str, Any]:
    """The compact state of one host from `ansible_facts.fortios_ipsec` (subsets tunnel_list and ike_gateways)."""
    if not isinstance(facts, Mapping):
        raise ChangeCheckError("change_snapshot expects ansible_facts.fortios_ipsec (a dict)")
    if not isinstance(facts.get("tunnel_list"), Mapping):
        raise ChangeCheckError("change_snapshot needs the tunnel_list subset of fortidiag.ipsec.vpn_facts")
    tunnels: Dict[str, Dict[str, Any]] = {}
    instance_keys: Dict[Tuple[str, str], str] = {}
    for item in facts["tunnel_list"].get("tunnels") or []:
        if not isinstance(item, Mapping):
            continue
        entry = _tunnel_entry(item)
        key = _unique(tunnel_key(entry), tunnels)
        tunnels[key] = entry
        instance_keys[(entry["vdom"], str(entry["name"]))] = key
    gateways: Dict[str, Dict[str, Any]] = {}
    for gateway in (facts.get("ike_gateways") or {}).get("gateways") or []:
        if not isinstance(gateway, Mapping):
            continue
        vdom = _vdom(gateway)
        statuses = [sa.get("status") for sa in gateway.get("sas") or [] if isinstance(sa, Mapping)]
        # A dial-up instance's gateway carries the instance name: file it under the instance's key.
        key = instance_keys.get((vdom, str(gateway.get("name"))), "%s/%s" % (vdom, gateway.get("name")))
        gateways[_unique(key, gateways)] = {
            "name": gateway.get("name"),
            "vdom": vdom,
            "remote_ip": gateway.get("remote_ip"),
            "ike_sa": "established" if "established" in statuses else (statuses[0] if statuses else None),
        }
    device = facts.get("device") or {}
    counts = {"tunnels": len(tunnels), "up": sum(1 for t in tunnels.values() if t["state"] in _UP_STATES),
              "selectors_up": sum(t["selectors_up"] for t in tunnels.values()),
              "gateways": sum(1 for g in gateways.values() if g["ike_sa"] == "established")}
    return {
        "schema": SNAPSHOT_SCHEMA,
        "host": host,
        "taken": taken,
        "device": {k: device.get(k) for k in ("hostname", "version", "serial")},
        "vdoms": facts.get("vdoms"),
        "tunnels": tunnels,
        "gateways": gateways if "ike_gateways" in facts else None,
        "counts": counts,
    }


# -- compare ----------------------------------------------------------------


def _as_list(value: Any) -> List[str]:
    """Lists, or a comma-separated string as an AWX survey gives it."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ChangeCheckError("expected a list or a comma-separated string, got %r" % (value,))


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "y", "t"):
        return True
    if text in ("0", "false", "no", "off", "n", "f", ""):
        return False
    raise ChangeCheckError("%s must be a boolean, got %r" % (name, value))


def tolerances_from(raw: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Defaults merged with the caller's values, type-checked (survey values arrive as strings)."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(DEFAULT_TOLERANCES))
    if unknown:
        raise ChangeCheckError("unknown tolerance %s; known: %s" % (", ".join(unknown), ", ".join(DEFAULT_TOLERANCES)))
    out = dict(DEFAULT_TOLERANCES, **{k: v for k, v in raw.items() if v is not None})
    try:
        out["min_counter_delta"] = int(out["min_counter_delta"])
    except (TypeError, ValueError):
        raise ChangeCheckError("min_counter_delta must be a whole number of bytes, got %r" % (out["min_counter_delta"],))
    if out["min_counter_delta"] < 0:
        raise ChangeCheckError("min_counter_delta must be 0 or more")
    for name in ("check_counters", "check_offload", "check_gateways", "ignore_dialup_instances"):
        out[name] = _as_bool(out[name], name)
    if out["counter_directions"] not in ("both", "either"):
        raise ChangeCheckError("counter_directions must be both or either, got %r" % (out["counter_directions"],))
    out["allow_down"] = _as_list(out["allow_down"])
    out["ignore_tunnels"] = _as_list(out["ignore_tunnels"])
    return out


def _names(key: str, entry: Mapping[str, Any]) -> List[str]:
    """What a user may write to name this tunnel: name, parent, VDOM/name, the key."""
    vdom = _vdom(entry)
    names = [key]
    for name in (entry.get("name"), entry.get("parent")):
        if name:
            names.extend([str(name), "%s/%s" % (vdom, name)])
    return names


def _listed(patterns: Sequence[str], key: str, entry: Mapping[str, Any]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in _names(key, entry))


def _problem(code: str, key: str, entry: Mapping[str, Any], detail: str, before: Any, after: Any) -> Dict[str, Any]:
    return {"code": code, "tunnel": entry.get("name"), "vdom": _vdom(entry), "key": key,
            "detail": detail, "before": before, "after": after}


def _growth(before: Any, after: Any) -> Optional[int]:
    """Bytes counted between the snapshots; a counter that went backwards restarted (new SA), so it is what it shows."""
    if not isinstance(before, int) or not isinstance(after, int):
        return None
    return after - before if after >= before else after


def _state_text(entry: Optional[Mapping[str, Any]]) -> str:
    if entry is None:
        return "gone"
    if entry.get("kind") == "dialup":
        return "%s instance(s)" % (entry.get("child_num") or 0)
    return "%s (%s/%s selectors)" % (entry.get("state"), entry.get("selectors_up"), entry.get("selectors_total"))


def _compare_tunnel(key: str, pre: Mapping[str, Any], post: Optional[Mapping[str, Any]],
                    tol: Mapping[str, Any], counts: Dict[str, int]) -> List[Dict[str, Any]]:
    problems: List[Dict[str, Any]] = []
    counts["tunnels"] += 1
    if pre.get("kind") == "dialup":
        had, has = pre.get("child_num") or 0, (post or {}).get("child_num") or 0
        if had and not has:
            problems.append(_problem("tunnel_down", key, pre, "dial-up server had %d instance(s), now %s"
                                     % (had, "none" if post else "the tunnel is gone"), had, has if post else None))
        return problems
    if pre.get("state") not in _UP_STATES:
        return problems
    if post is None or post.get("state") not in _UP_STATES:
        problems.append(_problem("tunnel_down", key, pre, "was %s, now %s" % (_state_text(pre), _state_text(post)),
                                 pre.get("state"), post.get("state") if post else None))
        return problems
    post_selectors = post.get("selectors") or {}
    for name, sel in (pre.get("selectors") or {}).items():
        if not sel.get("up"):
            continue
        counts["selectors"] += 1
        now = post_selectors.get(name)
        if not now or not now.get("up"):
            problems.append(_problem("selector_down", key, pre, "selector %s was up, now %s" % (name, "down" if now else "gone"),
                                     "up", "down" if now else None))
            continue
        if tol["check_offload"] and sel.get("offload") in ("both", "partial") and now.get("offload") is not None:
            counts["offload"] += 1
            if _OFFLOAD_RANK.get(now["offload"], 0) < _OFFLOAD_RANK[sel["offload"]]:
                problems.append(_problem("offload_lost", key, pre, "selector %s SA offload was %s, now %s"
                                         % (name, sel["offload"], now["offload"]), sel["offload"], now["offload"]))
    if tol["check_counters"]:
        problems.extend(_compare_counters(key, pre, post, tol, counts))
    return problems


def _compare_counters(key: str, pre: Mapping[str, Any], post: Mapping[str, Any], tol: Mapping[str, Any],
                      counts: Dict[str, int]) -> List[Dict[str, Any]]:
    # Only a direction that had carried traffic at the pre-check must keep moving: an idle tunnel is no regression.
    required = [d for d in ("rx_bytes", "tx_bytes") if isinstance(pre.get(d), int) and pre[d] > 0]
    if not required:
        return []
    counts["counters"] += 1
    growth = {d: _growth(pre.get(d), post.get(d)) for d in required}
    stalled = [d for d in required if growth[d] is not None and growth[d] < tol["min_counter_delta"]]
    if not stalled or (tol["counter_directions"] == "either" and len(stalled) < len(required)):
        return []
    detail = ", ".join("%s grew %s bytes (%s -> %s)" % (d.split("_")[0], growth[d], pre.get(d), post.get(d)) for d in stalled)
    return [_problem("counters_stalled", key, pre, "%s; less than %d" % (detail, tol["min_counter_delta"]),
                     {d: pre.get(d) for d in required}, {d: post.get(d) for d in required})]


def _missing(host: Optional[str], where: str) -> Dict[str, Any]:
    return {"code": "snapshot_missing", "tunnel": None, "vdom": None, "key": None,
            "detail": "no pre-check snapshot for %s in %s" % (host or "this host", where or "the given location"),
            "before": None, "after": None}


def _empty_counts() -> Dict[str, int]:
    return {"tunnels": 0, "selectors": 0, "counters": 0, "offload": 0, "gateways": 0}


def compare(pre: Optional[Mapping[str, Any]], post: Mapping[str, Any], tolerances: Optional[Mapping[str, Any]] = None,
            where: str = "", host: Optional[str] = None) -> Dict[str, Any]:
    """Compare two snapshots of one host: `passed`, `problems` (regressions), `info` (new or allowed) and `checked`."""
    tol = tolerances_from(tolerances)
    host = host or (post or {}).get("host") or (pre or {}).get("host")
    counts = _empty_counts()
    problems: List[Dict[str, Any]] = []
    info: List[Dict[str, Any]] = []
    if not isinstance(post, Mapping) or post.get("schema") != SNAPSHOT_SCHEMA:
        raise ChangeCheckError("change_compare: the post snapshot is not a %s (use change_snapshot)" % SNAPSHOT_SCHEMA)
    if not isinstance(pre, Mapping) or not pre:
        problems.append(_missing(host, where))
    elif pre.get("schema") != SNAPSHOT_SCHEMA:
        problem = _missing(host, where)
        problem["detail"] = "the pre-check snapshot for %s in %s is not a %s (schema %r)" % (
            host or "this host", where or "the given location", SNAPSHOT_SCHEMA, pre.get("schema"))
        problems.append(problem)
    else:
        problems, info = _compare_snapshots(pre, post, tol, counts)
    return {
        "schema": COMPARE_SCHEMA,
        "host": host,
        "passed": not problems,
        "pre_taken": (pre or {}).get("taken") if isinstance(pre, Mapping) else None,
        "post_taken": post.get("taken"),
        "problems": problems,
        "info": info,
        "checked": counts,
        "tolerances": tol,
        "summary": summary_line(host, problems, counts),
    }


def _compare_snapshots(pre: Mapping[str, Any], post: Mapping[str, Any], tol: Mapping[str, Any],
                       counts: Dict[str, int]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    problems: List[Dict[str, Any]] = []
    info: List[Dict[str, Any]] = []
    pre_tunnels: Mapping[str, Any] = pre.get("tunnels") or {}
    post_tunnels: Mapping[str, Any] = post.get("tunnels") or {}

    def skipped(key: str, entry: Mapping[str, Any]) -> bool:
        if tol["ignore_dialup_instances"] and entry.get("kind") == "dial_inst":
            return True
        return _listed(tol["ignore_tunnels"], key, entry)

    down_keys = set()
    for key in sorted(pre_tunnels):
        entry = pre_tunnels[key]
        if skipped(key, entry):
            continue
        found = _compare_tunnel(key, entry, post_tunnels.get(key), tol, counts)
        if any(p["code"] == "tunnel_down" for p in found):
            down_keys.add(key)
        if _listed(tol["allow_down"], key, entry):
            allowed = [p for p in found if p["code"] in ("tunnel_down", "selector_down")]
            info.extend(dict(p, code="allowed_" + p["code"]) for p in allowed)
            found = [p for p in found if p not in allowed]
        problems.extend(found)
    # An instance of a dial-up server already reported down would only repeat it.
    parents_down = {(pre_tunnels[k].get("vdom"), pre_tunnels[k].get("name")) for k in down_keys
                    if pre_tunnels[k].get("kind") == "dialup"}
    problems = [p for p in problems if not (p["code"] == "tunnel_down" and pre_tunnels[p["key"]].get("kind") == "dial_inst"
                                            and (p["vdom"], pre_tunnels[p["key"]].get("parent")) in parents_down)]
    for key in sorted(set(post_tunnels) - set(pre_tunnels)):
        entry = post_tunnels[key]
        if not skipped(key, entry):
            info.append(_problem("new_tunnel", key, entry, "not in the pre-check; now %s" % _state_text(entry),
                                 None, entry.get("state")))
    pre_gateways = pre.get("gateways") or {}
    post_gateways = post.get("gateways")
    if tol["check_gateways"] and post_gateways is not None:
        for key in sorted(pre_gateways):
            gateway = pre_gateways[key]
            entry = pre_tunnels.get(key) or dict(gateway, kind=None)
            if gateway.get("ike_sa") != "established" or skipped(key, entry):
                continue
            counts["gateways"] += 1
            now = post_gateways.get(key)
            if now is not None and now.get("ike_sa") == "established":
                continue
            detail = "IKE gateway %s (%s) had an established IKE SA, now %s" % (
                gateway.get("name"), gateway.get("remote_ip"),
                "gone" if now is None else "%s" % (now.get("ike_sa") or "no IKE SA"))
            problem = _problem("gateway_missing", key, entry, detail, "established", None if now is None else now.get("ike_sa"))
            if _listed(tol["allow_down"], key, entry):
                info.append(dict(problem, code="allowed_gateway_missing"))
            else:
                problems.append(problem)
    return problems, info


def summary_line(host: Optional[str], problems: Sequence[Mapping[str, Any]], counts: Mapping[str, int]) -> str:
    checked = "%d tunnels, %d selectors, %d counters, %d offload, %d gateways checked" % tuple(
        counts.get(k, 0) for k in ("tunnels", "selectors", "counters", "offload", "gateways"))
    if not problems:
        return "%s: passed (%s)" % (host, checked)
    codes = sorted({str(p.get("code")) for p in problems})
    return "%s: FAILED, %d problem(s): %s (%s)" % (host, len(problems), ", ".join(codes), checked)


def problem_line(problem: Mapping[str, Any]) -> str:
    """One line a person reads: `tunnel_down root/to-hub: was up (2/2 selectors), now down (0/2 selectors)`."""
    where = " %s" % problem["key"] if problem.get("key") else ""
    return ("%s%s: %s" % (problem.get("code"), where, problem.get("detail"))).replace("\n", " ")


def failure_message(result: Mapping[str, Any]) -> str:
    """The post-check failure: the summary, then one line per problem."""
    return "\n".join([str(result.get("summary"))] + [problem_line(p) for p in result.get("problems") or []])


def not_checked(host: str, error: str) -> Dict[str, Any]:
    """A host whose state could not be read at the post-check: a failure of its own, not a pass."""
    problem = {"code": "not_checked", "tunnel": None, "vdom": None, "key": None,
               "detail": (error or "failed").splitlines()[0] if error else "failed", "before": None, "after": None}
    return {"schema": COMPARE_SCHEMA, "host": host, "passed": False, "pre_taken": None, "post_taken": None,
            "problems": [problem], "info": [], "checked": _empty_counts(), "tolerances": None,
            "summary": summary_line(host, [problem], _empty_counts())}


# -- JUnit -------------------------------------------------------------------


def _results_list(results: Any) -> List[Mapping[str, Any]]:
    if isinstance(results, Mapping) and "schema" not in results:
        items = [dict(v, host=v.get("host") or k) for k, v in sorted(results.items()) if isinstance(v, Mapping)]
    elif isinstance(results, Mapping):
        items = [results]
    elif isinstance(results, Iterable) and not isinstance(results, str):
        items = [r for r in results if isinstance(r, Mapping)]
    else:
        raise ChangeCheckError("change_junit expects compare results: a list, or a dict by host")
    return items


def junit(results: Any, name: str = "fortidiag.postcheck", timestamp: str = "", hosts: Optional[Sequence[str]] = None) -> str:
    """JUnit XML: one testsuite per host, one testcase per check, a failure listing the check's problems.

    `hosts` (all hosts of the play) adds a failed suite for each host without a result, so none goes missing.
    """
    items = _results_list(results)
    seen = {str(r.get("host")) for r in items}
    items += [not_checked(h, "no result: the host failed or was unreachable before the comparison")
              for h in hosts or [] if str(h) not in seen]
    root = ET.Element("testsuites", name=name)
    total_tests = total_failures = 0
    for result in items:
        host = str(result.get("host") or "unknown")
        problems = [p for p in result.get("problems") or [] if isinstance(p, Mapping)]
        by_check: Dict[str, List[Mapping[str, Any]]] = {check: [] for check in CHECK_ORDER}
        for problem in problems:
            by_check.setdefault(CHECKS.get(str(problem.get("code")), "tunnels"), []).append(problem)
        counts = result.get("checked") or {}
        tol = result.get("tolerances") or {}
        no_snapshot = bool(by_check["snapshot"])
        suite = ET.SubElement(root, "testsuite", name=host, tests=str(len(by_check)), errors="0")
        if timestamp:
            suite.set("timestamp", timestamp)
        failures = skipped = 0
        for check, found in by_check.items():
            case = ET.SubElement(suite, "testcase", classname="%s.%s" % (name, host), name=check)
            if found:
                failures += 1
                codes = sorted({str(p.get("code")) for p in found})
                failure = ET.SubElement(case, "failure", type=",".join(codes),
                                        message="%d problem(s): %s" % (len(found), ", ".join(codes)))
                failure.text = "\n".join(problem_line(p) for p in found)
            elif no_snapshot or (check != "snapshot" and not counts.get(check)) or \
                    (check == "counters" and tol.get("check_counters") is False):
                skipped += 1
                reason = "not compared" if no_snapshot else "nothing to check"
                ET.SubElement(case, "skipped", message=reason)
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        total_tests += len(by_check)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
