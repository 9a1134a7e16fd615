"""Every module under every session fault the simulator injects (issue 8, the fault matrix).

One lab: a device per fault (each carries its fault once per module, aimed at a command that
module sends) plus a healthy device, all in one play. Per module the play runs the module,
reads the simulator's debug state for the host, then, after a failure, a recovery task
(`vpn_facts` with the tunnel summary) on the same persistent connection. The observed outcomes are rendered into
docs/reliability.md (FORTIDIAG_WRITE_DOCS=1 rewrites it; otherwise it must match).
Separately, playbooks/troubleshoot.yml runs over healthy devices and one faulty device.
"""
from __future__ import annotations

import json
import os
import re
import textwrap
import threading
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from playbook_runner import ROOT, PlaybookRun, run_playbook

DOC = ROOT / "docs" / "reliability.md"
COMMAND_TIMEOUT = 6  # ansible_command_timeout for the play: a stall costs this much per module

# (module, task arguments, regex of the command the module sends that its fault hits)
MODULES: List[Tuple[str, str, str]] = [
    ("vpn_facts", "{}", r"^diagnose vpn tunnel list$"),
    ("command", "{commands: ['get router info routing-table all']}", r"^get router info routing-table all$"),
    ("tunnel", "{name: vpn, state: flushed, wait: 5}", r"^diagnose vpn tunnel flush"),
    ("ike_gateway_clear", "{name: vpn, wait: 5}", r"^diagnose vpn ike gateway clear"),
    ("phase1_interface", "{name: vpn, npu_offload: disable}", r"^set npu-offload"),
    ("ike_debug", "{tunnel: vpn, trigger: clear, duration: 2}", r"^diagnose debug application ike -1"),
    ("debug_flow", "{probe: {destination: '10.200.%(n)s.1', source: '10.%(n)s.0.1', count: 1}, count: 1, duration: 4}",
     r"^diagnose debug flow trace start"),
    ("sniffer", "{remote_gateway: '203.0.113.%(n)s', duration: 1}", r"^diagnose sniffer packet"),
]

# (fault kind, extra fault keys, aimed: one fault per module on its command | all: every command,
#  for good | login: on the login, for good, survivable, needle expected in the one-line message)
FAULTS: List[Tuple[str, Dict[str, Any], str, bool, str]] = [
    ("drop", {"after_bytes": 40}, "aimed", False, "closed the session"),
    ("stall", {"after_bytes": 40}, "aimed", False, "no prompt within %ds" % COMMAND_TIMEOUT),
    ("slow", {"delay_ms": 40, "chunk_bytes": 128}, "aimed", True, ""),
    ("garbage", {}, "aimed", True, ""),
    ("huge", {"size_bytes": 2_000_000}, "aimed", True, ""),
    ("paging", {}, "all", True, ""),
    ("prompt_change", {}, "aimed", False, "prompt changed"),
    ("cli_error", {"code": -160}, "aimed", False, "Return code -160"),
    ("auth_failure", {}, "login", False, "authentication failed"),
    ("host_key_change", {}, "login", False, "host key"),
    ("disclaimer", {"text": "Authorised access only. Activity is logged."}, "login", True, ""),
]
HEALTHY = "F-healthy"
TS_HOSTS = ["TS-OK1", "TS-OK2", "TS-BAD"]  # the troubleshooting playbook's hosts
KEEP = ["failed", "unreachable", "msg", "changed", "skipped"]


def host_for(kind: str) -> str:
    return "F-" + kind.replace("_", "-")


def _device(hostname: str, n: int, faults: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"hostname": hostname, "version": ["7.4.7", "7.2.10", "7.0.17", "6.4.15", "7.6.3"][n % 5],
            "interfaces": {"port1": "198.51.100.%d/24" % n, "port3": "10.%d.0.1/24" % n},
            "session_faults": faults}


def _tunnel(hostname: str, n: int) -> Dict[str, Any]:
    return {"name": "vpn" if hostname.startswith("F-") else "to-hq",
            "phase2": [{"src_subnet": "10.%d.0.0/24" % n, "dst_subnet": "10.200.%d.0/24" % n}],
            "a": {"device": hostname, "interface": "port1"}, "b": {"external": "203.0.113.%d" % n, "state": "up"}}


