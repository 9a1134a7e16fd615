# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`diagnose sniffer packet` parser: fixtures, streaming in any chunks, bounds, verdicts."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import SnifferStream, parse_sniffer

FIXTURES = Path(__file__).parents[3] / "fixtures" / "diagnose_sniffer_packet"
CASES = sorted(p.stem for p in FIXTURES.glob("*.txt"))
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORE = ("timestamp", "interface", "direction", "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "spi")


def read(case: str) -> str:
    with open(str(FIXTURES / (case + ".txt")), encoding="utf-8", newline="") as handle:
        text = handle.read()
    return text.replace("\n", "\r\n") if case.endswith("_crlf") else text


def expected(case: str) -> Any:
    with open(str(FIXTURES / (case + ".json")), encoding="utf-8") as handle:
        return json.load(handle)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def codes(text: str) -> List[str]:
    return [v["code"] for v in parse_sniffer(text)["verdicts"]]


def test_enough_fixtures() -> None:
    assert len([c for c in CASES if not c.startswith("error_")]) >= 7


@pytest.mark.parametrize("case", CASES)
def test_fixture_parses_to_expected_json(case: str) -> None:
    result = parse_sniffer(read(case))
    assert canonical(result) == canonical(expected(case))
    assert bool(result["unparsed"]) == case.startswith("error_")
    for packet in result["packets"]:
        assert all(key in packet for key in CORE)
    assert set(result["summary"]) >= {"ike", "nat_t", "esp", "other"}
    assert sum(result["summary"][k] for k in ("ike", "nat_t", "esp", "other")) == result["summary"]["total"]


@RELAXED
@given(case=st.sampled_from(CASES), cuts=st.lists(st.integers(min_value=0, max_value=10 ** 6), max_size=40))
def test_any_chunking_gives_the_one_shot_result(case: str, cuts: List[int]) -> None:
    text = read(case)
    points = sorted({c % (len(text) + 1) for c in cuts})
    stream = SnifferStream()
    returned: List[Any] = []
    start = 0
    for point in points + [len(text)]:
        returned += stream.feed(text[start:point])
        start = point
    returned += stream.close()
    result = stream.result()
    assert canonical(result) == canonical(parse_sniffer(text))
    assert returned == result["packets"]


def test_a_packet_that_may_get_a_hex_dump_waits_for_the_next_line() -> None:
    stream = SnifferStream()
    assert len(stream.feed("1.0 port1 out 10.0.0.1.500 -> 10.0.0.2.500: udp 100\n")) == 1  # done at once
    assert stream.feed("2.0 port1 out 10.0.0.1.4500 -> 10.0.0.2.4500: udp 1\n") == []  # a dump may follow
    dump = "0x0000\t 4500 001d 0001 0000 4011 0000 0a00 0001\tE...\n0x0010\t 0a00 0002 1194 1194 0009 0000 ff\t.....\n"
    assert stream.feed(dump) == []
    done = stream.feed("3.0 port1 in 10.0.0.2 -> 10.0.0.1: ESP(spi=0xabcdef01,seq=0x9)\n")
    assert [p["encap"] for p in done] == ["keepalive", None] and done[1]["spi"] == "abcdef01"
    assert stream.close() == []


def test_verdict_codes_on_minimal_captures() -> None:
    ike_out = "1.0 wan1 out 198.51.100.1.500 -> 203.0.113.9.500: udp 476\n"
    ike_in = "1.1 wan1 in 203.0.113.9.500 -> 198.51.100.1.500: udp 440\n"
    esp_out = "2.0 wan1 out 198.51.100.1 -> 203.0.113.9: ESP(spi=0x11111111,seq=0x1)\n"
    esp_in = "2.1 wan1 in 203.0.113.9 -> 198.51.100.1: ip-proto-50 120\n"
    assert codes(ike_out * 3) == ["ike_no_reply"]
    assert codes(ike_in) == ["ike_reply_only"]
    assert codes(ike_out + ike_in) == ["ike_exchanged"]
    assert codes(esp_out * 2) == ["esp_out_no_in"]
    assert codes(esp_in) == ["esp_in_no_out"]
    assert codes(esp_out + esp_in) == ["esp_both_ways"]
    assert codes("interfaces=[any]\nfilters=[esp]\n\n0 packets received by filter\n") == ["no_packets"]
    natt = "3.0 wan1 out 198.51.100.1.4500 -> 203.0.113.9.4500: udp 120\n"
    assert codes(natt) == ["nat_t_in_use", "nat_t_out_no_in"]
    keepalive = "3.5 wan1 out 198.51.100.1.4500 -> 203.0.113.9.61000: udp 1\n"
    dump = "0x0000\t 4500 001d 0001 0000 4011 0000 c633 6401\n0x0010\t cb00 7109 1194 ee48 0009 0000 ff\n"
    assert codes(keepalive + dump) == ["nat_t_in_use"]  # a keepalive says nothing about replies


def test_peer_and_local_from_direction_or_first_sender() -> None:
    # With directions: an `in` packet's destination is local, whoever spoke first.
    text = ("1.0 wan1 in 203.0.113.9.500 -> 198.51.100.1.500: udp 476\n"
            "1.1 wan1 out 198.51.100.1.500 -> 203.0.113.9.500: udp 440\n")
    verdict = parse_sniffer(text)["verdicts"][0]
    assert (verdict["local"], verdict["peer"], verdict["code"]) == ("198.51.100.1", "203.0.113.9", "ike_exchanged")
    # Without (verbose 1): the first sender is taken as local.
    text = "1.0 203.0.113.9.500 -> 198.51.100.1.500: udp 476\n"
    verdict = parse_sniffer(text)["verdicts"][0]
    assert (verdict["local"], verdict["peer"], verdict["code"]) == ("203.0.113.9", "198.51.100.1", "ike_no_reply")
    assert "1 out, 0 in" in verdict["evidence"]


def test_pairs_are_unordered_and_separate() -> None:
    text = ("1.0 p1 out 10.0.0.1.500 -> 10.0.0.2.500: udp 1\n1.1 p1 in 10.0.0.2.500 -> 10.0.0.1.500: udp 1\n"
            "1.2 p1 out 10.0.0.1.500 -> 10.0.0.3.500: udp 1\n")
    verdicts = parse_sniffer(text)["verdicts"]
    assert [(v["peer"], v["code"]) for v in verdicts] == [("10.0.0.2", "ike_exchanged"), ("10.0.0.3", "ike_no_reply")]


def test_hex_dump_classifies_nat_t_and_finds_esp_spi() -> None:
    text = ("1.0 port1 out 10.0.0.1.4500 -> 10.0.0.2.4500: udp 40\n"
            "0x0000\t 4500 0044 0001 0000 4011 0000 0a00 0001\n"
            "0x0010\t 0a00 0002 1194 1194 0030 0000 0000 0000\n"
            "0x0020\t 1111 2222 3333 4444 0000 0000 0000 0000\n"
            "1.5 port1 in 10.0.0.2 -> 10.0.0.1: ip-proto-50 16\n"
            "0x0000\t 4500 0024 0001 0000 4032 0000 0a00 0002\n"
            "0x0010\t 0a00 0001 fedc ba98 0000 002a 0102 0304\n")
    packets = parse_sniffer(text)["packets"]
    assert (packets[0]["encap"], packets[0]["spi"]) == ("ike", None)
    assert (packets[1]["spi"], packets[1]["seq"]) == ("fedcba98", 42)
    assert codes(text) == ["ike_no_reply", "nat_t_in_use", "esp_in_no_out"]


def test_header_end_counts_and_timestamps() -> None:
    text = ("Using Original Sniffing Mode\ninterfaces=[port3]\nfilters=[none]\n"
            "pcap_snapshot: snaplen raised from 0 to 262144\n"
            "2024-05-01 10:00:01.123456 port3 out 10.1.1.1 -> 10.2.2.2: icmp: echo request\n"
            "^C\n\n1 packets received by filter\n0 packets dropped by kernel\n")
    result = parse_sniffer(text)
    assert (result["mode"], result["interfaces"], result["filters"], result["snaplen"]) == ("original", "port3", "none", 262144)
    assert (result["received"], result["dropped"]) == (1, 0)
    assert result["packets"][0]["timestamp"] == "2024-05-01 10:00:01.123456"
    assert result["summary"]["other"] == 1 and result["unparsed"] == []


def test_max_packets_bounds_the_list_but_not_the_counts() -> None:
    stream = SnifferStream(max_packets=5)
    lines = "".join("%d.0 wan1 out 198.51.100.1 -> 203.0.113.9: ESP(spi=0x0000000a,seq=0x%x)\n" % (n, n) for n in range(2000))
    handed = 0
    for start in range(0, len(lines), 1000):
        handed += len(stream.feed(lines[start:start + 1000]))
        assert len(stream._packets) <= 1100  # pylint: disable=protected-access
    handed += len(stream.close())
    result = stream.result()
    assert len(result["packets"]) == 5 and result["packets"][-1]["seq"] == 1999
    assert result["summary"]["esp"] == 2000 and result["packets_total"] == 2000 and result["packets_discarded"] == 1995
    assert result["verdicts"][0]["evidence"].endswith("2000 out, 0 in") and handed == 2000


def test_unparsed_is_redacted_unless_include_keys() -> None:
    text = "dec: spi=1a2b3c4d esp=aes key=16 00112233445566778899aabbccddeeff\n"
    assert "00112233445566778899aabbccddeeff" not in json.dumps(parse_sniffer(text))
    assert "00112233445566778899aabbccddeeff" in parse_sniffer(text, include_keys=True)["unparsed"][0]


@pytest.mark.parametrize("value", [None, b"\xff\xfe", 42, ["a"], object(), "", "0x0000 zz", "1.0 a in b -> c:"])
def test_never_raises(value: Any) -> None:
    result = parse_sniffer(value)
    assert isinstance(result["packets"], list) and isinstance(result["verdicts"], list)
    json.dumps(result)


@RELAXED
@given(text=st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    stream = SnifferStream(max_packets=2)
    stream.feed(text)
    stream.close()
    json.dumps(stream.result())
