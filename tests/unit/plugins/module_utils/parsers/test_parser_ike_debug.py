# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""IKE real-time debug: fixtures, streaming equivalence, bounds, redaction, classification."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import (
    FINDING_CODES,
    MAX_LINE,
    MAX_UNPARSED,
    IkeDebugStream,
    parse_ike_debug,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "diagnose_debug_application_ike"
CASES = sorted(path.stem for path in FIXTURES.glob("*.txt"))
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Key material as the IKE debug prints it with mask 64.
_KEY_RE = re.compile(r"\b(?:key|auth|SK_[a-z]{1,2})\s+[0-9]+:([0-9A-Fa-f]+)")


def fixture_text(name: str) -> str:
    with open(str(FIXTURES / (name + ".txt")), encoding="utf-8", newline="") as handle:
        text = handle.read()
    # *_crlf cases are stored with \n and fed with the \r\n of a raw SSH capture.
    return text.replace("\n", "\r\n") if name.endswith("_crlf") else text


def expected(name: str) -> Any:
    with open(str(FIXTURES / (name + ".json")), encoding="utf-8") as handle:
        return json.load(handle)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def streamed(text: str, cuts: List[int], include_keys: bool = False) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    stream = IkeDebugStream(include_keys=include_keys)
    new: List[Dict[str, Any]] = []
    start = 0
    for cut in sorted(cuts) + [len(text)]:
        new += stream.feed(text[start:cut])
        start = cut
    new += stream.close()
    return stream.result(), new


def codes(result: Dict[str, Any]) -> List[Tuple[str, Any]]:
    return [(finding["code"], finding["gateway"]) for finding in result["findings"]]


# -- fixtures ------------------------------------------------------------------------------
def test_enough_fixtures_cover_the_vocabulary() -> None:
    assert len(CASES) >= 12
    seen = set()
    for name in CASES:
        seen.update(finding["code"] for finding in expected(name)["findings"])
    assert seen == set(FINDING_CODES)


@pytest.mark.parametrize("name", CASES)
def test_fixture_parses_to_expected_json(name: str) -> None:
    assert canonical(parse_ike_debug(fixture_text(name))) == canonical(expected(name))


@pytest.mark.parametrize("name", CASES)
def test_fixture_unparsed_only_in_error_case(name: str) -> None:
    result = parse_ike_debug(fixture_text(name))
    assert bool(result["unparsed"]) == name.startswith("error_")


@pytest.mark.parametrize("name", CASES)
def test_fixture_include_keys_changes_only_key_fields(name: str) -> None:
    hidden = parse_ike_debug(fixture_text(name))
    shown = parse_ike_debug(fixture_text(name), include_keys=True)

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict):
            assert sorted(a) == sorted(b), path
            for key in a:
                walk(a[key], b[key], path + "." + key)
        elif isinstance(a, list):
            assert len(a) == len(b), path
            for position, (x, y) in enumerate(zip(a, b)):
                walk(x, y, "%s[%d]" % (path, position))
        elif a != b:
            assert a == "<redacted>", path
            assert isinstance(b, str) and b and b != "<redacted>", path

    walk(hidden, shown, "")


@pytest.mark.parametrize("name", CASES)
def test_fixture_never_leaks_keys(name: str) -> None:
    text = fixture_text(name)
    secrets = list(_KEY_RE.findall(text))
    dumped = json.dumps(parse_ike_debug(text))
    assert not [secret for secret in secrets if secret[:16] in dumped]


def test_key_fixtures_exist_and_keys_are_returned_with_include_keys() -> None:
    result = parse_ike_debug(fixture_text("v64_ikev1_main_initiator_established_keys"), include_keys=True)
    keyed = [event for event in result["events"] if "keys" in event]
    assert len(keyed) == 3
    # The ISAKMP key wraps onto a second line: both halves are returned, joined.
    assert keyed[0]["keys"]["key"] == "5C0E9A7731B24F68D2E01A9B7C3F5D8E41A7B9C2D0E3F5061728394A5B6C7D8E"
    assert keyed[1]["keys"]["auth"].startswith("0F1E2D3C")
    assert keyed[0]["text"].endswith("key 32:" + keyed[0]["keys"]["key"])  # shown, wrap joined
    assert all("<redacted>" in event["masked"] for event in keyed)
    hidden = parse_ike_debug(fixture_text("v64_ikev1_main_initiator_established_keys"))
    hidden_keyed = [event for event in hidden["events"] if "keys" in event]
    assert hidden_keyed[1]["keys"] == {"key": "<redacted>", "auth": "<redacted>"}
    assert all(event["text"] == "<redacted>" for event in hidden_keyed)
    assert hidden_keyed[1]["masked"] == "IPsec SA dec spi d4c15e02 key 32:<redacted> auth 32:<redacted>"
    assert [event["masked"] for event in hidden_keyed] == [event["masked"] for event in keyed]


