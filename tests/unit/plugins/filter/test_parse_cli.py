"""The parse_cli filter: same data as the modules, clear errors."""
from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.filter.parse_cli import FilterModule

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
parse_cli = FilterModule().filters()["parse_cli"]


def test_filter_parses_a_fixture_with_an_abbreviated_command() -> None:
    text = next((FIXTURES / "diagnose_vpn_tunnel_list").glob("v72_*.txt")).read_text()
    parsed = parse_cli(text, "diag vpn tun list")
    assert parsed["tunnels"]
    assert all(sa["inbound"]["key"] in ("<redacted>", None)
               for t in parsed["tunnels"] for p in t["proxyids"] for sa in p["sas"])


def test_filter_returns_keys_only_when_asked() -> None:
    text = next((FIXTURES / "diagnose_vpn_tunnel_list").glob("v72_gcm*.txt")).read_text()
    keyed = parse_cli(text, "diagnose vpn tunnel list", include_keys=True)
    keys = [sa["inbound"]["key"] for t in keyed["tunnels"] for p in t["proxyids"] for sa in p["sas"]]
    assert keys and all(k not in (None, "<redacted>") for k in keys)


def test_unknown_command_is_a_clear_filter_error() -> None:
    with pytest.raises(AnsibleFilterError, match=r"^parse_cli: no parser for 'diagnose vpn tunnel flush'; supported commands"):
        parse_cli("x", "diagnose vpn tunnel flush")
    with pytest.raises(AnsibleFilterError, match="give the command"):
        parse_cli("x", "")


def test_none_text_is_empty_output() -> None:
    assert parse_cli(None, "get vpn ipsec tunnel summary") == {"tunnels": [], "unparsed": []}
