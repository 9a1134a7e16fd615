# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `get vpn ipsec stats tunnel`.

Two groups, a heading line each, then one `key: value` a line (documented in the
6.0 CLI reference, unchanged in later captures):

    tunnels
      total: 3
      static/ddns: 2
      dynamic: 1
      manual: 0
      errors: 0
    selectors
      total: 4
      up: 3

Output: `{"tunnels": {total, static_ddns, dynamic, manual, errors}, "selectors": {total, up},
"unparsed": []}`; counters are integers, null when not printed. Keys a newer release may
add are kept in their group under their snake_case name.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    clean_lines,
    redact_text,
    snake_key,
    to_int,
)

_GROUPS = ("tunnels", "selectors")
_LINE_RE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 _/\-]*?)\s*:\s*(?P<value>-?\d+)\s*$")
# Keys that only one group has: they place a line when the heading was lost.
_ONLY_IN = {"static_ddns": "tunnels", "dynamic": "tunnels", "manual": "tunnels", "errors": "tunnels", "up": "selectors"}


def parse_stats_tunnel(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get vpn ipsec stats tunnel` into {"tunnels": {...}, "selectors": {...}, "unparsed": [...]}.

    No key material is printed; `include_keys` only affects `unparsed` scrubbing.
    """
    result: Dict[str, Any] = {
        "tunnels": {"total": None, "static_ddns": None, "dynamic": None, "manual": None, "errors": None},
        "selectors": {"total": None, "up": None},
        "unparsed": [],
    }
    unparsed: List[str] = result["unparsed"]
    group: Optional[str] = None
    try:
        for raw in clean_lines(text):
            line = raw.strip()
            heading = line.rstrip(":").strip().lower()
            if heading in _GROUPS:
                group = heading
                continue
            match = _LINE_RE.match(line)
            if match:
                key = snake_key(match.group("key"))
                target = group or _ONLY_IN.get(key)
                if target is not None:
                    result[target][key] = to_int(match.group("value"))
                    continue
            unparsed.append(line if include_keys else redact_text(line))
    except Exception:
        pass
    return result