# -- streaming -----------------------------------------------------------------------------
@RELAXED
@given(data=st.data())
def test_any_chunking_gives_the_one_shot_result(data: Any) -> None:
    name = data.draw(st.sampled_from(CASES))
    text = fixture_text(name)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=40))
    include_keys = data.draw(st.booleans())
    result, new = streamed(text, cuts, include_keys)
    one_shot = parse_ike_debug(text, include_keys=include_keys)
    assert canonical(result) == canonical(one_shot)
    # Each (code, gateway) is announced once, in order of first appearance.
    assert [(f["code"], f["gateway"]) for f in new] == codes(one_shot)


def test_crlf_split_between_cr_and_lf_and_one_character_chunks() -> None:
    text = fixture_text("v76_ikev2_initiator_authentication_failed_crlf")
    cut = text.index("\r\n") + 1
    assert canonical(streamed(text, [cut])[0]) == canonical(expected("v76_ikev2_initiator_authentication_failed_crlf"))
    assert canonical(streamed(text, list(range(len(text))))[0]) == canonical(
        expected("v76_ikev2_initiator_authentication_failed_crlf"))


def test_feed_returns_each_finding_once_and_close_flushes_the_last_line() -> None:
    stream = IkeDebugStream()
    first = stream.feed("ike 0:gw1:3: probable pre-shared secret mismatch\nike 0:gw1:3: probable pre-")
    assert [f["code"] for f in first] == ["psk_mismatch"]
    assert stream.feed("shared secret mismatch\n") == []
    assert stream.result()["findings"][0]["count"] == 2
    assert stream.feed("ike 0:gw2:4: established IKE SA 0011223344556677/8899aabbccddeeff") == []  # no line end yet
    assert [f["code"] for f in stream.close()] == ["established"]
    assert stream.feed("ike 0:gw3:5: established IKE SA 0/0\n") == []  # closed


def test_generic_failure_waits_for_a_precise_reason() -> None:
    stream = IkeDebugStream()
    assert stream.feed("ike 0:gw:7: negotiation failure\n") == []  # might be explained by what follows
    new = stream.feed("ike Negotiate ISAKMP SA Error: ike 0:gw:7: no SA proposal chosen\n")
    assert [f["code"] for f in new] == ["phase1_proposal_mismatch"]
    assert stream.close() == []
    assert codes(stream.result()) == [("phase1_proposal_mismatch", "gw")]


def test_generic_failure_alone_is_reported_after_the_window_or_at_close() -> None:
    lines = ["ike 0:gw:7: negotiation failure"] + ["ike 0:other:1: type=OAKLEY_GROUP, val=MODP2048."] * 9
    stream = IkeDebugStream()
    assert [f["code"] for f in stream.feed("\n".join(lines) + "\n")] == ["negotiation_failure"]
    stream = IkeDebugStream()
    stream.feed("ike V=root:Negotiate SA Error: [11820]\n")
    assert [(f["code"], f["gateway"]) for f in stream.close()] == [("negotiation_failure", None)]


def test_generic_failure_after_a_precise_one_is_absorbed() -> None:
    result = parse_ike_debug("ike 0:gw:7: probable pre-shared secret mismatch\nike 0:gw:7: negotiation failure\n"
                             "ike Negotiate SA Error:\n")
    assert codes(result) == [("psk_mismatch", "gw")]
    # Another gateway's precise failure does not explain this one.
    result = parse_ike_debug("ike 0:gw:7: probable pre-shared secret mismatch\nike 0:other:9: negotiation failure\n")
    assert codes(result) == [("psk_mismatch", "gw"), ("negotiation_failure", "other")]


