# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `show [full-configuration] firewall policy [ID]`.

    config firewall policy
        edit 4
            set name "to branch 7"
            set uuid 0c1d...
            set srcintf "port3"
            set dstintf "to branch 7"
            set action accept
            set srcaddr "LAN 10.1.0.0"
            set dstaddr "all"
            set schedule "always"
            set service "ALL"
            set nat enable
        next
    end

Each `edit` is one policy. Fields always present:

* `id` (int; the edit word as printed when it is not a number);
* `name`, `uuid`, `schedule`, `logtraffic`, `comments`: strings, null when not printed;
* `srcintf`, `dstintf`, `srcaddr`, `dstaddr`, `service`, `poolname`: lists (empty when not printed);
  `srcaddr6`, `dstaddr6`, `poolname6`, `groups`, `users`, `fsso_groups`, `internet_service_name`,
  `internet_service_src_name` are lists too when printed;
* `action`: as printed; `"deny"` when not printed (the FortiOS default: `show` omits defaults,
  so an accept policy always prints `set action accept`, a deny one may print nothing);
* `nat`, `ippool`: booleans (`set nat enable` / `set ippool enable`), false when not printed;
* `status`: `"enable"` when not printed (the default), else as printed (`"disable"`);
* `logtraffic` stays null when not printed (the device default, `utm` on current builds).

Every other `set` key is kept with dashes turned into underscores: one word gives a string,
several a list. `unset KEY` gives null. Secret-looking keys and `ENC` values read `<redacted>`. A nested `config X` block inside a policy becomes `X`
(underscored): a list of its entries when it holds `edit`s, else a dict of its `set` keys.
`vdom` is added when the text was wrapped in `config vdom` / `edit NAME`. Line order inside
a policy does not matter. Lines of other tables, or that fit nowhere, go to `unparsed`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import REDACTED, clean_lines_stripped
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import _is_secret, _scrub, tokenize

_TABLES = frozenset(("firewall policy", "firewall policy6", "firewall policy64", "firewall policy46"))
_LIST_KEYS = ("srcintf", "dstintf", "srcaddr", "dstaddr", "service", "poolname", "srcaddr6", "dstaddr6", "poolname6",
              "groups", "users", "fsso_groups", "internet_service_name", "internet_service_src_name")
_BOOL_KEYS = ("nat", "ippool")
_WRAPPERS = frozenset(("vdom", "global"))


def _new_policy(edit_word: str, vdom: Optional[str]) -> Dict[str, Any]:
    policy: Dict[str, Any] = {
        "id": int(edit_word) if edit_word.isdigit() else edit_word,
        "name": None,
        "uuid": None,
        "srcintf": [],
        "dstintf": [],
        "srcaddr": [],
        "dstaddr": [],
        "action": "deny",
        "schedule": None,
        "service": [],
        "nat": False,
        "status": "enable",
        "logtraffic": None,
        "ippool": False,
        "poolname": [],
        "comments": None,
    }
    if vdom is not None:
        policy["vdom"] = vdom
    return policy


def _set_value(key: str, values: List[str]) -> Any:
    if key in _LIST_KEYS:
        return list(values)
    if key in _BOOL_KEYS:
        return bool(values) and values[0] == "enable"
    if not values:
        return ""
    if len(values) == 1:
        return values[0]
    return list(values)


def _apply(target: Dict[str, Any], words: List[str]) -> bool:
    if len(words) < 2:
        return False
    key = words[1].replace("-", "_")
    if words[0] == "unset":
        target[key] = [] if key in _LIST_KEYS else (False if key in _BOOL_KEYS else None)
        return True
    if words[0] == "append":
        current = target.get(key)
        if not isinstance(current, list):
            current = [] if current in (None, "") else [current]
        target[key] = current + ([REDACTED] if _is_secret(key, words[2:]) else list(words[2:]))
        return True
    if _is_secret(key, words[2:]):
        target[key] = REDACTED
        return True
    target[key] = _set_value(key, words[2:])
    return True


