# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the FortiOS output parsers.

Everything here is pure and total: any input gives a value, nothing raises.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

REDACTED = "<redacted>"

# Paging prompt plus the erase sequence the console sends after a key press:
# "--More-- " then "\r" + spaces + "\r", or backspaces + spaces + backspaces.
_MORE_RE = re.compile(r"--More--[ \t]*(?:[\r\x08]+[ \t]*)*")
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# `diagnose debug console timestamp enable` prefix, with or without microseconds.
_TIMESTAMP_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:\s|$)")
# HOST # , HOST# , HOST (root) # , HOST(Primary) (vd1) $ , and a bare "# " from copied docs.
_PROMPT_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]*)?(?:\s*\([^()\s]+\))*\s*[#$](?=\s|$)\s*")
# A command as typed (abbreviations included), for dropping the echoed command line.
_COMMAND_RE = re.compile(r"^(?:dia\w*|get|show|exe\w*|sudo)\s+[A-Za-z]")
_HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")

_REDACT_KEY_EQ_RE = re.compile(r"(\bkey=\d+\s+)[0-9A-Fa-f]+")
_REDACT_KEY_COLON_RE = re.compile(r"(\b(?:key|SK_e[ir]|SK_a[ir]|SK_d|SK_p[ir])\s*:\s*)\S.*$")
_REDACT_DETAIL_RE = re.compile(r"(\b(?:enc|auth):\s*\S+\s+)[0-9A-Fa-f][0-9A-Fa-f\-]{7,}")
_REDACT_ENC_RE = re.compile(r"(\bENC\s+)\S+")
_BARE_HEX_LINE_RE = re.compile(r"^\s*[0-9A-Fa-f]{16,}(?:[\-\s][0-9A-Fa-f]+)*\s*$")
# A stray piece of key material (e.g. output cut mid-line): any standalone hex run of
# 8+ digits with a letter in it, or of 16+ digits. Counters stay readable.
_HEX_RUN_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?=[0-9]*[A-Fa-f])[0-9A-Fa-f]{8,}|[0-9A-Fa-f]{16,})(?![0-9A-Za-z])")
_SECRET_NAME_RE = re.compile(r"(?:^|_)(?:key|keys|secret|psk|password|passwd|sk_[a-z]+)(?:_|$)|^sk_")