def matrix_lab() -> Dict[str, Any]:
    devices, tunnels = [], []
    for n, (kind, extra, scope, _ok, _needle) in enumerate(FAULTS, start=1):
        if scope == "aimed":
            faults = [dict(kind=kind, command=regex, **extra) for _m, _a, regex in MODULES]
            if kind == "prompt_change":  # a new name each time, so every module sees a change
                faults = [dict(f, hostname="F-renamed-%d" % i) for i, f in enumerate(faults)]
        elif scope == "all":
            faults = [dict(kind=kind, times=0, **extra)]
        else:  # login faults; a refused password stays refused (times: 0)
            faults = [dict(kind=kind, **extra, **({"times": 0} if kind == "auth_failure" else {}))]
        devices.append(_device(host_for(kind), n, faults))
        tunnels.append(_tunnel(host_for(kind), n))
    devices.append(_device(HEALTHY, 40, []))
    tunnels.append(_tunnel(HEALTHY, 40))
    for n, host in enumerate(TS_HOSTS, start=50):
        # TS-BAD drops every session in the middle of its tunnel list: it can never be read.
        faults = [{"kind": "drop", "command": r"^diagnose vpn tunnel list", "times": 0, "after_bytes": 100}] \
            if host == "TS-BAD" else []
        devices.append(_device(host, n, faults))
        tunnels.append(_tunnel(host, n))
    defaults = {"username": "admin", "password": "fm-pass", "sniffer_period_ms": 100}
    return {"description": "fault matrix", "defaults": defaults,
            "devices": devices, "tunnels": tunnels}


def _playbook(stats: Path, hosts: List[str], results: Path) -> str:
    """Play 1 (strategy free: a host waiting out a stall holds no other back) runs the matrix;
    play 2 saves every host's registered results to `results` for run_playbook."""
    out = ["- name: Fault matrix\n  hosts: %s\n  gather_facts: false\n  strategy: free\n  tasks:\n" % ":".join(hosts)]
    # Read the simulator's stats for this host a moment after the module (the stats file is
    # rewritten at most 0.2 s after a change); on the controller, without a connection.
    lookup = "(lookup('ansible.builtin.pipe', 'sleep 0.6; cat %s') | from_json)[inventory_hostname]" % stats
    for i, (module, args, _regex) in enumerate(MODULES):
        out.append(textwrap.indent("""\
- name: Module {i} {module}
  fortidiag.ipsec.{module}: {args}
  register: m{i}
  ignore_errors: true
  ignore_unreachable: true
- name: Debug state after {i}
  ansible.builtin.set_fact:
    d{i}: "{{{{ {lookup} }}}}"
  delegate_to: localhost
- name: Recover {i}
  fortidiag.ipsec.vpn_facts: {{gather_subset: [tunnel_summary], set_facts: false}}
  when: m{i} is failed or m{i} is unreachable
  register: c{i}
  ignore_errors: true
  ignore_unreachable: true
""".format(i=i, module=module, lookup=lookup,
           args=args % {"n": "{{ fm_n }}"} if "%(n)" in args else args), "    "))
    keep = ", ".join(
        "'m{i}': m{i} | dict2items | selectattr('key', 'in', {keep}) | items2dict, "
        "'c{i}': c{i} | dict2items | selectattr('key', 'in', {keep}) | items2dict, "
        "'d{i}': {{'debug_enabled': d{i}.debug_enabled, 'debug_filters': d{i}.debug_filters}}".format(i=i, keep=KEEP)
        for i in range(len(MODULES)))
    out.append("    - name: Keep\n      ansible.builtin.set_fact:\n        test_result: \"{{ {%s} }}\"\n" % keep)
    out.append("""\
- name: Save results
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Save results
      ansible.builtin.copy:
        content: "{{% set out = {{}} %}}{{% for h in groups['all'] if hostvars[h].test_result is defined %}}{{%
                   set _ = out.update({{h: hostvars[h].test_result}}) %}}{{% endfor %}}{{{{ out | to_json }}}}"
        dest: {results}
        mode: "0600"
""".format(results=results))
    return "".join(out)


def _normalise(msg: str) -> str:
    """A message as the doc shows it: no port, temporary path or key that changes per run."""
    msg = re.sub(r"127\.0\.0\.1(\]?):\d+", r"127.0.0.1\1:PORT", msg)
    msg = re.sub(r"-p \d+", "-p PORT", msg)
    msg = re.sub(r"/\S*/inventory\.known_hosts", "INVENTORY.known_hosts", msg)
    return re.sub(r"AAAA[0-9A-Za-z+/=]{20,}", "KEY", msg)