class _State(object):
    """Nesting of `config`/`edit` frames: ("wrap"|"table"|"other"|"nested", data)."""

    def __init__(self) -> None:
        self.stack: List[List[Any]] = []
        self.policies: List[Dict[str, Any]] = []
        self.unparsed: List[str] = []
        self.vdom: Optional[str] = None

    def _inside_other(self) -> bool:
        return any(frame[0] == "other" for frame in self.stack)

    def feed(self, line: str) -> None:
        words = tokenize(line)
        if not words:
            return
        verb = words[0]
        top = self.stack[-1] if self.stack else None
        if self._inside_other():
            self._other(line, words, top)
            return
        if verb == "config" and len(words) >= 2:
            self._config(" ".join(words[1:]), top, line)
            return
        if verb == "edit" and len(words) >= 2:
            self._edit(words, top, line)
            return
        if verb in ("set", "unset", "append"):
            target = self._target(top)
            if target is None or not _apply(target, words):
                self.unparsed.append(line)
            return
        if verb == "next" and len(words) == 1 and top is not None and top[0] in ("policy", "wrap_edit", "nested_edit"):
            self.stack.pop()
            if top[0] == "wrap_edit":
                self.vdom = None
            return
        if verb == "end" and len(words) == 1 and self.stack:
            if top is not None and top[0] in ("policy", "wrap_edit", "nested_edit"):
                self.stack.pop()  # a missing `next`
            if self.stack:
                self._close(self.stack.pop())
            return
        self.unparsed.append(line)

    def _other(self, line: str, words: List[str], top: Any) -> None:
        # A block of another table: keep its lines, follow its nesting.
        self.unparsed.append(line)
        verb = words[0]
        if verb == "config":
            self.stack.append(["other", None])
        elif verb == "edit":
            self.stack.append(["other_edit", None])
        elif verb == "next" and top is not None and top[0] == "other_edit":
            self.stack.pop()
        elif verb == "end":
            if top is not None and top[0] == "other_edit":
                self.stack.pop()
            if self.stack:
                self.stack.pop()

    def _config(self, path: str, top: Any, line: str) -> None:
        if top is None or top[0] == "wrap_edit":
            if path in _TABLES:
                self.stack.append(["table", path])
            elif top is None and path in _WRAPPERS:
                self.stack.append(["wrap", path])
            else:
                self.unparsed.append(line)
                self.stack.append(["other", path])
            return
        if top[0] in ("policy", "nested_edit"):
            self.stack.append(["nested", {"key": path.replace("-", "_").replace(" ", "_"), "parent": top[1],
                                          "items": [], "settings": {}}])
            return
        self.unparsed.append(line)
        self.stack.append(["other", path])

    def _edit(self, words: List[str], top: Any, line: str) -> None:
        if top is None:
            # `edit` copied without its header: a policy.
            self.stack.append(["table", None])
            top = self.stack[-1]
        if top[0] == "table":
            policy = _new_policy(" ".join(words[1:]), self.vdom)
            self.policies.append(policy)
            self.stack.append(["policy", policy])
        elif top[0] == "wrap":
            self.vdom = words[1]
            self.stack.append(["wrap_edit", words[1]])
        elif top[0] == "nested":
            entry: Dict[str, Any] = {"name": " ".join(words[1:])}
            top[1]["items"].append(entry)
            self.stack.append(["nested_edit", entry])
        else:
            self.unparsed.append(line)

    @staticmethod
    def _target(top: Any) -> Optional[Dict[str, Any]]:
        if top is None:
            return None
        if top[0] in ("policy", "nested_edit"):
            return top[1]
        if top[0] == "nested":
            return top[1]["settings"]
        return None

    @staticmethod
    def _close(frame: List[Any]) -> None:
        if frame[0] != "nested":
            return
        data = frame[1]
        data["parent"][data["key"]] = data["items"] if (data["items"] or not data["settings"]) else data["settings"]

    def finish(self) -> None:
        while self.stack:
            self._close(self.stack.pop())


def parse_firewall_policy(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `show [full-configuration] firewall policy [ID]` into {"policies": [...], "unparsed": [...]}.

    `include_keys` is accepted for a uniform call (policies hold no key material).
    """
    del include_keys
    state = _State()
    try:
        for line in clean_lines_stripped(text):
            try:
                state.feed(line)
            except Exception:  # a malformed line must never sink the whole output
                state.unparsed.append(line)
        state.finish()
    except Exception:
        return {"policies": [], "unparsed": [_scrub(line) for line in state.unparsed]}
    return {"policies": state.policies, "unparsed": [_scrub(line) for line in state.unparsed]}
