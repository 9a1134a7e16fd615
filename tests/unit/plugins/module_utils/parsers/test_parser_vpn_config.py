# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`show [full-configuration] vpn ipsec phase1-interface|phase2-interface` parsers."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import (
    parse_phase1_config,
    parse_phase2_config,
    tokenize,
)

FIXTURES = Path(__file__).parents[3] / "fixtures"
PHASE1 = FIXTURES / "show_vpn_ipsec_phase1_interface"
PHASE2 = FIXTURES / "show_vpn_ipsec_phase2_interface"
ENC_RE = re.compile(r"\bENC\s+(\S+)")


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def phase1(case: str, include_keys: bool = False) -> Dict[str, Dict[str, Any]]:
    return {e["name"]: e for e in parse_phase1_config(read(PHASE1 / (case + ".txt")), include_keys=include_keys)["phase1"]}


def phase2(case: str) -> Dict[str, Dict[str, Any]]:
    return {e["name"]: e for e in parse_phase2_config(read(PHASE2 / (case + ".txt")))["phase2"]}


def all_config_texts() -> List[str]:
    return [read(path) for path in sorted(PHASE1.glob("*.txt")) + sorted(PHASE2.glob("*.txt"))]


def test_ikev1_edits_lists_and_secret() -> None:
    entries = phase1("v62_ikev1_two_edits")
    hq = entries["to-hq"]
    assert hq["proposal"] == ["aes128-sha256", "aes256-sha256", "aes128-sha1", "aes256-sha1"]
    assert hq["dhgrp"] == [14, 5]
    assert (hq["remote_gw"], hq["net_device"], hq["psksecret"], hq["config_table"]) == (
        "198.51.100.1", "enable", "<redacted>", "vpn ipsec phase1-interface")
    backup = entries["to-hq-backup"]
    assert backup["proposal"] == ["aes256-sha256"] and backup["dhgrp"] == [14]  # always lists
    assert (backup["mode"], backup["comments"], backup["dpd_retryinterval"]) == ("aggressive", "backup over LTE", "5")
    assert "ike_version" not in backup  # `show` prints non-defaults only


def test_full_configuration_nested_blocks_and_advpn_hub() -> None:
    hub = phase1("v70_full_configuration_advpn_hub_nested")["HUB"]
    assert (hub["npu_offload"], hub["ike_version"], hub["auto_discovery_sender"], hub["net_device"]) == (
        "enable", "2", "enable", "disable")
    assert hub["ipv4_exclude_range"] == [
        {"name": "1", "start_ip": "10.255.0.1", "end_ip": "10.255.0.9"},
        {"name": "2", "start_ip": "10.255.0.250", "end_ip": "10.255.0.254"},
    ]
    assert hub["ipv6_exclude_range"] == []
    assert (hub["localid"], hub["ipv6_start_ip"]) == ("", "::")
    assert hub["signature_hash_alg"] == ["sha2-512", "sha2-384", "sha2-256", "sha1"]  # other multi-token value
    # Keys after the nested block still belong to the entry.
    assert (hub["keepalive"], hub["comments"]) == ("10", "ADVPN hub, spokes dial in")


def test_spoke_names_with_spaces_escapes_and_certificates() -> None:
    entries = phase1("v72_advpn_spoke_names_with_spaces")
    assert sorted(entries) == ["to hub 1", "to hub 2 (cert)"]
    spoke = entries["to hub 1"]
    assert spoke["comments"] == 'ADVPN spoke "primary" overlay'
    assert (spoke["auto_discovery_receiver"], spoke["psksecret"], spoke["ppk_secret"]) == (
        "enable", "<redacted>", "<redacted>")
    assert entries["to hub 2 (cert)"]["certificate"] == ["spoke-cert 2024", "spoke-cert-ec"]


def test_policy_mode_phase1_and_xauth_password() -> None:
    entries = phase1("v74_policy_mode_phase1_xauth")
    assert {e["config_table"] for e in entries.values()} == {"vpn ipsec phase1"}
    partner = entries["to-partner"]
    assert (partner["authusr"], partner["authpasswd"], partner["psksecret"]) == ("fgt-client", "<redacted>", "<redacted>")


def test_phase2_subnets_as_cidr_with_raw_kept() -> None:
    entries = phase2("v62_multiple_selectors_subnets")
    lan = entries["to-hq-lan"]
    assert (lan["phase1name"], lan["src_subnet"], lan["dst_subnet"]) == ("to-hq", "10.20.0.0/24", "10.0.0.0/16")
    assert lan["src_subnet_raw"] == "10.20.0.0 255.255.255.0"
    voice = entries["to-hq-voice"]
    assert (voice["dst_subnet"], voice["protocol"], voice["dst_port"]) == ("10.0.50.10/32", "17", "5060")
    full = phase2("v70_full_configuration")["HUB"]
    assert full["src_subnet"] == "0.0.0.0/0" and full["proposal"] == ["aes256gcm", "aes128gcm", "chacha20poly1305"]
    assert full["comments"] == ""


def test_phase2_address_names_and_ranges() -> None:
    entries = phase2("v74_src_addr_type_name_and_range")
    named = entries["to partner A"]
    assert (named["src_addr_type"], named["src_name"], named["dst_name"]) == ("name", "LAN 10.40", "partner-A nets")
    assert "src_subnet" not in named
    ranged = entries["to-partner-B"]
    assert (ranged["src_start_ip"], ranged["src_end_ip"], ranged["dst_subnet"]) == ("10.40.0.10", "10.40.0.20", "172.16.7.0/24")
    policy = phase2("v76_policy_mode_phase2")
    assert policy["to-partner-p2"]["config_table"] == "vpn ipsec phase2"
    assert policy["to-partner-p2"]["dst_subnet"] == "192.0.2.128/26"


