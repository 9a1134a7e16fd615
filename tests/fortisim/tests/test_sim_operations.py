"""Operational state changes through the shell: ``diagnose vpn tunnel up|down|flush``,
``diagnose vpn ike gateway clear|flush``, phase1 ``npu-offload`` editing, per-SA offload
flags, ``negotiation_ms`` and the ``tunnel_ops``/``tunnels`` stats."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import paramiko
import pytest
from sim_helpers import Terminal

from fortisim.clock import Clock
from fortisim.harness import running_lab
from fortisim.lab import parse_lab
from fortisim.model import Lab

LAB: dict[str, Any] = {
    "devices": [
        {"hostname": "HUB", "version": "7.4.7", "model": "FortiGate-100F",
         "interfaces": {"port1": "198.51.100.1/24", "port3": "10.1.0.1/24"}},
        {"hostname": "SPOKE", "version": "7.2.10", "interfaces": {"wan1": "198.51.100.2/24", "lan": "10.2.0.1/24"}},
        {"hostname": "MV", "version": "7.0.17", "vdom_mode": "multiple", "vdoms": ["root", "Branch"],
         "interfaces": {"port1": "198.51.100.3/24", "port2": "198.51.100.4/24"}},
        {"hostname": "VM", "version": "7.2.10", "model": "FortiGate-VM64", "interfaces": {"port1": "198.51.100.5/24"}},
        {"hostname": "DIAL", "version": "7.6.3", "interfaces": {"port1": "198.51.100.6/24"}},
    ],
    "tunnels": [
        {"name": "to-spoke", "a": {"device": "HUB"}, "b": {"device": "SPOKE", "name": "to-hub"},
         "phase2": [{"name": "lan", "src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24"},
                    {"name": "voice", "src_subnet": "10.1.1.0/24", "dst_subnet": "10.2.1.0/24"}]},
        {"name": "broken", "a": {"device": "HUB"}, "b": {"device": "SPOKE", "phase1": {"psksecret": "other"}}},
        # Phase 2 fails on "bad" only: "good" can come and go.
        {"name": "half", "a": {"device": "HUB"},
         "phase2": [{"name": "good", "src_subnet": "10.1.5.0/24", "dst_subnet": "10.2.5.0/24"},
                    {"name": "bad", "src_subnet": "10.1.6.0/24", "dst_subnet": "10.2.6.0/24"}],
         "b": {"device": "SPOKE", "phase2": [
             {"name": "good", "src_subnet": "10.2.5.0/24", "dst_subnet": "10.1.5.0/24"},
             {"name": "bad", "src_subnet": "10.2.6.0/24", "dst_subnet": "10.1.6.0/24", "proposal": "aes128-sha1"}]}},
        {"name": "cloud", "a": {"device": "HUB"}, "b": {"external": "203.0.113.10", "state": "up"}},
        {"name": "mv-root", "a": {"device": "MV", "interface": "port1"}, "b": {"device": "HUB"}},
        {"name": "mv-branch", "a": {"device": "MV", "vdom": "Branch", "interface": "port2"}, "b": {"device": "HUB"}},
        {"name": "vmvpn", "a": {"device": "VM"}, "b": {"device": "HUB"}},
    ],
    "dialup": [{"name": "dial", "hub": {"device": "DIAL"},
                "spokes": [{"device": "SPOKE", "name": "to-dial"}, {"external": "192.0.2.77", "state": "up"}]}],
}

PROMPT = re.compile(r"^[\w.-]+(?: \([^)]*\))? # ")
BRANCH = ("config vdom", "edit Branch")


@pytest.fixture
def lab() -> Lab:
    return parse_lab(LAB)


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen=100)


def run(term: Terminal, *commands: str) -> list[list[str]]:
    """One session; each command's output lines (prompt and echo removed)."""
    text = term.session(*(f"{cmd}\n" for cmd in commands))
    blocks: list[list[str]] = []
    for line in text.split("\r\n"):
        if PROMPT.match(line):
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
    return blocks[:len(commands)]


