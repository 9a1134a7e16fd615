# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsers for `show [full-configuration] vpn ipsec phase1-interface|phase2-interface [NAME]`.

Also `show vpn ipsec phase1|phase2` (policy-based, non-interface tunnels): same layout.

    config vpn ipsec phase1-interface
        edit "to branch 7"
            set interface "port1"
            set proposal aes256gcm-prfsha384 aes256-sha256
            set dhgrp 21 20
            set psksecret ENC 3xh...
            config ipv4-exclude-range
                edit 1
                    set start-ip 10.0.0.10
                    set end-ip 10.0.0.20
                next
            end
        next
    end

Each `edit` is one entry: `name` (quotes removed, spaces kept) plus every `set` key with
dashes turned into underscores:

* one value token gives a string (quotes removed, `''` gives `""`);
* several tokens give a list of strings;
* `proposal` and `dhgrp` are always lists; `dhgrp` items are integers (a token that is not a
  number stays a string);
* `src_subnet`/`dst_subnet` (`10.1.0.0 255.255.255.0`) become CIDR (`10.1.0.0/24`), the
  printed value is kept in `src_subnet_raw`/`dst_subnet_raw`;
* secrets (`psksecret`, `psksecret-remote`, `ppk-secret`, `authpasswd`,
  `group-authentication-secret`, `enckey`/`authkey` of manual keys, any value printed as
  `ENC ...`) are ALWAYS `"<redacted>"`, even with include_keys: the contract never lets
  configured secrets out, encrypted or not;
* `unset KEY` gives `KEY: null`;
* a nested `config X` block inside an edit becomes `X` (underscored): a list of entries
  when it holds `edit`s (or nothing), else a dict of its `set` keys.

Extras per entry: `config_table` (`vpn ipsec phase1-interface`, `vpn ipsec phase1`, ...,
null when the output had no `config` header) and `vdom` when the text was wrapped in
`config vdom` / `edit NAME` (a full configuration file). Blocks of other tables are not
entries: their lines go to `unparsed`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    clean_lines,
    normalize_address,
    redact_text,
)

_SECRET_KEY_RE = re.compile(r"secret|passw(?:or)?d|^psk|(?:^|_)(?:enc|auth)?key$")
_ALWAYS_LIST = frozenset(("proposal", "dhgrp"))
_SUBNET_KEYS = frozenset(("src_subnet", "dst_subnet"))
_WRAPPERS = frozenset(("vdom", "global"))
_SET_LINE_RE = re.compile(r"^(\s*(?:set|unset|append)\s+\S+)(\s+.*)?$")
_VERB_RE = re.compile(r"^(?:config|edit|set|unset|append|next|end)\b")
# A piece of an `ENC` blob (base64) cut off from its `set` line: a whole word of 16+ base64
# characters, or of 12+ with a digit, `+`, `/` or `=` in it (plain words stay readable).
_BLOB_RE = re.compile(r"(?<!\S)(?:[A-Za-z0-9+/]{16,}={0,2}|(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/]{12,}={0,2})(?!\S)")


def _is_secret(key: str, values: List[str]) -> bool:
    return bool(_SECRET_KEY_RE.search(key)) or (bool(values) and values[0] == "ENC")


def tokenize(text: str) -> List[str]:
    """FortiOS CLI words: double or single quotes group, `\\` escapes inside double quotes."""
    tokens: List[str] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
            continue
        word: List[str] = []
        while index < length and not text[index].isspace():
            char = text[index]
            if char in "\"'":
                quote = char
                index += 1
                while index < length and text[index] != quote:
                    if quote == '"' and text[index] == "\\" and index + 1 < length:
                        index += 1
                    word.append(text[index])
                    index += 1
                index += 1  # closing quote (or end of text)
            else:
                word.append(char)
                index += 1
        tokens.append("".join(word))
    return tokens


def _subnet(values: List[str]) -> Optional[str]:
    """`10.1.0.0 255.255.255.0` -> `10.1.0.0/24` (host bits kept when set, as printed when odd)."""
    if len(values) == 2:
        return normalize_address("%s/%s" % (values[0], values[1]))
    if len(values) == 1:
        return normalize_address(values[0])
    return " ".join(values) or None


