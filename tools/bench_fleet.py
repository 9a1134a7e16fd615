# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench` (fleet): the read-only troubleshooting playbook over a simulated fleet,
against the floor and against the naive way, measured side by side in one run.

1. Generates a lab of --devices FortiGates (FortiOS 6.4 to 7.6) with --tunnels tunnels each
   and --latency-ms per command (the time a FortiGate takes to answer over a WAN), and
   starts the simulator with a command log.
2. Ours: `ansible-playbook playbooks/troubleshoot.yml` over every device, with the fleet
   settings below. Wall time; SSH logins per device from the simulator's counters.
3. The floor: tools/fleet_floor.py, plain Python with no Ansible: one thread and one login per
   device, all at once, sending exactly the commands our run sent to that device (read back
   from the command log), nothing parsed.
4. ansible-core's stock start: the same hosts, one task each, through a persistent connection
   plugin that does nothing (generated under .lab/), started ansible-core's way (a new
   interpreter per task and host): the floor of any playbook on the stock persistent
   connection, printed as a multiple of the floor. Ours starts its connection processes by
   forking the worker instead (fortidiag.ipsec.fleet strategy), which is why it can beat this.
5. The naive way: a playbook that runs each of those commands as its own task, each with its
   own SSH session (a Python process per command, delegated to the controller), nothing parsed.
   It does less than ours, so the ratio against it is a lower bound.

Ends with one line, e.g.
`fleet: devices=100 logins_per_device=1.0 vs_naive=7.3x vs_floor=4.1x wall_s=52.0`
(vs_naive = naive wall / ours; vs_floor = ours / floor wall) and exits 1, saying why, when a
goal is missed: 1 login per device, at least 5x faster than naive, at most 6x the floor.

    python tools/bench_fleet.py [--devices 100] [--tunnels 10] [--latency-ms 250] [--forks 100]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from fortisim.harness import RunningLab, running_lab

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".lab" / "bench-fleet"
BIN = Path(sys.executable).parent
VERSIONS = ("6.4.15", "7.0.17", "7.2.10", "7.4.7", "7.6.3")
GOALS = {"logins_per_device": 1.0, "vs_naive": 5.0, "vs_floor": 6.0}

# The fleet settings this bench found best (docs/awx.md, "Fleet settings"): every host in one
# batch of forks; facts not copied into top-level variables on every task; the default linear
# strategy (the report needs every host, and free gains nothing on 2 CPUs).
FLEET_ENV = {
    "ANSIBLE_INJECT_FACT_VARS": "False",
    "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
    "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "False",
    "ANSIBLE_DISPLAY_OK_HOSTS": "False",
}