def one(term: Terminal, *commands: str) -> list[str]:
    """The output of the last command."""
    return run(term, *commands)[-1]


def sas(lines: list[str]) -> dict[str, tuple[str, str]]:
    """proxyid -> (dec SPI, enc SPI) from ``diagnose vpn tunnel list``; proxy IDs without an SA are left out."""
    out: dict[str, tuple[str, str]] = {}
    text = "\n".join(lines)
    for block in re.split(r"^(?=proxyid=)", text, flags=re.M)[1:]:
        name = block.split()[0].split("=")[1]
        spis = re.findall(r"^  (?:dec|enc): spi=(\w+)", block, re.M)
        if spis:
            out[name] = (spis[0], spis[1])
    return out


def tlist(term: Terminal, name: str, *ctx: str) -> list[str]:
    return one(term, *ctx, f"diagnose vpn tunnel list name {name}")


def ike_ids(term: Terminal, name: str, *ctx: str) -> list[str]:
    return [line.split()[-1] for line in one(term, *ctx, f"diagnose vpn ike gateway list name {name}")
            if line.startswith("  id/spi:")]


def summary(term: Terminal, name: str, *ctx: str) -> str:
    lines = one(term, *ctx, "get vpn ipsec tunnel summary")
    return next(re.search(r"selectors\(total,up\): (\d+/\d+)", x).group(1)  # type: ignore[union-attr]
                for x in lines if x.startswith(f"'{name}' "))


def terms(lab: Lab, clock: Clock, *hosts: str) -> list[Terminal]:
    return [Terminal(lab.devices[h], clock=clock) for h in hosts]


# -- diagnose vpn tunnel down / up ------------------------------------------------------

def test_down_removes_the_sa_everywhere_and_on_the_peer(lab: Lab, clock: Clock) -> None:
    hub, spoke = terms(lab, clock, "HUB", "SPOKE")
    before = sas(tlist(hub, "to-spoke"))
    assert set(before) == {"lan", "voice"}
    assert one(hub, "diagnose vpn tunnel down lan") == []  # silent
    after = tlist(hub, "to-spoke")
    assert "proxyid=lan proto=0 sa=0 ref=1 serial=1" in after and sas(after) == {"voice": before["voice"]}
    assert summary(hub, "to-spoke") == "2/1" and summary(spoke, "to-hub") == "2/1"
    assert sas(tlist(spoke, "to-hub")) == {"voice": before["voice"][::-1]}  # the delete reached the peer
    details = one(hub, "get vpn ipsec tunnel name to-spoke")
    assert details.count("    SA") == 1 and details.count("      NPU acceleration: both") == 1
    rows = [r.split() for r in one(hub, "get ipsec tunnel list") if r.startswith("to-spoke")]
    assert [(r[2], r[4]) for r in rows] == [("10.1.0.0/255.255.255.0", "down"), ("10.1.1.0/255.255.255.0", "up")]
    assert ike_ids(hub, "to-spoke")  # voice still holds the IKE SA up

    # The last selector takes the IKE SA with it, on both ends; no fault is recorded.
    stats_before = one(hub, "get vpn ipsec stats tunnel")
    run(hub, "diag vpn tun down voice")
    for term, name in ((hub, "to-spoke"), (spoke, "to-hub")):
        assert sas(tlist(term, name)) == {} and ike_ids(term, name) == []
        assert "addr: ->" in one(term, f"diagnose vpn ike gateway list name {name}")
    stats_after = one(hub, "get vpn ipsec stats tunnel")
    assert stats_after[-1] == f"  up: {int(stats_before[-1].split()[-1]) - 1}"
    assert stats_after[5] == stats_before[5]  # errors: a downed tunnel has no fault
    # Down stays down: flush only renews what was up.
    run(hub, "diagnose vpn tunnel flush")
    assert sas(tlist(hub, "to-spoke")) == {} and summary(spoke, "to-hub") == "2/0"


