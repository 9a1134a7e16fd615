# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose firewall iprope lookup SRC SPORT DST DPORT PROTO IN_INTF [...]`.

    <src [10.1.1.5-1234] dst [10.2.2.5-443] proto 6 dev port2> matches policy id: 4

gives `policy_id` (int; 0 is the implicit deny, null when no match line), `implicit_deny`
(policy_id == 0), `src`, `src_port` (int), `dst`, `dst_port` (int), `protocol` (int when
numeric, else as printed), `interface`; null when not printed. Other lines (errors such as
`no route` or `Command fail`) go to `unparsed`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import clean_lines_stripped
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import _scrub

_LOOKUP_RE = re.compile(
    r"^<\s*src\s+\[(?P<src>[^\]\s]+)-(?P<sport>\d+)\]\s+dst\s+\[(?P<dst>[^\]\s]+)-(?P<dport>\d+)\]"
    r"\s+proto\s+(?P<proto>\S+)\s+dev\s+(?P<dev>[^>\s]+)\s*>\s*(?:matches\s+policy\s+id:?\s*(?P<id>\d+))?\s*$")
_MATCH_RE = re.compile(r"^matches\s+policy\s+id:?\s*(\d+)\s*$")


def _empty() -> Dict[str, Any]:
    return {"policy_id": None, "implicit_deny": False, "src": None, "src_port": None, "dst": None,
            "dst_port": None, "protocol": None, "interface": None}


def _protocol(value: str) -> Any:
    return int(value) if value.isdigit() else value


def parse_iprope_lookup(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose firewall iprope lookup ...` output (see the module docstring)."""
    del include_keys
    result = _empty()
    unparsed: List[str] = []
    policy_id: Optional[int] = None
    try:
        for line in clean_lines_stripped(text):
            match = _LOOKUP_RE.match(line)
            if match and result["src"] is None:
                result.update(src=match.group("src"), src_port=int(match.group("sport")), dst=match.group("dst"),
                              dst_port=int(match.group("dport")), protocol=_protocol(match.group("proto")),
                              interface=match.group("dev"))
                if match.group("id") is not None:
                    policy_id = int(match.group("id"))
                continue
            match = _MATCH_RE.match(line)
            if match and policy_id is None:
                policy_id = int(match.group(1))
                continue
            unparsed.append(line)
    except Exception:
        pass
    result["policy_id"] = policy_id
    result["implicit_deny"] = policy_id == 0
    result["unparsed"] = [_scrub(line) for line in unparsed]
    return result