@pytest.fixture(scope="module")
def matrix(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Tuple[Any, PlaybookRun, PlaybookRun, Path]:
    lab = lab_factory("faultmatrix", _write_lab(tmp_path_factory.mktemp("fmlab")))
    work = tmp_path_factory.mktemp("fmrun")
    hosts = [host_for(k) for k, *_r in FAULTS] + [HEALTHY]
    overlay = work / "overlay.yml"
    # fm_n: the device's number in the lab (its LAN 10.n.0.0/24, its peer 203.0.113.n).
    numbers = {host_for(k): n for n, (k, *_r) in enumerate(FAULTS, start=1)}
    numbers[HEALTHY] = 40
    overlay.write_text(json.dumps({"all": {"children": {"fortigates": {"hosts": {
        h: {"fm_n": n, "ansible_command_timeout": COMMAND_TIMEOUT} for h, n in numbers.items()}}}}}))
    ts_work = tmp_path_factory.mktemp("tsrun")
    report_dir = ts_work / "report"
    ts_result: Dict[str, PlaybookRun] = {}

    def troubleshoot() -> None:
        ts_result["run"] = run_playbook(ts_work, lab.inventory, "", playbook=ROOT / "playbooks" / "troubleshoot.yml",
                                        extra=["--limit", ",".join(TS_HOSTS), "-e", "fortidiag_report_dir=%s" % report_dir])

    thread = threading.Thread(target=troubleshoot)
    thread.start()
    try:
        playbook = work / "matrix.yml"
        playbook.write_text(_playbook(lab.stats_path, hosts, work / "results.json"))
        run = run_playbook(work, lab.inventory, "", playbook=playbook, extra=["-i", str(overlay), "-f", "20"],
                           timeout=600)
    finally:
        thread.join()
    return lab, run, ts_result["run"], report_dir


def _write_lab(directory: Path) -> Path:
    path = directory / "faultmatrix.yml"
    path.write_text(json.dumps(matrix_lab(), indent=1))
    return path


def test_every_module_under_every_fault(matrix: Any) -> None:
    lab, run, _ts, _report = matrix
    assert "Traceback" not in run.output, run.output[-3000:]
    rows = []
    problems = []
    for kind, _extra, scope, survivable, needle in FAULTS:
        host = host_for(kind)
        results = run.results.get(host) or {}
        assert results, (host, run.output[-3000:])
        cells, example = [], ""
        for i, (module, _args, _regex) in enumerate(MODULES):
            m, c, d = results["m%d" % i], results["c%d" % i], results["d%d" % i]
            where = "%s/%s" % (kind, module)
            failed = bool(m.get("failed") or m.get("unreachable"))
            msg = str(m.get("msg", ""))
            if survivable and failed:
                problems.append("%s: expected to succeed, failed: %s" % (where, msg))
            if not survivable:
                if not failed:
                    problems.append("%s: expected a failure, got %s" % (where, m))
                elif "\n" in msg or "Traceback" in msg or host not in msg or needle not in msg:
                    problems.append("%s: not a one-line message naming %s and %r: %r" % (where, host, needle, msg))
                example = example or _normalise(msg)
            recovered = not (c.get("failed") or c.get("unreachable"))
            if scope != "login" and not recovered:
                problems.append("%s: the next task did not recover: %s" % (where, c.get("msg")))
            if scope == "login" and not survivable and recovered:
                problems.append("%s: a permanent login fault let the next task in" % where)
            clean = not d["debug_enabled"] and not d["debug_filters"]
            if not clean:
                problems.append("%s: debug left on: %s" % (where, d))
            cell = "ok" if not failed else ("fails, next task recovers" if recovered else "fails")
            cells.append(cell + ("" if clean else ", DEBUG LEFT ON"))
        rows.append((kind, scope, cells, example))
    healthy = run.results[HEALTHY]
    for i, (module, _args, _regex) in enumerate(MODULES):
        if healthy["m%d" % i].get("failed") or healthy["c%d" % i].get("failed"):
            problems.append("healthy host failed %s: %s" % (module, healthy["m%d" % i].get("msg")))
    # After the play (connections closed) nothing is left on any device.
    stats = lab.wait_stats(lambda s: all(not s[h]["debug_enabled"] and not s[h]["debug_filters"] for h in run.results))
    left = {h: (s["debug_enabled"], s["debug_filters"]) for h, s in stats.items()
            if h in run.results and (s["debug_enabled"] or s["debug_filters"])}
    assert not left, "debug left on after the play: %s" % left
    assert not problems, "\n".join(problems)
    _check_doc(render(rows))


def test_troubleshoot_keeps_healthy_hosts_and_reports_the_faulty_one(matrix: Any) -> None:
    lab, _run, ts, report_dir = matrix
    assert ts.rc == 2, ts.output[-3000:]
    assert "Traceback" not in ts.output
    report = json.loads((report_dir / "report.json").read_text())
    assert set(report["hosts"]) == set(TS_HOSTS)
    bad = report["hosts"]["TS-BAD"]
    assert bad["status"] == "failed" and "\n" not in bad["error"], bad
    assert bad["error"].startswith("TS-BAD (127.0.0.1:") and "closed the session" in bad["error"], bad["error"]
    for host in ("TS-OK1", "TS-OK2"):
        entry = report["hosts"][host]
        assert entry["status"] == "ok", entry
        assert [(t["name"], t["state"]) for t in entry["tunnels"]] == [("to-hq", "up")], entry["tunnels"]
    stats = lab.stats()
    assert all(not stats[h]["debug_enabled"] and not stats[h]["debug_filters"] for h in TS_HOSTS)


# -- docs/reliability.md -------------------------------------------------------------

HEADER = """\
# Reliability: every module under every session fault

<!-- Generated by tests/integration/test_fault_matrix.py from what it observed; do not edit.
     Regenerate: FORTIDIAG_WRITE_DOCS=1 .venv/bin/python -m pytest tests/integration/test_fault_matrix.py -->

The simulator injects each fault (`session_faults` in a lab device, see
`tests/fortisim/README.md`) while one module runs; the test then checks the module's result,
the simulator's debug state for the host, and, after a failure, a following `vpn_facts` task on
the same host (the persistent session must recover). Other hosts of the same play (a healthy device among
them) run every module without a failure, and `playbooks/troubleshoot.yml` over healthy
devices and one whose sessions always drop still reports every healthy host's tunnels and the
failed host with its one-line reason.

In every cell: a failure is one line that names the host and the cause, never a traceback,
and no debug output, debug application or filter is left on the device afterwards
(`diagnose debug disable`, `diagnose debug reset`, the IKE log filter and flow filter cleared).

How each fault is aimed: *per module* faults fire once, on a command that module sends
(`diagnose vpn tunnel list` for vpn_facts, the command itself for command, `diagnose vpn
tunnel flush`, `diagnose vpn ike gateway clear`, `set npu-offload`, `diagnose debug
application ike -1`, `diagnose debug flow trace start`, `diagnose sniffer packet`), then heal;
*every command* faults stay; *login* faults act on every login and stay.

"""

FAULT_TEXT = {
    "drop": "connection dropped after 40 bytes of the output",
    "stall": "output starts, then no prompt ever (the CLI hangs)",
    "slow": "output trickles, 128 bytes every 40 ms",
    "garbage": "NUL, ANSI escapes and non-UTF-8 bytes mixed into the output",
    "huge": "2 MB of extra output",
    "paging": "`--More--` on every long output (console `output more`)",
    "prompt_change": "the hostname (prompt) changes under the session",
    "cli_error": "the command fails: `Command fail. Return code -160`",
    "auth_failure": "the right password is refused (e.g. RADIUS down)",
    "host_key_change": "the device presents a new host key (replaced or reinstalled)",
    "disclaimer": "post-login disclaimer, press `a` to accept",
}
SCOPE_TEXT = {"aimed": "per module", "all": "every command", "login": "login"}


def render(rows: List[Tuple[str, str, List[str], str]]) -> str:
    lines = [HEADER.rstrip("\n"), "",
             "| fault | what the device does | aimed at | " + " | ".join("`%s`" % m for m, _a, _r in MODULES) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _m in MODULES) + " |"]
    for kind, scope, cells, _example in rows:
        lines.append("| `%s` | %s | %s | %s |" % (kind, FAULT_TEXT[kind], SCOPE_TEXT[scope], " | ".join(cells)))
    lines += ["", "*fails, next task recovers*: the task fails, and the next task on the host logs in again "
              "(or goes on in the same session) and succeeds. *fails*: the fault is permanent "
              "(the next task fails the same way).", "", "## Messages (the first failing module of each fault)", ""]
    for kind, _scope, _cells, example in rows:
        if example:
            lines.append("* `%s`: `%s`" % (kind, example))
    return "\n".join(lines) + "\n"


def _check_doc(text: str) -> None:
    if os.environ.get("FORTIDIAG_WRITE_DOCS") == "1":
        DOC.write_text(text, encoding="utf-8")
        return
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == text, (
        "docs/reliability.md does not match what the fault matrix observed; regenerate it with "
        "FORTIDIAG_WRITE_DOCS=1 .venv/bin/python -m pytest tests/integration/test_fault_matrix.py "
        "and commit it")
