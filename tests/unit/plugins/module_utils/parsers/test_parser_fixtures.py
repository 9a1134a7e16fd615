# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every fixture parses to exactly its .json, and never leaks key material."""
from __future__ import annotations

import json
import re
from typing import Any, List, Set

# Key material as FortiOS prints it: `key=LEN HEX` in SA lines, `key:` (IKEv1) and
# `SK_ei/SK_er/SK_ai/SK_ar:` (IKEv2) in gateway lists.
_KEY_EQ_RE = re.compile(r"key=\d+ ([0-9a-fA-F]+)")
_KEY_COLON_RE = re.compile(r"^\s*(?:key|SK_e[ir]|SK_a[ir]):[ \t]*(\S+)", re.MULTILINE)


def secrets_in(text: str) -> Set[str]:
    """Every key string printed in the raw text, plus each dash-separated part of it."""
    found: Set[str] = set()
    for value in _KEY_EQ_RE.findall(text) + _KEY_COLON_RE.findall(text):
        found.add(value)
        found.update(part for part in value.split("-") if len(part) >= 8)
    return found


def canonical(data: Any) -> str:
    # sort_keys + dumps tells `true` from `1`, which == would not.
    return json.dumps(data, sort_keys=True)


def test_fixture_parses_to_expected_json(fixture_case: Any) -> None:
    assert fixture_case.expected.exists(), "missing %s" % fixture_case.expected
    result = fixture_case.parser(fixture_case.text, include_keys=False)
    assert canonical(result) == canonical(fixture_case.load_expected())


def test_fixture_shape(fixture_case: Any) -> None:
    result = fixture_case.parser(fixture_case.text)
    assert isinstance(result, dict)
    assert isinstance(result["unparsed"], list)
    assert all(isinstance(line, str) for line in result["unparsed"])
    if fixture_case.items_key:
        assert isinstance(result[fixture_case.items_key], list)


def test_fixture_unparsed_only_in_error_case(fixture_case: Any) -> None:
    # Real output of every supported generation is fully placed.
    result = fixture_case.parser(fixture_case.text)
    if fixture_case.name.startswith("error_"):
        assert result["unparsed"]
    else:
        assert result["unparsed"] == []


def test_no_key_material_without_include_keys(fixture_case: Any) -> None:
    secrets = secrets_in(fixture_case.text)
    dumped = json.dumps(fixture_case.parser(fixture_case.text, include_keys=False))
    leaked = sorted(secret for secret in secrets if secret in dumped)
    assert leaked == []


def test_include_keys_returns_printed_hex(fixture_case: Any) -> None:
    secrets = secrets_in(fixture_case.text)
    whole: List[str] = _KEY_EQ_RE.findall(fixture_case.text) + _KEY_COLON_RE.findall(fixture_case.text)
    dumped = json.dumps(fixture_case.parser(fixture_case.text, include_keys=True))
    assert all(value in dumped for value in whole)
    assert all(secret in dumped for secret in secrets)


def test_include_keys_changes_only_key_fields(fixture_case: Any) -> None:
    hidden = fixture_case.parser(fixture_case.text, include_keys=False)
    shown = fixture_case.parser(fixture_case.text, include_keys=True)

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict):
            assert sorted(a) == sorted(b), path
            for key in a:
                walk(a[key], b[key], path + "." + key)
        elif isinstance(a, list):
            assert len(a) == len(b), path
            for index, (x, y) in enumerate(zip(a, b)):
                walk(x, y, "%s[%d]" % (path, index))
        elif a != b:
            assert a == "<redacted>", path
            assert isinstance(b, str) and b and b != "<redacted>", path

    walk(hidden, shown, "")


def test_fixtures_with_keys_exist(all_fixture_cases: Any) -> None:
    # The leak tests above must have something to bite on.
    with_keys = [case for case in all_fixture_cases if secrets_in(case.text)]
    assert len(with_keys) >= 10
    assert any(case.command_dir == "diagnose_vpn_ike_gateway_list" for case in with_keys)
    assert any(case.command_dir == "diagnose_vpn_tunnel_list" for case in with_keys)


def test_every_command_has_fixtures(all_fixture_cases: Any) -> None:
    dirs = {case.command_dir for case in all_fixture_cases}
    assert dirs >= {"diagnose_vpn_tunnel_list", "get_vpn_ipsec_tunnel_summary",
                    "diagnose_vpn_ike_gateway_list", "get_system_status"}
