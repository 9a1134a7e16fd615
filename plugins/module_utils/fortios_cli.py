# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The FortiOS command layer: pure helpers shared by the connection and the modules.

Nothing here does I/O. The connection plugin feeds raw channel text in; modules use the
error type and the command classification.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

# A command that prints one of these failed, whatever else it printed.
_CLI_ERROR_RE = re.compile(
    r"^\s*(?P<error>Unknown action \d+"
    r"|command parse error before .*"
    r"|value parse error before .*"
    r"|Command fail\. Return code -?\d+"
    r"|entry not found in datasource.*"
    r"|node_check_object fail!.*"
    r"|Permission denied.*)\s*$",
    re.MULTILINE,
)

# `--More--` is printed while paging; after the space it is erased with \r + blanks + \r.
MORE_RE = re.compile(r"--More--\s*$")
_MORE_ARTIFACT_RE = re.compile(r"--More--[ \t]*(?:\r[ \t]*\r?)?")
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CONTEXT_RE = re.compile(r"\(([^()\r\n]*)\)")


class FortiOSCLIError(Exception):
    """A FortiOS command printed a CLI error."""

    def __init__(self, command: str, error: str, output: str = "") -> None:
        super().__init__("command '%s' failed: %s" % (command, error))
        self.command = command
        self.error = error
        self.output = output


def find_cli_error(output: str) -> Optional[str]:
    """Return the first FortiOS CLI error line in output, or None."""
    match = _CLI_ERROR_RE.search(output)
    return match.group("error").strip() if match else None


def prompt_regex(hostname: str) -> "re.Pattern[str]":
    """A prompt at the very end of the buffer, in any context.

    Covers `HOST # `, `HOST# `, `HOST (root) # `, `HOST(Primary) (vd1) $ ` and config
    sub-modes such as `HOST (phase1-interface) # `.
    """
    return re.compile(
        r"(?:^|[\r\n])(?P<prompt>" + re.escape(hostname)
        + r"(?P<contexts>(?:\s?\([^()\r\n]*\))*)\s?[#$])[ \t]*$"
    )


def prompt_contexts(prompt: str) -> List[str]:
    """The parenthesised parts of a prompt: `H(Primary) (root) #` -> ['Primary', 'root']."""
    return _CONTEXT_RE.findall(prompt)


def hostname_from_prompt(prompt: str) -> str:
    """`FGT-1 (root) # ` -> `FGT-1`."""
    text = prompt.strip().rstrip("#$").rstrip()
    return text.split("(", 1)[0].strip() or text


def clean_output(raw: str, command: str, prompt_re: "Optional[re.Pattern[str]]" = None) -> str:
    """Remove the echoed command, paging artefacts, escapes and the trailing prompt."""
    text = _ANSI_RE.sub("", raw)
    text = _MORE_ARTIFACT_RE.sub("", text)
    text = text.replace("\r\n", "\n")
    # A lone \r rewrites the line (paging erase); keep what was written last.
    text = "\n".join(line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n"))
    if prompt_re is not None:
        match = prompt_re.search(text)
        if match:
            text = text[:match.start("prompt")]
    lines = text.split("\n")
    # The echo is the first line that ends with the command (it may follow a prompt).
    for index, line in enumerate(lines[:3]):
        if command and line.rstrip().endswith(command.strip()):
            lines = lines[index + 1:]
            break
    return "\n".join(lines).strip("\n")


def context_transition(current: Tuple[str, ...], target: Tuple[str, ...]) -> List[str]:
    """Commands that move the CLI from one context to another.

    Contexts: () top level, ('global',), ('vdom', NAME). `end` always returns to the top
    level from `config global` and `config vdom` / `edit NAME`.
    """
    if current == target:
        return []
    commands: List[str] = ["end"] if current else []
    if not target:
        return commands
    if target[0] == "global":
        return commands + ["config global"]
    return commands + ["config vdom", "edit %s" % quote_name(target[1])]


def quote_name(name: str) -> str:
    """Quote a FortiOS object name when it needs it (spaces, quotes)."""
    if re.fullmatch(r"[A-Za-z0-9_.:@/-]+", name):
        return name
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')


# Debug switches that must be undone when a session ends. Keywords may be abbreviated.
_DEBUG_RE = re.compile(r"^\s*diag\w*\s+(deb\w*|sni\w*|vpn\s+ike\s+log\w*)", re.IGNORECASE)
_DEBUG_HARMLESS_RE = re.compile(r"^\s*diag\w*\s+deb\w*\s+(dis\w*|res\w*|inf\w*)\s*$", re.IGNORECASE)
_CONSOLE_ON_RE = re.compile(r"^\s*diag\w*\s+deb\w*\s+en\w*\s*$", re.IGNORECASE)
_CONSOLE_OFF_RE = re.compile(r"^\s*diag\w*\s+deb\w*\s+dis\w*\s*$", re.IGNORECASE)
_TIMESTAMPS_ON_RE = re.compile(r"^\s*diag\w*\s+deb\w*\s+con\w*\s+tim\w*\s+en\w*\s*$", re.IGNORECASE)

# Kept for callers that only switch console output off (issue-2 behaviour).
DEBUG_CLEANUP_COMMANDS = (
    "diagnose debug disable",
    "diagnose debug reset",
)


def arms_debug(command: str) -> bool:
    """True when the command may leave debug output, a filter or a capture running on the device."""
    return bool(_DEBUG_RE.match(command)) and not _DEBUG_HARMLESS_RE.match(command)


def is_debug_command(command: str) -> bool:
    """Any `diagnose debug|sniffer|vpn ike log...` command, switching on or off."""
    return bool(_DEBUG_RE.match(command))


def console_debug_change(command: str) -> Optional[bool]:
    """True for `diagnose debug enable`, False for `... disable`, None otherwise."""
    if _CONSOLE_ON_RE.match(command):
        return True
    if _CONSOLE_OFF_RE.match(command):
        return False
    return None


def enables_timestamps(command: str) -> bool:
    return bool(_TIMESTAMPS_ON_RE.match(command))


def newer_than(version: Optional[str], major_minor: Tuple[int, int]) -> bool:
    """`7.4.1` >= (7, 4)? Unknown versions count as new (the current syntax)."""
    match = re.match(r"(\d+)\.(\d+)", version or "")
    if not match:
        return True
    return (int(match.group(1)), int(match.group(2))) >= major_minor


def ike_log_filter_command(version: Optional[str], option: str) -> str:
    """`diagnose vpn ike log-filter OPTION` up to 7.2, `diagnose vpn ike log filter OPTION` from 7.4."""
    family = "log filter" if newer_than(version, (7, 4)) else "log-filter"
    return "diagnose vpn ike %s %s" % (family, option)


def debug_cleanup_commands(version: Optional[str], timestamps: bool = False) -> List[str]:
    """Everything that undoes a debug capture, console first so the flood stops at once.

    `reset` stops every debug application; the IKE log filter and the flow filter/trace are
    cleared explicitly because `reset` is not documented to clear them.
    """
    commands = [
        "diagnose debug disable",
        "diagnose debug application ike 0",
        "diagnose debug flow trace stop",
        "diagnose debug flow filter clear",
        ike_log_filter_command(version, "clear"),
        "diagnose debug reset",
    ]
    if timestamps:
        commands.append("diagnose debug console timestamp disable")
    return commands