def test_up_brings_a_new_generation_and_is_a_noop_when_up(lab: Lab, clock: Clock) -> None:
    hub, spoke = terms(lab, clock, "HUB", "SPOKE")
    original = sas(tlist(hub, "to-spoke"))
    cookies = ike_ids(hub, "to-spoke")
    run(hub, "diagnose vpn tunnel up lan", "diagnose vpn tunnel up lan to-spoke")
    assert sas(tlist(hub, "to-spoke")) == original  # already up: nothing renegotiated

    run(hub, "diagnose vpn tunnel down lan", "diagnose vpn tunnel down voice")
    assert run(hub, "diagnose vpn tunnel up lan")[0] == []
    lines = tlist(hub, "to-spoke")
    renewed = sas(lines)
    assert set(renewed) == {"lan"} and set(renewed["lan"]).isdisjoint(original["lan"])
    assert re.search(r"expire=43200/0B", "\n".join(lines))  # age 0
    pkts = [int(x) for x in re.findall(r"pkts/bytes=(\d+)/", "\n".join(lines))]
    assert pkts and max(pkts) < 20  # counters restart small
    new_cookies = ike_ids(hub, "to-spoke")
    assert new_cookies and new_cookies != cookies  # phase 1 came up first, with a new IKE SA
    assert ike_ids(spoke, "to-hub") == new_cookies
    assert sas(tlist(spoke, "to-hub")) == {"lan": renewed["lan"][::-1]}

    # Time passes: the new SA ages and counts, the untouched tunnel ages as before.
    other_before = re.search(r"expire=(\d+)", "\n".join(tlist(hub, "cloud"))).group(1)  # type: ignore[union-attr]
    clock.frozen = 160
    later = "\n".join(tlist(hub, "to-spoke"))
    assert "expire=43140/0B" in later
    assert min(int(x) for x in re.findall(r"pkts/bytes=(\d+)/", later)) > max(pkts)
    other_after = re.search(r"expire=(\d+)", "\n".join(tlist(hub, "cloud"))).group(1)  # type: ignore[union-attr]
    assert int(other_before) - int(other_after) == 60


def test_up_only_where_the_negotiation_can_succeed(lab: Lab, clock: Clock) -> None:
    hub, dial, spoke = terms(lab, clock, "HUB", "DIAL", "SPOKE")
    run(hub, "diagnose vpn tunnel up broken")  # PSK mismatch: stays down
    assert sas(tlist(hub, "broken")) == {} and "addr: ->" in one(hub, "diagnose vpn ike gateway list name broken")
    # A phase-2 fault on another selector does not stop this one.
    run(hub, "diagnose vpn tunnel down good")
    assert ike_ids(hub, "half") == []
    run(hub, "diagnose vpn tunnel up bad half")
    assert sas(tlist(hub, "half")) == {} and ike_ids(hub, "half") == []
    run(hub, "diagnose vpn tunnel up good half")
    assert set(sas(tlist(hub, "half"))) == {"good"} and ike_ids(hub, "half")
    assert "  errors: 2" in one(hub, "get vpn ipsec stats tunnel")  # broken and half keep their faults
    assert lab.result("half").fault == "phase2_proposal_mismatch"
    # A dial-up hub never initiates; its spoke can.
    run(dial, "diagnose vpn tunnel down dial dial_0")
    assert sas(tlist(dial, "dial_0")) == {} and sas(tlist(spoke, "to-dial")) == {}
    run(dial, "diagnose vpn tunnel up dial", "diagnose vpn tunnel up dial dial_0")
    assert sas(tlist(dial, "dial_0")) == {}
    run(spoke, "diagnose vpn tunnel up to-dial")
    assert sas(tlist(spoke, "to-dial"))["to-dial"] == sas(tlist(dial, "dial_0"))["dial"][::-1]


def test_phase1_and_serial_arguments_narrow_the_target(lab: Lab, clock: Clock) -> None:
    (dial,) = terms(lab, clock, "DIAL")
    serial = re.search(r"serial=(\d+)", tlist(dial, "dial_1")[2]).group(1)  # type: ignore[union-attr]
    run(dial, "diagnose vpn tunnel down dial dial 99", "diagnose vpn tunnel down dial nope",
        "diagnose vpn tunnel down nope")
    assert set(sas(tlist(dial, "dial_0"))) == set(sas(tlist(dial, "dial_1"))) == {"dial"}
    run(dial, f"diag vpn tun do dial dial {serial}")  # the parent's name plus the instance's serial
    assert sas(tlist(dial, "dial_1")) == {} and set(sas(tlist(dial, "dial_0"))) == {"dial"}


