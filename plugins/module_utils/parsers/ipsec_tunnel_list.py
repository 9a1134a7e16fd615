# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `get ipsec tunnel list` (the old monitor command).

A table with the columns NAME, REMOTE-GW, PROXY-ID-SOURCE, PROXY-ID-DESTINATION,
STATUS and TIMEOUT, one row per phase 2 selector.

No public capture of this command was found: the layout is written from the documented
column list (FortiOS 6.0 CLI reference and training material), so the parser does not
rely on column positions. A row is anchored on its REMOTE-GW cell (the first `IP[:PORT]`
token after the first one); everything before it is the name (names may contain
spaces), then source, destination, status and the optional timeout follow.
Proxy IDs print as `ADDR/MASK`, `a-b` ranges or `PROTO:ADDR:PORT`: `proxy_src` and
`proxy_dst` are CIDR (`10.1.0.0/24`) when the range is one prefix, `*_raw` keeps the cell.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    clean_lines,
    normalize_address,
    parse_selector,
    redact_text,
    split_host_port,
    to_int,
)

_HEADER_RE = re.compile(r"^NAME\s+REMOTE[-_ ]GW\b", re.IGNORECASE)
_SEPARATOR_RE = re.compile(r"^[-=\s]{3,}$")
_STATUS_WORDS = frozenset(("up", "down", "connecting", "negotiating", "dead", "idle", "inactive", "active"))


def _is_gateway(token: str) -> bool:
    """`192.0.2.1`, `192.0.2.1:500`, `[2001:db8::1]:500`, `2001:db8::1`, `0.0.0.0:0`."""
    host, port = split_host_port(token)
    host = (host or "").strip("[]")
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if port is not None:
        return False
    try:
        ipaddress.ip_address(token)
        return True
    except ValueError:
        return False


def _proxy(cell: Optional[str]) -> Optional[str]:
    if cell is None:
        return None
    selector = parse_selector(cell) if cell.count(":") >= 2 and "/" in cell else None
    if selector is not None:
        return selector["address"]
    return normalize_address(cell)


def _parse_row(line: str) -> Optional[Dict[str, Any]]:
    tokens = line.split()
    if len(tokens) < 4:
        return None
    anchor = None
    for index in range(1, len(tokens)):
        if _is_gateway(tokens[index]):
            anchor = index
            break
    if anchor is None:
        return None
    rest = tokens[anchor + 1:]
    if len(rest) < 3 or len(rest) > 4:
        return None
    # The name is everything before the gateway cell, inner spacing kept as printed.
    cut = line.find(" " + tokens[anchor], len(tokens[0]) - 1)
    name = line[:cut].strip() if cut > 0 else " ".join(tokens[:anchor])
    if name.startswith("'") and name.endswith("'") and len(name) > 1:
        name = name[1:-1]
    host, port = split_host_port(tokens[anchor])
    timeout_raw = rest[3] if len(rest) == 4 else None
    status = rest[2]
    if status.lower() not in _STATUS_WORDS and timeout_raw is None and to_int(status) is not None:
        # `src dst timeout` with the status cell empty.
        return None
    return {
        "name": name,
        "vdom": None,  # not printed; callers that know the VDOM fill it
        "remote_gateway": host.strip("[]") if host else host,
        "remote_port": port,
        "proxy_src": _proxy(rest[0]),
        "proxy_dst": _proxy(rest[1]),
        "proxy_src_raw": rest[0],
        "proxy_dst_raw": rest[1],
        "status": status,
        "timeout": to_int(timeout_raw),
    }


def parse_ipsec_tunnel_list(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get ipsec tunnel list` into {"tunnels": [...], "unparsed": [...]}.

    Each tunnel: `name`, `remote_gateway`, `remote_port` (null when not printed),
    `proxy_src`, `proxy_dst` (CIDR or `a-b`), `proxy_src_raw`, `proxy_dst_raw`,
    `status` (as printed), `timeout` (int seconds, null when blank or not a number),
    `vdom` (null). The table carries no key material; `include_keys` only affects
    `unparsed` scrubbing.
    """
    tunnels: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    try:
        for raw in clean_lines(text):
            line = raw.strip()
            if _HEADER_RE.match(line) or _SEPARATOR_RE.match(line):
                continue
            try:
                row = _parse_row(line)
            except Exception:  # a malformed line must never sink the whole output
                row = None
            if row is not None:
                tunnels.append(row)
            else:
                unparsed.append(line if include_keys else redact_text(line))
    except Exception:
        pass
    return {"tunnels": tunnels, "unparsed": unparsed}
