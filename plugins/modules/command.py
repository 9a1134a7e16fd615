#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: command
short_description: Run FortiOS CLI commands, read-only unless told otherwise
description:
  - Sends CLI commands over the persistent C(fortidiag.ipsec.fortios) connection of the host and
    returns what each one printed, plus parsed data for the commands the collection has a parser for.
  - The module never opens an SSH session of its own; all commands of a task go out in one batch over
    the session the connection plugin keeps for the play.
  - B(Every command is classified before anything is sent.) If one of them is not read-only and
    O(allow_changes) is not set, the task fails and no command at all is sent.
  - "Read-only: C(get), C(show) and C(tree) (except C(get system performance top), which never returns);
    C(execute ping), C(ping6), C(ping-options), C(ping6-options), C(traceroute) and C(tracert6);
    and C(diagnose) commands with no change verb (see below)."
  - "Not read-only (needs O(allow_changes=true)): configuration commands (C(config), C(edit), C(set),
    C(unset), C(delete), C(purge), C(rename), C(clone), C(move), C(append), C(select), C(unselect), C(end),
    C(next), C(abort)); every other C(execute); C(diagnose debug) (except C(diagnose debug info)),
    C(diagnose sniffer), C(diagnose vpn ike log-filter) / C(log filter) (except C(list)) and C(top), which
    arm debug output or block the CLI; unknown or ambiguous first keywords; and a pipe other than C(| grep)."
  - "A C(diagnose) command changes state when any later word made only of letters and dashes starts
    with one of these verbs: up, down, flush, clear, reset, restart, del, kill, reboot, shutdown, purge,
    remove, disconnect, stop, disable, enable, set, write, update, upload, erase, format, test, start,
    reload, renew, refresh, recalculate, restore, revert, rollback, kick, inject, trigger, generate,
    regenerate, install, uninstall, import, activate, deactivate; or abbreviates one of them (two letters
    or more, as in C(diag vpn tun fl) or C(diag vpn ike gateway cle))."
  - The classification is conservative. Words are checked wherever they appear, so a read command that
    names an object with such a word is treated as a change, for example C(diagnose vpn tunnel list name down)
    for a tunnel literally named C(down), or a tunnel called C(test-lab). Numbers, addresses and words
    with digits, underscores or spaces (C(to-spoke72), C("branch 2")) are never taken as verbs. Quoting does
    not help, as FortiOS reads C("down") as C(down).
  - "Always refused, whatever O(allow_changes) says: C(exit), C(quit), C(logout) and any ambiguous
    abbreviation of them (they would close the persistent session); empty commands; commands with a newline,
    carriage return or other control character (commands are one line each); a C(?) (it opens the CLI help);
    an unclosed quote; C(config global) and C(config vdom) (use O(vdom) and O(scope)); and configuration
    commands that are not inside a C(config) ... C(end) block opened and closed by the same task."
  - A C(| grep ...) suffix is allowed and the command before it is classified. C(sudo VDOM COMMAND)
    (FortiOS 7.x) is classified as COMMAND.
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  commands:
    description:
      - CLI commands, one line each, sent in this order. FortiOS keyword abbreviations work
        (C(diag vpn tun li)).
    type: list
    elements: str
    required: true
  vdom:
    description:
      - On a multi-VDOM FortiGate, the VDOM to run the commands in. Default is the admin's VDOM, else C(root).
      - The connection fails the task when a VDOM other than C(root) is named on a FortiGate without VDOMs,
        or a VDOM other than its own for a VDOM-scoped admin.
      - Cannot be combined with O(scope=global).
    type: str
  scope:
    description:
      - C(vdom) runs the commands in a VDOM (O(vdom)); C(global) runs them in C(config global) on a
        multi-VDOM FortiGate (at the top level on a FortiGate without VDOMs).
    type: str
    choices: [vdom, global]
    default: vdom
  allow_changes:
    description:
      - Allow commands that are not read-only (see the description). Without it such a command fails the task
        and nothing is sent.
      - C(exit), C(quit), C(logout), malformed commands and context changes are refused even so.
    type: bool
    default: false
  parse:
    description:
      - Add parsed data for each command the collection has a parser for (the same parsers as the
        C(fortidiag.ipsec.parse_cli) filter and C(fortidiag.ipsec.vpn_facts)).
    type: bool
    default: true
  include_keys:
    description:
      - Return live IPsec and IKE key material. By default it is replaced by C(<redacted>) in the parsed
        data B(and in the raw output) (RV(stdout), RV(stdout_lines)).
      - The raw redaction is line by line and cautious - SPIs (C(spi=), C(SPI:)) and sequence numbers stay
        readable, other long hexadecimal strings are hidden. With O(include_keys=true) the output is returned
        exactly as printed, and keys then reach logs and registered variables.
    type: bool
    default: false
  check_errors:
    description:
      - Fail the task with a one-line message naming the command when a command prints a FortiOS CLI error
        (C(command parse error), C(Unknown action), C(Command fail)...). The commands after it are not sent.
      - With C(false) the error text is returned as that command's output (and in RV(commands)).
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: partial
    details:
      - When every command is read-only, check mode sends them and returns their output.
      - Otherwise check mode sends nothing and returns RV(skipped) with C(changed=true).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: fortios
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Commands that ask for a yes/no confirmation are not answered; they run into the connection's command
    timeout. Use the dedicated modules for such operations.
  - A task's commands are logged like any module argument. Set C(no_log=true) on a task whose commands carry
    secrets (for example C(set psksecret)).
  - A C(changed) result means a command that is not read-only was sent, not that the device accepted it
    as a change.
