"""Tunnel details, the old tunnel list, tunnel stats, crypto status and phase1/phase2 config:
the fields each train prints, and agreement with ``diagnose vpn tunnel list`` and the peer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sim_helpers import DEMO_LAB, Terminal, pair_lab, trains_lab

from fortisim import render
from fortisim.clock import Clock
from fortisim.lab import load_lab, parse_lab
from fortisim.model import Device, Lab
from fortisim.render.config import enc_secret
from fortisim.render.ipsec import crypto_engines
from fortisim.sa import ipsec_sa

CLOCK = Clock(frozen=100)


@pytest.fixture(scope="module")
def trains() -> Lab:
    return trains_lab()


def _device(lab: Lab, version: str) -> Device:
    return next(d for d in lab.devices.values() if str(d.release) == version and d.hostname != "PEER")


def _gateways(lines: list[str]) -> dict[str, list[str]]:
    blocks: list[list[str]] = []
    for line in lines:
        if line == "gateway":
            blocks.append([])
        blocks[-1].append(line)
    return {b[1].split("'")[1]: b for b in blocks}


# -- get vpn ipsec tunnel details / name --------------------------------------------

@pytest.mark.parametrize("version,type_line,npu_line,padded", [
    ("6.4.15", False, False, False),
    ("7.0.17", False, False, False),
    ("7.2.10", False, True, True),
    ("7.4.7", True, True, True),
    ("7.6.3", True, True, True),
])
def test_details_fields_per_train(trains: Lab, version: str, type_line: bool, npu_line: bool, padded: bool) -> None:
    dev = _device(trains, version)
    idx = dev.hostname[1:]
    blocks = _gateways(render.tunnel_details(dev, "root", CLOCK))
    assert set(blocks) == {f"up{idx}", f"down{idx}", f"dead{idx}"}
    up = blocks[f"up{idx}"]
    peer_ip = trains.devices["PEER"].interfaces["port1"].ip
    assert up[:2] == ["gateway", f"  name: 'up{idx}'"]
    assert ("  type: route-based" in up) is type_line
    for line in (f"  local-gateway: {dev.interfaces['port1'].ip}:0 (static)", f"  remote-gateway: {peer_ip}:0 (static)",
                 "  dpd-link: on", "  mode: ike-v2", "  interface: 'port1' (3)",
                 "  dpd: on-demand/negotiated  idle: 20000ms  retry: 3  count: 0", "  selectors",
                 f"    name: 'up{idx}'", "    auto-negotiate: disable", "    mode: tunnel",
                 "    src: 0:0.0.0.0/0.0.0.0:0", "    dst: 0:0.0.0.0/0.0.0.0:0", "    SA", "      mtu: 1438",
                 "      replay: enabled", "      qat: 0", "      inbound", "      outbound"):
        assert line in up, line
    text = "\n".join(up)
    assert re.search(r"^  rx  packets: [1-9]\d*  bytes: \d+  errors: 0$", text, re.M)
    assert re.search(r"^  tx  packets: [1-9]\d*  bytes: \d+  errors: 0$", text, re.M)
    assert re.search(r"^      lifetime/rekey: 43200/\d+" + ("   $" if padded else "$"), text, re.M)
    assert re.search(r"^      tx-esp-seq: [0-9a-f]+$", text, re.M)
    assert len(re.findall(r"^        spi: [0-9a-f]{8}$", text, re.M)) == 2
    assert len(re.findall(r"^        enc:  aes-cb  [0-9a-f]{64}$", text, re.M)) == 2
    assert len(re.findall(r"^        auth: sha256  [0-9a-f]{64}$", text, re.M)) == 2
    assert ("      NPU acceleration: both" in up) is npu_line
    down = blocks[f"down{idx}"]
    assert "    SA" not in down and not any("spi:" in x or "NPU" in x for x in down)
    assert "  dpd: on-demand/not-negotiated  idle: 20000ms  retry: 3  count: 0" in down
    assert "  rx  packets: 0  bytes: 0  errors: 0" in down
    dead = blocks[f"dead{idx}"]
    assert "  remote-gateway: 203.0.113.99:0 (static)" in dead and "    SA" not in dead
    assert re.search(r"^  tx  packets: 0  bytes: 0  errors: [1-9]\d*$", "\n".join(dead), re.M)


def _sa_keys(text: str, direction: str) -> list[tuple[str, ...]]:
    return re.findall(rf"      {direction}\n        spi: (\w+)\n        enc: +\S+  (\w+)\n        auth: +\S+  (\w*)", text)


def test_details_agree_with_tunnel_list_and_peer() -> None:
    lab = pair_lab(phase2=[{"name": "lan", "src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24"},
                           {"name": "voice", "src_subnet": "10.1.1.0/24", "dst_subnet": "10.2.1.0/24",
                            "proposal": "aes128-sha1"}])
    a, b = lab.devices["A"], lab.devices["B"]
    det_a = "\n".join(render.tunnel_details(a, "root", CLOCK))
    det_b = "\n".join(render.tunnel_details(b, "root", CLOCK))
    tl_a = "\n".join(render.tunnel_list(a, "root", CLOCK))
    key_re = r"  {}: spi=(\w+) esp=\S+ key=\d+ (\w+)\n       ah=\S+ key=\d+ (\w*)"
    assert _sa_keys(det_a, "inbound") == re.findall(key_re.format("dec"), tl_a)
    assert _sa_keys(det_a, "outbound") == re.findall(key_re.format("enc"), tl_a)
    assert len(_sa_keys(det_a, "inbound")) == 2
    assert re.findall(r"lifetime/rekey: \d+/(\d+)", det_a) == re.findall(r"expire=(\d+)/", tl_a)
    assert re.findall(r"tx-esp-seq: (\w+)", det_a) == re.findall(r"seqno=(\w+) ", tl_a)
    assert re.findall(r"rx  packets: (\d+)  bytes: (\d+)", det_a) == re.findall(r"stat: rxp=(\d+) txp=\d+ rxb=(\d+)", tl_a)
    assert re.findall(r"tx  packets: (\d+)  bytes: (\d+)", det_a) == re.findall(r"stat: rxp=\d+ txp=(\d+) rxb=\d+ txb=(\d+)", tl_a)
    # What A sends with, B receives with.
    assert [k[0] for k in _sa_keys(det_a, "outbound")] == [k[0] for k in _sa_keys(det_b, "inbound")]
    assert _sa_keys(det_a, "inbound") == _sa_keys(det_b, "outbound")
    assert "        auth:   sha1  " in det_a and "    src: 0:10.1.1.0/255.255.255.0:0" in det_a
    assert "    src: 0:10.2.1.0/255.255.255.0:0" in det_b  # mirrored on the responder


def test_details_name_filter_gcm_dpd_and_nat() -> None:
    lab = parse_lab({
        "devices": [{"hostname": "HUB", "version": "7.4.7"}, {"hostname": "S", "version": "7.0.17"}],
        "tunnels": [{"name": "gcm", "phase1": {"proposal": "aes256gcm-prfsha256", "dpd": "disable"},
                     "phase2": [{"proposal": "aes256gcm"}], "a": {"device": "HUB"}, "b": {"device": "S"}}],
        "dialup": [{"name": "dial", "hub": {"device": "HUB"},
                    "spokes": [{"device": "S", "behind_nat": True, "nat_port": 40001}]}]})
    hub = lab.devices["HUB"]
    one = render.tunnel_details(hub, "root", CLOCK, "gcm")
    assert one[:2] == ["gateway", "  name: 'gcm'"] and one.count("gateway") == 1
    assert "  dpd: disabled" in one and "        auth:   null  " in one
    assert any(re.fullmatch(r"        enc:  aes-gc  [0-9a-f]{72}", x) for x in one)
    assert render.tunnel_details(hub, "root", CLOCK, "nope") == []
    assert render.tunnel_details(hub, "root", CLOCK, "dial") == []  # the parent is a template
    inst = render.tunnel_details(hub, "root", CLOCK, "dial_0")
    spoke_ip = lab.devices["S"].interfaces["port1"].ip
    assert f"  remote-gateway: {spoke_ip}:40001 (dynamic)" in inst
    assert any(re.fullmatch(r"  local-gateway: [\d.]+:4500 \(static\)", x) for x in inst)
    assert "  nat traversal mode: silent      interval: 10" in inst and "      mtu: 1422" in inst
    spoke = render.tunnel_details(lab.devices["S"], "root", CLOCK, "dial")
    assert "  nat traversal mode: keep-alive      interval: 10" in spoke


# -- get ipsec tunnel list ----------------------------------------------------------

def test_old_tunnel_list_rows_match_the_sas(trains: Lab) -> None:
    dev = _device(trains, "7.4.7")
    lines = render.ipsec_tunnel_list(dev, "root", CLOCK)
    assert lines[0].split() == ["NAME", "REMOTE-GW", "PROXY-ID-SOURCE", "PROXY-ID-DESTINATION", "STATUS", "TIMEOUT"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"up3", "down3", "dead3"} and all(len(r) == 6 for r in rows.values())
    up_view = next(v for v in dev.views("root") if v.name == "up3")
    sa = ipsec_sa(up_view, up_view.selectors[0], CLOCK.elapsed())
    assert sa is not None
    assert rows["up3"][2:] == ["0.0.0.0/0.0.0.0", "0.0.0.0/0.0.0.0", "up", str(sa.expire)]
    assert rows["down3"][4:] == ["down", "0"] and rows["dead3"][1] == "203.0.113.99:0"
    # every column starts where its header does
    header = lines[0]
    for line in lines[1:]:
        for column in ("REMOTE-GW", "PROXY-ID-SOURCE", "STATUS"):
            assert line[header.index(column) - 1] == " " and line[header.index(column)] != " "


def test_old_tunnel_list_one_row_per_selector() -> None:
    lab = load_lab(DEMO_LAB)
    lines = render.ipsec_tunnel_list(lab.devices["HUB-74"], "root", CLOCK)
    names = [line.split()[0] for line in lines[1:]]
    assert names.count("to-spoke70") == 2 and "to-partner" in names


# -- get vpn ipsec stats tunnel -----------------------------------------------------

def test_stats_tunnel_counts(trains: Lab) -> None:
    assert render.stats_tunnel(_device(trains, "6.4.15"), "root") == [
        "tunnels", "  total: 3", "  static/ddns: 3", "  dynamic: 0", "  manual: 0", "  errors: 2",
        "selectors", "  total: 3", "  up: 1"]
    demo = load_lab(DEMO_LAB)
    stats = render.stats_tunnel(demo.devices["DIAL-76"], "root")
    assert stats[1:6] == ["  total: 3", "  static/ddns: 0", "  dynamic: 3", "  manual: 0", "  errors: 0"]
    assert stats[7:] == ["  total: 2", "  up: 2"]
    # selectors agree with the summary
    summary = render.tunnel_summary(demo.devices["HUB-74"], "root")
    totals = [re.search(r"selectors\(total,up\): (\d+)/(\d+)", s).groups() for s in summary]  # type: ignore[union-attr]
    hub = render.stats_tunnel(demo.devices["HUB-74"], "root")
    assert hub[7:] == [f"  total: {sum(int(t) for t, u in totals)}", f"  up: {sum(int(u) for t, u in totals)}"]


# -- diagnose vpn ipsec status ------------------------------------------------------

def _status(lines: list[str]) -> dict[str, dict[str, tuple[int, int]]]:
    assert lines[0] == "All ipsec crypto devices in use:"
    engines: dict[str, dict[str, tuple[int, int]]] = {}
    engine = section = ""
    for line in lines[1:]:
        if not line.startswith(" "):
            engine = line.rstrip(":")
            engines[engine] = {}
        elif line.startswith("    ") and not line.startswith("     "):
            assert line in ("    Encryption (encrypted/decrypted):", "    Integrity (generated/validated):")
            section = "enc" if "Encryption" in line else "int"
        else:
            match = re.fullmatch(r"        ([\w-]+): (\d+) (\d+)", line)
            assert match, line
            engines[engine][f"{section}:{match.group(1)}"] = (int(match.group(2)), int(match.group(3)))
    return engines


def test_engine_names_per_model() -> None:
    assert crypto_engines("FortiGate-60F") == ("NP6XLITE_0", "CP9XLITE")
    assert crypto_engines("FortiGate-400F") == ("NP7_0", "CP9")
    assert crypto_engines("FortiGate-600E") == ("NP6_0", "CP9")
    assert crypto_engines("FortiGate-3000D") == ("NP6_0", "CP8")
    assert crypto_engines("FortiGate-VM64") == (None, None)


@pytest.mark.parametrize("version", ["6.4.15", "7.4.7"])
def test_ipsec_status_counts_follow_offload(version: str) -> None:
    tunnels: list[dict[str, Any]] = [
        {"name": "npu", "a": {"device": "A"}, "b": {"device": "VM"}},
        {"name": "cpu", "phase1": {"npu_offload": "disable"}, "phase2": [{"proposal": "aes128-sha1"}],
         "a": {"device": "A"}, "b": {"device": "VM"}},
        {"name": "chacha", "phase1": {"npu_offload": "disable"}, "phase2": [{"proposal": "chacha20poly1305"}],
         "a": {"device": "A", "vdom": "Other"}, "b": {"device": "VM"}},
        {"name": "dead", "a": {"device": "A"}, "b": {"external": "192.0.2.1", "state": "down"}},
    ]
    lab = parse_lab({"devices": [{"hostname": "A", "version": version, "model": "FortiGate-100F",
                                  "vdom_mode": "multiple", "vdoms": ["root", "Other"]},
                                 {"hostname": "VM", "version": version, "model": "FortiGate-VM64"}],
                     "tunnels": tunnels})
    a = lab.devices["A"]

    def sa_of(name: str) -> Any:
        view = next(v for vdom in a.vdoms for v in a.views(vdom) if v.name == name)
        return ipsec_sa(view, view.selectors[0], CLOCK.elapsed())

    npu, cp, chacha = sa_of("npu"), sa_of("cpu"), sa_of("chacha")
    status = _status(render.ipsec_status(a, CLOCK))
    assert list(status) == ["NP6XLITE_0", "CP9XLITE", "SOFTWARE"]
    assert status["NP6XLITE_0"]["enc:aes"] == status["NP6XLITE_0"]["int:sha256"] == (npu.enc_packets, npu.dec_packets)
    assert status["CP9XLITE"]["enc:aes"] == status["CP9XLITE"]["int:sha1"] == (cp.enc_packets, cp.dec_packets)
    assert status["SOFTWARE"]["enc:chacha20poly1305"] == (chacha.enc_packets, chacha.dec_packets)  # other VDOM too
    assert status["SOFTWARE"]["int:null"] == (0, 0)  # AEAD: no separate integrity
    total = sum(a + b for engine in status.values() for a, b in engine.values())
    assert total == sum(2 * (s.enc_packets + s.dec_packets) for s in (npu, cp)) + chacha.enc_packets + chacha.dec_packets
    vm = _status(render.ipsec_status(lab.devices["VM"], CLOCK))
    assert list(vm) == ["SOFTWARE"]
    assert vm["SOFTWARE"]["enc:aes"] == (npu.dec_packets + cp.dec_packets, npu.enc_packets + cp.enc_packets)


# -- show [full-configuration] vpn ipsec phase1-interface / phase2-interface -------------

@pytest.mark.parametrize("version,dh_default,extra_full,absent_full", [
    ("6.4.15", "14 5", [], ["set ppk disable", "set transport udp", "set qkd disable"]),
    ("7.0.17", "20 21", ["set ppk disable", "set network-overlay disable"], ["set transport udp"]),
    ("7.2.10", "20 21", ["set ppk disable"], ["set transport udp", "set qkd disable"]),
    ("7.4.7", "20 21", ["set transport udp"], ["set qkd disable"]),
    ("7.6.3", "20 21", ["set transport udp", "set qkd disable"], []),
])
def test_phase1_show_vs_full_per_train(version: str, dh_default: str, extra_full: list[str],
                                       absent_full: list[str]) -> None:
    lab = pair_lab(a={"device": "A"}, phase1={"dhgrp": dh_default, "psksecret": "s3cret-pair-psk"})
    dev = lab.devices["A"]
    dev.release = type(dev.release).parse(version)
    show = render.phase1_show(dev, "root", full=False)
    assert show == [
        "config vpn ipsec phase1-interface", '    edit "vpn"', '        set interface "port1"',
        "        set ike-version 2", "        set peertype any", "        set net-device disable",
        "        set proposal aes256-sha256 aes128-sha1", "        set remote-gw 198.51.100.2",
        show[8], "    next", "end"]
    assert re.fullmatch(r"        set psksecret ENC [A-Za-z0-9+/=]{100,140}", show[8])
    full = render.phase1_show(dev, "root", full=True)
    for line in ("set type static", "set ike-version 2", "set keylife 86400", "set mode main", "set dpd on-demand",
                 "set nattraversal enable", "set npu-offload enable", "set add-route enable",
                 f"set dhgrp {dh_default}", "set remote-gw 198.51.100.2", show[8].strip(), *extra_full):
        assert f"        {line}" in full, line
    for line in absent_full:
        assert f"        {line}" not in full
    assert set(show) <= set(full)
    assert "s3cret-pair-psk" not in "\n".join(full)


def test_phase1_show_non_defaults_and_filters() -> None:
    lab = parse_lab({
        "devices": [{"hostname": "A", "version": "7.2.10", "interfaces": {"port1": "198.51.100.1/24"}},
                    {"hostname": "H", "version": "7.2.10"}],
        "tunnels": [{"name": "v1", "phase1": {"ike_version": 1, "mode": "aggressive", "dpd": "on-idle",
                                              "keylife": 28800, "npu_offload": "disable", "peerid": "hub-id",
                                              "localid": "spoke-id", "nattraversal": "disable"},
                     "a": {"device": "A", "local_gw": "198.51.100.9"}, "b": {"external": "203.0.113.7"}}],
        "dialup": [{"name": "dial", "hub": {"device": "H"}, "spokes": [{"external": "192.0.2.5"}]}]})
    show = render.phase1_show(lab.devices["A"], "root", full=False, name="v1")
    body = [line.strip() for line in show[2:-2]]
    assert body[:4] == ["set interface \"port1\"", "set local-gw 198.51.100.9", "set keylife 28800", "set mode aggressive"]
    for line in ("set peertype one", 'set peerid "hub-id"', 'set localid "spoke-id"', "set nattraversal disable",
                 "set dpd on-idle", "set npu-offload disable", "set remote-gw 203.0.113.7"):
        assert line in body, line
    assert not any(line.startswith("set ike-version") for line in body)  # 1 is the default
    assert render.phase1_show(lab.devices["A"], "root", full=False, name="nope") == [
        "config vpn ipsec phase1-interface", "end"]
    hub = [line.strip() for line in render.phase1_show(lab.devices["H"], "root", full=False)]
    assert hub[2] == "set type dynamic" and not any("remote-gw" in line for line in hub)
    assert '    edit "dial_0"' not in render.phase1_show(lab.devices["H"], "root", full=True)  # instances are not config


def test_phase2_show_vs_full() -> None:
    lab = pair_lab(phase2=[{"name": "lan", "src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24",
                            "auto_negotiate": "enable", "keylifeseconds": 3600},
                           {"name": "voice", "src_subnet": "10.1.1.0/24", "dst_subnet": "10.2.1.0/24", "pfs": "disable",
                            "proposal": "aes128-sha1 aes256-sha256"}])
    show = render.phase2_show(lab.devices["A"], "root", full=False)
    assert show == [
        "config vpn ipsec phase2-interface",
        '    edit "lan"', '        set phase1name "vpn"', "        set proposal aes256-sha256", "        set dhgrp 14",
        "        set auto-negotiate enable", "        set keylifeseconds 3600",
        "        set src-subnet 10.1.0.0 255.255.255.0", "        set dst-subnet 10.2.0.0 255.255.255.0", "    next",
        '    edit "voice"', '        set phase1name "vpn"', "        set proposal aes128-sha1 aes256-sha256",
        "        set pfs disable", "        set src-subnet 10.1.1.0 255.255.255.0",
        "        set dst-subnet 10.2.1.0 255.255.255.0", "    next", "end"]
    full = render.phase2_show(lab.devices["B"], "root", full=True, name="lan")
    assert full[1] == '    edit "lan"' and full.count("    next") == 1
    for line in ("set pfs enable", "set replay enable", "set keylife-type seconds", "set encapsulation tunnel-mode",
                 "set src-subnet 10.2.0.0 255.255.255.0", "set dst-subnet 10.1.0.0 255.255.255.0",
                 "set auto-negotiate enable", "set keylifeseconds 3600"):
        assert f"        {line}" in full, line
    voice = render.phase2_show(lab.devices["A"], "root", full=True, name="voice")
    assert not any("dhgrp" in line for line in voice)  # hidden without PFS


def test_enc_secret_is_stable_long_and_opaque() -> None:
    one = enc_secret("demo-psk", "A", "root", "vpn")
    assert one == enc_secret("demo-psk", "A", "root", "vpn")
    assert one != enc_secret("demo-psk2", "A", "root", "vpn") and one != enc_secret("demo-psk", "B", "root", "vpn")
    assert one.startswith("ENC ") and 110 <= len(one) - 4 <= 140
    assert "demo-psk" not in one
    assert "A" not in enc_secret("A", "x")  # even a one-letter secret never shows


def test_plain_psk_never_printed_by_any_command() -> None:
    lab = load_lab(DEMO_LAB)
    secrets = {view.phase1.psksecret for dev in lab.devices.values() for views in dev.tunnels.values()
               for view in views}
    assert "demo-psk-72" in secrets
    commands = ["get vpn ipsec tunnel details", "get ipsec tunnel list", "get vpn ipsec tunnel summary",
                "get vpn ipsec stats tunnel", "diagnose vpn ipsec status", "diagnose vpn tunnel list",
                "diagnose vpn ike gateway list", "show vpn ipsec phase1-interface",
                "show full-configuration vpn ipsec phase1-interface", "show vpn ipsec phase2-interface",
                "show full-configuration vpn ipsec phase2-interface"]
    for dev in lab.devices.values():
        chunks = []
        for vdom in dev.vdoms:
            if dev.multi_vdom:
                chunks += ["config vdom\n", f"edit {vdom}\n"]
            chunks += [f"{cmd}\n" for cmd in commands] + (["end\n"] if dev.multi_vdom else [])
        out = Terminal(dev).session(*chunks)
        assert "set psksecret ENC " in out and "Command fail" not in out
        for secret in secrets:
            assert secret not in out, (dev.hostname, secret)