def test_missing_and_bad_arguments(lab: Lab, clock: Clock) -> None:
    (hub,) = terms(lab, clock, "HUB")
    outs = run(hub, "diagnose vpn tunnel up", "diag vpn tun down", "diagnose vpn tunnel up lan to-spoke x",
               "diagnose vpn tunnel up lan to-spoke 1 2", "diagnose vpn ike gateway clear to-spoke",
               "diagnose vpn ike gateway clear name", "diagnose vpn tunnel d lan")
    assert outs[0] == ["command parse error before 'up'", "Command fail. Return code -61"]
    assert outs[1] == ["command parse error before 'down'", "Command fail. Return code -61"]
    assert outs[2] == ["value parse error before 'x'", "Command fail. Return code -651"]
    assert outs[3][0] == "command parse error before '2'"
    assert outs[4][0] == "command parse error before 'to-spoke'"
    assert outs[5][0] == "command parse error before 'name'"
    assert outs[6][0] == "command parse error before 'd'"  # down or dialup-list
    assert hub.stats.devices["HUB"].tunnel_ops == 0  # failed commands never ran
    assert len(sas(tlist(hub, "to-spoke"))) == 2


# -- diagnose vpn tunnel flush ------------------------------------------------------------

def test_flush_renews_spis_on_both_ends_and_keeps_the_ike_sa(lab: Lab, clock: Clock) -> None:
    hub, spoke = terms(lab, clock, "HUB", "SPOKE")
    before, cloud = sas(tlist(hub, "to-spoke")), sas(tlist(hub, "cloud"))
    cookies = ike_ids(hub, "to-spoke")
    assert run(hub, "diagnose vpn tunnel flush nope") == [[]]
    assert sas(tlist(hub, "to-spoke")) == before
    run(hub, "diag vpn tun fl nope to-spoke")
    after = sas(tlist(hub, "to-spoke"))
    assert set(after) == {"lan", "voice"}
    assert all(set(after[p]).isdisjoint(before[p]) for p in after)
    # What HUB encrypts with, SPOKE decrypts with (and back).
    assert sas(tlist(spoke, "to-hub")) == {p: spis[::-1] for p, spis in after.items()}
    assert ike_ids(hub, "to-spoke") == cookies and ike_ids(spoke, "to-hub") == cookies
    assert sas(tlist(hub, "cloud")) == cloud  # not named
    run(hub, "diagnose vpn tunnel flush")
    assert sas(tlist(hub, "cloud")) != cloud and sas(tlist(hub, "broken")) == {}
    assert set(sas(tlist(hub, "half"))) == {"good"}


def test_flush_dialup_instance_and_parent_names(lab: Lab, clock: Clock) -> None:
    dial, spoke = terms(lab, clock, "DIAL", "SPOKE")
    first = {n: sas(tlist(dial, n)) for n in ("dial_0", "dial_1")}
    run(dial, "diagnose vpn tunnel flush dial_1")
    assert sas(tlist(dial, "dial_0")) == first["dial_0"] and sas(tlist(dial, "dial_1")) != first["dial_1"]
    second = sas(tlist(dial, "dial_1"))
    run(dial, "diagnose vpn tunnel flush dial")  # the parent: all of its instances
    assert sas(tlist(dial, "dial_0")) != first["dial_0"] and sas(tlist(dial, "dial_1")) != second
    assert sas(tlist(spoke, "to-dial"))["to-dial"] == sas(tlist(dial, "dial_0"))["dial"][::-1]


# -- diagnose vpn ike gateway clear / flush --------------------------------------------------

