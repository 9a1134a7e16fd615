# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose vpn ipsec status` and the 6.0 `get vpn ipsec stats crypto`.

Both print, per crypto engine (`NP6_0`, `NP7_1`, `NPU`, `CP8`, `CP9`, `SOFTWARE` ...), one
counter pair per algorithm: encrypted/decrypted for ciphers, generated/validated for
integrity (HMAC) algorithms. Two layouts are accepted:

* 6.0 `get vpn ipsec stats crypto` (documented in the CLI reference): a heading
  `IPsec crypto devices in use:`, then blocks `CP6 (encrypted/decrypted):` and
  `CP6 (generated/validated):` with lines `aes: 12 10`;
* `diagnose vpn ipsec status`: a heading `All ipsec crypto devices in use:`, a device line
  `NP6_0:` and under it `Encryption (encrypted/decrypted)` / `Integrity (generated/validated)`
  sub-headings with lines `aes       : 12       10`.

The second layout is NOT documented by Fortinet and no public capture of it was found:
it is written from how the command is described (per engine, per algorithm counter pairs,
newer algorithms such as aes-gcm, chacha20poly1305, sha384/512), so the parser is tolerant:
device lines may or may not end with a colon, sub-headings may or may not carry a label,
and a counter line with no sub-heading is placed by its algorithm (md5/sha* are integrity;
a repeated `null` starts the integrity group).

Output: `{"devices": [...], "unparsed": []}`, each device:

    {"name": "NP6_0",                      # as printed, trailing colon removed
     "kind": "npu" | "cp" | "software" | "other",
     "encryption": {"aes": {"encrypted": 12, "decrypted": 10}, ...},
     "integrity": {"sha1": {"generated": 12, "validated": 10}, ...},
     "totals": {"encrypted": 12, "decrypted": 10, "generated": 12, "validated": 10}}

Counter names inside an algorithm follow the pair printed in the sub-heading
(`encrypted/decrypted`, `generated/validated` by default). A sub-heading with another
pair becomes its own group named after its label (or `first_second`).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    clean_lines,
    redact_text,
    snake_key,
)

_HEADING_RE = re.compile(r"^(?:all\s+)?(?:ipsec\s+)?crypto\s+devices?\s+in\s+use\s*:?\s*$", re.IGNORECASE)
_LABELLED_PAIR_RE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9_\- ]*?)\s*\(\s*(?P<a>[A-Za-z]+)\s*/\s*(?P<b>[A-Za-z]+)\s*\)\s*:?\s*$")
_BARE_PAIR_RE = re.compile(r"^\(?\s*(?P<a>[A-Za-z]+)\s*/\s*(?P<b>[A-Za-z]+)\s*\)?\s*:?\s*$")
_COUNTER_RE = re.compile(r"^(?P<alg>[A-Za-z0-9][A-Za-z0-9_.\-]*)\s*:\s*(?P<a>\d+)\s+(?P<b>\d+)\s*$")
_DEVICE_RE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_\- ]*?)\s*(?P<colon>:)?\s*$")

_GROUP_LABELS = {"encryption": "encryption", "cipher": "encryption", "ciphers": "encryption",
                 "integrity": "integrity", "authentication": "integrity", "hash": "integrity", "hmac": "integrity"}
_PAIR_GROUPS = {("encrypted", "decrypted"): "encryption", ("generated", "validated"): "integrity"}
_DEFAULT_PAIRS = {"encryption": ("encrypted", "decrypted"), "integrity": ("generated", "validated")}
_INTEGRITY_ALGS = frozenset(("md5", "sha1", "sha256", "sha384", "sha512", "sha2", "sha-1", "sha-256"))


def _kind(name: str) -> str:
    upper = name.upper()
    if upper.startswith("NP"):
        return "npu"
    if upper.startswith("CP"):
        return "cp"
    if upper.startswith("SOFTWARE") or upper in ("SW", "CPU"):
        return "software"
    return "other"


