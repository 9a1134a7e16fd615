#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: report_files
short_description: Write report files (JSON, Markdown, HTML text) into one directory on the controller
description:
  - Creates the directory (with its parents) when missing and writes each file whose content or
    mode differs, through a temporary file and a rename, so a reader never sees half a report.
  - "Runs as an action plugin in the controller, with no module process, so the files are written
    on the Ansible controller (inside the execution environment under AWX) whatever the task's
    host; run it once per play (C(run_once)) with C(delegate_to: localhost) for clarity."
  - The C(fortidiag.ipsec.report) role writes C(report.json), C(report.md) and C(report.html)
    with it, in one task instead of one module process per file.
version_added: 0.1.0
author: fortidiag maintainers (@fortidiag)
options:
  path:
    description:
      - The directory to write into. Created with O(dir_mode) when missing.
    type: path
    required: true
  files:
    description:
      - "The files to write, as C({file name: text}). Names are plain file names (no directories,
        no control characters); text is written as UTF-8."
      - Render structured data first, for example with C(to_nice_json).
    type: dict
    required: true
  mode:
    description:
      - Octal permissions of each file, as a quoted string.
    type: str
    default: "0640"
  dir_mode:
    description:
      - Octal permissions of the directory when this module creates it.
    type: str
    default: "0750"
attributes:
  check_mode:
    support: full
    description: Reports what would be written and writes nothing.
  diff_mode:
    support: full
    description: Shows the old and new text of each changed file (files over 64 KiB are only named).
notes:
  - Idempotent, file by file; C(changed) is true when the directory was created or any file was written.
"""

EXAMPLES = r"""
- name: Write the report files
  fortidiag.ipsec.report_files:
    path: /var/tmp/vpn-report
    files:
      report.json: "{{ report_data | to_nice_json(indent=2) }}\n"
      report.md: "{{ report_data | fortidiag.ipsec.report_markdown }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The directory, as an absolute path.
  type: str
  returned: always
  sample: /var/tmp/vpn-report
files:
  description: Every file of O(files), as absolute paths, in the order given.
  type: list
  elements: str
  returned: always
  sample: [/var/tmp/vpn-report/report.json, /var/tmp/vpn-report/report.md]
written:
  description: The files that were (in check mode, would be) written because their content or mode differed.
  type: list
  elements: str
  returned: always
  sample: [/var/tmp/vpn-report/report.json]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report_files import ARGUMENT_SPEC, ReportFilesError, write


def main() -> None:
    # Tasks normally run plugins/action/report_files.py (same spec, same code, on the controller);
    # this is the module proper, for ansible-doc and for callers that run modules directly.
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = write(module.params, check_mode=module.check_mode, diff=module._diff)
    except ReportFilesError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