def test_gateway_clear_renegotiates_ike_and_esp(lab: Lab, clock: Clock) -> None:
    hub, spoke = terms(lab, clock, "HUB", "SPOKE")
    run(hub, "diagnose vpn tunnel down voice")
    before, cookies, cloud_ids = sas(tlist(hub, "to-spoke")), ike_ids(hub, "to-spoke"), ike_ids(hub, "cloud")
    assert run(hub, "diagnose vpn ike gateway clear name nope") == [[]]
    assert ike_ids(hub, "to-spoke") == cookies
    assert run(hub, "diag vpn ike gate cl name to-spoke") == [[]]
    cleared = ike_ids(hub, "to-spoke")
    assert cleared and cleared != cookies and ike_ids(spoke, "to-hub") == cleared
    after = sas(tlist(hub, "to-spoke"))
    assert set(after) == {"lan"} and set(after["lan"]).isdisjoint(before["lan"])  # voice stays down
    assert sas(tlist(spoke, "to-hub")) == {"lan": after["lan"][::-1]}
    assert ike_ids(hub, "cloud") == cloud_ids
    run(hub, "diagnose vpn ike gateway flush name to-spoke")  # same effect
    assert ike_ids(hub, "to-spoke") not in (cleared, cookies)
    assert "addr: ->" in one(hub, "diagnose vpn ike gateway list name broken")
    run(hub, "diagnose vpn ike gateway clear")
    assert ike_ids(hub, "cloud") != cloud_ids and "addr: ->" in one(hub, "diagnose vpn ike gateway list name broken")


def test_operations_stay_in_the_current_vdom_except_a_global_clear(lab: Lab, clock: Clock) -> None:
    mv, hub = terms(lab, clock, "MV", "HUB")
    root, branch = sas(tlist(mv, "mv-root", "config vdom", "edit root")), sas(tlist(mv, "mv-branch", *BRANCH))
    root_ids, branch_ids = ike_ids(mv, "mv-root", "config vdom", "edit root"), ike_ids(mv, "mv-branch", *BRANCH)
    assert run(mv, "diagnose vpn tunnel flush")[0][0] == "command parse error before 'vpn'"  # top level
    run(mv, *BRANCH, "diagnose vpn tunnel flush", "diagnose vpn tunnel down mv-root",
        "diagnose vpn ike gateway clear name mv-root")
    assert sas(tlist(mv, "mv-root", "config vdom", "edit root")) == root
    assert ike_ids(mv, "mv-root", "config vdom", "edit root") == root_ids
    renewed = sas(tlist(mv, "mv-branch", *BRANCH))
    assert renewed != branch and sas(tlist(hub, "mv-branch")) == {p: s[::-1] for p, s in renewed.items()}
    assert ike_ids(mv, "mv-branch", *BRANCH) == branch_ids
    run(mv, *BRANCH, "diagnose vpn ike gateway clear")  # no name: every VDOM of the device
    assert ike_ids(mv, "mv-root", "config vdom", "edit root") != root_ids
    assert ike_ids(mv, "mv-branch", *BRANCH) != branch_ids
    assert ike_ids(hub, "mv-root") == ike_ids(mv, "mv-root", "config vdom", "edit root")


# -- npu-offload: config editing and per-SA flags ----------------------------------------------

def _flags(lines: list[str]) -> list[str]:
    return re.findall(r"npu_flag=(\d\d)", "\n".join(lines))


def _engine(lines: list[str], engine: str) -> tuple[int, int]:
    block = lines[lines.index(f"{engine}:"):]
    aes = next(x for x in block if x.startswith("        aes: "))
    enc, dec = aes.split()[1:]
    return int(enc), int(dec)


