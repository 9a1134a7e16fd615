# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`diagnose debug flow` trace parser: fixtures, streaming in any chunks, bounds, verdicts."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import (
    MAX_MESSAGES,
    FlowTraceStream,
    parse_debug_flow,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "diagnose_debug_flow"
CASES = sorted(p.stem for p in FIXTURES.glob("*.txt"))
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORE = ("trace_id", "src_ip", "dst_ip", "protocol", "src_port", "dst_port", "in_interface", "route_gateway",
        "route_interface", "policy_id", "verdict", "drop_reason", "ipsec_tunnel", "snat")


def read(case: str) -> str:
    # As tests/unit/conftest.py does: *_crlf cases are stored with \n and fed with \r\n.
    with open(str(FIXTURES / (case + ".txt")), encoding="utf-8", newline="") as handle:
        text = handle.read()
    return text.replace("\n", "\r\n") if case.endswith("_crlf") else text


def expected(case: str) -> Any:
    with open(str(FIXTURES / (case + ".json")), encoding="utf-8") as handle:
        return json.load(handle)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def by_id(result: Dict[str, Any]) -> Dict[Any, Dict[str, Any]]:
    return {(t["component"], t["trace_id"]): t for t in result["traces"]}


def test_enough_fixtures() -> None:
    assert len([c for c in CASES if not c.startswith("error_")]) >= 8


@pytest.mark.parametrize("case", CASES)
def test_fixture_parses_to_expected_json(case: str) -> None:
    result = parse_debug_flow(read(case))
    assert canonical(result) == canonical(expected(case))
    assert bool(result["unparsed"]) == case.startswith("error_")
    for trace in result["traces"]:
        assert all(key in trace for key in CORE)
        assert trace["verdict"] in ("allowed", "denied", "dropped", "unknown")
    json.dumps(result)


@RELAXED
@given(case=st.sampled_from(CASES), cuts=st.lists(st.integers(min_value=0, max_value=10 ** 6), max_size=40))
def test_any_chunking_gives_the_one_shot_result(case: str, cuts: List[int]) -> None:
    text = read(case)
    points = sorted({c % (len(text) + 1) for c in cuts})
    stream = FlowTraceStream()
    returned: List[Dict[str, Any]] = []
    start = 0
    for point in points + [len(text)]:
        returned += stream.feed(text[start:point])
        start = point
    returned += stream.close()
    result = stream.result()
    assert canonical(result) == canonical(parse_debug_flow(text))
    # Every trace is handed out at least once, and each hand-out carries a settled verdict.
    assert {id(t) for t in returned} == {id(t) for t in result["traces"]}


def test_feed_returns_traces_when_their_verdict_is_known() -> None:
    stream = FlowTraceStream()
    first = stream.feed('id=65308 trace_id=4 msg="vd-root:0 received a packet(proto=6, 10.1.1.1:1000->10.2.2.2:443) '
                        'from port2. flag [S], seq 1, ack 0, win 1"\n'
                        'id=65308 trace_id=4 msg="Allowed by Policy-3:"\nid=65308 trace_id=4 msg="enter IPSec interface')
    assert [t["verdict"] for t in first] == ["allowed"]
    # The selector check comes after the policy: the same trace comes back, now dropped.
    second = stream.feed(' vpn1, tun_id=0.0.0.0"\nid=65308 trace_id=4 msg="No matching IPsec selector, drop"\n')
    assert second == first and second[0]["verdict"] == "dropped" and second[0]["drop_reason"] == "no_ipsec_selector"
    assert second[0]["policy_id"] == 3 and second[0]["ipsec_tunnel"] == "vpn1"
    assert stream.close() == []


def test_close_hands_out_traces_without_verdict_as_unknown() -> None:
    stream = FlowTraceStream()
    assert stream.feed('id=20085 trace_id=1 msg="vd-root:0 received a packet(proto=17, 1.1.1.1:53->2.2.2.2:53) from wan1."\n') == []
    closed = stream.close()
    assert [t["verdict"] for t in closed] == ["unknown"]
    assert stream.result()["stats"]["unknown"] == 1


def test_last_line_without_newline_is_parsed_at_close() -> None:
    stream = FlowTraceStream()
    assert stream.feed('id=20085 trace_id=1 msg="reverse path check fail, drop"') == []
    assert [t["drop_reason"] for t in stream.close()] == ["rpf_fail"]


def _traces(count: int) -> str:
    lines = []
    for n in range(count):
        lines.append('id=65308 trace_id=%d msg="vd-root:0 received a packet(proto=1, 10.0.0.1:%d->10.9.9.9:2048) '
                     'tun_id=0.0.0.0 from local. type=8, code=0, id=%d, seq=%d."' % (n + 1, n, n, n))
        lines.append('id=65308 trace_id=%d msg="Denied by forward policy check (policy %d)"' % (n + 1, n % 3))
    return "\n".join(lines) + "\n"