# -- bounds --------------------------------------------------------------------------------
def test_max_events_keeps_the_first_ones_and_still_finds() -> None:
    lines = ["ike 0:gw%d:%d: responder: main mode get 1st message..." % (i % 7, i) for i in range(500)]
    lines.append("ike 0:late:9: established IKE SA 0102030405060708/0807060504030201")
    stream = IkeDebugStream(max_events=50)
    for position in range(0, len(lines), 37):
        stream.feed("\n".join(lines[position:position + 37]) + "\n")
    stream.close()
    result = stream.result()
    assert len(result["events"]) == 50
    assert result["events"][0]["serial"] == 0 and result["events"][-1]["serial"] == 49
    assert result["stats"] == {"lines": 501, "events": 501, "events_dropped": 451, "unparsed_dropped": 0}
    assert codes(result) == [("established", "late")]


def test_unparsed_and_line_length_are_bounded() -> None:
    text = "".join("other daemon line %d\n" % i for i in range(MAX_UNPARSED + 50))
    result = parse_ike_debug(text)
    assert len(result["unparsed"]) == MAX_UNPARSED
    assert result["stats"]["unparsed_dropped"] == 50
    stream = IkeDebugStream()
    for _unused in range(40):
        stream.feed("x" * 10000)  # no line end ever
    assert sum(len(piece) for piece in stream._pending) <= MAX_LINE  # pylint: disable=protected-access
    stream.close()
    assert len(stream.result()["unparsed"][0]) <= MAX_LINE


def test_findings_are_one_per_code_and_gateway() -> None:
    text = "".join("ike 0:gw:%d: probable pre-shared secret mismatch\n" % i for i in range(1000))
    result = parse_ike_debug(text)
    assert len(result["findings"]) == 1 and result["findings"][0]["count"] == 1000


# -- prefixes ------------------------------------------------------------------------------
@pytest.mark.parametrize("line,fields", [
    ("ike 0: comes 192.0.2.1:500->192.0.2.2:500,ifindex=3....",
     {"vdom": None, "vdom_index": 0, "gateway": None, "text": "comes 192.0.2.1:500->192.0.2.2:500,ifindex=3...."}),
    ("ike 3:hub:12: out 0011", {"vdom_index": 3, "gateway": "hub", "serial": 12, "text": "out 0011"}),
    ("ike V=branch:4:hub:12:hub-p2:99: added IPsec SA: SPIs=1/2",
     {"vdom": "branch", "vdom_index": 4, "gateway": "hub", "serial": 12, "phase2": "hub-p2", "phase2_serial": 99}),
    ("ike 0:gw:p2name: IPsec SA connect 4 1.1.1.1->2.2.2.2:0", {"gateway": "gw", "serial": None, "phase2": "p2name"}),
    ("ike 0:0a0b0c0d0e0f1011/0000000000000000:77: incoming proposal:",
     {"gateway": None, "cookies": "0a0b0c0d0e0f1011/0000000000000000", "serial": 77}),
    ("ike 0::207145: DPD negotiated", {"gateway": None, "serial": 207145, "text": "DPD negotiated"}),
    ("ike V=root:0 looking up shortcut by addr 10.0.0.1", {"vdom": "root", "vdom_index": 0, "text": "looking up shortcut by addr 10.0.0.1"}),
    ("ike shrank heap by 106496 bytes", {"vdom_index": None, "gateway": None, "text": "shrank heap by 106496 bytes"}),
    ("ike Negotiate ISAKMP SA Error: ike 0:gw:87: no SA proposal chosen", {"vdom_index": 0, "gateway": "gw", "serial": 87}),
    ("ike V=root:gw Negotiate SA Error: gateway validation failed",
     {"vdom": "root", "vdom_index": None, "gateway": "gw", "text": "Negotiate SA Error: gateway validation failed"}),
    ("2025-03-14 10:00:01.123456 ike 0:gw: x", {"timestamp": "2025-03-14 10:00:01.123456", "gateway": "gw", "text": "x"}),
    ("FGT-1 (root) # ike 0:gw:1: x", {"timestamp": None, "gateway": "gw", "serial": 1}),
    ("FGT-1 # 2025-03-14 10:00:01 ike 0:gw:1: x", {"timestamp": "2025-03-14 10:00:01", "gateway": "gw"}),
])
def test_prefix_fields(line: str, fields: Dict[str, Any]) -> None:
    events = parse_ike_debug(line + "\n")["events"]
    assert len(events) == 1
    assert {key: events[0][key] for key in fields} == fields


def test_noise_is_dropped_and_other_lines_are_unparsed_redacted() -> None:
    text = ("FGT # diagnose debug enable\nFGT # di de app ike -1\nDebug messages will be on for 30 minutes.\n"
            "Current duration is set to unlimited.\nFGT # \n"
            "id=65308 trace_id=4 msg=\"key=20 0123456789abcdef0123456789abcdef\"\n")
    result = parse_ike_debug(text)
    assert result["events"] == [] and len(result["unparsed"]) == 1
    assert "0123456789abcdef0123456789abcdef" not in result["unparsed"][0]


