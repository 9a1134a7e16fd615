# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The commands that arm an IKE debug, a flow trace or a sniffer: pure functions, no I/O.

Syntax per FortiOS version is in /docs/debugging.md. The IKE log filter moved from
`diagnose vpn ike log-filter` (up to 7.2) to `diagnose vpn ike log filter` (7.4), and the
address options were renamed: `dst-addr4` became `rem-addr4`, `src-addr4` `loc-addr4`.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, List, Optional, Sequence

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import (
    ike_log_filter_command,
    newer_than,
    quote_name,
)

IKE_CATEGORIES = {"errors": 1, "config": 2, "connect": 4, "negotiation": 8, "nat_t": 16, "dpd": 32,
                  "keys": 64, "payload": 128}

# Our option -> (keyword up to 7.2, keyword from 7.4); None: not on that version.
IKE_FILTERS = {
    "name": ("name", "name"),
    "rem_addr4": ("dst-addr4", "rem-addr4"),
    "loc_addr4": ("src-addr4", "loc-addr4"),
    "rem_addr6": ("dst-addr6", "rem-addr6"),
    "loc_addr6": ("src-addr6", "loc-addr6"),
    "mdst_addr4": ("mdst-addr4", None),
    "mdst_addr6": (None, "mdst-addr6"),
    "dst_port": ("dst-port", "dst-port"),
    "interface": ("interface", "interface"),
    "vd": ("vd", "vd"),
}

SNIFFER_PROTOCOLS = {"ike": "udp port 500", "nat_t": "udp port 4500", "esp": "esp"}
TS_FORMATS = {"absolute": "a", "local": "l", "relative": "r"}


class DebugInputError(ValueError):
    """A bad option value (one line, says what to fix)."""


def ike_mask(categories: Sequence[str]) -> int:
    """`[all]` -> -1, else the sum of the named bits."""
    names = [c.strip().lower() for c in categories or ["all"]]
    if "all" in names or not names:
        return -1
    unknown = [n for n in names if n not in IKE_CATEGORIES]
    if unknown:
        raise DebugInputError("unknown IKE debug categories %s; use all or %s" % (
            ", ".join(n if n.isprintable() else repr(n) for n in unknown), ", ".join(IKE_CATEGORIES)))  # one line
    mask = 0
    for name in names:
        mask |= IKE_CATEGORIES[name]
    return mask


def _addr(value: Any, version6: bool, option: str) -> str:
    try:
        ip = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise DebugInputError("%s takes IP addresses, got %r" % (option, str(value)))  # %r: one line
    if (ip.version == 6) != version6:
        raise DebugInputError("%s takes IPv%d addresses, got %r" % (option, 6 if version6 else 4, str(value)))
    return str(ip)


def ike_filter_commands(version: Optional[str], filters: Dict[str, Any]) -> List[str]:
    """`log-filter`/`log filter` commands for the given options, in a stable order."""
    new = newer_than(version, (7, 4))
    commands: List[str] = []
    negate = list(filters.get("negate") or [])
    for option, (old_kw, new_kw) in IKE_FILTERS.items():
        value = filters.get(option)
        if value in (None, "", []):
            continue
        keyword = new_kw if new else old_kw
        if keyword is None:
            raise DebugInputError("IKE log filter %s does not exist on FortiOS %s; use %s" % (
                option, version, "mdst_addr6" if option == "mdst_addr4" else "mdst_addr4 on 7.2 and older"))
        if option in ("rem_addr4", "loc_addr4", "rem_addr6", "loc_addr6", "mdst_addr4", "mdst_addr6"):
            values = value if isinstance(value, list) else [value]
            limit = 1 if option.startswith("mdst") else 2  # `A` or a range `A B`
            if not values or (limit == 2 and len(values) > 2):
                raise DebugInputError("%s takes one address or a range of two, got %s" % (option, values))
            text = " ".join(_addr(v, option.endswith("6"), option) for v in values)
        elif option in ("dst_port", "vd"):
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise DebugInputError("%s takes a number, got %r" % (option, str(value)))
            if option == "dst_port" and not 1 <= number <= 65535:
                raise DebugInputError("dst_port must be 1-65535, got %d" % number)
            text = str(number)
        else:
            text = quote_name(str(value))
        commands.append(ike_log_filter_command(version, "%s %s" % (keyword, text)))
    for option in negate:
        if option not in IKE_FILTERS or option not in filters or filters.get(option) in (None, "", []):
            raise DebugInputError("negate names a filter option that is set (one of %s), got %r" % (
                ", ".join(k for k in IKE_FILTERS if filters.get(k) not in (None, "", [])) or "none set", option))
        keyword = IKE_FILTERS[option][1 if new else 0]
        commands.append(ike_log_filter_command(version, "negate %s" % keyword))
    return commands


