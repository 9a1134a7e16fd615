# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report_files in the controller's worker process.

Report files belong on the controller, and the copy module costs two module processes per file
(stat, then copy), each a Python interpreter importing Ansible's module code from a zip: about a
second of CPU for a report's three files. Same argument spec and same code as the module.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report_files import ARGUMENT_SPEC, ReportFilesError, write


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False  # writes on the controller: no persistent connection to start

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            result.update(write(params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff)))
        except ReportFilesError as exc:
            raise AnsibleActionFail(str(exc))
        return result
