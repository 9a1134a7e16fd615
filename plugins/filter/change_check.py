# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Change-window filters: snapshot a host's IPsec state, compare two snapshots, write JUnit XML."""
from __future__ import annotations

import datetime
from typing import Any, Dict, Mapping, Optional, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.module_utils.change_check import (
    ChangeCheckError,
    compare,
    failure_message,
    junit,
    not_checked,
    snapshot,
)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change_snapshot(facts: Mapping[str, Any], host: Optional[str] = None, taken: Optional[str] = None) -> Dict[str, Any]:
    try:
        return snapshot(facts, host, taken or _now())
    except ChangeCheckError as exc:
        raise AnsibleFilterError(str(exc)) from None


def _change_compare(post: Mapping[str, Any], pre: Optional[Mapping[str, Any]], tolerances: Optional[Mapping[str, Any]] = None,
                    where: str = "", host: Optional[str] = None) -> Dict[str, Any]:
    try:
        result = compare(pre, post, tolerances, where, host)
    except ChangeCheckError as exc:
        raise AnsibleFilterError(str(exc)) from None
    result["message"] = failure_message(result)
    return result


def _change_not_checked(error: Any, host: str) -> Dict[str, Any]:
    result = not_checked(host, str(error or "failed"))
    result["message"] = failure_message(result)
    return result


def _change_junit(results: Any, name: str = "fortidiag.postcheck", timestamp: str = "", hosts: Any = None) -> str:
    if hosts is not None and (isinstance(hosts, str) or not isinstance(hosts, Sequence)):
        raise AnsibleFilterError("change_junit: hosts must be a list of host names, e.g. ansible_play_hosts_all")
    try:
        return junit(results, name, timestamp, list(hosts) if hosts is not None else None)
    except ChangeCheckError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {
            "change_snapshot": _change_snapshot,
            "change_compare": _change_compare,
            "change_not_checked": _change_not_checked,
            "change_junit": _change_junit,
        }