def ike_arm_commands(version: Optional[str], mask: int, filters: Dict[str, Any], timestamps: bool) -> List[str]:
    """The runbook order: reset, clear the filter, set it, timestamps, application level, enable."""
    commands = ["diagnose debug reset", ike_log_filter_command(version, "clear")]
    commands += ike_filter_commands(version, filters)
    if timestamps:
        commands.append("diagnose debug console timestamp enable")
    commands += ["diagnose debug application ike %d" % mask, "diagnose debug enable"]
    return commands


FLOW_FILTERS = ("addr", "saddr", "daddr", "proto", "port", "sport", "dport")


def flow_arm_commands(filters: Dict[str, Any], count: int, function_name: bool, timestamps: bool) -> List[str]:
    """Filters first, then console output, then `trace start N` (the documented order)."""
    if not 1 <= int(count) <= 10000:
        raise DebugInputError("count (packets to trace) must be 1-10000, got %s" % count)
    commands = ["diagnose debug reset", "diagnose debug flow trace stop", "diagnose debug flow filter clear"]
    for option in FLOW_FILTERS:
        value = filters.get(option)
        if value in (None, ""):
            continue
        if option in ("addr", "saddr", "daddr"):
            text = _addr(value, False, option)
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise DebugInputError("%s takes a number, got %r" % (option, str(value)))
            if not 0 <= number <= (255 if option == "proto" else 65535):
                raise DebugInputError("%s out of range: %d" % (option, number))
            text = str(number)
        commands.append("diagnose debug flow filter %s %s" % (option, text))
    for option in filters.get("negate") or []:
        if option not in FLOW_FILTERS or filters.get(option) in (None, ""):
            raise DebugInputError("negate names a flow filter that is set, got %r" % option)
        commands.append("diagnose debug flow filter negate %s" % option)
    commands.append("diagnose debug flow show function-name %s" % ("enable" if function_name else "disable"))
    if timestamps:
        commands.append("diagnose debug console timestamp enable")
    commands += ["diagnose debug enable", "diagnose debug flow trace start %d" % int(count)]
    return commands


def ping_probe_commands(destination: str, source: Optional[str], count: int) -> List[str]:
    """`execute ping` from the FortiGate itself; options are reset afterwards (they last the session)."""
    dst = _addr(destination, False, "probe.destination")
    commands = ["execute ping-options reset"]
    if source:
        commands.append("execute ping-options source %s" % _addr(source, False, "probe.source"))
    if not 1 <= int(count) <= 100:
        raise DebugInputError("probe.count must be 1-100, got %s" % count)
    commands += ["execute ping-options repeat-count %d" % int(count), "execute ping %s" % dst,
                 "execute ping-options reset"]
    return commands


def sniffer_filter(remote_gateway: Optional[str], protocols: Sequence[str], raw: Optional[str]) -> str:
    """A BPF filter: the raw one, or `host GW and (udp port 500 or udp port 4500 or esp)`."""
    if raw is not None:
        if "'" in raw or "\n" in raw:
            raise DebugInputError("filter cannot contain a single quote or a newline")
        return raw.strip() or "none"
    parts = []
    for proto in protocols or []:
        if proto not in SNIFFER_PROTOCOLS:
            raise DebugInputError("protocols are ike, nat_t and esp, got '%s'" % proto)
        parts.append(SNIFFER_PROTOCOLS[proto])
    expr = " or ".join(parts)
    if len(parts) > 1 and remote_gateway:
        expr = "(%s)" % expr
    if remote_gateway:
        host = "host %s" % _addr(remote_gateway, ":" in str(remote_gateway), "remote_gateway")
        return "%s and %s" % (host, expr) if expr else host
    return expr or "none"


def sniffer_command(interface: str, bpf: str, verbosity: int, count: int, tsformat: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,35}", interface or ""):
        raise DebugInputError("interface must be an interface name or any, got %r" % interface)
    if not 1 <= int(verbosity) <= 6:
        raise DebugInputError("verbosity must be 1-6, got %s" % verbosity)
    if int(count) < 0:
        raise DebugInputError("count must be 0 (until the window ends) or more, got %s" % count)
    if tsformat not in TS_FORMATS:
        raise DebugInputError("timestamps must be one of %s, got '%s'" % (", ".join(TS_FORMATS), tsformat))
    return "diagnose sniffer packet %s '%s' %d %d %s" % (interface, bpf, int(verbosity), int(count), TS_FORMATS[tsformat])