class _State(object):
    """Current device and counter group."""

    __slots__ = ("devices", "device", "group", "pair", "inferred")

    def __init__(self, devices: List[Dict[str, Any]]) -> None:
        self.devices = devices
        self.device: Optional[Dict[str, Any]] = None
        self.group: Optional[str] = None
        self.pair: Tuple[str, str] = ("", "")
        self.inferred = False

    def use_device(self, name: Optional[str]) -> Dict[str, Any]:
        for device in self.devices:
            if device["name"] == name:
                break
        else:
            device = {"name": name, "kind": _kind(name or ""), "encryption": {}, "integrity": {}, "totals": {}}
            self.devices.append(device)
        self.device = device
        self.group = None
        self.inferred = False
        return device

    def use_group(self, label: Optional[str], pair: Optional[Tuple[str, str]]) -> None:
        device = self.device if self.device is not None else self.use_device(None)
        group = _GROUP_LABELS.get(snake_key(label or ""))
        if pair is not None:
            group = group or _PAIR_GROUPS.get(pair) or snake_key(label or "") or "%s_%s" % pair
        group = group or "encryption"
        self.group = group
        self.pair = pair or _DEFAULT_PAIRS.get(group, ("first", "second"))
        self.inferred = False
        device.setdefault(group, {})

    def add_counter(self, algorithm: str, first: int, second: int) -> None:
        device = self.device if self.device is not None else self.use_device(None)
        lowered = algorithm.lower()
        if self.group is None or self.inferred:
            # No sub-heading: place the line by its algorithm.
            if lowered in _INTEGRITY_ALGS or (self.group == "encryption" and lowered in device["encryption"]):
                wanted = "integrity"
            else:
                wanted = self.group or "encryption"
            if wanted != self.group:
                self.use_group(wanted, None)
            self.inferred = True
        device.setdefault(self.group or "encryption", {})[algorithm] = {self.pair[0]: first, self.pair[1]: second}


def _classify(state: _State, line: str) -> bool:
    if _HEADING_RE.match(line):
        return True
    match = _COUNTER_RE.match(line)
    if match:
        state.add_counter(match.group("alg"), int(match.group("a")), int(match.group("b")))
        return True
    match = _LABELLED_PAIR_RE.match(line)
    if match:
        label = match.group("label").strip()
        pair = (match.group("a").lower(), match.group("b").lower())
        if snake_key(label) not in _GROUP_LABELS and (pair in _PAIR_GROUPS or state.device is None):
            state.use_device(label)  # `CP6 (encrypted/decrypted):`
            label = ""
        state.use_group(label, pair)
        return True
    match = _BARE_PAIR_RE.match(line)
    if match:
        state.use_group(None, (match.group("a").lower(), match.group("b").lower()))
        return True
    match = _DEVICE_RE.match(line)
    if match:
        name = match.group("name").strip()
        if snake_key(name) in _GROUP_LABELS:
            state.use_group(name, None)
            return True
        # A device line ends with a colon, or is written in capitals (`NPU HARDWARE`).
        if match.group("colon") or name.upper() == name:
            state.use_device(name)
            return True
    return False


def _totals(device: Dict[str, Any]) -> Dict[str, int]:
    totals: Dict[str, int] = {}
    for key, group in device.items():
        if key in ("name", "kind", "totals") or not isinstance(group, dict):
            continue
        for counters in group.values():
            for counter, value in counters.items():
                totals[counter] = totals.get(counter, 0) + value
    return totals


def parse_ipsec_status(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose vpn ipsec status` / `get vpn ipsec stats crypto` into {"devices": [...], "unparsed": [...]}.

    No key material is printed; `include_keys` only affects `unparsed` scrubbing.
    """
    devices: List[Dict[str, Any]] = []
    unparsed: List[str] = []
    try:
        state = _State(devices)
        for raw in clean_lines(text):
            line = raw.strip()
            try:
                placed = _classify(state, line)
            except Exception:  # a malformed line must never sink the whole output
                placed = False
            if not placed:
                unparsed.append(line if include_keys else redact_text(line))
        for device in devices:
            device["totals"] = _totals(device)
    except Exception:
        pass
    return {"devices": devices, "unparsed": unparsed}
