"""Lab validation: every mistake is one line that names the offending key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
from sim_helpers import DEMO_LAB, PAIR

from fortisim.cli import main
from fortisim.lab import LabError, load_lab, parse_lab


def _mutate(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(PAIR)
    change(data)
    return data


def _dev(i: int, **kv: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["devices"][i].update(kv)


def _tun(**kv: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["tunnels"][0].update(kv)


CASES = [
    (lambda d: d.update(hosts=[]), "hosts: unknown key"),
    (_dev(0, version="7.3.1"), "devices[0](A).version: '7.3.1' is not a supported release"),
    (_dev(0, version=7.2), "devices[0](A).version: write the version as a quoted string"),
    (_dev(0, version="7.2"), "devices[0](A).version: '7.2' is not a version like '7.2.8'"),
    (_dev(1, vdom_mode="single"), "devices[1](B).vdom_mode: 'single' is not one of disable, multiple"),
    (_dev(1, vdoms=["root", "x"]), "devices[1](B).vdoms: extra VDOMs need vdom_mode: multiple"),
    (_dev(1, console_output="less"), "devices[1](B).console_output: 'less' is not one of standard, more"),
    (_dev(1, latency_ms=-1), "devices[1](B).latency_ms: -1 is out of range"),
    (_dev(0, hostname="bad name"), "devices[0].hostname: 'bad name' is not a valid hostname"),
    (_dev(1, hostname="A"), "devices[1].hostname: duplicate hostname 'A'"),
    (_dev(0, interfaces={"port1": "300.1.1.1"}), "devices[0](A).interfaces.port1: '300.1.1.1' is not an address"),
    (_dev(1, vdom_mode="multiple", vdoms=["root", "x"], admins=[{"username": "u", "password": "p", "vdom": "y"}]),
     "devices[1](B).admins[0].vdom: 'y' is not one of this device's vdoms"),
    (_dev(0, admins=[{"username": "u", "password": "p", "vdom": "root"}]),
     "devices[0](A).admins[0].vdom: VDOM-scoped admins need vdom_mode: multiple"),
    (lambda d: d["devices"][0].pop("hostname"), "devices[0].hostname: required key is missing"),
    (_tun(a={"device": "Z"}), "tunnels[0](vpn).a.device: 'Z' is not a device of this lab"),
    (_tun(a={"device": "A", "vdom": "other"}), "tunnels[0](vpn).a.vdom: 'other' is not a VDOM of A"),
    (_tun(a={"device": "A", "interface": "port9"}), "tunnels[0](vpn).a.interface: A has no interface 'port9'"),
    (_tun(a={"device": "A", "name": "a-name-longer-than-15"}), "tunnels[0](vpn).a.name: 'a-name-longer-than-15'"),
    (_tun(a={"device": "A", "colour": "red"}), "tunnels[0](vpn).a.colour: unknown key"),
    (_tun(phase1={"proposal": "aes999-sha1"}), "tunnels[0](vpn).phase1.proposal: 'aes999-sha1' is not a valid phase1"),
    (_tun(phase1={"dhgrp": [3]}), "tunnels[0](vpn).phase1.dhgrp: 3 is not a DH group"),
    (_tun(phase1={"ike_version": 3}), "tunnels[0](vpn).phase1.ike_version: 3 is not one of 1, 2"),
    (_tun(phase1={"type": "dynamic"}), "tunnels[0](vpn).a.phase1.type: must be static here (dial-up hubs go under dialup:)"),
    (_tun(phase2=[{"src_subnet": "10.1.0.1/24"}]), "tunnels[0](vpn).phase2[0].src_subnet: '10.1.0.1/24' is not an IPv4 subnet"),
    (_tun(phase2=[{"proposal": "aes128gcm-sha1x"}]), "tunnels[0](vpn).phase2[0].proposal: 'aes128gcm-sha1x'"),
    (_tun(b={"external": "203.0.113.9", "state": "up", "fault": "psk_mismatch"}),
     "tunnels[0](vpn).b.fault: a fault needs state: down"),
    (_tun(b={"external": "203.0.113.9", "state": "down", "fault": "gremlins"}),
     "tunnels[0](vpn).b.fault: 'gremlins' is not one of"),
    (_tun(b={"external": "not-an-ip"}), "tunnels[0](vpn).b.external: 'not-an-ip' is not an IPv4 address"),
    (_tun(a={"external": "203.0.113.8"}, b={"external": "203.0.113.9"}),
     "tunnels[0](vpn): at least one end must be a lab device"),
    (lambda d: d["tunnels"].append(copy.deepcopy(d["tunnels"][0])),
     "tunnels[1](vpn).a.name: A/root already has a tunnel named 'vpn'"),
    (lambda d: d.update(dialup=[{"name": "dial", "hub": {"external": "192.0.2.1"}, "spokes": [{"device": "B"}]}]),
     "dialup[0](dial).hub: the hub must be a lab device"),
    (lambda d: d.update(dialup=[{"name": "dial", "hub": {"device": "A", "name": "d"}, "spokes": []}]),
     "dialup[0](dial).spokes: expected a non-empty list of spokes"),
    (lambda d: d.update(devices=[]), "devices: the lab needs at least one device"),
]


@pytest.mark.parametrize("change,message", CASES, ids=[c[1].split(":")[0] + str(i) for i, c in enumerate(CASES)])
def test_lab_errors_name_the_key(change: Callable[[dict[str, Any]], None], message: str) -> None:
    with pytest.raises(LabError) as info:
        parse_lab(_mutate(change))
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("devices:\n  - hostname: A\n   version: x\n")
    with pytest.raises(LabError, match=r"invalid YAML at line \d+"):
        load_lab(bad)


def test_cli_prints_one_line_error_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("devices:\n  - {hostname: A, version: '9.9.9'}\n")
    assert main(["--lab", str(bad), "--inventory", str(tmp_path / "inv.yml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"fortisim: {bad}: devices[0](A).version:")
    assert "\n" not in err


def test_defaults_and_derived_values() -> None:
    lab = parse_lab({"defaults": {"username": "ops", "password": "pw", "version": "7.6.3", "latency_ms": 5},
                     "devices": [{"hostname": "X", "model": "FortiGate-200F"}]})
    dev = lab.devices["X"]
    assert (dev.primary_admin.username, dev.primary_admin.password) == ("ops", "pw")
    assert str(dev.release) == "7.6.3" and dev.latency_ms == 5
    assert dev.serial.startswith("FG200FTK") and len(dev.serial) == 16
    assert dev.interfaces["port1"].ip.is_private or str(dev.interfaces["port1"].ip).startswith("100.64.")


def test_demo_lab_loads() -> None:
    lab = load_lab(DEMO_LAB)
    trains = {d.release.train for d in lab.devices.values()}
    assert trains == {(6, 4), (7, 0), (7, 2), (7, 4), (7, 6)}
    assert 6 <= len(lab.devices) <= 8
    faults = {r.fault for r in lab.results}
    assert {"phase1_proposal_mismatch", "peer_unreachable"} <= faults