seealso:
  - module: fortidiag.ipsec.vpn_facts
  - plugin: fortidiag.ipsec.parse_cli
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Tunnel list of the spoke, parsed (abbreviations work)
  fortidiag.ipsec.command:
    commands:
      - diag vpn tun li name to-hub
      - get vpn ipsec tunnel summary
  register: out
  when: inventory_hostname == 'SPOKE-72'

- name: Names of the tunnels listed
  ansible.builtin.debug:
    msg: "{{ out.parsed[0].tunnels | map(attribute='name') }}"
  when: inventory_hostname == 'SPOKE-72'

- name: A command without a parser returns its raw output (parsed is null)
  fortidiag.ipsec.command:
    commands:
      - get system status | grep Version
      - execute ping-options view-settings
  register: raw

- name: Read the Branch VDOM of the multi-VDOM box
  fortidiag.ipsec.command:
    commands:
      - diagnose vpn ike gateway list name to-hub
    vdom: Branch
  when: inventory_hostname == 'MVDOM-72'

- name: Clear the phase 1 towards SPOKE-72 on the hub (a change - needs allow_changes)
  fortidiag.ipsec.command:
    commands:
      - diagnose vpn ike gateway clear name to-spoke72
    allow_changes: true
  when: inventory_hostname == 'HUB-74'

- name: Run a global command on a multi-VDOM FortiGate
  fortidiag.ipsec.command:
    commands:
      - get system status
    scope: global
  when: inventory_hostname == 'MVDOM-72'

- name: Keep going when a command is not supported on some FortiOS versions
  fortidiag.ipsec.command:
    commands:
      - get vpn ipsec stats crypto
    check_errors: false
  register: crypto
"""

RETURN = r"""
stdout:
  description:
    - What each command printed, in order, without the echoed command and the prompt.
    - Key material reads C(<redacted>) unless O(include_keys=true).
    - Empty in check mode when a command is not read-only.
  returned: always
  type: list
  elements: str
  sample: ["Version: FortiGate-60F v7.2.10,build1706,240911 (GA.M)"]
stdout_lines:
  description: RV(stdout), each split into lines.
  returned: always
  type: list
  elements: list
  sample: [["Version: FortiGate-60F v7.2.10,build1706,240911 (GA.M)"]]
parsed:
  description:
    - One entry per command, the parsed data (as from the C(fortidiag.ipsec.parse_cli) filter) or C(null)
      when no parser knows the command, the command printed a CLI error, or O(parse=false).
  returned: always
  type: list
  elements: dict
  sample: [{"tunnels": [{"name": "to-hub", "remote_gateway": "198.51.100.1:500"}], "unparsed": []}]