@pytest.mark.parametrize("include_keys", [False, True])
def test_secrets_always_redacted_even_with_include_keys(include_keys: bool) -> None:
    for text in all_config_texts():
        blobs = ENC_RE.findall(text)
        for parser in (parse_phase1_config, parse_phase2_config):
            dumped = json.dumps(parser(text, include_keys=include_keys))
            assert not [blob for blob in blobs if blob in dumped or blob[:16] in dumped]
            assert "ENC" not in dumped


def test_fixtures_carry_enc_secrets() -> None:
    assert sum(len(ENC_RE.findall(text)) for text in all_config_texts()) >= 8


def test_plain_secrets_and_any_enc_value_are_redacted() -> None:
    text = "\n".join([
        "config vpn ipsec phase1-interface", '    edit "x"',
        "        set psksecret VerySecret123",
        '        set group-authentication-secret "another one"',
        "        set psksecret-remote ENC abcdefABCDEF0123456789+/==",
        "        set some-future-key ENC Zm9vYmFyYmF6cXV4cXV1eA==",
        "        set keylife 28800", "        set auto-discovery-psk enable",
        "    next", "end",
    ])
    entry = parse_phase1_config(text, include_keys=True)["phase1"][0]
    assert entry["psksecret"] == entry["group_authentication_secret"] == entry["psksecret_remote"] == "<redacted>"
    assert entry["some_future_key"] == "<redacted>"
    assert (entry["keylife"], entry["auto_discovery_psk"]) == ("28800", "enable")  # not secrets
    assert "VerySecret123" not in json.dumps(entry)


def test_unset_lines_give_null() -> None:
    text = 'config vpn ipsec phase2-interface\n edit "p2"\n  set phase1name "p1"\n  unset dhgrp\n  unset src-subnet\n next\nend'
    entry = parse_phase2_config(text)["phase2"][0]
    assert (entry["phase1name"], entry["dhgrp"], entry["src_subnet"], entry["src_subnet_raw"]) == ("p1", None, None, None)


def test_nested_block_without_edits_is_a_dict_and_missing_next_end_is_tolerated() -> None:
    text = "\n".join([
        "config vpn ipsec phase1-interface", '    edit "cut"', "        config future-settings",
        "            set mode strict", "        end", "        set interface port9",
    ])  # output cut short: no next/end
    result = parse_phase1_config(text)
    assert result["unparsed"] == []
    assert result["phase1"] == [{"name": "cut", "config_table": "vpn ipsec phase1-interface",
                                 "future_settings": {"mode": "strict"}, "interface": "port9"}]


def test_vdom_wrapper_and_foreign_tables() -> None:
    text = "\n".join([
        "config vdom", "edit branch", "config vpn ipsec phase1-interface", 'edit "to-hq"', "set remote-gw 192.0.2.1",
        "next", "end", "config vpn ipsec phase2-interface", 'edit "to-hq"', 'set phase1name "to-hq"',
        "set psksecret plain-leak", "next", "end", "next", "end",
    ])
    p1 = parse_phase1_config(text)
    assert p1["phase1"] == [{"name": "to-hq", "config_table": "vpn ipsec phase1-interface", "vdom": "branch",
                             "remote_gw": "192.0.2.1"}]
    # The phase 2 block is not the phase 1 parser's: its lines are reported, secrets scrubbed.
    assert p1["unparsed"][0] == "config vpn ipsec phase2-interface"
    assert "set psksecret <redacted>" in p1["unparsed"] and "plain-leak" not in json.dumps(p1)
    p2 = parse_phase2_config(text)
    assert [(e["name"], e["vdom"], e["phase1name"]) for e in p2["phase2"]] == [("to-hq", "branch", "to-hq")]


def test_headless_edit_and_stray_lines() -> None:
    text = 'edit "copied"\n    set remote-gw 198.51.100.7\nnext\nset orphan 1\nnext\nbogus line\n'
    result = parse_phase1_config(text)
    assert result["phase1"] == [{"name": "copied", "config_table": None, "remote_gw": "198.51.100.7"}]
    assert result["unparsed"] == ["set orphan 1", "next", "bogus line"]


def test_cut_enc_blob_in_unparsed_is_scrubbed() -> None:
    text = "psksecret ENC c2VjcmV0c2VjcmV0c2VjcmV0\nY3V0IG9mZiBibG9iIHBpZWNl\n"
    dumped = json.dumps(parse_phase1_config(text, include_keys=True))
    assert "c2VjcmV0" not in dumped and "Y3V0IG9m" not in dumped


@pytest.mark.parametrize("line, words", [
    ('set comments "a \\"quoted\\" word"', ["set", "comments", 'a "quoted" word']),
    ("set localid ''", ["set", "localid", ""]),
    ('edit "to branch 7"', ["edit", "to branch 7"]),
    ('set certificate "a b" c "d"', ["set", "certificate", "a b", "c", "d"]),
    ('set comments "unterminated', ["set", "comments", "unterminated"]),
    ("   ", []),
])
def test_tokenize(line: str, words: List[str]) -> None:
    assert tokenize(line) == words


@pytest.mark.parametrize("text", ["", None, b"\xff", 7, "end\nend\nnext", "config\nedit\nset", "config vdom\nedit x\nend"])
def test_odd_input_never_raises(text: Any) -> None:
    for parser, key in ((parse_phase1_config, "phase1"), (parse_phase2_config, "phase2")):
        result = parser(text)
        assert isinstance(result[key], list) and isinstance(result["unparsed"], list)
        json.dumps(result)
