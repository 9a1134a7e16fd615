"""Per-version output: the fields each train prints, and cross-device consistency."""

from __future__ import annotations

import re

import pytest
from sim_helpers import pair_lab

from fortisim import render
from fortisim.clock import Clock
from fortisim.lab import parse_lab
from fortisim.model import Device, Lab

CLOCK = Clock(frozen=100)


def _device(lab: Lab, version: str) -> Device:
    return next(d for d in lab.devices.values() if str(d.release) == version)


@pytest.fixture(scope="module")
def trains() -> Lab:
    """One device per train, each with an up tunnel (npu on), a down one (npu off) and a dead peer."""
    versions = ["6.4.15", "7.0.17", "7.2.10", "7.4.7", "7.6.3"]
    devices = [{"hostname": f"V{i}", "version": v} for i, v in enumerate(versions)]
    devices.append({"hostname": "PEER", "version": "7.2.10"})
    tunnels = []
    for i in range(len(versions)):
        tunnels.append({"name": f"up{i}", "a": {"device": f"V{i}"}, "b": {"device": "PEER"}})
        tunnels.append({"name": f"down{i}", "phase1": {"npu_offload": "disable"}, "a": {"device": f"V{i}"},
                        "b": {"device": "PEER", "phase1": {"psksecret": "wrong"}}})
        tunnels.append({"name": f"dead{i}", "a": {"device": f"V{i}"},
                        "b": {"external": "203.0.113.99", "state": "down"}})
    return parse_lab({"devices": devices, "tunnels": tunnels})


def _block(lines: list[str], name: str) -> list[str]:
    text = "\n".join(lines)
    return next(b for b in text.split("-" * 54) if f"name={name} " in b).strip().splitlines()


@pytest.mark.parametrize("version,tun_id,fec,dpd_status,range_selector", [
    ("6.4.15", False, False, False, False),
    ("7.0.17", True, False, False, True),
    ("7.2.10", True, True, False, True),
    ("7.4.7", True, True, True, True),
    ("7.6.3", True, True, True, True),
])
def test_tunnel_list_fields_per_train(trains: Lab, version: str, tun_id: bool, fec: bool,
                                      dpd_status: bool, range_selector: bool) -> None:
    dev = _device(trains, version)
    lines = render.tunnel_list(dev, "root", CLOCK)
    assert lines[0] == "list all ipsec tunnel in vd 0"
    idx = dev.hostname[1:]
    up = _block(lines, f"up{idx}")
    assert re.match(rf"name=up{idx} ver=2 serial=1 \d+\.\d+\.\d+\.\d+:0->\d+\.\d+\.\d+\.\d+:0", up[0])
    assert ("tun_id=" in up[0] and "dst_mtu=1500 dpd-link=on weight=1" in up[0]) is tun_id
    assert any(line.startswith("fec: egress=0 ingress=0") for line in up) is fec
    assert any(line.startswith("dpd:") and "status=ok" in line for line in up) is dpd_status
    assert ("  src: 0:0.0.0.0-255.255.255.255:0" in up) is range_selector
    assert ("  src: 0:0.0.0.0/0.0.0.0:0" in up) is not range_selector
    assert "proxyid=up%s proto=0 sa=1 ref=2 serial=1" % idx in up
    assert any(re.match(r"  npu_flag=03 npu_rgwy=\S+ npu_lgwy=\S+ npu_selid=0 dec_npuid=1 enc_npuid=1", x) for x in up)
    assert any(re.match(r"  dec: spi=[0-9a-f]{8} esp=aes key=32 [0-9a-f]{64}$", x) for x in up)
    assert "options[0228]=npu frag-rfc" in up[1]
    down = _block(lines, f"down{idx}")
    assert f"proxyid=down{idx} proto=0 sa=0 ref=1 serial=1" in down
    assert not any("SA:" in x or "npu_flag" in x for x in down)
    assert "options[0208]=frag-rfc" in down[1]


def test_npu_flag_00_when_offload_disabled() -> None:
    lab = pair_lab(phase1={"npu_offload": "disable"})
    lines = render.tunnel_list(lab.devices["A"], "root", CLOCK)
    assert any(x.startswith("  npu_flag=00 ") and x.endswith("dec_npuid=0 enc_npuid=0") for x in lines)


