# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests for the details / stats / crypto status / config / ping / old tunnel list parsers.

Same properties as test_parser_properties.py (which lists its own parsers): total, shape
kept, deterministic, and no key material out, whatever the input. Key material here is
the hex of `enc:`/`auth:` lines (tunnel details) and the `ENC` blobs of the configuration,
which must stay hidden even with include_keys=True.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_status import parse_ipsec_status
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ipsec_tunnel_list import parse_ipsec_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ping import parse_ping
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.stats_tunnel import parse_stats_tunnel
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_details import parse_tunnel_details
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import (
    parse_phase1_config,
    parse_phase2_config,
)

FIXTURES = Path(__file__).parents[3] / "fixtures"
PARSERS: Dict[str, Callable[..., Dict[str, Any]]] = {
    "get_ipsec_tunnel_list": parse_ipsec_tunnel_list,
    "get_vpn_ipsec_tunnel_details": parse_tunnel_details,
    "get_vpn_ipsec_stats_tunnel": parse_stats_tunnel,
    "diagnose_vpn_ipsec_status": parse_ipsec_status,
    "show_vpn_ipsec_phase1_interface": parse_phase1_config,
    "show_vpn_ipsec_phase2_interface": parse_phase2_config,
    "execute_ping": parse_ping,
}
ITEMS: Dict[str, Optional[str]] = {
    "get_ipsec_tunnel_list": "tunnels",
    "get_vpn_ipsec_tunnel_details": "tunnels",
    "get_vpn_ipsec_stats_tunnel": None,
    "diagnose_vpn_ipsec_status": "devices",
    "show_vpn_ipsec_phase1_interface": "phase1",
    "show_vpn_ipsec_phase2_interface": "phase2",
    "execute_ping": None,
}
DICTS: Dict[str, List[str]] = {"get_vpn_ipsec_stats_tunnel": ["tunnels", "selectors"]}
ALWAYS_HIDDEN = frozenset(("show_vpn_ipsec_phase1_interface", "show_vpn_ipsec_phase2_interface"))

TEXTS = [(d, p.read_bytes().decode("utf-8")) for d in sorted(PARSERS) for p in sorted((FIXTURES / d).glob("*.txt"))]
ALL_LINES = sorted({line for dummy, text in TEXTS for line in text.replace("\r", "\n").split("\n")})

_DETAIL_KEY_RE = re.compile(r"^\s*(?:enc|auth):\s*\S+\s+([0-9a-fA-F]{8,})\s*$", re.MULTILINE)
_ENC_RE = re.compile(r"\bENC\s+(\S+)")


def _windows(value: str, size: int) -> Set[str]:
    return {value[i:i + size] for i in range(len(value) - size + 1)}


def hex_windows(text: str) -> Set[str]:
    found: Set[str] = set()
    for value in _DETAIL_KEY_RE.findall(text):
        found |= _windows(value, 8)
    return found


def blob_windows(text: str) -> Set[str]:
    found: Set[str] = set()
    for value in _ENC_RE.findall(text):
        found |= _windows(value, 16)
    return found


ALL_HEX = set().union(*(hex_windows(text) for dummy, text in TEXTS))
ALL_BLOBS = set().union(*(blob_windows(text) for dummy, text in TEXTS))

RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_shape(command_dir: str, result: Any) -> None:
    assert isinstance(result, dict)
    assert isinstance(result["unparsed"], list)
    assert all(isinstance(line, str) for line in result["unparsed"])
    items = ITEMS[command_dir]
    if items:
        assert isinstance(result[items], list)
        assert all(isinstance(item, dict) for item in result[items])
    for key in DICTS.get(command_dir, []):
        assert isinstance(result[key], dict)
    json.dumps(result)


def check_no_leak(result: Any, windows: Set[str]) -> None:
    dumped = json.dumps(result)
    assert not [window for window in windows if window in dumped]


console_noise = st.sampled_from(["\r", "\r\n", "\x08", "--More-- ", "\t", "  ", "# ", "FGT # ", "=", ":", "->", "'",
                                 '"', "(", ")", "/", "-", "2024-05-01 10:00:01 ", "\x1b[0m", "config ", "edit ",
                                 "set ", "next", "end", "SA", "selectors", "gateway"])
text_strategy = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(ALL_LINES), console_noise, st.text(max_size=20))).map("\n".join),
    st.binary().map(lambda data: data.decode("utf-8", errors="replace")),
)


@RELAXED
@given(text=text_strategy, command_dir=st.sampled_from(sorted(PARSERS)), include_keys=st.booleans())
def test_arbitrary_text_never_raises(text: str, command_dir: str, include_keys: bool) -> None:
    check_shape(command_dir, PARSERS[command_dir](text, include_keys=include_keys))


@RELAXED
@given(data=st.data())
def test_truncated_fixtures_never_raise_or_leak(data: Any) -> None:
    command_dir, text = data.draw(st.sampled_from(TEXTS))
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))
    piece = text[start:end]
    result = PARSERS[command_dir](piece)
    check_shape(command_dir, result)
    check_no_leak(result, hex_windows(text) | blob_windows(text))
    check_no_leak(PARSERS[command_dir](piece, include_keys=True), blob_windows(text))


@RELAXED
@given(data=st.data())
def test_shuffled_and_dropped_lines_never_raise_or_leak(data: Any) -> None:
    command_dir, text = data.draw(st.sampled_from(TEXTS))
    lines: List[str] = text.split("\n")
    kept = data.draw(st.lists(st.sampled_from(lines), max_size=len(lines) + 5)) if lines else []
    result = PARSERS[command_dir]("\n".join(kept))
    check_shape(command_dir, result)
    check_no_leak(result, hex_windows(text) | blob_windows(text))


@RELAXED
@given(lines=st.lists(st.sampled_from(ALL_LINES), max_size=60), command_dir=st.sampled_from(sorted(PARSERS)))
def test_any_parser_on_any_fixture_lines_never_leaks(lines: List[str], command_dir: str) -> None:
    result = PARSERS[command_dir]("\n".join(lines))
    check_shape(command_dir, result)
    check_no_leak(result, ALL_HEX | ALL_BLOBS)


@RELAXED
@given(lines=st.lists(st.sampled_from(ALL_LINES), max_size=60),
       command_dir=st.sampled_from(sorted(ALWAYS_HIDDEN)))
def test_config_secrets_hidden_even_with_include_keys(lines: List[str], command_dir: str) -> None:
    check_no_leak(PARSERS[command_dir]("\n".join(lines), include_keys=True), ALL_BLOBS)


@RELAXED
@given(data=st.data())
def test_parsing_is_deterministic_and_pure(data: Any) -> None:
    command_dir, text = data.draw(st.sampled_from(TEXTS))
    first = json.dumps(PARSERS[command_dir](text), sort_keys=True)
    assert json.dumps(PARSERS[command_dir](text), sort_keys=True) == first


def test_leak_windows_exist() -> None:
    # The leak properties above must have something to bite on.
    assert len(ALL_HEX) > 500 and len(ALL_BLOBS) > 500


def test_non_text_inputs() -> None:
    for command_dir, parser in PARSERS.items():
        for value in (None, b"\xff\xfe", 42, ["a"], object()):
            check_shape(command_dir, parser(value))
            check_shape(command_dir, parser(value, include_keys=True))
