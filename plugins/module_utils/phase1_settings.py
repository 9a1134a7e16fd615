# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The phase1-interface settings the collection manages: pure functions, no I/O.

A setting is one row of SETTINGS; adding one (a module option plus its `set` keyword) needs
no other change here. Current values are read from `show full-configuration`, because plain
`show` omits defaults (npu-offload enable is never printed there).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import quote_name

TABLE = "vpn ipsec phase1-interface"


@dataclass(frozen=True)
class Setting:
    option: str  # module option and parsed key (dashes as underscores)
    keyword: str  # the CLI keyword after `set`
    choices: Tuple[str, ...]
    description: str
    new_sas_only: bool = False  # takes effect on SAs negotiated after the change


SETTINGS: Tuple[Setting, ...] = (
    Setting("npu_offload", "npu-offload", ("enable", "disable"),
            "Offload the tunnel's IPsec SAs to the NPU.", new_sas_only=True),
)
BY_OPTION: Dict[str, Setting] = {s.option: s for s in SETTINGS}


class Phase1SettingError(ValueError):
    """A request that cannot be carried out as asked (one line, says what to fix)."""


def read_command(name: str) -> str:
    return "show full-configuration %s %s" % (TABLE, quote_name(name))


def find_entry(parsed: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
    for entry in parsed.get("phase1") or []:
        if entry.get("name") == name:
            return entry
    return None


def current(entry: Dict[str, Any], wanted: Dict[str, Any]) -> Dict[str, Any]:
    """Current values of the requested settings; a setting the device lacks is an error."""
    values: Dict[str, Any] = {}
    for option in wanted:
        if option not in entry:
            raise Phase1SettingError("phase1-interface %s has no '%s' setting on this FortiGate (%s)" % (
                entry.get("name"), BY_OPTION[option].keyword,
                "no NPU, e.g. a VM" if option == "npu_offload" else "not in this FortiOS version"))
        values[option] = entry[option]
    return values


def changes(before: Dict[str, Any], wanted: Dict[str, Any]) -> List[Tuple[Setting, Any, Any]]:
    """(setting, current, wanted) for every requested value that differs, in SETTINGS order."""
    return [(s, before.get(s.option), wanted[s.option]) for s in SETTINGS
            if s.option in wanted and before.get(s.option) != wanted[s.option]]


def config_commands(name: str, todo: List[Tuple[Setting, Any, Any]]) -> List[str]:
    if not todo:
        return []
    return (["config %s" % TABLE, "edit %s" % quote_name(name)]
            + ["set %s %s" % (s.keyword, value) for s, _unused, value in todo]
            + ["next", "end"])


def config_text(name: str, values: Dict[str, Any]) -> str:
    """The managed settings as FortiOS prints them (for diff mode)."""
    rows = ["        set %s %s" % (BY_OPTION[o].keyword, v) for o, v in values.items() if v is not None]
    return "config %s\n    edit \"%s\"\n%s\n    next\nend\n" % (TABLE, name, "\n".join(rows))