def test_both_ends_agree_on_spis_and_counters() -> None:
    lab = pair_lab()
    a = "\n".join(render.tunnel_list(lab.devices["A"], "root", CLOCK))
    b = "\n".join(render.tunnel_list(lab.devices["B"], "root", CLOCK))
    a_dec, a_enc = re.findall(r"(dec|enc): spi=(\w+)", a)
    b_dec, b_enc = re.findall(r"(dec|enc): spi=(\w+)", b)
    assert a_enc[1] == b_dec[1] and a_dec[1] == b_enc[1]
    a_cnt = re.search(r"dec:pkts/bytes=(\d+)/(\d+), enc:pkts/bytes=(\d+)/(\d+)", a).groups()  # type: ignore[union-attr]
    b_cnt = re.search(r"dec:pkts/bytes=(\d+)/(\d+), enc:pkts/bytes=(\d+)/(\d+)", b).groups()  # type: ignore[union-attr]
    assert a_cnt[:2] == b_cnt[2:] and a_cnt[2:] == b_cnt[:2]


def test_aead_sa_prints_null_ah_with_trailing_space() -> None:
    lab = pair_lab(phase2=[{"proposal": "aes256gcm"}], phase1={"proposal": "aes256gcm-prfsha256"})
    lines = render.tunnel_list(lab.devices["A"], "root", CLOCK)
    assert "       ah=null key=0 " in lines
    assert any(re.match(r"  enc: spi=\w{8} esp=aes-gcm key=36 [0-9a-f]{72}$", x) for x in lines)
    gw = render.gateway_list(lab.devices["A"], "root", CLOCK)
    assert "  SK_ai: " in gw and "  SK_ar: " in gw


@pytest.mark.parametrize("version,present,absent", [
    ("6.4.15", [], ["tun_id:", "PPK: no", "transport: UDP", "peer-id:", "QKD: no"]),
    ("7.0.17", ["tun_id:", "remote_location: 0.0.0.0", "network-id: 0", "PPK: no"], ["peer-id:", "transport: UDP"]),
    ("7.2.10", ["peer-id:", "PPK: no"], ["transport: UDP", "QKD: no"]),
    ("7.4.7", ["transport: UDP", "peer-id-auth: no"], ["QKD: no"]),
    ("7.6.3", ["transport: UDP", "QKD: no"], []),
])
def test_gateway_list_fields_per_train(trains: Lab, version: str, present: list[str], absent: list[str]) -> None:
    dev = _device(trains, version)
    text = "\n".join(render.gateway_list(dev, "root", CLOCK))
    blocks = {b.split("name: ")[1].split("\n")[0]: b for b in text.split("\nvd: ")[1:]}
    idx = dev.hostname[1:]
    up = blocks[f"up{idx}"]
    for field in present:
        assert field in up
    for field in absent:
        assert field not in up
    assert re.search(r"^addr: [\d.]+:500 -> [\d.]+:500$", up, re.M)
    assert re.search(r"^IKE SA: created 1/\d+  established 1/\d+  time \d+/\d+/\d+ ms$", up, re.M)
    assert re.search(r"^  status: established (\d+)-\1s ago = \d+ms$", up, re.M)
    assert re.search(r"^  direction: initiator$", up, re.M)
    assert re.search(r"^  SK_ei: [0-9a-f]{64}$", up, re.M)
    assert "addr: ->" in blocks[f"down{idx}"] and "id/spi" not in blocks[f"down{idx}"]
    dead = blocks[f"dead{idx}"]
    assert re.search(r"^  status: connecting, state 3, started \d+s ago$", dead, re.M)
    assert re.search(r"^  id/spi: \d+ [0-9a-f]{16}/0{16}$", dead, re.M)


def test_ikev1_gateway_prints_key_not_sk() -> None:
    lab = pair_lab(phase1={"ike_version": 1})
    text = "\n".join(render.gateway_list(lab.devices["A"], "root", CLOCK, name="vpn"))
    assert re.search(r"^  key: [0-9a-f]{16}(-[0-9a-f]{16}){3}$", text, re.M)
    assert "SK_ei" not in text and "message-id" not in text


