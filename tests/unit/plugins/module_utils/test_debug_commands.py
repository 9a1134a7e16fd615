# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Arming commands per FortiOS version, and the capture loop's guaranteed clean-up."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils import debug_commands as dc
from ansible_collections.fortidiag.ipsec.plugins.module_utils.capture import CapturePlan, run_capture
from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import (
    arms_debug,
    console_debug_change,
    debug_cleanup_commands,
    enables_timestamps,
    ike_log_filter_command,
    is_debug_command,
    newer_than,
)


@pytest.mark.parametrize("categories,mask", [
    (["all"], -1), ([], -1), (["errors"], 1), (["errors", "negotiation", "nat_t"], 25),
    (["errors", "config", "connect", "negotiation", "nat_t", "dpd", "keys", "payload"], 255),
])
def test_ike_mask(categories: List[str], mask: int) -> None:
    assert dc.ike_mask(categories) == mask


def test_unknown_category_is_one_line() -> None:
    with pytest.raises(dc.DebugInputError, match="unknown IKE debug categories bogus; use all or errors"):
        dc.ike_mask(["errors", "bogus"])


def test_log_filter_family_follows_the_version() -> None:
    assert ike_log_filter_command("7.2.10", "clear") == "diagnose vpn ike log-filter clear"
    assert ike_log_filter_command("6.4.15", "clear") == "diagnose vpn ike log-filter clear"
    assert ike_log_filter_command("7.4.7", "clear") == "diagnose vpn ike log filter clear"
    assert ike_log_filter_command("7.6.3", "clear") == "diagnose vpn ike log filter clear"
    assert newer_than(None, (7, 4)) and not newer_than("7.2.8", (7, 4))


def test_ike_filters_72_use_dst_addr4_and_74_rem_addr4() -> None:
    filters = {"name": "to hub", "rem_addr4": ["203.0.113.9"], "dst_port": 4500, "negate": ["rem_addr4"]}
    assert dc.ike_filter_commands("7.2.10", filters) == [
        'diagnose vpn ike log-filter name "to hub"',
        "diagnose vpn ike log-filter dst-addr4 203.0.113.9",
        "diagnose vpn ike log-filter dst-port 4500",
        "diagnose vpn ike log-filter negate dst-addr4",
    ]
    assert dc.ike_filter_commands("7.4.7", filters) == [
        'diagnose vpn ike log filter name "to hub"',
        "diagnose vpn ike log filter rem-addr4 203.0.113.9",
        "diagnose vpn ike log filter dst-port 4500",
        "diagnose vpn ike log filter negate rem-addr4",
    ]


@pytest.mark.parametrize("version,filters,message", [
    ("7.4.7", {"mdst_addr4": ["192.0.2.1"]}, "mdst_addr4 does not exist on FortiOS 7.4.7"),
    ("7.2.10", {"mdst_addr6": ["2001:db8::1"]}, "mdst_addr6 does not exist on FortiOS 7.2.10"),
    ("7.2.10", {"rem_addr4": ["not-an-ip"]}, "rem_addr4 takes IP addresses"),
    ("7.2.10", {"rem_addr4": ["2001:db8::1"]}, "takes IPv4 addresses"),
    ("7.2.10", {"rem_addr4": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}, "one address or a range of two"),
    ("7.2.10", {"dst_port": 70000}, "dst_port must be 1-65535"),
    ("7.2.10", {"name": "x", "negate": ["rem_addr4"]}, "negate names a filter option that is set (one of name)"),
])
def test_bad_ike_filters(version: str, filters: Dict[str, Any], message: str) -> None:
    with pytest.raises(dc.DebugInputError) as err:
        dc.ike_filter_commands(version, filters)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_ike_arm_order_is_the_runbook() -> None:
    assert dc.ike_arm_commands("7.0.17", -1, {"name": "to-hub"}, True) == [
        "diagnose debug reset",
        "diagnose vpn ike log-filter clear",
        "diagnose vpn ike log-filter name to-hub",
        "diagnose debug console timestamp enable",
        "diagnose debug application ike -1",
        "diagnose debug enable",
    ]


def test_cleanup_covers_everything_and_knows_the_version() -> None:
    assert debug_cleanup_commands("7.2.1") == [
        "diagnose debug disable", "diagnose debug application ike 0", "diagnose debug flow trace stop",
        "diagnose debug flow filter clear", "diagnose vpn ike log-filter clear", "diagnose debug reset"]
    assert "diagnose vpn ike log filter clear" in debug_cleanup_commands("7.4.2")
    assert debug_cleanup_commands("7.4.2", timestamps=True)[-1] == "diagnose debug console timestamp disable"


