"""``execute ping`` / ``ping-options`` and VDOM scoping of the newer commands, through the shell."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from sim_helpers import Terminal

from fortisim.lab import parse_lab
from fortisim.model import Device

LAB: dict[str, Any] = {
    "devices": [
        {"hostname": "HUB", "version": "7.4.7", "interfaces": {"port1": "198.51.100.1/24", "port3": "10.1.0.1/24"}},
        {"hostname": "UP", "version": "7.2.10", "interfaces": {"wan1": "198.51.100.2/24", "lan": "10.2.0.1/24"}},
        {"hostname": "BROKEN", "version": "6.4.15", "interfaces": {"wan1": "198.51.100.3/24", "lan": "10.3.0.1/24"}},
        {"hostname": "MULTI", "version": "7.0.17", "vdom_mode": "multiple", "vdoms": ["root", "Branch"],
         "interfaces": {"port1": "192.0.2.10/24", "port2": "10.9.0.1/24"},
         "admins": [{"username": "vadmin", "password": "pw", "vdom": "Branch"}]},
    ],
    "tunnels": [
        {"name": "to-up", "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24"}],
         "a": {"device": "HUB"}, "b": {"device": "UP"}},
        {"name": "to-broken", "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.3.0.0/24"}],
         "a": {"device": "HUB"}, "b": {"device": "BROKEN", "phase1": {"psksecret": "other"}}},
        {"name": "to-dead", "a": {"device": "HUB"}, "b": {"external": "203.0.113.9", "state": "down"}},
        {"name": "to-cloud", "a": {"device": "HUB"}, "b": {"external": "203.0.113.10", "state": "up"}},
        {"name": "to-psk", "a": {"device": "HUB"},
         "b": {"external": "203.0.113.11", "state": "down", "fault": "psk_mismatch"}},
        {"name": "branch", "a": {"device": "MULTI", "vdom": "Branch", "interface": "port1"},
         "b": {"device": "HUB"}, "phase2": [{"src_subnet": "10.9.0.0/24", "dst_subnet": "10.1.0.0/24"}]},
        {"name": "rootvpn", "a": {"device": "MULTI", "interface": "port1"}, "b": {"external": "203.0.113.20"}},
    ],
}

PING_RE = re.compile(
    r"PING (?P<ip>[\d.]+) \((?P=ip)\): (?P<size>\d+) data bytes\r\n"
    r"(?P<replies>(?:\d+ bytes from (?P=ip): icmp_seq=\d+ ttl=\d+ time=\d+\.\d ms\r\n)*)"
    r"\r\n--- (?P=ip) ping statistics ---\r\n"
    r"(?P<sent>\d+) packets transmitted, (?P<got>\d+) packets received, (?P<loss>\d+)% packet loss\r\n"
    r"(?:round-trip min/avg/max = (?P<min>[\d.]+)/(?P<avg>[\d.]+)/(?P<max>[\d.]+) ms\r\n)?")


@pytest.fixture
def devices() -> dict[str, Device]:
    return parse_lab(LAB).devices


def _pings(out: str) -> list[dict[str, Any]]:
    return [m.groupdict() for m in PING_RE.finditer(out)]


def _answers(device: Device, target: str, *setup: str) -> bool:
    out = Terminal(device).session(*(f"{line}\n" for line in setup), "execute ping-options repeat-count 1\n",
                                   f"execute ping {target}\n")
    (result,) = _pings(out)
    return result["got"] == "1"


def test_reachable_ping_format(devices: dict[str, Device]) -> None:
    out = Terminal(devices["HUB"]).session("execute ping 198.51.100.2\n")
    assert out.startswith("HUB # execute ping 198.51.100.2\r\nPING 198.51.100.2 (198.51.100.2): 56 data bytes\r\n")
    (result,) = _pings(out)
    replies = result["replies"].splitlines()
    assert [int(re.search(r"icmp_seq=(\d+)", r).group(1)) for r in replies] == [0, 1, 2, 3, 4]  # type: ignore[union-attr]
    assert all(r.startswith("64 bytes from 198.51.100.2: ") and " ttl=255 " in r for r in replies)
    assert (result["sent"], result["got"], result["loss"]) == ("5", "5", "0")
    assert float(result["min"]) <= float(result["avg"]) <= float(result["max"])
    times = [float(t) for t in re.findall(r"time=([\d.]+) ms", out)]
    assert min(times) == float(result["min"]) and max(times) == float(result["max"])
    assert out == Terminal(devices["HUB"]).session("execute ping 198.51.100.2\n")  # deterministic


def test_unreachable_ping_has_no_round_trip(devices: dict[str, Device]) -> None:
    out = Terminal(devices["HUB"]).session("exe ping-options repeat-count 2\n", "exe ping 203.0.113.9\n")
    (result,) = _pings(out)
    assert (result["sent"], result["got"], result["loss"], result["min"]) == ("2", "0", "100", None)
    assert "bytes from" not in out and "round-trip" not in out
    assert out.endswith("--- 203.0.113.9 ping statistics ---\r\n2 packets transmitted, 0 packets received, "
                        "100% packet loss\r\nHUB # ")


@pytest.mark.parametrize("target,answers", [
    ("10.1.0.1", True),         # own interface
    ("198.51.100.3", True),     # gateway of a lab device (its tunnel is down, the box is not)
    ("203.0.113.10", True),     # external peer, up
    ("203.0.113.9", False),     # external peer down: peer_unreachable
    ("203.0.113.11", True),     # external peer down on a PSK mismatch still answers ICMP
    ("10.2.0.1", True),         # LAN behind an up tunnel
    ("10.3.0.1", False),        # LAN behind a tunnel that failed
    ("10.2.0.99", False),       # inside an up selector but nobody there
    ("8.8.8.8", False),         # unknown
])
def test_reachability(devices: dict[str, Device], target: str, answers: bool) -> None:
    assert _answers(devices["HUB"], target) is answers


def test_source_option_and_selectors(devices: dict[str, Device]) -> None:
    hub = devices["HUB"]
    assert _answers(hub, "10.2.0.1", "execute ping-options source 10.1.0.1")
    assert not _answers(hub, "10.2.0.1", "execute ping-options source 198.51.100.1")  # outside the selector
    assert not _answers(hub, "198.51.100.2", "execute ping-options source 192.0.2.99")  # not a local address
    assert _answers(hub, "198.51.100.2", "execute ping-options source 198.51.100.1")


def test_ping_options_settings_view_and_reset(devices: dict[str, Device]) -> None:
    term = Terminal(devices["HUB"])
    out = term.session("exe ping-options view-settings\n", "exe ping-o repeat 3\n", "exe ping-options data-size 100\n",
                       "exe ping-options source 10.1.0.1\n", "exe ping-options df-bit yes\n",
                       "exe ping-options view-settings\n", "exe ping 10.2.0.1\n", "exe ping-options reset\n",
                       "exe ping-options view-settings\n")
    views = re.findall(r"Ping Options:\r\n((?:   .*\r\n)+)", out)
    assert len(views) == 3 and views[0] == views[2]
    for line in ("Repeat Count: 5", "Data Size: 56", "Source Address: auto", "DF: no", "Timeout: 2", "TTL: 64"):
        assert f"   {line}\r\n" in views[0]
    for line in ("Repeat Count: 3", "Data Size: 100", "Source Address: 10.1.0.1", "DF: yes"):
        assert f"   {line}\r\n" in views[1]
    (result,) = _pings(out)
    assert (result["size"], result["sent"], result["got"]) == ("100", "3", "3")
    assert result["replies"].count("108 bytes from 10.2.0.1: ") == 3
    # settings belong to the session
    assert "Repeat Count: 5" in Terminal(devices["HUB"]).session("exe ping-options repeat-count 9\n") + \
        Terminal(devices["HUB"]).session("exe ping-options view-settings\n")


def test_ping_errors(devices: dict[str, Device]) -> None:
    out = Terminal(devices["HUB"]).session("exe ping-options repeat-count 0\n", "exe ping-options source nowhere\n",
                                           "exe ping-options df-bit maybe\n", "exe ping-options colour 1\n",
                                           "exe ping\n", "exe ping 1.1.1.1 2.2.2.2\n", "exe ping fortinet.example\n")
    assert out.count("Command fail. Return code -651") == 3
    assert "command parse error before 'colour'" in out and "command parse error before '2.2.2.2'" in out
    assert "command parse error before 'ping'" in out
    assert "Unable to resolve hostname." in out


def test_latency_shows_in_times_and_sleep_is_capped(devices: dict[str, Device]) -> None:
    hub = devices["HUB"]
    hub.latency_ms = 200
    start = time.monotonic()
    out = Terminal(hub).session("exe ping-options repeat-count 50\n", "exe ping 198.51.100.2\n")
    elapsed = time.monotonic() - start
    (result,) = _pings(out)
    assert result["got"] == "50" and float(result["min"]) >= 200
    # two commands x 0.2 s latency, and the ping itself at most ~1 s in all
    assert 1.0 <= elapsed < 1.8


def test_multi_vdom_scoping(devices: dict[str, Device]) -> None:
    multi = devices["MULTI"]
    new_commands = ["get vpn ipsec tunnel details", "get ipsec tunnel list", "get vpn ipsec stats tunnel",
                    "diagnose vpn ipsec status", "show vpn ipsec phase1-interface",
                    "show full-configuration vpn ipsec phase2-interface", "execute ping 10.1.0.1",
                    "execute ping-options view-settings"]
    top = Terminal(multi).session(*(f"{c}\n" for c in new_commands), "config global\n",
                                  *(f"{c}\n" for c in new_commands))
    assert top.count("Command fail. Return code -61") == 2 * len(new_commands)
    out = Terminal(multi).session("config vdom\n", "edit Branch\n", "get vpn ipsec tunnel details\n",
                                  "show vpn ipsec phase1-interface\n", "get vpn ipsec stats tunnel\n",
                                  "execute ping 10.1.0.1\n", "end\n", "config vdom\n", "edit root\n",
                                  "get vpn ipsec tunnel details\n", "get ipsec tunnel list\n",
                                  "execute ping 10.1.0.1\n")
    branch, root = out.split("MULTI (root) # ", 1)
    assert "  name: 'branch'" in branch and "'rootvpn'" not in branch and '    edit "branch"' in branch
    assert "  static/ddns: 1\r\n" in branch
    assert "  name: 'rootvpn'" in root and "'branch'" not in root and "\r\nrootvpn " in root
    pings = _pings(out)
    assert [p["got"] for p in pings] == ["5", "0"]  # the tunnel to HUB's LAN lives in Branch only
    admin = next(a for a in multi.admins if a.username == "vadmin")
    confined = Terminal(multi, admin).session("get vpn ipsec tunnel name branch\n", "get vpn ipsec tunnel name rootvpn\n",
                                              "diagnose vpn ipsec status | grep -c :\n")
    assert confined.startswith("MULTI (Branch) # get vpn ipsec tunnel name branch\r\ngateway\r\n")
    assert "MULTI (Branch) # get vpn ipsec tunnel name rootvpn\r\nMULTI (Branch) # " in confined