def _value(key: str, values: List[str]) -> Any:
    if key in _ALWAYS_LIST:
        if key == "dhgrp":
            return [int(v) if v.isdigit() else v for v in values]
        return list(values)
    if not values:
        return ""
    if len(values) == 1:
        return values[0]
    return list(values)


def _apply_set(target: Dict[str, Any], words: List[str]) -> bool:
    if len(words) < 2:
        return False
    key = words[1].replace("-", "_")
    values = words[2:]
    if words[0] == "unset":
        target[key] = None
        if key in _SUBNET_KEYS:
            target[key + "_raw"] = None
        return True
    if words[0] != "set":
        return False
    if _is_secret(key, values):
        target[key] = REDACTED
        return True
    if key in _SUBNET_KEYS:
        target[key] = _subnet(values)
        target[key + "_raw"] = " ".join(values)
        return True
    target[key] = _value(key, values)
    return True


class _Table(object):
    """One `config X` block."""

    __slots__ = ("path", "items", "settings", "unit", "lines", "parent_entry", "wrapper", "vdom")

    def __init__(self, path: Optional[str]) -> None:
        self.path = path
        self.items: List[Dict[str, Any]] = []
        self.settings: Dict[str, Any] = {}
        self.unit: Optional["_Table"] = None  # the top-level block its lines are accounted to
        self.lines: List[Tuple[int, str]] = []
        self.parent_entry: Optional[Dict[str, Any]] = None
        self.wrapper = False
        self.vdom: Optional[str] = None


class _Parser(object):
    """A stack of open `config` blocks and `edit` entries."""

    def __init__(self, wanted: Tuple[str, ...]) -> None:
        self.wanted = wanted
        self.stack: List[Any] = []  # _Table or (entry dict, vdom name) tuples
        self.units: List[_Table] = []
        self.unparsed: List[Tuple[int, str]] = []
        self.seq = 0

    def _top_table(self) -> Optional[_Table]:
        for frame in reversed(self.stack):
            if isinstance(frame, _Table):
                return frame
        return None

    def _account(self, line: str) -> None:
        table = self._top_table()
        if table is None or table.unit is None:
            return  # structural line of a `config vdom` / `config global` wrapper
        table.unit.lines.append((self.seq, line))

    def _open(self, path: str) -> None:
        table = _Table(path)
        parent = self.stack[-1] if self.stack else None
        parent_table = self._top_table()
        if parent is None:
            table.wrapper = path in _WRAPPERS
            table.unit = None if table.wrapper else table
        elif isinstance(parent, tuple):
            table.parent_entry = parent[0]
            if parent_table is not None and parent_table.wrapper:
                table.unit = table
                table.vdom = parent[1]
            else:
                table.unit = parent_table.unit if parent_table is not None else table
        else:
            if parent.wrapper:
                table.unit = table
            else:
                table.unit = parent.unit
        if table.unit is table:
            self.units.append(table)
        self.stack.append(table)

    def _close_table(self, table: _Table) -> None:
        if table.parent_entry is None or table.unit is table:
            return
        key = (table.path or "").replace("-", "_").replace(" ", "_")
        if table.items or not table.settings:
            table.parent_entry[key] = table.items
        else:
            table.parent_entry[key] = table.settings

    def feed(self, line: str) -> None:
        self.seq += 1
        words = tokenize(line)
        if not words:
            return
        verb = words[0]
        if verb == "config" and len(words) >= 2:
            self._open(" ".join(words[1:]))
            self._account(line)
            return
        if verb == "edit" and len(words) >= 2:
            table = self.stack[-1] if self.stack else None
            if table is None:
                # `edit` with no header (copied from inside the table): one of ours.
                self._open_headless()
                table = self.stack[-1]
            if not isinstance(table, _Table):
                self._fail(line)
                return
            self._account(line)
            if table.wrapper:
                self.stack.append(({"name": words[1]}, words[1]))
                return
            entry: Dict[str, Any] = {"name": " ".join(words[1:])}
            table.items.append(entry)
            self.stack.append((entry, table.vdom))
            return
        if verb in ("set", "unset"):
            frame = self.stack[-1] if self.stack else None
            target = None
            if isinstance(frame, tuple):
                target = frame[0]
            elif frame is not None and frame.unit is not frame and not frame.wrapper:
                target = frame.settings  # a nested block without entries (`config X` / `set` / `end`)
            if target is None or not _apply_set(target, words):
                self._fail(line)
                return
            self._account(line)
            return
        if verb == "next" and len(words) == 1 and self.stack and isinstance(self.stack[-1], tuple):
            self._account(line)
            self.stack.pop()
            return
        if verb == "end" and len(words) == 1 and self.stack:
            self._account(line)
            if isinstance(self.stack[-1], tuple):
                self.stack.pop()  # a missing `next`
            if self.stack and isinstance(self.stack[-1], _Table):
                self._close_table(self.stack.pop())
            return
        self._fail(line)

    def _open_headless(self) -> None:
        table = _Table(None)
        table.unit = table
        self.units.append(table)
        self.stack.append(table)

    def _fail(self, line: str) -> None:
        self.unparsed.append((self.seq, line))

    def finish(self) -> None:
        # Output cut short: close what is still open.
        while self.stack:
            frame = self.stack.pop()
            if isinstance(frame, _Table):
                self._close_table(frame)

    def entries(self) -> Tuple[List[Dict[str, Any]], List[Tuple[int, str]]]:
        found: List[Dict[str, Any]] = []
        foreign: List[Tuple[int, str]] = []
        for unit in self.units:
            if unit.path is None or unit.path in self.wanted:
                for item in unit.items:
                    entry = {"name": item.get("name")}
                    entry["config_table"] = unit.path
                    if unit.vdom is not None:
                        entry["vdom"] = unit.vdom
                    entry.update((k, v) for k, v in item.items() if k != "name")
                    found.append(entry)
            else:
                foreign.extend(unit.lines)
        return found, foreign


