# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`get vpn ipsec tunnel summary` and `get system status` parsers."""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.system_status import (
    parse_system_status,
    version_tuple,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_summary import parse_tunnel_summary

FIXTURES = Path(__file__).parents[3] / "fixtures"
SUMMARY_FIELDS = {"name", "remote_ip", "remote_port", "selectors_total", "selectors_up", "rx_packets",
                  "rx_errors", "tx_packets", "tx_errors"}


def test_summary_fields_and_values() -> None:
    result = parse_tunnel_summary((FIXTURES / "get_vpn_ipsec_tunnel_summary" / "v62_site_to_site.txt").read_text())
    assert [SUMMARY_FIELDS <= set(t) for t in result["tunnels"]] == [True, True]
    backup = result["tunnels"][1]
    assert (backup["name"], backup["remote_ip"], backup["selectors_total"], backup["selectors_up"],
            backup["tx_errors"]) == ("to-hq-backup", "203.0.113.20", 1, 0, 14)


def test_summary_names_with_spaces_and_instances() -> None:
    path = FIXTURES / "get_vpn_ipsec_tunnel_summary" / "v72_dialup_instances_names_with_spaces.txt"
    tunnels = {t["name"]: t for t in parse_tunnel_summary(path.read_text())["tunnels"]}
    assert set(tunnels) == {"HUB-DIAL_0", "HUB-DIAL_1", "to branch 7", "remote users_0", "L2TP-RA_0"}
    assert (tunnels["HUB-DIAL_1"]["remote_port"], tunnels["to branch 7"]["selectors_up"]) == (64916, 1)


@pytest.mark.parametrize("line, name, ip, port", [
    ("'it''s' 192.0.2.1:0  selectors(total,up): 1/1  rx(pkt,err): 1/0  tx(pkt,err): 1/0", "it''s", "192.0.2.1", 0),
    ("'v6 peer' 2001:db8::2:500  selectors(total,up): 1/0  rx(pkt,err): 0/0  tx(pkt,err): 0/0",
     "v6 peer", "2001:db8::2", 500),
    ("'tabs'\t192.0.2.9:4500\tselectors(total,up): 2/2\trx(pkt,err): 5/1\ttx(pkt,err): 6/2", "tabs", "192.0.2.9", 4500),
])
def test_summary_odd_lines(line: str, name: str, ip: str, port: int) -> None:
    tunnel = parse_tunnel_summary(line)["tunnels"][0]
    assert (tunnel["name"], tunnel["remote_ip"], tunnel["remote_port"]) == (name, ip, port)


def test_summary_garbage_is_unparsed() -> None:
    result = parse_tunnel_summary("Unknown action 0\n'x' 192.0.2.1:0  selectors(total,up): 1/")
    assert result == {"tunnels": [], "unparsed": ["Unknown action 0", "'x' 192.0.2.1:0  selectors(total,up): 1/"]}
    assert parse_tunnel_summary("", include_keys=True) == {"tunnels": [], "unparsed": []}


def test_status_contract_and_extras() -> None:
    status = parse_system_status((FIXTURES / "get_system_status" / "v72_standalone.txt").read_text())
    assert {k: status[k] for k in ("version", "build", "model", "hostname", "serial", "vdom_mode", "ha_mode")} == {
        "version": "7.2.5", "build": 1517, "model": "FortiGate-60F", "hostname": "FGT60F-BR7",
        "serial": "FGT60FTK2309ZZZZ", "vdom_mode": "disable", "ha_mode": "standalone"}
    assert (status["major_minor"], status["release_type"], status["branch_point"]) == ("7.2", "GA.F", 1517)
    assert version_tuple(status) == (7, 2, 5)
    assert status["other"]["virus_db"].startswith("91.")


def test_status_ha_master_and_multi_vdom() -> None:
    old = parse_system_status((FIXTURES / "get_system_status" / "v62_ha_a_p_master.txt").read_text())
    assert (old["ha_mode"], old["ha_cluster_mode"], old["ha_role"], old["release_type"]) == (
        "a-p, master", "a-p", "master", "GA")
    new = parse_system_status((FIXTURES / "get_system_status" / "v74_multi_vdom_ha_primary.txt").read_text())
    assert (new["vdom_mode"], new["vdoms_nat"], new["vdoms_tp"], new["ha_role"]) == ("multiple", 3, 1, "primary")
    split = parse_system_status((FIXTURES / "get_system_status" / "v70_split_task_vm.txt").read_text())
    assert (split["vdom_mode"], split["build"], split["branch_point"]) == ("split-task", 523, 523)


@pytest.mark.parametrize("line, model, version, build, release", [
    ("Version: FortiGate-VM64 v6.0.4,build0231,190107 (GA)", "FortiGate-VM64", "6.0.4", 231, "GA"),
    ("Version: FortiWiFi-61F v7.4.5,build2702,240815 (interim)", "FortiWiFi-61F", "7.4.5", 2702, "interim"),
    ("Version: FortiGate-40F v7.6.1,build3355,241031", "FortiGate-40F", "7.6.1", 3355, None),
])
def test_status_version_variants(line: str, model: str, version: str, build: int, release: str) -> None:
    status = parse_system_status(line)
    assert (status["model"], status["version"], status["build"], status["release_type"]) == (
        model, version, build, release)
    assert status["unparsed"] == []


def test_status_unparsable_lines() -> None:
    status = parse_system_status("Version: weird\nCommand fail. Return code -61\nNewField: x")
    assert status["version"] is None and version_tuple(status) is None
    assert status["unparsed"] == ["Version: weird", "Command fail. Return code -61"]
    assert status["other"] == {"newfield": "x"}


def test_summary_keeps_appended_columns() -> None:
    line = "'a' 192.0.2.1:0  selectors(total,up): 1/1  rx(pkt,err): 1/0  tx(pkt,err): 1/0  new(x): 7"
    tunnel = parse_tunnel_summary(line)["tunnels"][0]
    assert tunnel["tx_errors"] == 0 and tunnel["other"] == {"trailing": "new(x): 7"}
