# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests: parsers are total, keep their shape, and never leak key material."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.system_status import parse_system_status
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_summary import parse_tunnel_summary

FIXTURES = Path(__file__).parents[3] / "fixtures"
PARSERS: Dict[str, Callable[..., Dict[str, Any]]] = {
    "diagnose_vpn_tunnel_list": parse_tunnel_list,
    "get_vpn_ipsec_tunnel_summary": parse_tunnel_summary,
    "diagnose_vpn_ike_gateway_list": parse_ike_gateway_list,
    "get_system_status": parse_system_status,
}
ITEMS: Dict[str, Optional[str]] = {
    "diagnose_vpn_tunnel_list": "tunnels",
    "get_vpn_ipsec_tunnel_summary": "tunnels",
    "diagnose_vpn_ike_gateway_list": "gateways",
    "get_system_status": None,
}
TEXTS = [(d, p.read_bytes().decode("utf-8")) for d in sorted(PARSERS) for p in sorted((FIXTURES / d).glob("*.txt"))]
ALL_LINES = sorted({line for dummy, text in TEXTS for line in text.replace("\r", "\n").split("\n")})

_KEY_RE = re.compile(r"(?:key=\d+ |(?:key|SK_e[ir]|SK_a[ir]):[ \t]*)([0-9a-fA-F][0-9a-fA-F\-]*)")
_HEX_RUN_RE = re.compile(r"[0-9a-fA-F]{8,}")


def _secret_fragments(text: str) -> Set[str]:
    # Any 8-hex-digit window of printed key material counts as a leak if it shows up.
    windows: Set[str] = set()
    for value in _KEY_RE.findall(text):
        for run in _HEX_RUN_RE.findall(value):
            windows.update(run[i:i + 8] for i in range(len(run) - 7))
    return windows


ALL_SECRET_WINDOWS = set().union(*(_secret_fragments(text) for dummy, text in TEXTS))

RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_shape(command_dir: str, result: Any) -> None:
    assert isinstance(result, dict)
    assert isinstance(result["unparsed"], list)
    assert all(isinstance(line, str) for line in result["unparsed"])
    items = ITEMS[command_dir]
    if items:
        assert isinstance(result[items], list)
        assert all(isinstance(item, dict) for item in result[items])
    json.dumps(result)  # always serialisable


def check_no_leak(result: Any, windows: Set[str]) -> None:
    dumped = json.dumps(result)
    assert not [window for window in windows if window in dumped]


console_noise = st.sampled_from(["\r", "\r\n", "\x08", "--More-- ", "\t", "  ", "# ", "FGT # ", "=", ":", "->",
                                 "2024-05-01 10:00:01 ", "\x1b[0m", "'", "/", "-"])
text_strategy = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
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
    check_no_leak(result, _secret_fragments(text))


@RELAXED
@given(data=st.data())
def test_shuffled_and_dropped_lines_never_raise_or_leak(data: Any) -> None:
    command_dir, text = data.draw(st.sampled_from(TEXTS))
    lines: List[str] = text.split("\n")
    kept = data.draw(st.lists(st.sampled_from(lines), max_size=len(lines) + 5)) if lines else []
    result = PARSERS[command_dir]("\n".join(kept))
    check_shape(command_dir, result)
    check_no_leak(result, _secret_fragments(text))


@RELAXED
@given(lines=st.lists(st.sampled_from(ALL_LINES), max_size=60), command_dir=st.sampled_from(sorted(PARSERS)))
def test_any_parser_on_any_fixture_lines_never_leaks(lines: List[str], command_dir: str) -> None:
    result = PARSERS[command_dir]("\n".join(lines))
    check_shape(command_dir, result)
    check_no_leak(result, ALL_SECRET_WINDOWS)


@RELAXED
@given(data=st.data())
def test_parsing_is_deterministic_and_pure(data: Any) -> None:
    command_dir, text = data.draw(st.sampled_from(TEXTS))
    first = json.dumps(PARSERS[command_dir](text), sort_keys=True)
    assert json.dumps(PARSERS[command_dir](text), sort_keys=True) == first


def test_non_text_inputs() -> None:
    for command_dir, parser in PARSERS.items():
        for value in (None, b"\xff\xfe", 42, ["a"], object()):
            check_shape(command_dir, parser(value))
