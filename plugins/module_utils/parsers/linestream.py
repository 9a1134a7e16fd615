# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Line handling for the streaming parsers (debug flow, sniffer).

Console output arrives in chunks cut anywhere; `LineSplitter` turns the chunks into whole
lines, the same lines whatever the cut points, and cleans each one the way
`common.clean_lines` does (paging remnants, ANSI escapes, carriage-return rewrites,
backspaces). Unlike `clean_lines` it keeps console timestamps and prompts: the streaming
parsers need the timestamps, and strip prompts themselves (`split_prompt`).

Everything here is pure and total: any input gives a value, nothing raises.
"""
from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import apply_backspaces, to_text

_MORE_RE = re.compile(r"--More--[ \t]*(?:[\r\x08]+[ \t]*)*")
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# HOST # , HOST# , HOST (root) # , HOST(Primary) (vd1) $ , and a bare "# ".
PROMPT_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]*)?(?:\s*\([^()\s]+\))*\s*[#$](?=\s|$)\s*")
# A command as typed (abbreviations included).
COMMAND_RE = re.compile(r"^(?:dia\w*|get|show|exe\w*|sudo|config|end|edit|next)(?:\s+[A-Za-z]|\s*$)")
# `diagnose debug console timestamp enable` prefix, with or without microseconds.
TIMESTAMP_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:\s+|$)")


def clean_line(line: str) -> str:
    """One raw line (no `\\n`) as the console finally shows it, right-stripped."""
    if "--More--" in line:
        line = _MORE_RE.sub("", line)
    if "\x1b" in line:
        line = _ANSI_RE.sub("", line)
    if "\r" in line:
        # A bare CR means the console rewrote the line: what shows is the last non-blank part.
        segments = [segment for segment in line.split("\r") if segment.strip()]
        line = segments[-1] if segments else ""
    if "\x08" in line:
        line = apply_backspaces(line)
    return line.rstrip()


def split_prompt(line: str) -> Tuple[bool, str]:
    """(had a prompt, the rest of the line). Only lines with `#` or `$` can have one."""
    if "#" not in line and "$" not in line:
        return False, line
    match = PROMPT_RE.match(line)
    if match is None:
        return False, line
    return True, line[match.end():]


def split_timestamp(line: str) -> Tuple[Optional[str], str]:
    """(console timestamp as printed or None, the rest of the line)."""
    if not line[:1].isdigit() and not line[:1].isspace():
        return None, line
    match = TIMESTAMP_RE.match(line)
    if match is None:
        return None, line
    return match.group(1), line[match.end():]


class LineSplitter:
    """Chunks in, cleaned whole lines out; `close()` flushes a last line without `\\n`."""

    def __init__(self) -> None:
        self._pending: List[str] = []

    def feed(self, chunk: Any) -> List[str]:
        text = to_text(chunk)
        if "\n" not in text:
            if text:
                self._pending.append(text)
            return []
        if self._pending:
            self._pending.append(text)
            text = "".join(self._pending)
            self._pending = []
        parts = text.split("\n")
        last = parts.pop()
        if last:
            self._pending.append(last)
        return [clean_line(part) for part in parts]

    def close(self) -> List[str]:
        rest = "".join(self._pending)
        self._pending = []
        return [clean_line(rest)] if rest else []