def test_npu_flag_is_fixed_when_the_sa_is_established(lab: Lab, clock: Clock) -> None:
    hub, spoke = terms(lab, clock, "HUB", "SPOKE")
    assert _flags(tlist(hub, "to-spoke")) == ["03", "03"]
    npu_before = _engine(one(hub, "diagnose vpn ipsec status"), "NP6XLITE_0")
    out = run(hub, "config vpn ipsec phase1-interface", 'edit "to-spoke"', "set npu-offload disable", "next", "end")
    assert out == [[]] * 5
    assert hub.stats.devices["HUB"].config_writes == 1
    assert "        set npu-offload disable" in one(hub, "show vpn ipsec phase1-interface to-spoke")
    # The SAs already up keep their flag, and their counters stay on the NPU.
    assert _flags(tlist(hub, "to-spoke")) == ["03", "03"]
    assert one(hub, "get vpn ipsec tunnel name to-spoke").count("      NPU acceleration: both") == 2
    assert _engine(one(hub, "diagnose vpn ipsec status"), "NP6XLITE_0") == npu_before
    snap = hub.stats.snapshot()["HUB"]["tunnels"]["root/to-spoke"]
    assert snap["npu_offload"] == "disable" and snap["npu_flags"] == ["03", "03"]
    run(hub, "diagnose vpn tunnel flush to-spoke")
    assert _flags(tlist(hub, "to-spoke")) == ["00", "00"]
    assert "  npu_flag=00 " in "\n".join(tlist(hub, "to-spoke")) and "dec_npuid=0 enc_npuid=0" in tlist(hub, "to-spoke")[-1]
    assert one(hub, "get vpn ipsec tunnel name to-spoke").count("      NPU acceleration: none") == 2
    status = one(hub, "diagnose vpn ipsec status")
    assert _engine(status, "NP6XLITE_0")[0] < npu_before[0] and _engine(status, "CP9XLITE")[0] > 0
    assert _flags(tlist(spoke, "to-hub")) == ["03", "03"]  # the peer's own setting
    snap = hub.stats.snapshot()["HUB"]["tunnels"]["root/to-spoke"]
    assert snap["npu_flags"] == ["00", "00"] and snap["sa_generation"] == 1


def test_phase1_edit_session(lab: Lab, clock: Clock) -> None:
    (hub,) = terms(lab, clock, "HUB")
    text = hub.session("conf vpn ips phase1\n", "edit to-spoke\n", "set npu-offload disable\n", "get\n", "show\n",
                       "abort\n", "end\n")
    assert "HUB (phase1-interface) # edit to-spoke\r\nHUB (to-spoke) # set" in text
    assert "npu-offload         : disable\r\n" in text and "        set npu-offload disable\r\n" in text
    assert "HUB (to-spoke) # abort\r\nHUB (phase1-interface) # end\r\nHUB # " in text
    assert hub.stats.devices["HUB"].config_writes == 0  # aborted
    assert "npu-offload" not in "\n".join(one(hub, "show vpn ipsec phase1-interface to-spoke"))

    outs = run(hub, "config vpn ipsec phase1-interface", "edit to-spoke", "set npu-offload enable", "next",
               "edit to-spoke", "set npu-offload bogus", "set npu-offload", "set colour red", "set dpd disable",
               "unset peertype", "set npu-offload disable", "end")
    assert outs[5] == ["value parse error before 'bogus'", "Command fail. Return code -651"]
    assert outs[6][0] == "command parse error before 'npu-offload'"
    assert outs[7] == ["command parse error before 'colour'", "Command fail. Return code -61"]
    assert outs[8] == ["value parse error before 'disable'", "Command fail. Return code -651"]  # not modelled
    assert outs[9][0] == "value parse error before 'peertype'"
    assert hub.stats.devices["HUB"].config_writes == 1  # same value: no write; the change at end: one
    assert "    set npu-offload disable" in "\n".join(one(hub, "show full-configuration vpn ipsec phase1-interface"))

    run(hub, "config vpn ipsec phase1-interface", "edit to-spoke", "unset npu-offload", "next", "end")
    assert hub.stats.devices["HUB"].config_writes == 2
    assert "        set npu-offload enable" in one(hub, "show full-configuration vpn ipsec phase1-interface to-spoke")