def _scrub(line: str) -> str:
    """`unparsed` lines: config secrets always hidden, key material too."""
    match = _SET_LINE_RE.match(line)
    if match and match.group(2):
        words = tokenize(line)
        key = words[1].replace("-", "_") if len(words) > 1 else ""
        if _is_secret(key, words[2:]):
            return match.group(1) + " " + REDACTED
    line = redact_text(line)
    if not _VERB_RE.match(line):
        line = _BLOB_RE.sub(REDACTED, line)
    return line


def _parse(text: Any, wanted: Tuple[str, ...]) -> Tuple[List[Dict[str, Any]], List[str]]:
    parser = _Parser(wanted)
    unparsed: List[str] = []
    try:
        for raw in clean_lines(text):
            line = raw.strip()
            try:
                parser.feed(line)
            except Exception:  # a malformed line must never sink the whole output
                parser.unparsed.append((parser.seq, line))
        parser.finish()
        entries, foreign = parser.entries()
        unparsed = [_scrub(line) for dummy, line in sorted(foreign + parser.unparsed)]
        return entries, unparsed
    except Exception:
        return [], [_scrub(line) for dummy, line in parser.unparsed]


def parse_phase1_config(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `show [full-configuration] vpn ipsec phase1-interface|phase1 [NAME]` into {"phase1": [...], "unparsed": [...]}.

    `include_keys` is accepted for a uniform call; configured secrets stay redacted.
    """
    del include_keys  # secrets in configuration are always redacted
    entries, unparsed = _parse(text, ("vpn ipsec phase1-interface", "vpn ipsec phase1"))
    return {"phase1": entries, "unparsed": unparsed}


def parse_phase2_config(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `show [full-configuration] vpn ipsec phase2-interface|phase2 [NAME]` into {"phase2": [...], "unparsed": [...]}.

    `include_keys` is accepted for a uniform call; configured secrets stay redacted.
    """
    del include_keys  # secrets in configuration are always redacted
    entries, unparsed = _parse(text, ("vpn ipsec phase2-interface", "vpn ipsec phase2"))
    return {"phase2": entries, "unparsed": unparsed}
