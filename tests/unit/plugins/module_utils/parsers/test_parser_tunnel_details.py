# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`get vpn ipsec tunnel details` / `get vpn ipsec tunnel name X`: contract fields, generations, key redaction."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_details import parse_tunnel_details

FIXTURES = Path(__file__).parents[3] / "fixtures" / "get_vpn_ipsec_tunnel_details"

TUNNEL_FIELDS = {"name", "local_gateway", "local_port", "remote_gateway", "remote_port", "mode", "interface",
                 "rx_packets", "rx_bytes", "rx_errors", "tx_packets", "tx_bytes", "tx_errors", "dpd", "selectors"}
SELECTOR_FIELDS = {"name", "src", "dst", "sa", "sas"}
SA_FIELDS = {"lifetime", "rekey", "mtu", "replay", "inbound", "outbound"}
DIRECTION_FIELDS = {"spi", "enc", "auth", "key", "auth_key"}
# `enc:  aes-gc  HEX` / `auth: sha256  HEX`: the hex is live key material.
KEY_LINE_RE = re.compile(r"^\s*(?:enc|auth):\s*\S+\s+([0-9a-fA-F]+)\s*$", re.MULTILINE)


def text_of(case: str) -> str:
    text = (FIXTURES / (case + ".txt")).read_bytes().decode("utf-8")
    return text.replace("\n", "\r\n") if case.endswith("_crlf") else text


def load(case: str, include_keys: bool = False) -> Dict[str, Any]:
    return parse_tunnel_details(text_of(case), include_keys=include_keys)