def test_edit_of_an_unknown_entry_cannot_be_committed(lab: Lab, clock: Clock) -> None:
    mv, vm = terms(lab, clock, "MV", "VM")
    text = mv.session(*(f"{c}\n" for c in (*BRANCH, "config vpn ipsec phase1-interface", 'edit "new-one"',
                                           "set npu-offload disable", "show", "next", "end", "abort", "edit",
                                           "edit abcdefghijklmnop", "end")))
    refused = "Attribute 'interface' MUST be set.\r\nCommand fail. Return code -56\r\n"
    assert f"MV (new-one) # next\r\n{refused}MV (new-one) # end\r\n{refused}MV (new-one) # abort\r\n" in text
    assert '    edit "new-one"\r\n        set npu-offload disable\r\n    next\r\n' in text
    assert "MV (phase1-interface) # edit\r\ncommand parse error before 'edit'" in text
    assert "value parse error before 'abcdefghijklmnop'" in text
    assert text.endswith("MV (phase1-interface) # end\r\nMV (Branch) # ")
    assert "new-one" not in "\n".join(one(mv, *BRANCH, "show vpn ipsec phase1-interface"))
    assert mv.stats.devices["MV"].config_writes == 0 and len(lab.devices["MV"].views("Branch")) == 1
    # A VM has no NPU and no npu-offload setting.
    outs = run(vm, "config vpn ipsec phase1-interface", "edit vmvpn", "set npu-offload disable",
               "unset npu-offload", "end")
    assert outs[2] == outs[3] == ["command parse error before 'npu-offload'", "Command fail. Return code -61"]
    assert "npu-offload" not in "\n".join(one(vm, "show full-configuration vpn ipsec phase1-interface"))


# -- negotiation_ms, stats, ping ------------------------------------------------------------

def test_negotiation_ms_delays_new_sas(lab: Lab, clock: Clock) -> None:
    lab.devices["HUB"].negotiation_ms = 1500
    hub, spoke = terms(lab, clock, "HUB", "SPOKE")
    cookies = ike_ids(hub, "to-spoke")
    run(hub, "diagnose vpn tunnel flush to-spoke")
    assert sas(tlist(hub, "to-spoke")) == {} and sas(tlist(spoke, "to-hub")) == {}
    assert hub.stats.snapshot()["HUB"]["tunnels"]["root/to-spoke"]["selectors_up"] == 0
    clock.frozen = 101.4
    assert summary(hub, "to-spoke") == "2/0"
    clock.frozen = 101.5
    assert set(sas(tlist(spoke, "to-hub"))) == {"lan", "voice"} and summary(hub, "to-spoke") == "2/2"
    assert "expire=43200/0B" in "\n".join(tlist(hub, "to-spoke"))
    assert hub.stats.snapshot()["HUB"]["tunnels"]["root/to-spoke"]["selectors_up"] == 2
    # A cleared gateway shows no IKE SA until the new one is negotiated.
    run(hub, "diagnose vpn ike gateway clear name to-spoke")
    assert ike_ids(hub, "to-spoke") == [] and "addr: ->" in one(spoke, "diagnose vpn ike gateway list name to-hub")
    clock.frozen = 103
    assert ike_ids(hub, "to-spoke") not in ([], cookies) and len(sas(tlist(hub, "to-spoke"))) == 2
    run(hub, "diagnose vpn tunnel down lan", "diagnose vpn tunnel up lan")
    assert set(sas(tlist(hub, "to-spoke"))) == {"voice"}
    clock.frozen = 104.5
    assert set(sas(tlist(hub, "to-spoke"))) == {"lan", "voice"}


