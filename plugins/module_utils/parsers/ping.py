# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `execute ping X` (and `execute ping6 X`).

FortiOS prints the BusyBox layout:

    PING 10.2.2.5 (10.2.2.5): 56 data bytes
    64 bytes from 10.2.2.5: icmp_seq=0 ttl=63 time=1.2 ms

    --- 10.2.2.5 ping statistics ---
    5 packets transmitted, 5 packets received, 0% packet loss
    round-trip min/avg/max = 1.1/1.2/1.4 ms

Lost probes print nothing; on total loss the round-trip line is missing.

Output: `transmitted`, `received`, `loss_percent` (float), `rtt_min`, `rtt_avg`, `rtt_max`
(float ms, null on total loss or when not printed), `target` (as typed), `target_ip`
(the address in parentheses), `data_bytes`, `duplicates` (int, 0 unless `+N duplicates`),
`replies[]` {`seq`, `ttl`, `time_ms`, `bytes`, `from`, `duplicate`}, `unparsed`.
Lines such as `Unable to resolve hostname.` or ICMP error notices are not guessed at:
they stay in `unparsed`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    clean_lines,
    redact_text,
    to_int,
)

_HEADER_RE = re.compile(r"^PING6?\s+(?P<target>\S+?)\s*(?:\((?P<ip>[^()]*)\))?\s*:?\s+(?:(?P<size>\d+)(?:\(\d+\))?\s+data\s+bytes)?.*$")
_REPLY_RE = re.compile(
    r"^(?P<bytes>\d+)\s+bytes\s+from\s+(?P<from>\S+?):?\s+(?:icmp_)?seq=(?P<seq>\d+)\s+(?:ttl|hlim)=(?P<ttl>\d+)"
    r"\s+time=(?P<time>[\d.]+)\s*ms(?P<rest>.*)$")
_STATS_HEADER_RE = re.compile(r"^-+\s*(?P<target>\S+)\s+ping\s+statistics\s*-+$")
_STATS_RE = re.compile(
    r"^(?P<tx>\d+)\s+packets?\s+transmitted,\s*(?P<rx>\d+)\s+(?:packets?\s+)?received,"
    r"(?:\s*\+(?P<dup>\d+)\s+duplicates?,)?(?:\s*\+\d+\s+errors?,)?\s*(?P<loss>[\d.]+)%\s+packet\s+loss(?:,.*)?$")
_RTT_RE = re.compile(
    r"^(?:round-trip|rtt)\s+min/avg/max(?:/(?:mdev|stddev))?\s*=\s*(?P<min>[\d.]+)/(?P<avg>[\d.]+)/(?P<max>[\d.]+)"
    r"(?:/[\d.]+)?\s*ms$")


def _float(text: Optional[str]) -> Optional[float]:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def parse_ping(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `execute ping` output into a dict of counters, RTTs and replies (see module doc).

    No key material is printed; `include_keys` only affects `unparsed` scrubbing.
    """
    result: Dict[str, Any] = {
        "target": None,
        "target_ip": None,
        "data_bytes": None,
        "transmitted": None,
        "received": None,
        "loss_percent": None,
        "duplicates": None,
        "rtt_min": None,
        "rtt_avg": None,
        "rtt_max": None,
        "replies": [],
        "unparsed": [],
    }
    replies: List[Dict[str, Any]] = result["replies"]
    unparsed: List[str] = result["unparsed"]
    try:
        for raw in clean_lines(text):
            line = raw.strip()
            match = _REPLY_RE.match(line)
            if match:
                rest = match.group("rest")
                replies.append({
                    "seq": int(match.group("seq")),
                    "ttl": int(match.group("ttl")),
                    "time_ms": _float(match.group("time")),
                    "bytes": int(match.group("bytes")),
                    "from": match.group("from"),
                    "duplicate": "DUP" in rest,
                })
                continue
            match = _HEADER_RE.match(line)
            if match:
                result["target"] = match.group("target")
                result["target_ip"] = (match.group("ip") or "").strip() or match.group("target")
                result["data_bytes"] = to_int(match.group("size"))
                continue
            match = _STATS_HEADER_RE.match(line)
            if match:
                result["target"] = result["target"] or match.group("target")
                continue
            match = _STATS_RE.match(line)
            if match:
                result["transmitted"] = int(match.group("tx"))
                result["received"] = int(match.group("rx"))
                result["duplicates"] = to_int(match.group("dup")) or 0
                result["loss_percent"] = _float(match.group("loss"))
                continue
            match = _RTT_RE.match(line)
            if match:
                result["rtt_min"] = _float(match.group("min"))
                result["rtt_avg"] = _float(match.group("avg"))
                result["rtt_max"] = _float(match.group("max"))
                continue
            unparsed.append(line if include_keys else redact_text(line))
        if result["received"] == 0:
            result["rtt_min"] = result["rtt_avg"] = result["rtt_max"] = None
    except Exception:
        pass
    return result
