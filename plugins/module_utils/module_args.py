# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument checks the modules share; all of them run before the connection is used."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible.module_utils import basic
from ansible.module_utils.common.validation import check_type_dict


def _not_dicts(argument_spec: Mapping[str, Any]) -> List[str]:
    """Dict options with suboptions whose raw value is no dict (nor a string that parses as one)."""
    if getattr(basic, "_ANSIBLE_ARGS", None) is None:
        # Not in a module run (ansible-doc, sanity's spec extraction): _load_params would read stdin.
        return []
    try:
        raw = basic._load_params()  # pylint: disable=protected-access
    except Exception:  # nothing readable: AnsibleModule reports that itself
        return []
    bad = []
    for name, entry in argument_spec.items():
        if entry.get("type") != "dict" or not entry.get("options") or not isinstance(raw, dict):
            continue
        value = raw.get(name)
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, str):
            try:
                check_type_dict(value)
                continue
            except TypeError:
                pass
        bad.append(name)
    return bad


def new_module(argument_spec: Dict[str, Any], **kwargs: Any) -> basic.AnsibleModule:
    """AnsibleModule(argument_spec, **kwargs), but a non-dict value for a dict option with suboptions
    fails with a message that names the option.

    ansible-core 2.19 raises TypeError from its validation (a traceback, no message) when such an
    option gets a number, a boolean or a list, and names no option when it gets a string that is no
    dict. Such an option is taken as `raw` here and then rejected.
    """
    bad = _not_dicts(argument_spec)
    spec = dict(argument_spec, **{name: dict(type="raw") for name in bad}) if bad else argument_spec
    module = basic.AnsibleModule(argument_spec=spec, **kwargs)
    if bad:
        name = bad[0]
        module.fail_json(msg="%s must be a dictionary with the options %s, got %s" % (
            name, ", ".join(sorted(argument_spec[name]["options"])), type(module.params[name]).__name__))
    return module


# Characters that would end or rewrite a CLI line: a name holding one could smuggle in a second command.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def name_problem(option: str, value: Any, required: bool = False) -> Optional[str]:
    """Why `value` cannot be a FortiOS object name (tunnel, phase 2, VDOM) in a command, or None.

    A list is checked item by item; None and (unless required) "" mean not given.
    """
    is_list = isinstance(value, list)  # an empty item of a list names nothing either
    for item in value if is_list else [value]:
        if item is None or (item == "" and not required and not is_list):
            continue
        text = str(item)
        if not text.strip():
            return "%s must be a name, got %s" % (option, "an empty string" if not text else "only blanks")
        if _CONTROL_RE.search(text):
            return "%s must not contain control characters (newline, tab, ...), got %r" % (option, text)
    return None


def check_names(module: Any, options: Sequence[str], required: Sequence[str] = ()) -> None:
    """fail_json for the first option of `options` (`filters.name` for a suboption) that is no usable name."""
    for option in options:
        value: Any = module.params
        for part in option.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        problem = name_problem(option, value, option in required)
        if problem:
            module.fail_json(msg=problem)