def test_max_traces_bounds_memory_and_counts_everything() -> None:
    stream = FlowTraceStream(max_traces=10)
    handed = 0
    text = _traces(3000)
    for start in range(0, len(text), 4096):
        handed += len(stream.feed(text[start:start + 4096]))
        assert len(stream._open) <= 11 and len(stream._traces) <= 2100  # pylint: disable=protected-access
    handed += len(stream.close())
    result = stream.result()
    assert [t["trace_id"] for t in result["traces"]] == list(range(2991, 3001))
    assert result["stats"]["traces"] == 3000 and result["stats"]["discarded"] == 2990
    assert result["stats"]["denied"] == 3000 and handed == 3000


def test_messages_and_unparsed_are_bounded() -> None:
    lines = ['id=20085 trace_id=9 msg="vd-root:0 received a packet(proto=6, 1.1.1.1:1->2.2.2.2:2) from a."']
    lines += ['id=20085 trace_id=9 msg="npu_state=0x%x"' % n for n in range(200)]
    trace = parse_debug_flow("\n".join(lines))["traces"][0]
    assert len(trace["messages"]) == MAX_MESSAGES and trace["message_count"] == 201
    stream = FlowTraceStream(max_traces=5)
    stream.feed("noise line 1\n")
    stream.feed("".join("noise %d\n" % n for n in range(500)))
    stream.close()
    result = stream.result()
    assert len(result["unparsed"]) == 100 and result["stats"]["unparsed"] == 501


@pytest.mark.parametrize("message, verdict, reason, policy", [
    ("Allowed by Policy-7:", "allowed", None, 7),
    ("Allowed by Policy-7: SNAT", "allowed", None, 7),
    ("Denied by forward policy check (policy 0)", "denied", "policy_deny", 0),
    ("Denied by forward policy check (policy 12)", "denied", "policy_deny", 12),
    ("iprope_in_check() check failed on policy 3, drop", "denied", "policy_deny", 3),
    ("reverse path check fail, drop", "dropped", "rpf_fail", None),
    ("No matching IPsec selector, drop", "dropped", "no_ipsec_selector", None),
    ("no matching IPsec selector, drop", "dropped", "no_ipsec_selector", None),
    ("SA is not ready yet, drop", "dropped", "SA is not ready yet, drop", None),
    ("Denied by endpoint check", "denied", "Denied by endpoint check", None),
    ("encrypted, and send to 192.0.2.1 with source 192.0.2.2", "allowed", None, None),
    ("send to 192.0.2.1 via intf-wan1", "allowed", None, None),
    ("send out via dev-port1, dst-mac-00:09:0f:00:00:01", "allowed", None, None),
    ("find a route: flag=04000000 gw-10.0.0.1 via port1", "unknown", None, None),
])
def test_verdict_of_one_message(message: str, verdict: str, reason: Any, policy: Any) -> None:
    trace = parse_debug_flow('id=65308 trace_id=1 func=f line=1 msg="%s"' % message)["traces"][0]
    assert (trace["verdict"], trace["drop_reason"], trace["policy_id"]) == (verdict, reason, policy)


def test_a_refusal_is_not_overturned_by_later_lines() -> None:
    text = ('id=20085 trace_id=1 msg="Denied by forward policy check (policy 0)"\n'
            'id=20085 trace_id=1 msg="send out via dev-port1, dst-mac-00:00:00:00:00:01"\n')
    trace = parse_debug_flow(text)["traces"][0]
    assert (trace["verdict"], trace["drop_reason"]) == ("denied", "policy_deny")


def test_ipsec_wording_of_each_generation() -> None:
    def tunnel(*messages: str) -> Any:
        text = "".join('id=1 trace_id=1 msg="%s"\n' % m for m in messages)
        trace = parse_debug_flow(text)["traces"][0]
        return trace["ipsec_interface"], trace["ipsec_tunnel"], trace["ipsec_gateway"]

    assert tunnel("enter IPsec tunnel-to_a") == ("to_a", "to_a", None)  # 4.x
    assert tunnel("enter IPsec interface-to_b", "encrypted, and send to 1.2.3.4 with source 5.6.7.8") == ("to_b", "to_b", "1.2.3.4")
    assert tunnel("enter IPSec interface vpn c, tun_id=0.0.0.0") == ("vpn", "vpn", None)
    assert tunnel("enter IPSec interface hub, tun_id=0.0.0.0", "output to IPSec tunnel hub_2, tun_id=9.9.9.9, vrf 0") == (
        "hub", "hub_2", "9.9.9.9")
    assert tunnel("output to IPSec tunnel solo", "IPsec encrypt/auth", "send to 7.7.7.7 via intf-wan2") == (
        "solo", "solo", "7.7.7.7")