commands:
  description: Every command with its classification.
  returned: always
  type: list
  elements: dict
  contains:
    command:
      description: The command as given.
      type: str
      returned: always
    read_only:
      description: Whether the command was classified read-only.
      type: bool
      returned: always
    kind:
      description:
        - C(read), C(config), C(execute), C(diagnose_change), C(debug), C(session), C(invalid) or C(unknown).
      type: str
      returned: always
    reason:
      description: Why the command is not read-only (empty when it is).
      type: str
      returned: always
    error:
      description: The FortiOS CLI error line the command printed, or C(null). Only set when it was sent.
      type: str
      returned: always
  sample: [{"command": "diag vpn tun li", "read_only": true, "kind": "read", "reason": "", "error": null}]
skipped:
  description: In check mode, the commands that were not sent because one of them is not read-only.
  returned: in check mode when a command is not read-only
  type: list
  elements: str
  sample: ["diagnose vpn ike gateway clear name to-spoke72"]
"""

from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.cli_commands import UnknownCommand, find_parser
from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.command_policy import (
    batch_problem,
    classify_all,
    first_refusal,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import find_cli_error
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import redact_text


def _redact(output: str) -> str:
    return "\n".join(redact_text(line, keep_ids=True) for line in output.split("\n"))


def _parse(command: str, output: str, include_keys: bool) -> Optional[Dict[str, Any]]:
    try:
        parser = find_parser(command)
    except UnknownCommand:
        return None
    return parser(output, include_keys=include_keys)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            commands=dict(type="list", elements="str", required=True),
            vdom=dict(type="str"),
            scope=dict(type="str", choices=["vdom", "global"], default="vdom"),
            allow_changes=dict(type="bool", default=False),
            parse=dict(type="bool", default=True),
            include_keys=dict(type="bool", default=False, no_log=False),
            check_errors=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    check_names(module, ("vdom",))
    commands: List[str] = params["commands"]
    if not commands:
        module.fail_json(msg="commands is empty: give at least one command")
    if params["vdom"] and params["scope"] == "global":
        module.fail_json(msg="vdom and scope=global exclude each other: global commands run outside any VDOM")

    verdicts = classify_all(commands)
    classified = [dict(command=c, read_only=v.read_only, kind=v.kind, reason=v.reason, error=None)
                  for c, v in zip(commands, verdicts)]
    refusal = first_refusal(verdicts, params["allow_changes"])
    if refusal is not None:
        index, verdict = refusal
        hint = "" if verdict.kind in ("invalid", "session") else "; set allow_changes: true to send it"
        module.fail_json(msg="command %d refused, nothing sent: %s%s" % (index + 1, verdict.reason, hint),
                         commands=classified)
    problem = batch_problem(commands, verdicts)
    if problem:
        module.fail_json(msg="commands refused, nothing sent: %s" % problem, commands=classified)

    changes = not all(v.read_only for v in verdicts)
    if module.check_mode and changes:
        module.exit_json(changed=True, msg="check mode: not sent", skipped=list(commands), stdout=[],
                         stdout_lines=[], parsed=[], commands=classified)

    scope = "global" if params["scope"] == "global" else None
    batch = [dict(command=c, vdom=params["vdom"], scope=scope, check_errors=params["check_errors"])
             for c in commands]
    client = FortiOSClient(module)
    try:
        results = client.run_commands(batch)
    except FortiOSClientError as exc:
        module.fail_json(msg=str(exc), commands=classified)

    include_keys = params["include_keys"]
    stdout: List[str] = []
    parsed: List[Optional[Dict[str, Any]]] = []
    for item, result in zip(classified, results):
        output = result.get("output") or ""
        error = find_cli_error(output)
        item["error"] = error
        parsed.append(_parse(item["command"], output, include_keys) if params["parse"] and not error else None)
        stdout.append(output if include_keys else _redact(output))
    module.exit_json(changed=changes, stdout=stdout, stdout_lines=[text.splitlines() for text in stdout],
                     parsed=parsed, commands=classified)


if __name__ == "__main__":
    main()