def test_summary_line_format(trains: Lab) -> None:
    lines = render.tunnel_summary(_device(trains, "7.2.10"), "root")
    pattern = re.compile(r"^'(\S+)' ([\d.]+):(\d+)  selectors\(total,up\): (\d+)/(\d+)  "
                         r"rx\(pkt,err\): (\d+)/(\d+)  tx\(pkt,err\): (\d+)/(\d+)$")
    parsed = {m.group(1): m.groups() for m in map(pattern.match, lines) if m}
    assert len(parsed) == len(lines) == 3
    assert parsed["up2"][3:5] == ("1", "1") and parsed["down2"][3:5] == ("1", "0")
    assert int(parsed["dead2"][8]) > 0  # tx errors while the peer never answers


def test_dialup_rendering() -> None:
    lab = parse_lab({
        "devices": [{"hostname": "HUB", "version": "7.4.7"}, {"hostname": "S", "version": "7.2.10"}],
        "dialup": [{"name": "dial", "hub": {"device": "HUB"},
                    "spokes": [{"device": "S", "behind_nat": True, "nat_port": 40001},
                               {"external": "192.0.2.20", "state": "up"}]}]})
    hub = lab.devices["HUB"]
    full = render.tunnel_list(hub, "root", CLOCK)
    parent = _block(full, "dial")
    assert "mode=dialup/2" in parent[1] and "->0.0.0.0:0" in parent[0]
    assert any(x.startswith("proxyid_num=0 child_num=2 ") for x in parent)
    dl = render.dialup_list(hub, "root", CLOCK, "dial")
    inst = _block(dl, "dial_0")
    assert "mode=dial_inst/3" in inst[1] and "parent=dial index=0" in inst
    assert inst[0].endswith("status=up") and ":4500->" in inst[0] and ":40001 " in inst[0]
    assert "natt: mode=silent draft=0 interval=10 remote_port=40001" in inst
    assert "name=dial " not in "\n".join(dl)  # the parent is not in dialup-list
    summary = render.tunnel_summary(hub, "root")
    assert [s.split()[0] for s in summary] == ["'dial_0'", "'dial_1'"]
    assert summary[0].split()[1] == f"{lab.devices['S'].interfaces['port1'].ip}:40001"
    gw = "\n".join(render.gateway_list(hub, "root", CLOCK))
    assert "name: dial_0" in gw and "name: dial\n" not in gw and "direction: responder" in gw


@pytest.mark.parametrize("version,label,extra", [
    ("6.4.15", "(GA)", None), ("7.2.8", "(GA.M)", "Security Level: 2"),
    ("7.4.7", "(GA.M)", "Last reboot reason: warm reboot"), ("7.6.3", "(GA.F)", "OT-Threat-DB: "),
])
def test_system_status(version: str, label: str, extra: str) -> None:
    lab = parse_lab({"devices": [{"hostname": "S1", "version": version, "model": "FortiGate-60F",
                                  "vdom_mode": "multiple", "vdoms": ["root", "Edge"]}]})
    lines = render.system_status(lab.devices["S1"], "Edge", CLOCK)
    version_line = lines[0]
    assert re.match(rf"^Version: FortiGate-60F v{re.escape(version)},build\d{{4}},\d{{6}} {re.escape(label)}$",
                    version_line)
    # what netmiko's fortinet driver looks for
    assert re.search(r"^Version\s*:\s+.*v[678]\..*$", version_line)
    for needed in ("Hostname: S1", "Operation Mode: NAT", "Current virtual domain: Edge",
                   "Virtual domain configuration: multiple", "Current HA mode: standalone",
                   "Virtual domains status: 2 in NAT mode, 0 in TP mode"):
        assert needed in lines
    assert any(x.startswith("Serial-Number: FGT60F") for x in lines)
    if extra:
        assert any(x.startswith(extra) for x in lines)
    if version.startswith("6."):
        assert not any(x.startswith("Security Level") for x in lines)


def test_ha_role_names_by_train() -> None:
    lab = parse_lab({"devices": [{"hostname": "H6", "version": "6.4.15", "ha_mode": "a-p"},
                                 {"hostname": "H7", "version": "7.2.10", "ha_mode": "a-p"}]})
    assert "Current HA mode: a-p, master" in render.system_status(lab.devices["H6"], "root", CLOCK)
    assert "Current HA mode: a-p, primary" in render.system_status(lab.devices["H7"], "root", CLOCK)


def test_console_outputs() -> None:
    assert render.console_get("standard")[0] == "output              : standard"
    assert render.console_show("standard", full=True)[:2] == ["config system console", "    set output standard"]
    assert render.console_show("more", full=False) == ["config system console", "end"]
