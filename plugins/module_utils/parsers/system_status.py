# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `get system status`.

`Key: value` lines. The `Version:` line carries model, version, build, build date and
release type: `Version: FortiGate-60F v7.2.5,build1517,230606 (GA.F)`.
`build` is an integer (1517; `build0566` gives 566) so versions can be compared;
`build_date` keeps the printed YYMMDD string.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    clean_lines_stripped,
    redact_field,
    redact_text,
    snake_key,
    to_int,
)

_VERSION_RE = re.compile(
    r"^(?P<model>.+?)\s+v(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)"
    r"(?:,\s*build\s*(?P<build>\d+))?(?:,\s*(?P<date>\d+))?"
    r"(?:\s*\((?P<release>[^)]*)\))?\s*$"
)
_VDOM_STATUS_RE = re.compile(r"(\d+)\s+in\s+NAT mode,\s*(\d+)\s+in\s+TP mode", re.IGNORECASE)

# Printed key -> field, for the values kept as text.
_TEXT_FIELDS = {
    "serial-number": "serial",
    "hostname": "hostname",
    "virtual domain configuration": "vdom_mode",
    "current ha mode": "ha_mode",
    "operation mode": "operation_mode",
    "current virtual domain": "current_vdom",
    "release version information": "release_version_information",
    "firmware signature": "firmware_signature",
    "fips-cc mode": "fips_cc_mode",
    "bios version": "bios_version",
    "system part-number": "part_number",
    "log hard disk": "log_hard_disk",
    "private encryption": "private_encryption",
    "cluster uptime": "cluster_uptime",
    "cluster state change time": "cluster_state_change_time",
    "system time": "system_time",
    "last reboot reason": "last_reboot_reason",
    "first ga patch build date": "first_ga_patch_build_date",
}


def _new_status() -> Dict[str, Any]:
    return {
        "version": None,
        "build": None,
        "model": None,
        "hostname": None,
        "serial": None,
        "vdom_mode": None,
        "ha_mode": None,
        "major_minor": None,
        "version_major": None,
        "version_minor": None,
        "version_patch": None,
        "build_date": None,
        "release_type": None,
        "branch_point": None,
        "release_version_information": None,
        "ha_cluster_mode": None,
        "ha_role": None,
        "operation_mode": None,
        "current_vdom": None,
        "max_vdoms": None,
        "vdoms_nat": None,
        "vdoms_tp": None,
        "firmware_signature": None,
        "fips_cc_mode": None,
        "bios_version": None,
        "part_number": None,
        "log_hard_disk": None,
        "private_encryption": None,
        "security_level": None,
        "cluster_uptime": None,
        "cluster_state_change_time": None,
        "system_time": None,
        "last_reboot_reason": None,
        "first_ga_patch_build_date": None,
        "other": {},
    }


def _set_version(status: Dict[str, Any], value: str) -> bool:
    match = _VERSION_RE.match(value.strip())
    if not match:
        return False
    major, minor, patch = int(match.group("major")), int(match.group("minor")), int(match.group("patch"))
    status["model"] = match.group("model")
    status["version"] = "%d.%d.%d" % (major, minor, patch)
    status["major_minor"] = "%d.%d" % (major, minor)
    status["version_major"], status["version_minor"], status["version_patch"] = major, minor, patch
    status["build"] = to_int(match.group("build"))
    status["build_date"] = match.group("date")
    status["release_type"] = match.group("release")
    return True


def _set_ha(status: Dict[str, Any], value: str) -> None:
    # `standalone`, or `a-p, master` (6.x) / `a-p, primary` (7.x): cluster mode, role.
    text = value.strip()
    status["ha_mode"] = text or None
    mode, sep, role = text.partition(",")
    status["ha_cluster_mode"] = mode.strip() or None
    status["ha_role"] = (role.strip() or None) if sep else None


def _apply(status: Dict[str, Any], key: str, value: str, include_keys: bool) -> bool:
    key_lower = key.strip().lower()
    if key_lower == "version":
        return _set_version(status, value)
    if key_lower == "current ha mode":
        _set_ha(status, value)
        return True
    if key_lower == "branch point":
        status["branch_point"] = to_int(value)
        return status["branch_point"] is not None
    if key_lower == "max number of virtual domains":
        status["max_vdoms"] = to_int(value)
        return status["max_vdoms"] is not None
    if key_lower == "virtual domains status":
        match = _VDOM_STATUS_RE.search(value)
        if not match:
            return False
        status["vdoms_nat"], status["vdoms_tp"] = int(match.group(1)), int(match.group(2))
        return True
    if key_lower in ("security level", "current security level"):
        status["security_level"] = value.strip() or None
        return True
    field = _TEXT_FIELDS.get(key_lower)
    if field is not None:
        status[field] = value.strip() or None
        return True
    # Signature DB versions and anything newer: kept under `other`.
    status["other"][snake_key(key) or "unnamed"] = value.strip() if include_keys else redact_field(key, value)
    return True


def parse_system_status(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `get system status` into a flat dict plus `other` and `unparsed`.

    This output carries no key material; `include_keys` (uniform call signature) only
    turns off the scrubbing of `other` and `unparsed`.
    """
    status = _new_status()
    unparsed: List[str] = []
    try:
        for line in clean_lines_stripped(text):
            key, sep, value = line.partition(": ")
            if not sep and line.endswith(":"):
                key, sep, value = line[:-1], ":", ""
            placed = False
            if sep and key.strip():
                try:
                    placed = _apply(status, key, value, include_keys)
                except Exception:
                    placed = False
            if not placed:
                unparsed.append(line if include_keys else redact_text(line))
    except Exception:
        pass
    status["unparsed"] = unparsed
    return status


def version_tuple(status: Dict[str, Any]) -> Optional[tuple]:
    """(major, minor, patch) of a parsed status, or None when unknown."""
    parts = (status.get("version_major"), status.get("version_minor"), status.get("version_patch"))
    return None if None in parts else parts
