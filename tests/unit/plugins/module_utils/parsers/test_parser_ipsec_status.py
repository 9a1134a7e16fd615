# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`diagnose vpn ipsec status` and `get vpn ipsec stats crypto`: per engine crypto counters."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_status import parse_ipsec_status

FIXTURES = Path(__file__).parents[3] / "fixtures" / "diagnose_vpn_ipsec_status"


def devices(case: str) -> Dict[str, Dict[str, Any]]:
    result = parse_ipsec_status((FIXTURES / (case + ".txt")).read_text())
    assert result["unparsed"] == []
    return {device["name"]: device for device in result["devices"]}


def test_60_stats_crypto_layout() -> None:
    found = devices("v60_stats_crypto_cp6_software")
    assert list(found) == ["CP6", "SOFTWARE"]
    cp6 = found["CP6"]
    assert cp6["kind"] == "cp"
    assert cp6["encryption"]["aes"] == {"encrypted": 884120, "decrypted": 901377}
    assert cp6["integrity"]["sha1"] == {"generated": 885324, "validated": 902564}
    assert list(cp6["encryption"]) == ["null", "des", "3des", "aes"]
    assert found["SOFTWARE"]["totals"] == {"encrypted": 312, "decrypted": 298, "generated": 312, "validated": 298}


def test_diagnose_layout_np6_cp8_software() -> None:
    found = devices("v64_np6_cp8_software")
    assert [(name, d["kind"]) for name, d in found.items()] == [
        ("NP6_0", "npu"), ("NP6_1", "npu"), ("CP8", "cp"), ("SOFTWARE", "software")]
    assert found["NP6_0"]["encryption"]["aes"]["decrypted"] == 8102455
    assert found["NP6_1"]["totals"]["encrypted"] == 0
    assert set(found["CP8"]["integrity"]) == {"null", "md5", "sha1", "sha256", "sha384", "sha512"}


def test_np7_gcm_counts_under_null_integrity() -> None:
    found = devices("v72_np7_cp9_software_gcm_chacha")
    np7 = found["NP7_0"]
    assert np7["encryption"]["aes-gcm"] == {"encrypted": 55102881, "decrypted": 61044902}
    assert np7["integrity"]["null"] == {"generated": 55102881, "validated": 61044902}
    assert found["SOFTWARE"]["encryption"]["chacha20poly1305"]["decrypted"] == 2301
    assert found["CP9"]["totals"] == {"encrypted": 0, "decrypted": 0, "generated": 0, "validated": 0}


def test_tolerant_layout_without_sub_headings() -> None:
    # Device lines with no sub-heading: md5/sha* and a repeated `null` start the integrity group.
    text = "\n".join([
        "NPU:", "null: 0 0", "aes: 10 11", "null: 1 2", "sha1: 10 11",
        "np6xlite_0:", "aes-gcm: 5 6", "sha256: 7 8",
        "CP9XLITE", "(encrypted/decrypted)", "aes: 3 4", "(generated/validated)", "sha1: 3 4",
    ])
    result = parse_ipsec_status(text)
    assert result["unparsed"] == []
    found = {d["name"]: d for d in result["devices"]}
    assert found["NPU"]["encryption"] == {"null": {"encrypted": 0, "decrypted": 0}, "aes": {"encrypted": 10, "decrypted": 11}}
    assert found["NPU"]["integrity"] == {"null": {"generated": 1, "validated": 2}, "sha1": {"generated": 10, "validated": 11}}
    assert found["np6xlite_0"]["kind"] == "npu"
    assert found["np6xlite_0"]["integrity"]["sha256"] == {"generated": 7, "validated": 8}
    assert found["CP9XLITE"]["kind"] == "cp" and found["CP9XLITE"]["integrity"]["sha1"]["validated"] == 4


def test_unknown_counter_pair_gets_its_own_group() -> None:
    result = parse_ipsec_status("QAT:\n    Compression (compressed/decompressed)\n     lzs : 4 5\n")
    qat = result["devices"][0]
    assert qat["compression"] == {"lzs": {"compressed": 4, "decompressed": 5}}
    assert qat["totals"] == {"compressed": 4, "decompressed": 5}


def test_counters_before_any_device() -> None:
    result = parse_ipsec_status("aes: 1 2\nsha1: 1 2\n")
    assert result["devices"][0]["name"] is None
    assert result["devices"][0]["integrity"]["sha1"] == {"generated": 1, "validated": 2}


def test_error_output_is_unparsed() -> None:
    result = parse_ipsec_status((FIXTURES / "error_unknown_action.txt").read_text())
    assert result == {"devices": [], "unparsed": ["Unknown action 0", "Command fail. Return code -1"]}


@pytest.mark.parametrize("text", ["", None, b"\xff", "NP6_0:\naes: x y", ":\n(/)\n", "Encryption\nnull: 1 1\nnull: 2 2"])
def test_odd_input_never_raises(text: Any) -> None:
    result = parse_ipsec_status(text)
    assert isinstance(result["devices"], list) and isinstance(result["unparsed"], list)
    json.dumps(result)