def to_text(data: Any) -> str:
    """Coerce any input to text (bytes are decoded leniently, None is empty)."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).decode("utf-8", errors="replace")
    try:
        return str(data)
    except Exception:  # a hostile __str__ must not break a parser
        return ""


def _apply_backspaces(line: str) -> str:
    out: List[str] = []
    for char in line:
        if char == "\x08":
            if out:
                out.pop()
        else:
            out.append(char)
    return "".join(out)


def _last_carriage_segment(line: str) -> str:
    # A bare CR means the console rewrote the line: what shows is the last non-blank part.
    for segment in reversed(line.split("\r")):
        if segment.strip():
            return segment
    return ""


def clean_lines(text: Any, drop_command_echo: bool = True) -> List[str]:
    """Split console output into meaningful lines.

    Removes paging artifacts, carriage returns, ANSI escapes, console timestamps,
    prompt lines and the echoed command. Blank lines are dropped; the rest are
    right-stripped (indentation is kept, parsers must not rely on it).
    """
    raw = to_text(text)
    if "--More--" in raw:
        raw = _MORE_RE.sub("", raw)
    if "\x1b" in raw:
        raw = _ANSI_RE.sub("", raw)
    raw = raw.replace("\r\n", "\n")
    lines: List[str] = []
    seen_data = False
    for line in raw.split("\n"):
        if "\r" in line:
            line = _last_carriage_segment(line)
        if "\x08" in line:
            line = _apply_backspaces(line)
        match = _TIMESTAMP_RE.match(line)
        if match:
            line = line[match.end():]
        if not line.strip():
            continue
        match = _PROMPT_RE.match(line)
        if match:
            rest = line[match.end():]
            # Prompt alone, or prompt + echoed command: not output.
            if not rest.strip() or (drop_command_echo and _COMMAND_RE.match(rest)):
                continue
            # Asynchronous output can start on the prompt line itself.
            line = rest
        elif drop_command_echo and not seen_data and _COMMAND_RE.match(line.strip()):
            continue
        seen_data = True
        lines.append(line.rstrip())
    return lines


def redact_text(line: str) -> str:
    """Hide key material in a free-text line (used for `unparsed` and free-form values)."""
    if _BARE_HEX_LINE_RE.match(line):
        return REDACTED
    line = _REDACT_KEY_EQ_RE.sub(r"\g<1>" + REDACTED, line)
    line = _REDACT_KEY_COLON_RE.sub(r"\g<1>" + REDACTED, line)
    line = _REDACT_DETAIL_RE.sub(r"\g<1>" + REDACTED, line)
    line = _REDACT_ENC_RE.sub(r"\g<1>" + REDACTED, line)
    return _HEX_RUN_RE.sub(REDACTED, line)


def redact_field(name: str, value: str) -> Optional[str]:
    """A free-form `name: value` pair: whole value hidden when the name says secret."""
    text = value.strip()
    if _SECRET_NAME_RE.search(snake_key(name)):
        return REDACTED if text else None
    return redact_text(text)


def is_hex(value: str) -> bool:
    return bool(_HEX_RE.match(value))


def to_int(value: Any, base: int = 10) -> Optional[int]:
    """Integer or None; never raises."""
    if value is None:
        return None
    try:
        return int(str(value).strip(), base)
    except (TypeError, ValueError):
        return None


def yes_no(value: Any) -> Optional[bool]:
    """`yes`/`no`, `enable`/`disable`, `1`/`0` as booleans; anything else None."""
    text = str(value).strip().lower() if value is not None else ""
    if text in ("yes", "enable", "enabled", "on", "1", "true"):
        return True
    if text in ("no", "disable", "disabled", "off", "0", "false"):
        return False
    return None


def snake_key(key: str) -> str:
    """`Max number of virtual domains` -> `max_number_of_virtual_domains`."""
    return re.sub(r"[^0-9a-z]+", "_", key.strip().lower()).strip("_")


def split_host_port(text: Optional[str]) -> Tuple[Optional[str], Optional[int]]:
    """`192.0.2.1:500` -> ("192.0.2.1", 500); IPv6 hosts keep their colons."""
    if text is None:
        return None, None
    text = text.strip()
    if not text:
        return None, None
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and host:
        return host, int(port)
    return text, None


@lru_cache(maxsize=4096)
def normalize_address(address: str) -> str:
    """Selector address as CIDR when it is one prefix, else `start-end` (or as printed)."""
    address = address.strip()
    try:
        if "-" in address:
            start_text, dummy, end_text = address.partition("-")
            start = ipaddress.ip_address(start_text.strip())
            end = ipaddress.ip_address(end_text.strip())
            networks = list(ipaddress.summarize_address_range(start, end))
            if len(networks) == 1:
                return networks[0].with_prefixlen
            return "%s-%s" % (start, end)
        if "/" in address:
            try:
                return ipaddress.ip_network(address).with_prefixlen
            except ValueError:
                # Host bits set: keep the address, still show the prefix length.
                return ipaddress.ip_interface(address).with_prefixlen
    except (ValueError, TypeError):
        pass
    return address


def parse_selector(text: str) -> Optional[Dict[str, Any]]:
    """`PROTO:ADDR:PORT` (e.g. `0:10.1.1.0/255.255.255.0:0`) -> {protocol, address, port}."""
    text = text.strip()
    proto, sep, rest = text.partition(":")
    if not sep:
        return None
    address, sep, port = rest.rpartition(":")
    if not sep or not address:
        return None
    protocol = to_int(proto)
    port_number = to_int(port)
    if protocol is None or port_number is None:
        return None
    return {"protocol": protocol, "address": normalize_address(address), "port": port_number}


def split_tokens(text: str) -> List[Tuple[str, Optional[str]]]:
    """`a=1 b=x flag` -> [("a", "1"), ("b", "x"), ("flag", None)]."""
    tokens: List[Tuple[str, Optional[str]]] = []
    for token in text.split():
        key, sep, value = token.partition("=")
        tokens.append((key, value) if sep else (token, None))
    return tokens
