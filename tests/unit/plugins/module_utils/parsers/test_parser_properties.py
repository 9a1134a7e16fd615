# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests over every registered parser: total, shape kept, deterministic, no key out.

Key material is whatever a fixture prints after `key=`, `key:`, `SK_e*`/`SK_a*:` (tunnel and
gateway lists), on `enc:`/`auth:` lines (tunnel details), and after `ENC` (configuration,
hidden even with include_keys=True). Any 8-hex window of a key, or 16-character window of
an `ENC` blob, in a result counts as a leak.
"""
from __future__ import annotations

import json
import re
from typing import Any, List, Set

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parser_registry import FIXTURES_DIR, PARSER_REGISTRY, parser_for

PARSERS = {command_dir: parser_for(command_dir) for command_dir in sorted(PARSER_REGISTRY)}
DICTS = {"get_vpn_ipsec_stats_tunnel": ["tunnels", "selectors"]}
CONFIG_DIRS = sorted(d for d in PARSERS if d.startswith("show_vpn_ipsec_"))

TEXTS = [(d, p.read_bytes().decode("utf-8")) for d in sorted(PARSERS) for p in sorted((FIXTURES_DIR / d).glob("*.txt"))]
ALL_LINES = sorted({line for dummy, text in TEXTS for line in text.replace("\r", "\n").split("\n")})

_KEY_RE = re.compile(r"(?:key=\d+ |(?:key|SK_e[ir]|SK_a[ir]):[ \t]*)([0-9a-fA-F][0-9a-fA-F\-]*)")
_DETAIL_KEY_RE = re.compile(r"^\s*(?:enc|auth):\s*\S+\s+([0-9a-fA-F]{8,})\s*$", re.MULTILINE)
_HEX_RUN_RE = re.compile(r"[0-9a-fA-F]{8,}")
_ENC_RE = re.compile(r"\bENC\s+(\S+)")


def _windows(value: str, size: int) -> Set[str]:
    return {value[i:i + size] for i in range(len(value) - size + 1)}


def key_windows(text: str) -> Set[str]:
    found: Set[str] = set()
    for value in _KEY_RE.findall(text) + _DETAIL_KEY_RE.findall(text):
        for run in _HEX_RUN_RE.findall(value):
            found |= _windows(run, 8)
    return found


def blob_windows(text: str) -> Set[str]:
    return set().union(*(_windows(value, 16) for value in _ENC_RE.findall(text)))


def secrets(text: str) -> Set[str]:
    return key_windows(text) | blob_windows(text)


ALL_SECRETS = set().union(*(secrets(text) for dummy, text in TEXTS))
ALL_BLOBS = set().union(*(blob_windows(text) for dummy, text in TEXTS))

RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_shape(command_dir: str, result: Any) -> None:
    assert isinstance(result, dict)
    assert isinstance(result["unparsed"], list)
    assert all(isinstance(line, str) for line in result["unparsed"])
    items = PARSER_REGISTRY[command_dir][2]
    if items:
        assert isinstance(result[items], list)
        assert all(isinstance(item, dict) for item in result[items])
    for key in DICTS.get(command_dir, []):
        assert isinstance(result[key], dict)
    json.dumps(result)  # always serialisable


def check_no_leak(result: Any, windows: Set[str]) -> None:
    dumped = json.dumps(result)
    assert not [window for window in windows if window in dumped]


console_noise = st.sampled_from(["\r", "\r\n", "\x08", "--More-- ", "\t", "  ", "# ", "FGT # ", "=", ":", "->", "'",
                                 '"', "(", ")", "/", "-", "2024-05-01 10:00:01 ", "\x1b[0m", "config ", "edit ",
                                 "set ", "next", "end", "SA", "selectors", "gateway"])
text_strategy = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    st.lists(st.one_of(st.sampled_from(ALL_LINES), console_noise, st.text(max_size=20))).map("\n".join),
    st.binary().map(lambda data: data.decode("utf-8", errors="replace")),
)


def test_leak_windows_exist() -> None:
    # The leak properties below must have something to bite on.
    assert len(ALL_SECRETS) > 1000 and len(ALL_BLOBS) > 500


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
    check_no_leak(result, secrets(text))
    check_no_leak(PARSERS[command_dir](piece, include_keys=True), blob_windows(text))


@RELAXED
@given(data=st.data())
def test_shuffled_and_dropped_lines_never_raise_or_leak(data: Any) -> None:
    command_dir, text = data.draw(st.sampled_from(TEXTS))
    lines: List[str] = text.split("\n")
    kept = data.draw(st.lists(st.sampled_from(lines), max_size=len(lines) + 5)) if lines else []
    result = PARSERS[command_dir]("\n".join(kept))
    check_shape(command_dir, result)
    check_no_leak(result, secrets(text))


@RELAXED
@given(lines=st.lists(st.sampled_from(ALL_LINES), max_size=60), command_dir=st.sampled_from(sorted(PARSERS)))
def test_any_parser_on_any_fixture_lines_never_leaks(lines: List[str], command_dir: str) -> None:
    result = PARSERS[command_dir]("\n".join(lines))
    check_shape(command_dir, result)
    check_no_leak(result, ALL_SECRETS)


@RELAXED
@given(lines=st.lists(st.sampled_from(ALL_LINES), max_size=60), command_dir=st.sampled_from(CONFIG_DIRS))
def test_config_secrets_hidden_even_with_include_keys(lines: List[str], command_dir: str) -> None:
    check_no_leak(PARSERS[command_dir]("\n".join(lines), include_keys=True), ALL_BLOBS)


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
            check_shape(command_dir, parser(value, include_keys=True))
