# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The linear strategy, with this collection's controller-side code loaded once up front."""
from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
short_description: Linear, with the collection's controller-side plugins loaded once before any fork
version_added: 0.1.0
description:
  - Runs exactly like P(ansible.builtin.linear#strategy) (task by task, every host before the next task).
  - Before the first task it loads, in the controller process, the plugins this collection runs
    in the controller's workers (the connection plugin class, the C(vpn_facts) action plugin, every
    filter of the collection) and the ansible-core action plugins the playbooks use.
  - Ansible forks one worker per task and host, and loads a collection's Python code from source
    in each (collections have no bytecode cache), so without this every worker compiles the same
    plugins again. Loaded before the forks, the workers inherit them.
  - A plugin that fails to load here is skipped silently; the task that needs it reports the error.
  - It starts the C(fortidiag.ipsec.fortios) persistent connection process by forking the worker
    that needs it, instead of ansible-core's way of running C(ansible_connection_cli_stub.py) in a
    new Python interpreter for every task and host. The process is the same (ansible-core's
    C(ConnectionProcess) on the same control socket, one login per host for the play); only the
    interpreter start, about half a CPU-second per host and task, is gone. netmiko is imported once,
    before the forks. Other connection plugins keep ansible-core's own start.
author: fortidiag maintainers (@fortidiag)
notes:
  - "ansible-core 2.19 prints a deprecation warning for every strategy plugin outside C(ansible.builtin)
    (no compatibility guarantee for third-party strategies, no removal version). The collection pins
    ansible-core 2.19; a play with C(strategy: linear) runs the same tasks, only slower."
  - "The collection's playbooks use it. Your own fleet playbooks can set C(strategy: fortidiag.ipsec.fleet)
    on the play, or set C(ANSIBLE_STRATEGY=fortidiag.ipsec.fleet)."
"""

from typing import Any

from ansible.plugins.loader import action_loader, connection_loader, filter_loader, test_loader
from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule

from ansible_collections.fortidiag.ipsec.plugins.plugin_utils import forked_connection, session

# Action plugins (FQCN) the collection's roles run on every host or once per play.
_ACTIONS = (
    "fortidiag.ipsec.vpn_facts",
    "fortidiag.ipsec.report_files",
    "ansible.builtin.set_fact",
    "ansible.builtin.validate_argument_spec",
    "ansible.builtin.debug",
    "ansible.builtin.fail",
    "ansible.builtin.set_stats",
    "ansible.builtin.assert",
    "ansible.builtin.normal",  # the collection's other modules
)
_CONNECTION = "fortidiag.ipsec.fortios"
# Looking up one filter of a collection loads every filter file of that collection.
_ANY_FILTER = "fortidiag.ipsec.troubleshoot_evidence"


def preload() -> int:
    """Load the plugins; returns how many loaded (for tests)."""
    loaded = 0
    lookups: Any = [(action_loader, name) for name in _ACTIONS]
    lookups += [(connection_loader, _CONNECTION), (filter_loader, _ANY_FILTER)]
    for loader, name in lookups:
        try:
            if loader.get(name, class_only=True) is not None:
                loaded += 1
        except Exception:  # pylint: disable=broad-except
            continue  # the task that needs it will say why
    for loader in (filter_loader, test_loader):
        try:
            loaded += sum(1 for dummy in loader.all())  # ansible.builtin filters and tests
        except Exception:  # pylint: disable=broad-except
            continue
    return loaded


class StrategyModule(LinearStrategyModule):
    def __init__(self, tqm: Any) -> None:
        super().__init__(tqm)
        preload()
        if forked_connection.install():
            # The connection processes are forks of the workers now: import netmiko once, here,
            # instead of once in each of them.
            try:
                session._driver()  # pylint: disable=protected-access
            except Exception:  # pylint: disable=broad-except
                pass  # the first task that connects says why
