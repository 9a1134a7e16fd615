# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""parse_cli: the collection's FortiOS parsers, offline."""
from __future__ import annotations

DOCUMENTATION = r"""
name: parse_cli
version_added: 0.1.0
author: fortidiag maintainers (@fortidiag)
short_description: Parse FortiOS CLI output into the collection's structured facts
description:
  - Parses the text a FortiGate printed for a command into the same data C(fortidiag.ipsec.vpn_facts) returns,
    with the field names of the collection's parsed-facts contract.
  - The command is given as a person types it; keyword abbreviations work (C(diag vpn tun list),
    C(get vpn ipsec tunnel sum)), and so do C(| grep ...) suffixes and C(sudo VDOM ...) prefixes.
  - The text may start with the echoed command and the prompt, and may carry console timestamps and
    C(--More--) paging remnants. Lines a parser cannot place are returned in C(unparsed), never dropped.
  - Key material (SA keys, IKE SK_* keys, keys in tunnel details) reads C(<redacted>) unless O(include_keys=true).
    Pre-shared secrets in configuration are always redacted.
  - "Commands: C(diagnose vpn tunnel list [name X]), C(diagnose vpn tunnel dialup-list [X]),
    C(get vpn ipsec tunnel summary), C(get ipsec tunnel list), C(get vpn ipsec tunnel details),
    C(get vpn ipsec tunnel name X), C(diagnose vpn ike gateway list [name X]), C(get vpn ipsec stats tunnel),
    C(diagnose vpn ipsec status), C(get vpn ipsec stats crypto),
    C(show [full-configuration] vpn ipsec phase1-interface|phase2-interface [X]), C(get system status),
    C(execute ping X)."
  - An unknown command fails with an error that lists the supported ones.
positional: command
options:
  _input:
    description: The CLI output.
    type: str
    required: true
  command:
    description: The command that printed it.
    type: str
    required: true
  include_keys:
    description: Return live key material instead of C(<redacted>).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Parse a saved tunnel list
  ansible.builtin.set_fact:
    tunnels: "{{ lookup('ansible.builtin.file', 'fw1-tunnel-list.txt') | fortidiag.ipsec.parse_cli('diag vpn tun list') }}"

- name: Tunnels whose selectors are not all up
  ansible.builtin.debug:
    msg: >-
      {{ (summary_text | fortidiag.ipsec.parse_cli('get vpn ipsec tunnel summary')).tunnels
         | selectattr('selectors_up', 'lt', 1) | map(attribute='name') }}
"""

RETURN = r"""
_value:
  description:
    - The parsed data; its shape depends on the command (see the collection's parsed-facts contract),
      for example C(tunnels) and C(unparsed) for C(diagnose vpn tunnel list).
  type: dict
"""

from typing import Any, Dict

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean


def parse_cli(text: Any, command: Any, include_keys: bool = False) -> Dict[str, Any]:
    if not isinstance(command, str) or not command.strip():
        raise AnsibleFilterError("parse_cli: give the command that printed the text, e.g. parse_cli('diagnose vpn tunnel list')")
    if text is not None and not isinstance(text, (str, bytes, bytearray)):
        # str() of a list or dict would parse as garbage and quietly give an empty result.
        raise AnsibleFilterError("parse_cli: the input must be the command's output text (a string), got %s; "
                                 "for a registered list such as stdout, pass one item (stdout[0])" % type(text).__name__)
    try:
        # bool('false') is True: a templated string must not turn key material on.
        show_keys = False if include_keys is None else boolean(include_keys, strict=True)
    except TypeError:
        raise AnsibleFilterError("parse_cli: include_keys must be true or false, got %r" % (include_keys,))
    # Imported here, not at the top: Ansible loads every filter file of the collection to find any
    # one filter, so the parsers would otherwise be compiled by every task that uses any of ours.
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.cli_commands import (  # pylint: disable=import-outside-toplevel
        UnknownCommand,
        find_parser,
    )
    try:
        parser = find_parser(command)
    except UnknownCommand as exc:
        raise AnsibleFilterError("parse_cli: %s" % exc)
    return parser("" if text is None else text, include_keys=show_keys)


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {"parse_cli": parse_cli}
