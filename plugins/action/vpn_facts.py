# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vpn_facts in the controller's worker process.

The module is read-only and its parsers are pure Python, so there is nothing to run
elsewhere: calling the persistent connection from here saves starting a module process
per host (about a third of a second of CPU each, which a fleet of hundreds feels).
Same argument spec, same gathering and same facts as plugins/modules/vpn_facts.py.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import ARGUMENT_SPEC, FactsError, gather
from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import result as facts_result
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import name_problem


class ActionModule(ActionBase):
    _supports_check_mode = True  # read-only
    _supports_async = False

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        socket_path = getattr(self._connection, "socket_path", None) or getattr(self._connection, "_socket_path", None)
        if not socket_path:
            raise AnsibleActionFail("fortidiag.ipsec.vpn_facts needs connection: fortidiag.ipsec.fortios "
                                    "(set ansible_connection for this host)")
        # What _execute_module would record: the strategy closes (logs out) the connections it
        # saw in task args at the end of the play; without this the session idles until timeout.
        self._task.args["_ansible_socket"] = socket_path
        try:
            facts_result({}, params["set_facts"], params["result_format"])  # a bad combination fails before any command
            for problem in (name_problem(option, params[option]) for option in ("tunnels", "vdom")):
                if problem:
                    raise FactsError(problem)
            facts = gather(FortiOSClient.for_socket(socket_path), params)
            result.update(facts_result(facts, params["set_facts"], params["result_format"]))
        except (FactsError, FortiOSClientError) as exc:
            raise AnsibleActionFail(str(exc))
        return result