def fleet_lab(devices: int, tunnels: int, latency_ms: int) -> Dict[str, Any]:
    """A branch fleet: each FortiGate with `tunnels` site-to-site tunnels to external hubs, all up."""
    devs: List[Dict[str, Any]] = []
    tuns: List[Dict[str, Any]] = []
    for i in range(devices):
        host = "FGT-%03d" % i
        lan = "10.%d.%d" % (100 + i // 250, i % 250)
        devs.append({"hostname": host, "version": VERSIONS[i % len(VERSIONS)], "latency_ms": latency_ms,
                     "interfaces": {"wan1": "100.64.%d.%d/16" % (i // 200, i % 200 + 10), "internal": lan + ".1/24"}})
        for j in range(tunnels):
            tuns.append({"name": "vpn-hub%02d" % j,
                         "phase2": [{"src_subnet": lan + ".0/24", "dst_subnet": "172.%d.%d.0/24" % (16 + j % 16, i % 250)}],
                         "a": {"device": host},
                         "b": {"external": "203.0.%d.%d" % (j % 250, i % 250 + 1), "state": "up"}})
    return {"description": "fleet bench", "defaults": {"username": "admin", "password": "fleet-bench-pw"},
            "devices": devs, "tunnels": tuns}


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process (Linux /proc), to tell the simulator's share from ours."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU seconds all processors spent busy so far (Linux /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0].split()[1:]]
    except OSError:
        return float("nan")
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _env() -> Dict[str, str]:
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".venv" / "collections"), **FLEET_ENV)


def commands_by_host(log: Path, offset: int) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    with open(log, encoding="utf-8") as handle:
        handle.seek(offset)
        for line in handle:
            host, _tab, command = line.rstrip("\n").partition("\t")
            out.setdefault(host, [])
            if command != "exit":  # the logout: both the floor and the naive way log out too
                out[host].append(command)
    return out


def run_ours(sim: RunningLab, forks: int) -> Tuple[float, Dict[str, Any]]:
    report_dir = WORK / "report"
    cmd = [str(BIN / "ansible-playbook"), "-i", str(sim.inventory), str(ROOT / "playbooks" / "troubleshoot.yml"),
           "-f", str(forks), "-e", "fortidiag_report_dir=%s" % report_dir]
    start = time.monotonic()
    run = subprocess.run(cmd, cwd=WORK, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - start
    (WORK / "ours.log").write_text(run.stdout, encoding="utf-8")
    if run.returncode != 0:
        raise SystemExit("bench_fleet: the troubleshooting playbook failed (rc %d); see %s" % (run.returncode, WORK / "ours.log"))
    return wall, json.loads((report_dir / "report.json").read_text(encoding="utf-8"))


def run_floor(sim: RunningLab, commands: Dict[str, List[str]]) -> float:
    plan = {host: {"host": hv["ansible_host"], "port": int(hv["ansible_port"]), "username": hv["ansible_user"],
                   "password": hv["ansible_password"], "known_hosts": str(sim.known_hosts), "commands": commands[host]}
            for host, hv in sim.hosts.items()}
    path = WORK / "floor-plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    start = time.monotonic()
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "fleet_floor.py"), str(path)], cwd=WORK,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - start
    if run.returncode != 0:
        raise SystemExit("bench_fleet: the floor script failed:\n%s" % run.stdout[-2000:])
    return wall


# ansible-core's own cost: the same hosts through a persistent connection plugin that does nothing,
# one task each. No playbook built on ansible-core's persistent connections can beat this.
NULL_PLUGINS = {
    "plugins/connection/null.py": '''
DOCUMENTATION = """
name: null
short_description: A persistent connection that connects to nothing (fleet bench)
description: [Measures ansible-core's own cost per host.]
options:
  persistent_connect_timeout: {type: int, default: 30}
  persistent_command_timeout: {type: int, default: 30}
  persistent_log_messages: {type: bool, default: false}
"""
from ansible.plugins.connection import NetworkConnectionBase


class Connection(NetworkConnectionBase):
    transport = "fortidiag_bench.null.null"
    has_pipelining = False

    def _connect(self):
        self._connected = True
        return self

    def ping(self):
        return "pong"

    def close(self):
        self._connected = False
''',
    "plugins/action/ping.py": '''
from ansible.module_utils.connection import Connection
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result["ping"] = Connection(self._connection.socket_path).ping()
        self._task.args["_ansible_socket"] = self._connection.socket_path  # closed at the end of the play
        return result
''',
}


def run_ansible_core(sim: RunningLab, forks: int) -> float:
    root = WORK / "null-collection"
    for rel, text in NULL_PLUGINS.items():
        path = root / "ansible_collections" / "fortidiag_bench" / "null" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip(), encoding="utf-8")
    playbook = WORK / "ansible-core.yml"
    playbook.write_text("- name: One task per host on a persistent connection that does nothing\n  hosts: fortigates\n"
                        "  gather_facts: false\n  tasks:\n    - name: Ping\n      fortidiag_bench.null.ping:\n",
                        encoding="utf-8")
    env = _env()
    env["ANSIBLE_COLLECTIONS_PATH"] = "%s:%s" % (root, env["ANSIBLE_COLLECTIONS_PATH"])
    start = time.monotonic()
    run = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(sim.inventory), str(playbook), "-f", str(forks),
                          "-e", "ansible_connection=fortidiag_bench.null.null"],
                         cwd=WORK, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - start
    (WORK / "ansible-core.log").write_text(run.stdout, encoding="utf-8")
    if run.returncode != 0:
        raise SystemExit("bench_fleet: the ansible-core playbook failed (rc %d); see %s" % (run.returncode, WORK / "ansible-core.log"))
    return wall


NAIVE_TASK = """
    - name: Command {index}
      ansible.builtin.command:
        argv: ["{python}", "{script}", "{{{{ ansible_host }}}}", "{{{{ ansible_port }}}}", "{{{{ ansible_user }}}}",
               "{known_hosts}", "{{{{ fleet_commands[inventory_hostname][{index}] }}}}"]
      environment:
        FLEET_PASSWORD: "{{{{ ansible_password }}}}"
      delegate_to: localhost
      when: fleet_commands[inventory_hostname] | length > {index}
      changed_when: false
"""


