"""Traffic counters move while the simulator runs (a pre/post change check needs that); `traffic: idle` stays at 0."""
from __future__ import annotations

import re

import pytest
from sim_helpers import pair, pair_lab

from fortisim import render
from fortisim.clock import Clock
from fortisim.lab import LabError, parse_lab
from fortisim.model import Device


def _counters(text: str) -> tuple[int, ...]:
    stat = re.search(r"stat: rxp=(\d+) txp=(\d+) rxb=(\d+) txb=(\d+)", text)
    assert stat, text
    return tuple(int(x) for x in stat.groups())


def _listing(device: Device, seconds: float) -> str:
    return "\n".join(render.tunnel_list(device, "root", Clock(frozen=seconds)))


def test_the_labs_own_sa_keeps_its_history_and_grows() -> None:
    a = pair_lab().devices["A"]
    start, later = _counters(_listing(a, 0)), _counters(_listing(a, 30))
    assert min(start) > 0
    assert all(after > before for before, after in zip(start, later))
    sa = re.findall(r"dec:pkts/bytes=(\d+)/(\d+), enc:pkts/bytes=(\d+)/(\d+)", _listing(a, 30))
    assert [int(x) for x in sa[0]] == [later[0], later[2], later[1], later[3]]  # the tunnel total is its SA


def test_a_rekeyed_lab_sa_restarts_small() -> None:
    a = pair_lab(phase2=[{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24", "keylifeseconds": 120}]).devices["A"]
    before = _counters(_listing(a, 0))
    wrapped = [_counters(_listing(a, s)) for s in range(0, 121, 10)]
    assert any(w[2] < before[2] for w in wrapped)  # past the key life the SA was replaced and counts from zero


def test_idle_tunnel_is_up_and_never_counts() -> None:
    data = pair()
    data["tunnels"][0]["traffic"] = "idle"
    lab = parse_lab(data)
    for device in ("A", "B"):
        text = _listing(lab.devices[device], 500)
        assert "sa=1" in text and _counters(text) == (0, 0, 0, 0)
        assert "dec:pkts/bytes=0/0, enc:pkts/bytes=0/0" in text


def test_traffic_value_is_validated() -> None:
    data = pair()
    data["tunnels"][0]["traffic"] = "bursty"
    with pytest.raises(LabError, match=r"tunnels\[0\]\(vpn\)\.traffic: 'bursty' is not one of flowing, idle"):
        parse_lab(data)