def test_icmp_ports_and_old_icmp_numbers() -> None:
    new = parse_debug_flow('id=1 trace_id=1 msg="vd-root:0 received a packet(proto=1, 10.0.0.1:77->10.0.0.2:2048) '
                           'from port1. type=8, code=0, id=77, seq=5."')["traces"][0]
    assert (new["src_port"], new["dst_port"], new["icmp"]) == (None, None, {"type": 8, "code": 0, "id": 77, "seq": 5})
    reply = parse_debug_flow('id=1 trace_id=1 msg="vd-root:0 received a packet(proto=1, 10.0.0.2:77->10.0.0.1:0) from x."')
    assert reply["traces"][0]["icmp"] == {"type": 0, "code": 0, "id": 77, "seq": None}
    unreachable = parse_debug_flow('id=1 trace_id=1 msg="vd-a received a packet(proto=1, 1.1.1.1:0->2.2.2.2:771) from x."')
    assert unreachable["traces"][0]["icmp"]["type"] == 3 and unreachable["traces"][0]["icmp"]["code"] == 3
    old = parse_debug_flow('id=1 trace_id=1 msg="vd-root received a packet(proto=1, 1.1.1.1:512->2.2.2.2:8) from x."')
    assert old["traces"][0]["icmp"]["type"] == 8 and old["traces"][0]["vdom"] == "root"
    v6 = parse_debug_flow('id=1 trace_id=2 msg="vd-v6:0 received a packet(proto=6, 3ff5::100:10001->4ff5::13:80) from v."')
    assert (v6["traces"][0]["src_ip"], v6["traces"][0]["dst_port"]) == ("3ff5::100", 80)


def test_a_repeated_trace_id_with_a_new_packet_is_a_new_trace() -> None:
    line = 'id=1 trace_id=5 msg="vd-root:0 received a packet(proto=17, 1.1.1.1:1->2.2.2.2:2) from a."\n'
    result = parse_debug_flow(line + 'id=1 trace_id=5 msg="reverse path check fail, drop"\n' + line)
    assert [t["verdict"] for t in result["traces"]] == ["dropped", "unknown"]


def test_cut_off_id_prefix_timestamps_and_wrapped_msg_equals_quote_on_next_line() -> None:
    text = ('2024-01-02 03:04:05 trace_id=8 func=x line=1 msg="vd-root:0 received a packet(proto=6, 1.1.1.1:1-\n'
            '>2.2.2.2:22) from lan. flag [S], seq 1, ack 0, win 2"\n'
            'trace_id=8 func=y line=2 msg=\n"Denied by forward policy check (policy 4)"\n')
    trace = parse_debug_flow(text)["traces"][0]
    assert (trace["timestamp"], trace["src_port"], trace["dst_ip"], trace["policy_id"]) == ("2024-01-02 03:04:05", 1, "2.2.2.2", 4)
    assert trace["debug_id"] is None


def test_key_material_never_joins_a_wrapped_message() -> None:
    text = 'id=1 trace_id=1 msg="vd-root:0 received a packet\ndec: spi=1a2b3c4d esp=aes key=16 00112233445566778899aabbccddeeff\n'
    result = parse_debug_flow(text)
    assert "00112233445566778899aabbccddeeff" not in json.dumps(result)
    assert result["unparsed"] and "<redacted>" in result["unparsed"][0]
    shown = parse_debug_flow(text, include_keys=True)
    assert "00112233445566778899aabbccddeeff" in shown["unparsed"][0]


def test_chatter_of_the_debug_commands_is_not_unparsed() -> None:
    text = ("FGT # diagnose debug flow filter\n        vf: any\n        proto: any\n        Host addr: any\n"
            "show function name\nshow trace messages about iprope\nDebug messages will be on for 30 minutes.\n")
    assert parse_debug_flow(text) == {"traces": [], "unparsed": [], "stats": parse_debug_flow(text)["stats"]}


@pytest.mark.parametrize("value", [None, b"\xff\xfe", 42, ["a"], object(), "", "\r\n\r\n", 'id=1 trace_id=x msg="'])
def test_never_raises(value: Any) -> None:
    result = parse_debug_flow(value)
    assert isinstance(result["traces"], list) and isinstance(result["unparsed"], list)
    json.dumps(result)


@RELAXED
@given(text=st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    stream = FlowTraceStream(max_traces=3)
    stream.feed(text)
    stream.close()
    json.dumps(stream.result())