def run_naive(sim: RunningLab, commands: Dict[str, List[str]], forks: int) -> float:
    (WORK / "naive-commands.yml").write_text(yaml.safe_dump({"fleet_commands": commands}), encoding="utf-8")
    tasks = "".join(NAIVE_TASK.format(index=i, python=sys.executable, script=ROOT / "tools" / "fleet_naive_command.py",
                                      known_hosts=sim.known_hosts)
                    for i in range(max(len(c) for c in commands.values())))
    playbook = WORK / "naive.yml"
    playbook.write_text("- name: One task and one SSH session per command\n  hosts: fortigates\n  gather_facts: false\n"
                        "  vars_files: [naive-commands.yml]\n  tasks:%s" % tasks, encoding="utf-8")
    start = time.monotonic()
    run = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(sim.inventory), str(playbook), "-f", str(forks)],
                         cwd=WORK, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - start
    (WORK / "naive.log").write_text(run.stdout, encoding="utf-8")
    if run.returncode != 0:
        raise SystemExit("bench_fleet: the naive playbook failed (rc %d); see %s" % (run.returncode, WORK / "naive.log"))
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--tunnels", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=250, help="per-command latency of each simulated FortiGate")
    parser.add_argument("--forks", type=int, default=100)
    parser.add_argument("--skip-naive", action="store_true", help="measure ours and the floor only (no vs_naive goal)")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "commands.log"
    log.unlink(missing_ok=True)
    lab = fleet_lab(args.devices, args.tunnels, args.latency_ms)
    with running_lab(lab, WORK, extra_args=["--command-log", str(log)], start_timeout=120) as sim:
        print("fleet: %d simulated FortiGates x %d tunnels, %d ms per command, forks %d"
              % (args.devices, args.tunnels, args.latency_ms, args.forks), flush=True)
        logins_before = sum(d["logins"] for d in sim.stats().values())
        offset = log.stat().st_size if log.exists() else 0
        sim_cpu, busy = cpu_seconds(sim.process.pid), busy_seconds()
        ours, report = run_ours(sim, args.forks)
        sim_cpu, busy = cpu_seconds(sim.process.pid) - sim_cpu, busy_seconds() - busy
        stats = sim.wait_stats(lambda s: sum(d["logins"] for d in s.values()) > logins_before)
        logins = (sum(d["logins"] for d in stats.values()) - logins_before) / args.devices
        commands = commands_by_host(log, offset)
        checked = len(report["hosts"]) - report["fleet"]["hosts_failed"]
        per_device = sum(len(c) for c in commands.values()) / max(1, len(commands))
        print("ours:  wall_s=%.1f hosts_checked=%d tunnels=%d commands_per_device=%.1f cpu_s=%.0f (simulator %.0f)"
              % (ours, checked, report["fleet"]["tunnels"], per_device, busy, sim_cpu), flush=True)
        if checked != args.devices or len(commands) != args.devices:
            raise SystemExit("bench_fleet: %d of %d devices were checked" % (checked, args.devices))
        sim_cpu, busy = cpu_seconds(sim.process.pid), busy_seconds()
        floor = run_floor(sim, commands)
        sim_cpu, busy = cpu_seconds(sim.process.pid) - sim_cpu, busy_seconds() - busy
        print("floor: wall_s=%.1f cpu_s=%.0f (simulator %.0f) (plain Python, one login per device, the same commands)"
              % (floor, busy, sim_cpu), flush=True)
        busy = busy_seconds()
        core = run_ansible_core(sim, args.forks)
        busy = busy_seconds() - busy
        print("ansible-core: wall_s=%.1f cpu_s=%.0f = %.1fx the floor (a persistent connection that does nothing, one task"
              " per host, started ansible-core's way: a new interpreter per task and host)"
              % (core, busy, core / floor), flush=True)
        naive = None if args.skip_naive else run_naive(sim, commands, args.forks)
        if naive is not None:
            print("naive: wall_s=%.1f (one task and one SSH login per command)" % naive, flush=True)
    vs_floor = ours / floor
    vs_naive = (naive / ours) if naive is not None else float("nan")
    misses = []
    if logins != GOALS["logins_per_device"]:
        misses.append("logins per device %.2f, not 1" % logins)
    if naive is not None and vs_naive < GOALS["vs_naive"]:
        misses.append("only %.1fx faster than naive (goal %.0fx)" % (vs_naive, GOALS["vs_naive"]))
    if vs_floor > GOALS["vs_floor"]:
        misses.append("%.1fx the floor (goal at most %.0fx)" % (vs_floor, GOALS["vs_floor"]))
    for miss in misses:
        print("bench_fleet: goal missed: %s" % miss)
    print("fleet: devices=%d logins_per_device=%.1f vs_naive=%.1fx vs_floor=%.1fx wall_s=%.1f"
          % (args.devices, logins, vs_naive, vs_floor, ours))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
