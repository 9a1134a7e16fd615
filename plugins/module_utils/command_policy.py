# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is a FortiOS CLI command read-only? The safety classifier of the `command` module.

Pure functions, no I/O. The rules are conservative: a command is read-only only when a
rule says so; anything unknown, ambiguous or malformed is not.

Kinds:
  read             reads state (`get`, `show`, `tree`, most `diagnose`, `execute ping`...)
  config           enters or edits the configuration (`config`, `edit`, `set`, `end`, ...)
  execute          any `execute` other than ping / traceroute and their options
  diagnose_change  a `diagnose` command with a verb that changes state (`flush`, `clear`, ...)
  debug            arms debug output or blocks the CLI (`diagnose debug`, `diagnose sniffer`, ...)
  session          would end the persistent session (`exit`, `quit`, `logout`)
  invalid          not one well-formed CLI line (empty, newline, control character, `?`, ...)
  unknown          an unknown or ambiguous first keyword, or a pipe other than `| grep`
"""
from __future__ import annotations

import unicodedata
from typing import List, NamedTuple, Optional, Sequence, Tuple

KINDS = ("read", "config", "execute", "diagnose_change", "debug", "session", "invalid", "unknown")
# Kinds refused whatever allow_changes says.
ALWAYS_REFUSED = frozenset(("invalid", "session"))

ONE_LINE = "commands are one line each"

# Top-level FortiOS commands (the CLI accepts any unambiguous prefix).
TOP_LEVEL = ("get", "show", "diagnose", "execute", "config", "exit", "end", "next", "abort", "edit", "set",
             "unset", "delete", "purge", "rename", "clone", "move", "append", "select", "unselect", "sudo",
             "tree", "fnsysctl", "quit", "logout")
_READ_WORDS = frozenset(("get", "show", "tree"))
_SESSION_WORDS = frozenset(("exit", "quit", "logout"))
_CONFIG_WORDS = frozenset(("config", "edit", "set", "unset", "delete", "purge", "rename", "clone", "move",
                           "append", "select", "unselect", "end", "next", "abort"))

# `execute` sub-commands that only read (ping settings are per session).
_EXECUTE_READ = ("ping", "ping6", "ping-options", "ping6-options", "traceroute", "tracert6")
# Other `execute` keywords sharing a prefix with those: a prefix that fits both is ambiguous.
_EXECUTE_RIVALS = ("traceroute-options",)
_EXECUTE_MIN_PREFIX = 4

# Verbs that make a `diagnose` command change state. A word is a verb when it starts with a
# stem, or when it is an abbreviation (2+ letters, a strict prefix) of one of the full words.
CHANGE_STEMS = ("up", "down", "flush", "clear", "reset", "restart", "del", "kill", "reboot", "shutdown",
                "purge", "remove", "disconnect", "stop", "disable", "enable", "set", "write", "update",
                "upload", "erase", "format", "test", "start",
                # Not in the original list, same spirit: they reload, rebuild or inject state.
                "reload", "renew", "refresh", "recalculate", "restore", "revert", "rollback", "kick",
                "inject", "trigger", "generate", "regenerate", "install", "uninstall", "import",
                "activate", "deactivate")
_CHANGE_FULL_WORDS = CHANGE_STEMS + ("delete", "delinbsa", "deloutbsa")
_MIN_ABBREVIATION = 2

_PIPE_COMMANDS = ("grep",)


class Verdict(NamedTuple):
    """What a command is: `read_only` only for kind `read`; `reason` says why it is not."""

    read_only: bool
    kind: str
    reason: str


def display(command: object) -> str:
    """The command as one printable line for messages (control characters escaped)."""
    text = command if isinstance(command, str) else str(command)
    out = []
    for char in text.strip():
        if char.isprintable():
            out.append(char)
        elif ord(char) < 0x100:
            out.append("\\x%02x" % ord(char))
        else:
            out.append("\\u%04x" % ord(char) if ord(char) < 0x10000 else "\\U%08x" % ord(char))
    shown = "".join(out)
    return shown if len(shown) <= 200 else shown[:197] + "..."


def _bad_character(text: str) -> Optional[str]:
    for char in text:
        if char in "\r\n\u2028\u2029\x85":
            return ONE_LINE
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return "%s; '%s' contains the control character U+%04X" % (ONE_LINE, display(text), ord(char))
    return None


def _split(text: str) -> Optional[List[List[str]]]:
    """Lower-case words per pipe stage (`a b | grep c` -> [[a, b], [grep, c]]), quotes and
    escapes removed; None if a quote or an escape is left open.

    Quotes and backslash escapes follow the FortiOS CLI: an unclosed quote would make the CLI
    wait for more lines, so it is refused. Quoting does not make a word a value: the CLI
    reads `"flush"` as `flush`.
    """
    stages: List[List[str]] = [[]]
    current: List[str] = []
    in_word = False
    quote = ""
    escape = False

    def finish() -> None:
        nonlocal current, in_word
        if in_word:
            stages[-1].append("".join(current).lower())
        current, in_word = [], False

    for char in text:
        if escape:
            current.append(char)
            in_word, escape = True, False
        elif char == "\\":
            escape = in_word = True
        elif quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "\"'":
            quote, in_word = char, True
        elif char == "|":
            finish()
            stages.append([])
        elif char.isspace():
            finish()
        else:
            current.append(char)
            in_word = True
    if quote or escape:
        return None
    finish()
    return stages


def _matches(word: str, keywords: Sequence[str]) -> List[str]:
    """Keywords that `word` names: itself when exact, else every keyword it is a prefix of."""
    if word in keywords:
        return [word]
    return [keyword for keyword in keywords if keyword.startswith(word)]


def _is_prefix(word: str, keyword: str, min_len: int = 1) -> bool:
    return len(word) >= min_len and keyword.startswith(word)


def _is_verb_candidate(word: str) -> bool:
    # Values (numbers, addresses, "two words", name_1) are not checked: keywords are letters and dashes.
    return bool(word) and word.isascii() and all(c.isalpha() or c == "-" for c in word)


def change_verb(word: str) -> Optional[str]:
    """Why a (lower-case) word is a change verb, or None: `'flush'`, `'reset-uptime' starts
    with 'reset'`, `'fl' abbreviates 'flush'`."""
    for stem in CHANGE_STEMS:
        if word == stem:
            return "'%s'" % word
        if word.startswith(stem):
            return "'%s' starts with '%s'" % (word, stem)
    if len(word) >= _MIN_ABBREVIATION:
        for full in _CHANGE_FULL_WORDS:
            if len(word) < len(full) and full.startswith(word):
                return "'%s' abbreviates '%s'" % (word, full)
    return None


def classify(command: str) -> Verdict:
    """Classify one CLI line; never raises."""
    text = command if isinstance(command, str) else ("" if command is None else str(command))
    bad = _bad_character(text)
    if bad:
        return Verdict(False, "invalid", bad)
    shown = display(text)
    if not text.strip():
        return Verdict(False, "invalid", "empty command")
    if "?" in text:
        return Verdict(False, "invalid", "'%s' contains '?', which opens the CLI help instead of running "
                                         "the command" % shown)
    stages = _split(text.strip())
    if stages is None:
        return Verdict(False, "invalid", "'%s' has an unclosed quote or a trailing backslash" % shown)
    if not stages[0]:
        return Verdict(False, "invalid", "'%s' has no command before '|'" % shown)
    for stage in stages[1:]:
        if not stage or stage[0] not in _PIPE_COMMANDS:
            return Verdict(False, "unknown", "'%s': only '| grep' may follow a command" % shown)
    return _classify_words(stages[0], shown)


def _classify_words(words: List[str], shown: str) -> Verdict:
    # `sudo VDOM|global COMMAND` runs one command in another VDOM (7.x): judge the command.
    while len(words) > 2 and _matches(words[0], TOP_LEVEL) == ["sudo"]:
        words = words[2:]
    first = words[0]
    names = _matches(first, TOP_LEVEL) if first else []
    if len(names) != 1:
        if _SESSION_WORDS.intersection(names):
            return Verdict(False, "session", "'%s': '%s' is ambiguous and could be %s, which would close the "
                                             "persistent session" % (shown, first,
                                                                     "/".join(sorted(_SESSION_WORDS.intersection(names)))))
        if _CONFIG_WORDS.intersection(names):
            return Verdict(False, "config", "'%s': '%s' is ambiguous and could change the configuration"
                           % (shown, first))
        what = "ambiguous" if names else "not a known FortiOS command"
        return Verdict(False, "unknown", "'%s': '%s' is %s" % (shown, first, what))
    name = names[0]
    rest = words[1:]
    if name in _READ_WORDS:
        return _classify_read(name, rest, shown)
    if name in _SESSION_WORDS:
        return Verdict(False, "session", "'%s' would close the persistent session" % shown)
    if name in _CONFIG_WORDS:
        return Verdict(False, "config", "'%s' changes the configuration" % shown)
    if name == "sudo":
        return Verdict(False, "unknown", "'%s': sudo needs a VDOM and a command" % shown)
    if name == "execute":
        return _classify_execute(rest, shown)
    if name == "diagnose":
        return _classify_diagnose(rest, shown)
    return Verdict(False, "unknown", "'%s': '%s' is not known to be read-only" % (shown, name))


def _classify_read(name: str, rest: List[str], shown: str) -> Verdict:
    # `get system performance top` redraws until `q`: it would block the session.
    if name == "get" and any(_is_verb_candidate(w) and _is_prefix(w, "top", 2) for w in rest):
        return Verdict(False, "debug", "'%s' runs until interrupted and would block the CLI" % shown)
    return Verdict(True, "read", "")


def _classify_execute(rest: List[str], shown: str) -> Verdict:
    if rest:
        word = rest[0]
        if word in _EXECUTE_READ:
            return Verdict(True, "read", "")
        if len(word) >= _EXECUTE_MIN_PREFIX:
            names = [k for k in _EXECUTE_READ + _EXECUTE_RIVALS if k.startswith(word)]
            if len(names) == 1 and names[0] in _EXECUTE_READ:
                return Verdict(True, "read", "")
    return Verdict(False, "execute", "'%s' may change device state (only execute %s are read-only)"
                   % (shown, ", ".join(_EXECUTE_READ)))


def _classify_diagnose(words: List[str], shown: str) -> Verdict:
    if words and (_is_prefix(words[0], "debug") or _is_prefix(words[0], "sniffer")):
        if len(words) == 2 and _is_prefix(words[0], "debug") and _is_prefix(words[1], "info", 3):
            return Verdict(True, "read", "")
        return Verdict(False, "debug", "'%s' arms debug output or blocks the CLI" % shown)
    log_filter = _ike_log_filter(words)
    if log_filter is not None:
        if log_filter:
            return Verdict(True, "read", "")
        return Verdict(False, "debug", "'%s' sets the IKE debug log filter" % shown)
    for word in words:
        if not _is_verb_candidate(word):
            continue
        # `diagnose sys top` redraws until `q`: it would block the session.
        if word == "top" or word.startswith("top-"):
            return Verdict(False, "debug", "'%s' runs until interrupted and would block the CLI" % shown)
        verb = change_verb(word)
        if verb:
            return Verdict(False, "diagnose_change", "'%s' changes device state (%s)" % (shown, verb))
    return Verdict(True, "read", "")


def _ike_log_filter(words: List[str]) -> Optional[bool]:
    """For `diagnose vpn ike log-filter|log filter ...`: True when it only lists, False when it
    sets the filter; None for any other command."""
    if len(words) < 3 or not (_is_prefix(words[0], "vpn") and _is_prefix(words[1], "ike")):
        return None
    third = words[2]
    if _is_prefix(third, "log"):
        rest = words[3:]
        if rest and _is_prefix(rest[0], "filter"):
            rest = rest[1:]
    elif _is_prefix(third, "log-filter"):
        rest = words[3:]
    else:
        return None
    return len(rest) == 1 and _is_prefix(rest[0], "list", 2)


def classify_all(commands: Sequence[str]) -> List[Verdict]:
    return [classify(command) for command in commands]


def first_refusal(verdicts: Sequence[Verdict], allow_changes: bool) -> Optional[Tuple[int, Verdict]]:
    """(index, verdict) of the first command that must not be sent, or None.

    Commands that are always refused (invalid, session) come first, whatever their place.
    """
    for index, verdict in enumerate(verdicts):
        if verdict.kind in ALWAYS_REFUSED:
            return index, verdict
    if not allow_changes:
        for index, verdict in enumerate(verdicts):
            if not verdict.read_only:
                return index, verdict
    return None


def batch_problem(commands: Sequence[str], verdicts: Sequence[Verdict]) -> Optional[str]:
    """Why a batch would leave the CLI in another context than it found it, or None.

    The connection keeps track of the VDOM / global context itself, so `config global` and
    `config vdom` are refused (use the vdom and scope options), every other config command
    must come inside a `config` block, and each block must be closed by `end` (or `abort`)
    in the same batch.
    """
    depth = 0
    for command, verdict in zip(commands, verdicts):
        if verdict.kind != "config":
            continue
        stages = _split(command.strip())
        words = stages[0] if stages else []
        names = _matches(words[0], TOP_LEVEL) if words else []
        name = names[0] if len(names) == 1 else ""
        if name == "config":
            if depth == 0 and len(words) > 1 and (_is_prefix(words[1], "global") or _is_prefix(words[1], "vdom")):
                return ("'%s' would change the context the connection manages; use the vdom and scope options"
                        % display(command))
            depth += 1
        elif depth == 0:
            return "'%s' is outside a config block opened by the same task" % display(command)
        elif name in ("end", "abort"):
            depth -= 1
    if depth > 0:
        return "a config block is left open: close it with 'end' in the same task"
    return None
