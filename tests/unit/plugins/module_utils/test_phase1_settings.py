# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning phase1-interface setting changes from real-format `show full-configuration`."""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils import phase1_settings as ps
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import parse_phase1_config

FIXTURES = Path(__file__).resolve().parents[3] / "unit" / "fixtures" / "show_vpn_ipsec_phase1_interface"


def _entry(case: str, name: str) -> dict:
    parsed = parse_phase1_config((FIXTURES / (case + ".txt")).read_text(encoding="utf-8"))
    entry = ps.find_entry(parsed, name)
    assert entry is not None
    return entry


def test_read_command_quotes_names() -> None:
    assert ps.read_command("to-hub") == "show full-configuration vpn ipsec phase1-interface to-hub"
    assert ps.read_command("to branch 7") == 'show full-configuration vpn ipsec phase1-interface "to branch 7"'


def test_full_configuration_gives_the_current_value() -> None:
    entry = _entry("v70_full_configuration_advpn_hub_nested", "HUB")
    assert ps.current(entry, {"npu_offload": "disable"}) == {"npu_offload": "enable"}


def test_no_change_when_the_value_is_already_set() -> None:
    entry = _entry("v70_full_configuration_advpn_hub_nested", "HUB")
    todo = ps.changes(ps.current(entry, {"npu_offload": "enable"}), {"npu_offload": "enable"})
    assert todo == [] and ps.config_commands("HUB", todo) == []


def test_change_produces_one_edit_block() -> None:
    entry = _entry("v70_full_configuration_advpn_hub_nested", "HUB")
    todo = ps.changes(ps.current(entry, {"npu_offload": "disable"}), {"npu_offload": "disable"})
    assert [(s.keyword, before, after) for s, before, after in todo] == [("npu-offload", "enable", "disable")]
    assert ps.config_commands("HUB", todo) == [
        "config vpn ipsec phase1-interface", "edit HUB", "set npu-offload disable", "next", "end"]
    assert ps.config_commands("to branch 7", todo)[1] == 'edit "to branch 7"'


def test_plain_show_lacks_defaults_so_the_setting_is_reported_missing() -> None:
    # Plain `show` omits npu-offload when it is at its default: the module must read
    # full-configuration, and says clearly when a device has no such setting at all.
    entry = _entry("v62_ikev1_two_edits", "to-hq")
    assert "npu_offload" not in entry
    with pytest.raises(ps.Phase1SettingError, match="no 'npu-offload' setting"):
        ps.current(entry, {"npu_offload": "enable"})


def test_diff_text_is_fortios_configuration() -> None:
    assert ps.config_text("HUB", {"npu_offload": "disable"}) == (
        'config vpn ipsec phase1-interface\n    edit "HUB"\n        set npu-offload disable\n    next\nend\n')


def test_every_setting_maps_an_option_to_a_cli_keyword() -> None:
    for setting in ps.SETTINGS:
        assert setting.keyword.replace("-", "_") == setting.option
        assert setting.choices and ps.BY_OPTION[setting.option] is setting