def by_name(result: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {tunnel["name"]: tunnel for tunnel in result["tunnels"]}


def all_cases() -> List[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.txt"))


def test_contract_fields_everywhere() -> None:
    for case in all_cases():
        for tunnel in load(case)["tunnels"]:
            assert TUNNEL_FIELDS <= set(tunnel), case
            assert {"mode", "status"} <= set(tunnel["dpd"])
            for selector in tunnel["selectors"]:
                assert SELECTOR_FIELDS <= set(selector)
                for side in ("src", "dst"):
                    assert set(selector[side]) == {"protocol", "address", "port"}
                assert selector["sa"] == (selector["sas"][0] if selector["sas"] else None)
                for sa in selector["sas"]:
                    assert SA_FIELDS <= set(sa)
                    assert DIRECTION_FIELDS <= set(sa["inbound"]) and DIRECTION_FIELDS <= set(sa["outbound"])


def test_v62_route_and_policy_based_without_sa() -> None:
    tunnels = by_name(load("v62_route_and_policy_no_sa"))
    hq = tunnels["to-hq"]
    assert (hq["type"], hq["mode"], hq["ike_version"], hq["dpd_link"]) == ("route-based", "ike-v1", 1, None)
    assert (hq["interface"], hq["interface_index"], hq["tx_errors"], hq["rx_bytes"]) == ("wan1", 5, 2, 121455872)
    assert hq["dpd"] == {"mode": "on-demand", "status": "negotiated", "idle_ms": 20000, "retry": 3, "count": 0}
    sa = hq["selectors"][0]["sa"]
    assert (sa["lifetime"], sa["rekey"], sa["mtu"], sa["replay"], sa["qat"]) == (43200, 37104, 1438, True, None)
    assert sa["inbound"] == {"spi": "9a1c44e0", "enc": "aes", "key": "<redacted>", "auth": "sha1",
                             "auth_key": "<redacted>"}
    legacy = tunnels["legacy-policy"]
    assert legacy["type"] == "policy-based"
    assert legacy["dpd"]["status"] == "unnegotiated" and legacy["dpd"]["idle_ms"] is None
    selector = legacy["selectors"][0]
    assert selector["sa"] is None and selector["sas"] == []
    assert selector["auto_negotiate"] is False
    assert selector["dst"] == {"protocol": 0, "address": "172.16.5.0/26", "port": 0}


def test_v70_gcm_sa_has_no_auth_and_two_sas_during_rekey() -> None:
    tunnel = load("v70_gcm_rekey_two_sas")["tunnels"][0]
    assert (tunnel["name"], tunnel["local_port"], tunnel["remote_port"], tunnel["dpd_link"]) == ("HQ-GCM", 4500, 4500, "on")
    assert tunnel["natt"] == {"mode": "keep-alive", "interval": 10}
    selector = tunnel["selectors"][0]
    assert len(selector["sas"]) == 2 and selector["sa"] == selector["sas"][0]
    for sa in selector["sas"]:
        assert (sa["qat"], sa["npu_acceleration"], sa["offload"]) == (0, "none", "none")
        for direction in (sa["inbound"], sa["outbound"]):
            assert direction["enc"] == "aes-gc"  # printed truncated to six columns
            assert direction["auth"] is None and direction["auth_key"] is None
            assert direction["key"] == "<redacted>"
    assert [sa["rekey"] for sa in selector["sas"]] == [42611, 18204]
    assert selector["sas"][0]["tx_esp_seq"] == "5a"


def test_v72_names_with_spaces_and_selectors_under_one_heading() -> None:
    tunnels = by_name(load("v72_names_with_spaces_multi_selectors"))
    branch = tunnels["to branch 7"]
    assert [s["name"] for s in branch["selectors"]] == ["p2 lan", "p2 voice"]
    voice = branch["selectors"][1]
    assert voice["src"] == {"protocol": 17, "address": "10.1.50.0/24", "port": 5060}
    assert voice["sa"] is None
    lan_sa = branch["selectors"][0]["sa"]
    assert (lan_sa["inbound"]["enc"], lan_sa["inbound"]["auth"]) == ("3des", "sha256")
    dc2 = tunnels["to-dc2"]
    assert dc2["selectors"][0]["src"]["address"] == "10.1.0.0/22"  # a range that is one prefix
    sa = dc2["selectors"][0]["sa"]
    assert (sa["replay"], sa["offload"]) == (False, "both")


def test_v74_dialup_instances() -> None:
    tunnels = by_name(load("v74_dialup_instances_crlf"))
    assert sorted(tunnels) == ["DIAL-HUB_0", "DIAL-HUB_1"]
    first = tunnels["DIAL-HUB_0"]
    assert (first["remote_gateway"], first["remote_port"], first["remote_gateway_type"]) == (
        "198.51.100.140", 64916, "dynamic")
    assert first["local_gateway_type"] == "static"
    assert first["selectors"][0]["sa"]["inbound"]["enc"] == "chacha"
    assert first["selectors"][0]["dst"]["address"] == "10.254.0.3/32"


@pytest.mark.parametrize("case", all_cases())
def test_keys_redacted_unless_include_keys(case: str) -> None:
    text = text_of(case)
    keys = KEY_LINE_RE.findall(text)
    hidden = json.dumps(parse_tunnel_details(text))
    shown = json.dumps(parse_tunnel_details(text, include_keys=True))
    assert not [key for key in keys if key in hidden]
    assert all(key in shown for key in keys)


def test_fixtures_carry_key_material() -> None:
    # The redaction test above must have something to bite on.
    assert sum(len(KEY_LINE_RE.findall(text_of(case))) for case in all_cases()) >= 20


def test_include_keys_puts_enc_and_auth_keys_in_place() -> None:
    text = "\n".join([
        "gateway", "  name: 'k'", "  selectors", "    name: 'k'", "    src: 0:10.0.0.0/255.0.0.0:0",
        "    dst: 0:0.0.0.0/0.0.0.0:0", "    SA", "      inbound", "        spi: 01020304",
        "        enc:     aes  00112233445566778899aabbccddeeff",
        "        auth: sha256  ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
    ])
    shown = parse_tunnel_details(text, include_keys=True)["tunnels"][0]["selectors"][0]["sa"]["inbound"]
    assert shown["key"] == "00112233445566778899aabbccddeeff"
    assert shown["auth_key"].startswith("ffeedd") and shown["auth"] == "sha256"
    hidden = parse_tunnel_details(text)["tunnels"][0]["selectors"][0]["sa"]["inbound"]
    assert (hidden["key"], hidden["auth_key"]) == ("<redacted>", "<redacted>")


def test_stray_key_lines_are_scrubbed_in_unparsed() -> None:
    text = "enc:     aes  00112233445566778899aabbccddeeff\n9f8e7d6c5b4a39281706f5e4d3c2b1a0\n12345678"
    result = parse_tunnel_details(text)
    dumped = json.dumps(result)
    assert "00112233" not in dumped and "9f8e7d6c" not in dumped and "12345678" not in dumped
    assert len(result["unparsed"]) == 3
    raw = parse_tunnel_details(text, include_keys=True)
    assert raw["unparsed"][0].endswith("00112233445566778899aabbccddeeff")


def test_cut_auth_line_with_key_only_keeps_it_out_of_the_algorithm() -> None:
    text = "gateway\n  name: 'x'\n  selectors\n    name: 'x'\n    SA\n      inbound\n        auth: 4c7d19e3a0"
    direction = parse_tunnel_details(text)["tunnels"][0]["selectors"][0]["sa"]["inbound"]
    assert direction["auth"] is None and direction["auth_key"] == "<redacted>"


@pytest.mark.parametrize("printed, offload", [
    ("none", "none"),
    ("both", "both"),
    ("encryption(outbound) decryption(inbound)", "both"),
    ("encryption(outbound)", "outbound"),
    ("decryption(inbound)", "inbound"),
    ("something new", None),
])
def test_npu_acceleration_values(printed: str, offload: Any) -> None:
    text = "gateway\n name: 'x'\n selectors\n name: 'x'\n SA\n NPU acceleration: %s" % printed
    sa = parse_tunnel_details(text)["tunnels"][0]["selectors"][0]["sa"]
    assert (sa["npu_acceleration"], sa["offload"]) == (printed, offload)


def test_selector_headings_repeated_and_output_without_gateway_heading() -> None:
    text = "\n".join([
        "  name: 'a b'", "  local-gateway: 192.0.2.1:0 (static)", "  remote-gateway: 2001:db8::9:500 (static)",
        "  dpd: disabled", "  selectors", "    name: 'p1'", "    src: 0:10.0.0.0/255.0.0.0:0",
        "  selectors", "    name: 'p2'", "    src: 0:10.1.0.0/255.255.0.0:0",
        "  new-field: 42",
    ])
    result = parse_tunnel_details(text)
    assert result["unparsed"] == []
    tunnel = result["tunnels"][0]
    assert tunnel["name"] == "a b"
    assert (tunnel["remote_gateway"], tunnel["remote_port"]) == ("2001:db8::9", 500)
    assert tunnel["dpd"]["mode"] == "disabled" and tunnel["dpd"]["status"] is None
    assert [s["name"] for s in tunnel["selectors"]] == ["p1", "p2"]
    # An unknown `key: value` line is kept where it appeared, not dropped.
    assert tunnel["selectors"][1]["other"] == {"new_field": "42"}


def test_two_src_lines_second_is_unparsed() -> None:
    text = "gateway\n name: 'x'\n selectors\n name: 'x'\n src: 0:10.0.0.0/255.0.0.0:0\n src: 0:10.9.0.0/255.255.0.0:0"
    result = parse_tunnel_details(text)
    assert result["tunnels"][0]["selectors"][0]["src"]["address"] == "10.0.0.0/8"
    assert result["unparsed"] == ["src: 0:10.9.0.0/255.255.0.0:0"]


@pytest.mark.parametrize("text", ["", None, b"\xff\xfe", "SA\ninbound\nspi: 1", "Unknown action 0", "gateway\n\x1b[0m\r"])
def test_odd_input_never_raises(text: Any) -> None:
    result = parse_tunnel_details(text)
    assert isinstance(result["tunnels"], list) and isinstance(result["unparsed"], list)
    json.dumps(result)
