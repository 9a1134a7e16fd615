# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `get vpn ipsec tunnel summary`.

One line per tunnel (dial-up instances appear as NAME_0, NAME_1 ...):
`'NAME' IP:PORT  selectors(total,up): a/b  rx(pkt,err): a/b  tx(pkt,err): a/b`
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    clean_lines_stripped,
    redact_text,
    split_host_port,
)

# The name is quoted and may contain spaces (and even quotes): greedy up to the last
# "' " that is followed by an endpoint and the selectors column.
_LINE_RE = re.compile(
    r"^'(?P<name>.*)'\s+(?P<endpoint>\S+)\s+"
    r"selectors\(total,up\):\s*(?P<sel_total>\d+)/(?P<sel_up>\d+)\s+"
    r"rx\(pkt,err\):\s*(?P<rx_pkt>\d+)/(?P<rx_err>\d+)\s+"
    r"tx\(pkt,err\):\s*(?P<tx_pkt>\d+)/(?P<tx_err>\d+)(?P<rest>.*)$"
)


def _parse_line(line: str, include_keys: bool) -> Dict[str, Any]:
    match = _LINE_RE.match(line)
    if not match:
        return {}
    remote_ip, remote_port = split_host_port(match.group("endpoint"))
    rest = match.group("rest").strip()
    if rest and not include_keys:
        rest = redact_text(rest)
    return {
        "name": match.group("name"),
        "vdom": None,  # not printed; callers that know the VDOM fill it
        "remote_ip": remote_ip,
        "remote_port": remote_port,
        "selectors_total": int(match.group("sel_total")),
        "selectors_up": int(match.group("sel_up")),
        "rx_packets": int(match.group("rx_pkt")),
        "rx_errors": int(match.group("rx_err")),
        "tx_packets": int(match.group("tx_pkt")),
        "tx_errors": int(match.group("tx_err")),
        # Columns a newer release may append, kept as printed.
        "other": {"trailing": rest} if rest else {},
    }


def parse_tunnel_summary(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get vpn ipsec tunnel summary` into {"tunnels": [...], "unparsed": [...]}.

    The summary carries no key material; `include_keys` is accepted so that every
    parser can be called the same way, and only affects `unparsed` scrubbing.
    """
    tunnels: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    try:
        for line in clean_lines_stripped(text):
            try:
                tunnel = _parse_line(line, include_keys)
            except Exception:
                tunnel = {}
            if tunnel:
                tunnels.append(tunnel)
            else:
                unparsed.append(line if include_keys else redact_text(line))
    except Exception:
        pass
    return {"tunnels": tunnels, "unparsed": unparsed}