def test_hex_after_a_non_dump_line_is_not_glued_to_it() -> None:
    result = parse_ike_debug("ike 0:gw:1: negotiation result\n0123456789ABCDEF0123\n")
    assert result["events"][0]["text"] == "negotiation result"
    assert result["unparsed"] == ["<redacted>"]


# -- classification ------------------------------------------------------------------------
SNIPPETS = [
    ("phase1_proposal_mismatch", "gw", "ike 0:gw:5: negotiation failure\nike Negotiate ISAKMP SA Error: ike 0:gw:5: no SA proposal chosen"),
    ("phase1_proposal_mismatch", "gw", "ike 0:gw:5: initiator received SA_INIT response\n"
                                       "ike 0:gw:5: processing notify type NO_PROPOSAL_CHOSEN"),
    ("phase1_proposal_mismatch", "gw", "ike 0:gw:5: notify msg received: NO-PROPOSAL-CHOSEN"),
    ("phase2_proposal_mismatch", "gw", "ike Negotiate IPsec SA Error: ike 0:gw:5:12: no SA proposal chosen"),
    ("phase2_proposal_mismatch", "gw", "ike 0:gw:5: initiator received AUTH msg\nike 0:gw:5: received notify type NO_PROPOSAL_CHOSEN"),
    ("phase2_proposal_mismatch", "gw", "ike 0:gw:5:gw:31: peer SA proposal not match local policy"),
    ("psk_mismatch", "gw", "ike 0:gw:5: probable pre-shared secret mismatch"),
    ("psk_mismatch", "gw", "ike V=root:0:gw:5: PSK auth failed: probable pre-shared key mismatch"),
    ("psk_mismatch", "gw", "ike 0:gw:5: received notify type AUTHENTICATION_FAILED"),
    ("peer_id_mismatch", None, "ike 0:0011223344556677/0000000000000000:9: ignoring IKE request, incorrect ID."),
    ("peer_id_mismatch", "gw", "ike 0:gw:5: gw validation failed"),
    ("peer_id_mismatch", "gw", "ike 0:gw:5: notify msg received: INVALID-ID-INFORMATION"),
    ("selector_mismatch", "gw", "ike 0:gw:5: specified selectors mismatch"),
    ("selector_mismatch", "gw", "ike 0:gw:5: no matching phase2 found"),
    ("selector_mismatch", "gw", "ike 0:gw:5:gw:40: notify msg received: INVALID-ID-INFORMATION"),
    ("selector_mismatch", "gw", "ike 0:gw:5: received notify type TS_UNACCEPTABLE"),
    ("selector_mismatch", "gw", "ike 0:gw:5:gw:40: failed to match peer selectors"),
    ("no_matching_gateway", None, "ike 0: ignoring request from 192.0.2.9:500, no matching gateway found"),
    ("peer_unreachable", "gw", "ike 0:gw:5: sent IKE msg (SA_INIT): 192.0.2.1:500->192.0.2.9:500, len=500\n"
                               + "ike 0:gw:5: sent IKE msg (RETRANSMIT_SA_INIT): 192.0.2.1:500->192.0.2.9:500, len=500\n" * 3),
    ("peer_unreachable", "gw", "ike 0:gw:5: negotiation timeout, deleting"),
    ("peer_unreachable", "gw", "ike 0:gw:5: sendto 192.0.2.9:500 failed: Network is unreachable"),
    ("dpd_timeout", "gw", "ike 0:gw:5: DPD failure, no R-U-THERE-ACK after 3 retries"),
    ("dpd_timeout", "gw", "ike 0:gw: dpd failed, peer is dead"),
    ("nat_detected", "gw", "ike 0:gw:5: NAT detected: PEER"),
    ("established", "gw", "ike 0:gw:5: established IKE SA 0011223344556677/8899aabbccddeeff"),
    ("established", "gw", "ike 0:gw:5:gw:9: added IPsec SA: SPIs=0a0b0c0d/01020304"),
    ("negotiation_failure", "gw", "ike V=root:0:gw: ignoring IKEv2 request, no policy configured"),
    ("negotiation_failure", "gw", "ike 0:gw:5: negotiation failure"),
    ("negotiation_failure", None, "ike Negotiate SA Error: [4471]"),
]


