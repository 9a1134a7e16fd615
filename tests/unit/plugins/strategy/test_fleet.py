# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet strategy loads the collection's controller-side plugins before any worker forks."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

# In a child interpreter: the plugin loaders are process-wide state.
PROBE = r"""
import json, sys
from ansible.plugins.loader import action_loader, connection_loader, filter_loader, init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible_collections.fortidiag.ipsec.plugins.strategy.fleet import StrategyModule, preload
from ansible.plugins.strategy.linear import StrategyModule as Linear
before = set(sys.modules)
count = preload()
loaded = set(sys.modules) - before
cached = {'/'.join(p.split('/')[-2:])
          for loader in (action_loader, connection_loader, filter_loader) for p in loader._module_cache}
print(json.dumps({"count": count, "subclass": issubclass(StrategyModule, Linear), "cached": sorted(cached),
                  "module_utils": sorted(m for m in loaded if '.ipsec.plugins.module_utils.' in m),
                  "netmiko": any(m.split('.')[0] in ('netmiko', 'paramiko') for m in sys.modules)}))
"""


def test_preload_caches_the_plugins_workers_use() -> None:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / ".venv" / "collections")], env=env,
                         capture_output=True, text=True, check=True, timeout=120)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["subclass"]
    assert "action/vpn_facts.py" in probe["cached"]
    assert "connection/fortios.py" in probe["cached"]
    # One filter lookup loads every filter file of the collection.
    for name in ("troubleshoot.py", "report.py", "change_check.py", "parse_cli.py", "diagnose.py"):
        assert "filter/" + name in probe["cached"]
    assert any(m.endswith(".module_utils.facts") for m in probe["module_utils"])
    # preload() leaves netmiko alone (the strategy imports it once, below, for the forked connections).
    assert probe["netmiko"] is False
    assert probe["count"] >= 11


INSTALL_PROBE = r"""
import json, sys
from types import SimpleNamespace
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible.executor import task_executor
from ansible_collections.fortidiag.ipsec.plugins.plugin_utils import forked_connection
calls = []
task_executor.start_connection = lambda pc, options, uuid: calls.append(pc.connection) or "/stock.sock"
first, second = forked_connection.install(), forked_connection.install()
patched = task_executor.start_connection is forked_connection.start_connection
other = task_executor.start_connection(SimpleNamespace(connection="ansible.netcommon.network_cli"), {}, "u")
print(json.dumps({"installed": [first, second], "patched": patched, "other": other, "calls": calls}))
"""


def test_install_routes_only_this_collections_connections_through_the_fork() -> None:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    out = subprocess.run([sys.executable, "-c", INSTALL_PROBE, str(ROOT / ".venv" / "collections")], env=env,
                         capture_output=True, text=True, check=True, timeout=120)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["installed"] == [True, True] and probe["patched"] is True
    # Any other connection plugin still goes through ansible-core's own start_connection (once: no double patch).
    assert probe["other"] == "/stock.sock" and probe["calls"] == ["ansible.netcommon.network_cli"]
