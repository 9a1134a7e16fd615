"""The fault lab (labs/faults.yml) and the policy/route/path keys: every fault shows its evidence."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import Terminal, pair

from fortisim import netcfg, sniffer
from fortisim.clock import Clock
from fortisim.lab import LabError, load_lab, parse_lab
from fortisim.model import Lab
from fortisim.sa import tunnel_traffic

FAULTS_LAB = Path(__file__).resolve().parents[1] / "labs" / "faults.yml"

# tunnel -> spoke index N (spoke LAN 10.N.0.0/24), in the order of the lab file.
SPOKES = {"ok-1": 1, "ok-2": 2, "p1-prop": 3, "p2-prop": 4, "p2-pfs": 5, "psk": 6, "peerid": 7, "ikever": 8,
          "selector": 9, "pol-nat": 10, "rt-miss": 11, "rt-wrong": 12, "pol-miss": 13, "esp-blk": 14, "natt-off": 15}


@pytest.fixture(scope="module")
def lab() -> Lab:
    return load_lab(FAULTS_LAB)


def run(lab: Lab, host: str, *commands: str) -> str:
    return Terminal(lab.devices[host]).session(*(c + "\r" for c in commands))


def ping(lab: Lab, host: str, target: str, traced: bool = False) -> str:
    pre = ("diagnose debug flow trace start 10", "diagnose debug enable") if traced else ()
    return run(lab, host, *pre, "execute ping-options repeat-count 2", f"execute ping {target}")


def view(lab: Lab, host: str, name: str) -> Any:
    return next(v for v in lab.devices[host].views("root") if v.name == name)


def test_every_tunnel_has_one_expected_cause_and_the_negotiated_ones_match(lab: Lab) -> None:
    causes = {r.name: r.expected_cause for r in lab.results}
    assert len(causes) == len(lab.results) == 17
    assert [n for n, c in causes.items() if c == "none"] == ["ok-1", "ok-2"]
    assert len({lab.devices[h].release.train for h in lab.devices}) >= 4
    for res in lab.results:
        if res.fault is not None:
            assert res.fault == res.expected_cause, res
            assert res.state == "down" and res.dataplane is None
        elif res.dataplane is not None:
            assert res.dataplane == res.expected_cause and res.state == "up"
        else:
            assert res.state == "up"
            assert res.expected_cause in ("none", "nat_on_vpn_policy", "route_missing", "route_wrong_interface",
                                          "policy_missing")
    assert causes["p2-pfs"] == "phase2_proposal_mismatch"
    assert all(len(r.name) <= 15 for r in lab.results)


@pytest.mark.parametrize("name", ["ok-1", "ok-2"])
def test_healthy_pairs_ping_through_the_tunnel_both_ways(lab: Lab, name: str) -> None:
    spoke = f"BR-{name.upper()}"
    assert "2 packets received, 0% packet loss" in ping(lab, "HUB", f"10.{SPOKES[name]}.0.1")
    assert "2 packets received, 0% packet loss" in ping(lab, spoke, "10.0.0.1")


@pytest.mark.parametrize("name", ["p1-prop", "p2-prop", "p2-pfs", "psk", "peerid", "ikever", "selector"])
def test_negotiation_faults_keep_the_tunnel_down_and_pings_fail(lab: Lab, name: str) -> None:
    assert view(lab, "HUB", name).state == "down"
    assert "0 packets received, 100% packet loss" in ping(lab, "HUB", f"10.{SPOKES[name]}.0.1")
    # Policies and routes are in place: the fault is elsewhere.
    assert f'via {name} tunnel 198.51.100.' in run(lab, "HUB", "get router info routing-table all")


def test_policies_and_routes_of_a_healthy_end(lab: Lab) -> None:
    text = run(lab, "HUB", "show firewall policy 1", "show firewall policy 2")
    assert text.count("config firewall policy") == 2
    assert '        set srcintf "port3"\r\n        set dstintf "ok-1"\r\n        set action accept' in text
    assert '        set srcintf "ok-1"\r\n        set dstintf "port3"' in text
    assert 'set service "ALL"' in text and "set nat" not in text
    table = run(lab, "HUB", "get router info routing-table all")
    assert "Routing table for VRF=0" in table
    assert "S*      0.0.0.0/0 [10/0] via 198.51.100.254, port1, [1/0]" in table
    assert "S       10.1.0.0/24 [10/0] via ok-1 tunnel 198.51.100.11, [1/0]" in table
    assert "C       10.0.0.0/24 is directly connected, port3" in table
    # 6.4 has no trailing [1/0].
    old = run(lab, "BR-OK-2", "get router info routing-table all")
    assert "S       10.0.0.0/24 [10/0] via ok-2 tunnel 198.51.100.1\r\n" in old
    details = run(lab, "HUB", "get router info routing-table details 10.1.0.7")
    assert 'Routing entry for 10.1.0.0/24\r\n  Known via "static", distance 10, metric 0, best\r\n' in details
    assert "  * vrf 0 via ok-1 tunnel 198.51.100.11" in details
    lookup = run(lab, "HUB", "diagnose firewall iprope lookup 10.0.0.5 1234 10.1.0.5 443 tcp port3",
                 "diag firewall iprope lookup 10.1.0.5 0 10.0.0.5 0 1 ok-1")
    assert "<src [10.0.0.5-1234] dst [10.1.0.5-443] proto 6 dev port3> matches policy id: 1" in lookup
    assert "<src [10.1.0.5-0] dst [10.0.0.5-0] proto 1 dev ok-1> matches policy id: 2" in lookup
    bad = run(lab, "HUB", "diagnose firewall iprope lookup 10.0.0.5 x 10.1.0.5 443 tcp port3",
              "show firewall policy abc", "get router info routing-table details nope")
    assert bad.count("value parse error before") == 3


def test_policy_missing(lab: Lab) -> None:
    policies = run(lab, "HUB", "show firewall policy")
    assert '"pol-miss"' not in policies and '"ok-1"' in policies
    lookup = run(lab, "HUB", "diagnose firewall iprope lookup 10.0.0.5 1234 10.13.0.5 443 6 port3")
    assert "matches policy id: 0" in lookup
    text = ping(lab, "HUB", "10.13.0.1", traced=True)
    assert 'msg="Denied by forward policy check (policy 0)"' in text
    assert "enter IPSec interface pol-miss" not in text
    assert "0 packets received, 100% packet loss" in text
    # The far end is fine on its own side, but the hub denies what arrives.
    assert "0 packets received, 100% packet loss" in ping(lab, "BR-POL-MISS", "10.0.0.1")
    assert view(lab, "HUB", "pol-miss").state == "up"


def test_nat_on_vpn_policy(lab: Lab) -> None:
    pol = next(p for p in netcfg.policies(lab.devices["HUB"], "root") if p.dstintf == "pol-nat")
    text = run(lab, "HUB", f"show firewall policy {pol.id}")
    assert '        set dstintf "pol-nat"' in text and "        set nat enable\r\n    next" in text
    traced = ping(lab, "HUB", "10.10.0.1", traced=True)
    assert f'msg="Allowed by Policy-{pol.id}: SNAT"' in traced
    assert "output to IPSec tunnel pol-nat" in traced  # it leaves through the tunnel...
    assert "0 packets received, 100% packet loss" in traced  # ...and the peer drops it
    # The reverse direction does not pass through the NAT policy.
    assert "2 packets received" in ping(lab, "BR-POL-NAT", "10.0.0.1")


@pytest.mark.parametrize("name, port_line", [
    ("rt-miss", None),
    ("rt-wrong", "S       10.12.0.0/24 [10/0] via 198.51.100.254, port1, [1/0]"),
])
def test_route_missing_or_via_the_wan(lab: Lab, name: str, port_line: Any) -> None:
    net = f"10.{SPOKES[name]}.0"
    table = run(lab, "HUB", "get router info routing-table all")
    assert f"via {name} tunnel" not in table
    if port_line is None:
        assert f"{net}.0/24" not in table
    else:
        assert port_line in table
    details = run(lab, "HUB", f"get router info routing-table details {net}.9")
    assert "  * vrf 0 198.51.100.254, via port1" in details
    traced = ping(lab, "HUB", f"{net}.1", traced=True)
    assert 'msg="find a route: flag=04000000 gw-198.51.100.254 via port1"' in traced
    assert "IPSec" not in traced and "0 packets received, 100% packet loss" in traced
    assert view(lab, "HUB", name).state == "up"
    # The spoke's replies would come back, but the hub never sends into the tunnel.
    assert "0 packets received" in ping(lab, f"BR-{name.upper()}", "10.0.0.1")


def _sniff(lab: Lab, host: str, ticks: int = 3) -> list[sniffer.SimPacket]:
    device = lab.devices[host]
    spec = sniffer.parse_command(device, ["any", "esp", "4"], "diagnose sniffer packet any esp 4")
    traffic = sniffer.Traffic(device, spec, lambda: 100.0)
    return [p for tick in range(ticks) for p in traffic.burst(tick) if spec.predicate(p)]


@pytest.mark.parametrize("name", ["esp-blk", "natt-off"])
def test_esp_lost_on_the_path(lab: Lab, name: str) -> None:
    spoke = f"BR-{name.upper()}"
    for host in ("HUB", spoke):
        tun = view(lab, host, name)
        assert tun.state == "up" and all(s.up for s in tun.selectors)
        rxp, txp = tunnel_traffic(tun, 0)[:2]
        assert rxp == 0 and txp > 0
        assert tunnel_traffic(tun, 5000)[0] == 0  # and it does not grow
        listing = run(lab, host, f"diagnose vpn tunnel list name {name}")
        assert re.search(r"stat: rxp=0 txp=[1-9]", listing), listing
        packets = [p for p in _sniff(lab, host) if p.interface == tun.interface.name
                   and tun.remote_gw in (p.src, p.dst)]
        assert {p.direction for p in packets} == {"out"}
    assert "0 packets received, 100% packet loss" in ping(lab, "HUB", f"10.{SPOKES[name]}.0.1")
    assert "0 packets received, 100% packet loss" in ping(lab, spoke, "10.0.0.1")


def test_nat_t_disabled_ike_detects_the_nat_but_stays_on_500(lab: Lab) -> None:
    hub, spoke = view(lab, "HUB", "natt-off"), view(lab, "BR-NATT-OFF", "natt-off")
    assert not hub.nat and hub.local_port == hub.remote_port == 500
    assert (hub.natt_blocked, spoke.natt_blocked) == ("PEER", "ME")
    clock = Clock(frozen=100)
    text = Terminal(lab.devices["BR-NATT-OFF"], clock=clock).session(
        "diagnose debug application ike -1\r", "diagnose debug enable\r", "diagnose vpn ike gateway clear\r")
    assert "NAT detected: ME" in text


def test_external_peers_down(lab: Lab) -> None:
    for name in ("unreach", "dpd"):
        tun = view(lab, "HUB", name)
        assert tun.state == "down" and tun.fault == lab.result(name).expected_cause
    assert "0 packets received" in run(lab, "HUB", "execute ping-options repeat-count 1", "execute ping 203.0.113.20")


def test_keys_validate() -> None:
    data = pair(expected_cause="none", path={"esp_blocked": True})
    data["tunnels"][0]["a"] = {"device": "A", "policy": "nat", "route": "wrong_interface"}
    res = parse_lab(data).results[0]
    assert (res.expected_cause, res.dataplane) == ("none", "esp_blocked")
    for key, value, message in (("expected_cause", "bogus", "expected_cause: 'bogus' is not none or one of"),
                                ("path", {"esp": True}, "path.esp: unknown key")):
        bad = pair(**{key: value})
        with pytest.raises(LabError, match=re.escape(message)):
            parse_lab(bad)
    bad = copy.deepcopy(pair())
    bad["tunnels"][0]["b"] = {"device": "B", "policy": "allow"}
    with pytest.raises(LabError, match=r"tunnels\[0\]\(vpn\)\.b\.policy: 'allow' is not one of ok, missing, nat"):
        parse_lab(bad)
    bad["tunnels"][0]["b"] = {"device": "B", "route": "gone"}
    with pytest.raises(LabError, match=r"\.b\.route: 'gone' is not one of"):
        parse_lab(bad)


def test_labs_without_the_keys_have_policies_routes_but_unchanged_pings() -> None:
    lab = parse_lab(pair())
    # A has only a WAN interface: routes, but no policies (no LAN interface to pair with).
    assert netcfg.policies(lab.devices["A"], "root") == []
    assert [str(r.prefix) for r in netcfg.routes(lab.devices["A"], "root")] == [
        "0.0.0.0/0", "10.2.0.0/24", "198.51.100.0/24"]


def test_the_fault_lab_serves_and_exposes_expected_causes(tmp_path: Path) -> None:
    from fortisim.harness import running_lab

    with running_lab(FAULTS_LAB, tmp_path) as sim:
        assert len(sim.hosts) == 16
        assert {r.name: r.expected_cause for r in sim.lab.results}["esp-blk"] == "esp_blocked"
        assert sim.stats()["HUB"]["tunnels"]["root/esp-blk"]["state"] == "up"