@pytest.mark.parametrize("code,gateway,text", SNIPPETS)
def test_each_code_on_a_minimal_snippet(code: str, gateway: Any, text: str) -> None:
    result = parse_ike_debug(text + "\n")
    assert codes(result) == [(code, gateway)]
    finding = result["findings"][0]
    assert finding["evidence"].startswith("ike ") and finding["count"] >= 1


def test_no_finding_on_success_and_routine_lines() -> None:
    text = ("ike 0:gw:5: NAT not detected\nike 0:gw:5: SA proposal chosen, matched gateway gw\n"
            "ike 0:gw:5: PSK authentication succeeded\nike 0:gw:5: DPD negotiated\nike 0:gw:5: matched proposal id 1\n"
            "ike 0:gw:5: no suitable IKE SA, queuing CHILD request and initiating IKE SA negotiation\n"
            "ike 0:gw:5: sent IKE msg (R-U-THERE): 192.0.2.1:500->192.0.2.9:500, len=92\n")
    assert parse_ike_debug(text)["findings"] == []


def test_retransmits_after_an_answer_are_not_unreachable() -> None:
    sent = "ike 0:gw:5: sent IKE msg (%s): 192.0.2.1:500->192.0.2.9:500, len=500\n"
    answered = (sent % "SA_INIT") + "ike 0: comes 192.0.2.9:500->192.0.2.1:500,ifindex=3....\n" + (sent % "RETRANSMIT_AUTH") * 3
    assert parse_ike_debug(answered)["findings"] == []
    # ... and then a timeout is a failure nothing names more precisely.
    assert codes(parse_ike_debug(answered + "ike 0:gw:5: negotiation timeout, deleting\n")) == [("negotiation_failure", "gw")]
    # A new negotiation starts unanswered again.
    again = answered + (sent % "SA_INIT") + (sent % "RETRANSMIT_SA_INIT") * 3
    assert codes(parse_ike_debug(again)) == [("peer_unreachable", "gw")]


def test_timestamps_of_findings() -> None:
    result = parse_ike_debug(fixture_text("v72_ikev1_responder_psk_mismatch_timestamps"))
    finding = result["findings"][0]
    assert (finding["first_seen"], finding["last_seen"]) == ("2024-11-05 08:14:02.101329", "2024-11-05 08:14:05.101768")


@RELAXED
@given(text=st.one_of(st.text(), st.lists(st.sampled_from(
    ["ike ", "ike 0:", "ike V=", "V=root:", ":", " ", "\r", "\n", "\r\n", "gw", "12", "0011223344556677/8899aabbccddeeff",
     "key 16:ABCDEF0123456789", "negotiation failure", "Negotiate SA Error: ", "sent IKE msg (RETRANSMIT_SA_INIT): ",
     "1.2.3.4:500->5.6.7.8:500", "comes ", "FGT # ", "2025-01-01 00:00:00 ", "\x1b[0m", "\x08", "--More-- ", "ABCDEF"]),
    max_size=80).map("".join)), include_keys=st.booleans(), max_events=st.one_of(st.none(), st.integers(0, 5)))
@example(text="ike key 0:0key 0:0", include_keys=False, max_events=None)  # a mask opening a word boundary
def test_arbitrary_text_never_raises(text: str, include_keys: bool, max_events: Any) -> None:
    stream = IkeDebugStream(include_keys=include_keys, max_events=max_events)
    stream.feed(text[: len(text) // 2])
    stream.feed(text[len(text) // 2:])
    stream.close()
    result = stream.result()
    json.dumps(result)
    assert set(result) == {"events", "findings", "unparsed", "stats"}
    assert all(finding["code"] in FINDING_CODES for finding in result["findings"])
    for event in result["events"]:
        if "keys" in event:
            assert _KEY_RE.search(event["masked"]) is None
        if not include_keys:
            assert _KEY_RE.search(event["text"]) is None  # key material only with include_keys
            assert set(event.get("keys", {}).values()) <= {"<redacted>"}


def test_non_text_inputs() -> None:
    for value in (None, b"ike 0:gw:1: probable pre-shared secret mismatch\n", 42, ["a"], object()):
        result = parse_ike_debug(value)
        assert isinstance(result["events"], list) and isinstance(result["unparsed"], list)
    assert codes(parse_ike_debug(b"ike 0:gw:1: probable pre-shared secret mismatch\n")) == [("psk_mismatch", "gw")]