@pytest.mark.parametrize("command,arms,debug,console", [
    ("diagnose debug enable", True, True, True),
    ("diag deb en", True, True, True),
    ("diagnose debug disable", False, True, False),
    ("diagnose debug reset", False, True, None),
    ("diagnose debug info", False, True, None),
    ("diagnose sniffer packet any 'esp' 4 0 a", True, True, None),
    ("diagnose vpn ike log filter rem-addr4 192.0.2.1", True, True, None),
    ("diagnose vpn tunnel list", False, False, None),
    ("execute ping 10.0.0.1", False, False, None),
])
def test_debug_command_classes(command: str, arms: bool, debug: bool, console: Optional[bool]) -> None:
    assert arms_debug(command) is arms
    assert is_debug_command(command) is debug
    assert console_debug_change(command) is console
    assert enables_timestamps("diagnose debug console timestamp enable") and not enables_timestamps(command)


def test_flow_arm_and_probe() -> None:
    assert dc.flow_arm_commands({"daddr": "10.72.0.1", "proto": 1, "negate": ["proto"]}, 5, True, False) == [
        "diagnose debug reset", "diagnose debug flow trace stop", "diagnose debug flow filter clear",
        "diagnose debug flow filter daddr 10.72.0.1", "diagnose debug flow filter proto 1",
        "diagnose debug flow filter negate proto", "diagnose debug flow show function-name enable",
        "diagnose debug enable", "diagnose debug flow trace start 5"]
    assert dc.ping_probe_commands("10.72.0.1", "10.74.0.1", 3) == [
        "execute ping-options reset", "execute ping-options source 10.74.0.1", "execute ping-options repeat-count 3",
        "execute ping 10.72.0.1", "execute ping-options reset"]
    with pytest.raises(dc.DebugInputError, match="count"):
        dc.flow_arm_commands({}, 0, True, True)
    with pytest.raises(dc.DebugInputError, match="proto out of range"):
        dc.flow_arm_commands({"proto": 300}, 1, True, True)


def test_sniffer_filter_and_command() -> None:
    bpf = dc.sniffer_filter("203.0.113.9", ["ike", "nat_t", "esp"], None)
    assert bpf == "host 203.0.113.9 and (udp port 500 or udp port 4500 or esp)"
    assert dc.sniffer_filter(None, ["esp"], None) == "esp"
    assert dc.sniffer_filter("203.0.113.9", [], None) == "host 203.0.113.9"
    assert dc.sniffer_filter(None, [], "  ") == "none"
    assert dc.sniffer_command("port1", bpf, 4, 0, "absolute") == (
        "diagnose sniffer packet port1 'host 203.0.113.9 and (udp port 500 or udp port 4500 or esp)' 4 0 a")
    for args, message in ((("x;y", "esp", 4, 0, "absolute"), "interface"), (("any", "esp", 9, 0, "absolute"), "verbosity"),
                          (("any", "esp", 4, -1, "absolute"), "count")):
        with pytest.raises(dc.DebugInputError, match=message):
            dc.sniffer_command(*args)
    with pytest.raises(dc.DebugInputError, match="single quote"):
        dc.sniffer_filter(None, [], "host 1.2.3.4' and x")


class _FakeClient:
    """Records calls; read_for hands out queued chunks; errors on demand."""

    def __init__(self, chunks: List[str], fail_on: str = "") -> None:
        self.calls: List[Any] = []
        self.chunks = list(chunks)
        self.fail_on = fail_on

    def run_commands(self, commands: List[Dict[str, Any]], keep_debug: bool = False) -> List[Dict[str, Any]]:
        self.calls.append(("run", [c["command"] for c in commands], keep_debug))
        if self.fail_on == "run":
            raise RuntimeError("command 'x' failed: command parse error before 'x'\nmore")
        return [{"command": c["command"], "vdom": None, "output": "out:" + c["command"]} for c in commands]

    def start_command(self, command: str, vdom: Optional[str] = None) -> str:
        self.calls.append(("start", command))
        return command

    def read_for(self, seconds: float, max_bytes: int) -> str:
        self.calls.append(("read", seconds, max_bytes))
        if self.fail_on == "read":
            raise RuntimeError("session lost")
        return self.chunks.pop(0) if self.chunks else ""

    def send_control(self, char: str) -> str:
        self.calls.append(("ctrl", char))
        return "tail\n"

    def stop_debug(self) -> List[str]:
        self.calls.append(("stop",))
        if self.fail_on == "stop":
            raise RuntimeError("stop failed")
        return ["diagnose debug disable"]


