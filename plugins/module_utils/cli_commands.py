# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which parser reads which command, matched the way the FortiOS CLI matches keywords.

The CLI accepts any unambiguous prefix of a keyword (`diag vpn tun list`), so a command is
matched token by token against the known command shapes: a keyword matches an exact word
or a prefix that no other keyword at that position shares; ARG matches any one word.
"""
from __future__ import annotations

import shlex
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import parse_debug_flow
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.firewall_policy import parse_firewall_policy
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import parse_ike_debug
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_status import parse_ipsec_status
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.iprope_lookup import parse_iprope_lookup
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_tunnel_list import parse_ipsec_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ping import parse_ping
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.stats_tunnel import parse_stats_tunnel
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.routing_table import (
    parse_routing_details,
    parse_routing_table,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import parse_sniffer
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.system_status import parse_system_status
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_details import parse_tunnel_details
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_summary import parse_tunnel_summary
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import (
    parse_phase1_config,
    parse_phase2_config,
)

ARG = object()
Parser = Callable[..., Dict[str, Any]]

# (shape, parser). Optional trailing parts are listed as their own shapes.
_SHAPES: List[Tuple[Tuple[Any, ...], Parser]] = []


def _add(text: str, parser: Parser) -> None:
    _SHAPES.append((tuple(ARG if word == "ARG" else word for word in text.split()), parser))


for _text, _parser in (
    ("diagnose vpn tunnel list", parse_tunnel_list),
    ("diagnose vpn tunnel list name ARG", parse_tunnel_list),
    ("diagnose vpn tunnel dialup-list", parse_tunnel_list),
    ("diagnose vpn tunnel dialup-list ARG", parse_tunnel_list),
    ("get vpn ipsec tunnel summary", parse_tunnel_summary),
    ("get ipsec tunnel list", parse_ipsec_tunnel_list),
    ("get vpn ipsec tunnel details", parse_tunnel_details),
    ("get vpn ipsec tunnel name ARG", parse_tunnel_details),
    ("diagnose vpn ike gateway list", parse_ike_gateway_list),
    ("diagnose vpn ike gateway list name ARG", parse_ike_gateway_list),
    ("get vpn ipsec stats tunnel", parse_stats_tunnel),
    ("get vpn ipsec stats crypto", parse_ipsec_status),
    ("diagnose vpn ipsec status", parse_ipsec_status),
    ("get system status", parse_system_status),
    ("execute ping ARG", parse_ping),
    # Live captures: the command that starts the output names the parser.
    ("diagnose debug application ike ARG", parse_ike_debug),
    ("diagnose debug flow trace start ARG", parse_debug_flow),
    ("diagnose debug flow trace start", parse_debug_flow),
):
    _add(_text, _parser)
# diagnose sniffer packet IF ['FILTER' [VERBOSE [COUNT [TSFORMAT [FRAMESIZE]]]]]
for _count in range(1, 7):
    _add("diagnose sniffer packet" + " ARG" * _count, parse_sniffer)
for _full in ("", "full-configuration "):
    for _table, _parser in (("phase1-interface", parse_phase1_config), ("phase1", parse_phase1_config),
                            ("phase2-interface", parse_phase2_config), ("phase2", parse_phase2_config)):
        _add("show %svpn ipsec %s" % (_full, _table), _parser)
        _add("show %svpn ipsec %s ARG" % (_full, _table), _parser)

for _full in ("", "full-configuration "):
    _add("show %sfirewall policy" % _full, parse_firewall_policy)
    _add("show %sfirewall policy ARG" % _full, parse_firewall_policy)
for _table in ("all", "static", "connected", "database"):
    _add("get router info routing-table %s" % _table, parse_routing_table)
_add("get router info routing-table details", parse_routing_details)
_add("get router info routing-table details ARG", parse_routing_details)
# diagnose firewall iprope lookup SRC SPORT DST DPORT PROTO IN_INTF [POLICY_TYPE [AUTH_TYPE [USER [SERVER]]]] (7.4.1+)
for _count in range(6, 11):
    _add("diagnose firewall iprope lookup" + " ARG" * _count, parse_iprope_lookup)

SUPPORTED_COMMANDS: Tuple[str, ...] = tuple(
    " ".join("X" if word is ARG else word for word in shape) for shape, _unused in _SHAPES)


class UnknownCommand(ValueError):
    """No parser reads this command."""


def _words(command: str) -> List[str]:
    # `| grep ...` filters the output; the command is what comes before it.
    command = command.split("|", 1)[0]
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    # `sudo VDOM diagnose ...` (7.x) runs one command in another VDOM.
    if len(words) > 2 and words[0] == "sudo":
        words = words[2:]
    return words


def _keyword_matches(word: str, keyword: str, rivals: Sequence[str]) -> bool:
    if word == keyword:
        return True
    return keyword.startswith(word) and not any(r.startswith(word) for r in rivals if r != keyword and r != word)


def find_parser(command: Any) -> Parser:
    """The parser for a command as a person types it; UnknownCommand when none."""
    words = _words(str(command or "").strip().lower())
    candidates = [(shape, parser) for shape, parser in _SHAPES if len(shape) == len(words)]
    for position, word in enumerate(words):
        keywords = sorted({shape[position] for shape, _p in _SHAPES
                           if len(shape) > position and shape[position] is not ARG
                           and all(_same(shape[i], words[i]) for i in range(position))})
        candidates = [(shape, parser) for shape, parser in candidates
                      if shape[position] is ARG or _keyword_matches(word, shape[position], keywords)]
        if not candidates:
            break
    if candidates:
        # `phase1` is both a keyword and a prefix of `phase1-interface`: exact words win.
        candidates.sort(key=lambda item: -sum(1 for k, w in zip(item[0], words) if k == w))
    else:
        raise UnknownCommand("no parser for '%s'; supported commands (abbreviations allowed): %s"
                             % (" ".join(str(command).split()), "; ".join(SUPPORTED_COMMANDS)))  # one line
    return candidates[0][1]


def _same(keyword: Any, word: str) -> bool:
    return keyword is ARG or keyword == word or (isinstance(keyword, str) and keyword.startswith(word))


def parse_cli(text: Any, command: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `text`, the output of `command`; see UnknownCommand."""
    return find_parser(command)(text, include_keys=bool(include_keys))


def parser_name(command: Any) -> Optional[str]:
    """The parser function's name for a command, or None (for modules that only peek)."""
    try:
        return find_parser(command).__name__
    except UnknownCommand:
        return None