def test_tunnel_ops_and_tunnels_stats(lab: Lab, clock: Clock) -> None:
    dial, hub = terms(lab, clock, "DIAL", "HUB")
    tunnels = dial.stats.snapshot()["DIAL"]["tunnels"]
    assert set(tunnels) == {"root/dial", "root/dial_0", "root/dial_1"}
    assert tunnels["root/dial_0"] == {"state": "up", "selectors_up": 1, "selectors_total": 1, "npu_offload": "enable",
                                      "sa_generation": 0, "npu_flags": ["03"]}
    assert tunnels["root/dial"]["npu_flags"] == [None] and tunnels["root/dial"]["selectors_up"] == 0
    run(dial, "diagnose vpn tunnel up dial", "diagnose vpn tunnel down nope", "diagnose vpn tunnel flush nope",
        "diagnose vpn ike gateway clear name nope", "diagnose vpn ike gateway flush", "diagnose vpn tunnel down dial dial_1",
        "diagnose vpn tunnel list")
    stats = dial.stats.snapshot()["DIAL"]
    assert stats["tunnel_ops"] == 6  # no-ops count, the list does not
    assert stats["tunnels"]["root/dial_1"] == {"state": "down", "selectors_up": 0, "selectors_total": 1,
                                               "npu_offload": "enable", "sa_generation": 1, "npu_flags": [None]}
    assert stats["tunnels"]["root/dial_0"]["sa_generation"] == 1  # renewed by the gateway flush
    hub_tunnels = hub.stats.snapshot()["HUB"]["tunnels"]
    assert hub_tunnels["root/broken"]["state"] == "down" and hub_tunnels["root/half"]["selectors_up"] == 1
    assert hub.stats.devices["HUB"].tunnel_ops == 0
    assert set(Terminal(lab.devices["MV"]).stats.snapshot()["MV"]["tunnels"]) == {"root/mv-root", "Branch/mv-branch"}


def test_ping_follows_the_live_selector_state(lab: Lab, clock: Clock) -> None:
    (hub,) = terms(lab, clock, "HUB")
    ping = ("execute ping-options repeat-count 1", "execute ping 10.2.0.1")
    assert "1 packets received" in one(hub, *ping)[-2]
    run(hub, "diagnose vpn tunnel down lan")
    assert "0 packets received" in one(hub, *ping)[-1]
    run(hub, "diagnose vpn tunnel up lan")
    assert "1 packets received" in one(hub, *ping)[-2]


def test_lab_validates_negotiation_ms() -> None:
    from fortisim.lab import LabError

    with pytest.raises(LabError, match=r"^devices\[0\]\(A\)\.negotiation_ms: 60001 is out of range 0-60000$"):
        parse_lab({"devices": [{"hostname": "A", "negotiation_ms": 60001}]})
    lab = parse_lab({"defaults": {"negotiation_ms": 250}, "devices": [{"hostname": "A"}]})
    assert lab.devices["A"].negotiation_ms == 250


# -- over SSH: the stats file follows pending negotiations -----------------------------------

def test_stats_file_follows_operations_over_ssh(tmp_path: Path) -> None:
    lab = {"devices": [{"hostname": "A", "negotiation_ms": 300}, {"hostname": "B"}],
           "tunnels": [{"name": "vpn", "a": {"device": "A"}, "b": {"device": "B"}}]}
    with running_lab(lab, tmp_path) as sim:

        def exec_lines(host: str, command: str) -> str:
            client = paramiko.SSHClient()
            client.load_host_keys(str(sim.known_hosts))
            client.connect("127.0.0.1", port=sim.hosts[host]["ansible_port"], username="admin", password="fortisim",
                           look_for_keys=False, allow_agent=False, timeout=10)
            try:
                return client.exec_command(command)[1].read().decode()
            finally:
                client.close()

        out = exec_lines("A", "diagnose vpn tunnel flush\ndiagnose vpn tunnel list")
        assert "proxyid=vpn proto=0 sa=0 " in out  # still negotiating
        # The file is rewritten once the negotiation completes, without any further command.
        stats = sim.wait_stats(lambda s: s["A"]["tunnel_ops"] == 1 and s["A"]["tunnels"]["root/vpn"]["selectors_up"] == 1)
        assert stats["A"]["tunnels"]["root/vpn"]["sa_generation"] == 1
        assert stats["B"]["tunnels"]["root/vpn"]["sa_generation"] == 1 and stats["B"]["tunnel_ops"] == 0
        spis_a = re.findall(r"(dec|enc): spi=(\w+)", exec_lines("A", "diagnose vpn tunnel list"))
        spis_b = re.findall(r"(dec|enc): spi=(\w+)", exec_lines("B", "diagnose vpn tunnel list"))
        assert [s for _unused, s in spis_a] == [s for _unused, s in spis_b][::-1] and len(spis_a) == 2