class _LineStream:
    def __init__(self) -> None:
        self.text = ""
        self.closed = False

    def feed(self, chunk: str) -> List[Dict[str, Any]]:
        self.text += chunk
        return [{"code": "established"}] if "established" in chunk else []

    def close(self) -> List[Dict[str, Any]]:
        self.closed = True
        return []


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.5  # every look at the clock costs half a second of capture
        return self.now


def test_capture_runs_to_the_end_and_always_cleans_up() -> None:
    client = _FakeClient(["a\n", "b\n"])
    stream = _LineStream()
    run = run_capture(client, CapturePlan(arm=["diagnose debug enable"], duration=3, trigger=["diagnose vpn tunnel up x x"]),
                      stream, lambda: 0, clock=_Clock())
    assert run.stopped_by == "duration" and run.error is None and stream.closed
    assert client.calls[0] == ("run", ["diagnose debug enable"], False)
    assert client.calls[1] == ("run", ["diagnose vpn tunnel up x x"], True)  # the trigger keeps debug on
    assert client.calls[-1] == ("stop",) and run.cleanup == ["diagnose debug disable"]
    assert stream.text.startswith("out:diagnose vpn tunnel up x x\n") and "a\nb\n" in stream.text


def test_capture_stops_on_a_finding_or_a_regex() -> None:
    client = _FakeClient(["x\n", "ike 0:gw: established IKE SA\n", "never\n"])
    stream = _LineStream()
    run = run_capture(client, CapturePlan(arm=[], duration=60, stop_when=lambda new: True), stream, lambda: 0, clock=_Clock())
    assert run.stopped_by == "until" and "never" not in stream.text
    client = _FakeClient(["half a li", "ne MATCH\n", "never\n"])
    stream = _LineStream()
    run = run_capture(client, CapturePlan(arm=[], duration=60, stop_regex="a line MATCH"), stream, lambda: 0, clock=_Clock())
    assert run.stopped_by == "until" and "never" not in stream.text


@pytest.mark.parametrize("fail_on", ["run", "read"])
def test_capture_errors_still_clean_up(fail_on: str) -> None:
    client = _FakeClient(["a\n"], fail_on=fail_on)
    run = run_capture(client, CapturePlan(arm=["diagnose debug enable"], duration=5), _LineStream(), lambda: 0, clock=_Clock())
    assert run.stopped_by == "error" and client.calls[-1] == ("stop",)
    assert run.error in ("command 'x' failed: command parse error before 'x'", "session lost")


def test_cleanup_failure_is_reported() -> None:
    client = _FakeClient([], fail_on="stop")
    run = run_capture(client, CapturePlan(arm=[], duration=1), _LineStream(), lambda: 0, clock=_Clock())
    assert run.stopped_by == "error" and run.error == "debug clean-up failed: stop failed"


def test_foreground_capture_is_stopped_with_ctrl_c_unless_it_ended() -> None:
    client = _FakeClient(["pkt\n"])
    stream = _LineStream()
    run_capture(client, CapturePlan(arm=[], duration=2, foreground="diagnose sniffer packet any 'esp' 4 0 a"),
                stream, lambda: 0, clock=_Clock())
    assert ("start", "diagnose sniffer packet any 'esp' 4 0 a") in client.calls and ("ctrl", "c") in client.calls
    assert stream.text.endswith("tail\n")
    client = _FakeClient(["pkt\n"])
    run = run_capture(client, CapturePlan(arm=[], duration=10, foreground="diagnose sniffer packet any 'esp' 4 1 a",
                                          finished=lambda: True), _LineStream(), lambda: 0, clock=_Clock())
    assert run.stopped_by == "ended" and ("ctrl", "c") not in client.calls


def test_max_items_stops_the_capture() -> None:
    client = _FakeClient(["a\n"] * 10)
    run = run_capture(client, CapturePlan(arm=[], duration=60, max_items=3), _LineStream(), lambda: 3, clock=_Clock())
    assert run.stopped_by == "max_lines" and len([c for c in client.calls if c[0] == "read"]) == 1


def test_an_interrupt_leaves_the_cleanup_to_the_connection() -> None:
    class _Interrupted(_FakeClient):
        def read_for(self, seconds: float, max_bytes: int) -> str:
            raise KeyboardInterrupt()

    client = _Interrupted([])
    with pytest.raises(KeyboardInterrupt):
        run_capture(client, CapturePlan(arm=["diagnose debug enable"], duration=5), _LineStream(), lambda: 0, clock=_Clock())
    # A new RPC would wait for the socket the interrupted one still holds.
    assert ("stop",) not in client.calls
