# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fuzzing every parser, the streaming parsers' feed/close API, `find_parser` and `parse_cli`.

Every parser wraps its work in `except Exception` so that odd output never sinks a run. That
guard would also hide real bugs (a whole output lost to one bad line), so these properties run
the parsers with the guards switched off (`guards_off`): the parsers must be total on their own.
Then: the contract keys are there with the right types, the result is JSON, and parsing is
deterministic. The registry test makes sure no parser (or `parse_cli` command) is left out.
"""
from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import random
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parser_registry import FIXTURES_DIR, PARSER_REGISTRY, parser_for

from ansible_collections.fortidiag.ipsec.plugins.filter.parse_cli import FilterModule
from ansible_collections.fortidiag.ipsec.plugins.module_utils import cli_commands
from ansible_collections.fortidiag.ipsec.plugins.module_utils import parsers as parsers_pkg
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers import common, linestream, vpn_config
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import FlowTraceStream
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import IkeDebugStream
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import SnifferStream

FILTER = FilterModule().filters()["parse_cli"]
PARSERS: Dict[str, Callable[..., Dict[str, Any]]] = {d: parser_for(d) for d in sorted(PARSER_REGISTRY)}
DIRS = sorted(PARSERS)
PARSER_MODULES = [importlib.import_module("%s.%s" % (parsers_pkg.__name__, info.name))
                  for info in pkgutil.iter_modules(parsers_pkg.__path__)]

# Contract keys (../shared/contract/parsed-facts.md) beyond the item list and `unparsed`.
CONTRACT_KEYS: Dict[str, Dict[str, type]] = {
    "get_vpn_ipsec_stats_tunnel": {"tunnels": dict, "selectors": dict},
    "diagnose_debug_application_ike": {"findings": list, "stats": dict},
    "diagnose_sniffer_packet": {"summary": dict},
    "get_system_status": {k: object for k in ("version", "build", "model", "hostname", "serial", "vdom_mode", "ha_mode")},
    "execute_ping": {k: object for k in ("transmitted", "received", "loss_percent", "rtt_min", "rtt_avg", "rtt_max")},
}
STREAMS = {
    "diagnose_debug_application_ike": (IkeDebugStream, "max_events"),
    "diagnose_debug_flow": (FlowTraceStream, "max_traces"),
    "diagnose_sniffer_packet": (SnifferStream, "max_packets"),
}


def _read(path: Path) -> str:
    with open(str(path), encoding="utf-8", newline="") as handle:  # keep lone \r as captured
        return handle.read()


TEXTS = [(d, _read(p)) for d in DIRS for p in sorted((FIXTURES_DIR / d).glob("*.txt"))]
ALL_LINES = sorted({line for dummy, text in TEXTS for line in text.split("\n")})

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


class _NeverRaised(BaseException):
    """Stands in for `Exception` in the parser modules: no real error is one, so no guard catches."""


@contextmanager
def guards_off() -> Iterator[None]:
    # `except Exception` looks the name up in the module's globals before the builtins.
    for module in PARSER_MODULES:
        module.Exception = _NeverRaised  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in PARSER_MODULES:
            del module.Exception  # type: ignore[attr-defined]


def check_shape(command_dir: str, result: Any) -> None:
    assert isinstance(result, dict)
    assert isinstance(result["unparsed"], list) and all(isinstance(line, str) for line in result["unparsed"])
    items = PARSER_REGISTRY[command_dir][2]
    if items:
        assert isinstance(result[items], list) and all(isinstance(item, dict) for item in result[items])
    for key, kind in CONTRACT_KEYS.get(command_dir, {}).items():
        assert key in result and isinstance(result[key], kind), key
    json.dumps(result)


def parse_strict(command_dir: str, text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse with the guards off, twice: must not raise, keep its shape and be deterministic."""
    with guards_off():
        result = PARSERS[command_dir](text, include_keys=include_keys)
        again = PARSERS[command_dir](text, include_keys=include_keys)
    check_shape(command_dir, result)
    assert json.dumps(result, sort_keys=True) == json.dumps(again, sort_keys=True)
    return result


# -- inputs -----------------------------------------------------------------------------
_CONTROL = st.sampled_from(["\x00", "\r", "\r\n", "\n\r", "\x08", "\x1b[0m", "\x1b[K", "\x7f", "\t", "\x0c", "\u2028",
                            "\x85", "\ufeff", "\udcff", "--More--", "--More-- \r          \r"])
raw_bytes = st.binary(max_size=600)
bytes_ish_text = st.one_of(
    raw_bytes.map(lambda data: data.decode("utf-8", errors="surrogateescape")),
    raw_bytes.map(lambda data: data.decode("utf-8", errors="replace")),
    raw_bytes.map(lambda data: data.decode("latin-1")),
    st.lists(st.one_of(_CONTROL, st.sampled_from(ALL_LINES), st.text(max_size=12)), max_size=40).map("".join),
)
any_text = st.one_of(st.text(max_size=400), bytes_ish_text)


@st.composite
def mutated_fixture(draw: Any) -> tuple:
    """A real capture, cut, shuffled, spliced and soiled the ways a bad SSH session does."""
    command_dir, text = draw(st.sampled_from(TEXTS))
    lines = text.split("\n")
    rng = random.Random(draw(st.integers(min_value=0, max_value=2 ** 32)))
    for dummy in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["truncate", "drop", "duplicate", "shuffle", "splice", "garbage", "cut_line"]))
        if not lines:
            break
        at = rng.randrange(len(lines))
        if op == "truncate":
            joined = "\n".join(lines)
            lines = joined[:rng.randrange(len(joined) + 1)].split("\n")
        elif op == "drop":
            del lines[at:at + rng.randint(1, 5)]
        elif op == "duplicate":
            lines[at:at] = lines[at:at + rng.randint(1, 5)]
        elif op == "shuffle":
            window = lines[at:at + rng.randint(2, 12)]
            rng.shuffle(window)
            lines[at:at + len(window)] = window
        elif op == "splice":
            dummy_dir, other = TEXTS[rng.randrange(len(TEXTS))]
            other_lines = other.split("\n")
            start = rng.randrange(len(other_lines))
            lines[at:at] = other_lines[start:start + rng.randint(1, 8)]
        elif op == "garbage":
            lines.insert(at, draw(st.one_of(bytes_ish_text, _CONTROL, st.text(max_size=30))))
        else:  # a line cut in the middle, the rest glued to the next one
            line = lines[at]
            cut = rng.randrange(len(line) + 1)
            lines[at:at + 2] = [line[:cut], line[cut:] + (lines[at + 1] if at + 1 < len(lines) else "")]
    return command_dir, "\n".join(lines)


def chunks(text: str, cuts: List[int]) -> List[str]:
    points = sorted({cut % (len(text) + 1) for cut in cuts})
    return [text[a:b] for a, b in zip([0] + points, points + [len(text)])]


# -- coverage of the registry ------------------------------------------------------------
def test_every_parser_and_parse_cli_command_is_fuzzed() -> None:
    # Every public parse_* function of the parsers package is in the registry...
    public = {(module.__name__.rsplit(".", 1)[1], name) for module in PARSER_MODULES
              for name, obj in vars(module).items()
              if name.startswith("parse_") and inspect.isfunction(obj) and obj.__module__ == module.__name__
              and module is not common}  # common.parse_selector: a helper, fuzzed on its own below
    assert public == {entry[:2] for entry in PARSER_REGISTRY.values()}
    # ... and so is every parser parse_cli can pick.
    chosen = {parser for dummy, parser in cli_commands._SHAPES}  # pylint: disable=protected-access
    assert chosen <= set(PARSERS.values())
    # The streaming classes are exactly the ones fuzzed below.
    streams = {obj for module in PARSER_MODULES for obj in vars(module).values()
               if inspect.isclass(obj) and obj.__module__ == module.__name__ and hasattr(obj, "feed") and hasattr(obj, "close")
               and obj is not linestream.LineSplitter}  # the streams' line splitter: fuzzed with the helpers
    assert streams == {cls for cls, dummy in STREAMS.values()}


def test_guards_off_lets_a_hidden_error_through(monkeypatch: Any) -> None:
    # The harness itself: a bug the guard would swallow must surface.
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers import tunnel_summary, sniffer

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("hidden")

    monkeypatch.setattr(tunnel_summary, "_parse_line", broken)
    monkeypatch.setattr(sniffer, "_parse_packet", broken)
    text = next(t for d, t in TEXTS if d == "get_vpn_ipsec_tunnel_summary")
    assert PARSERS["get_vpn_ipsec_tunnel_summary"](text)["tunnels"] == []  # swallowed by the guard
    for command_dir, sample in (("get_vpn_ipsec_tunnel_summary", text), ("diagnose_sniffer_packet", "x\n")):
        with pytest.raises(ValueError, match="hidden"):
            parse_strict(command_dir, sample)


def test_fixtures_parse_with_the_guards_off() -> None:
    # The baseline: no fixture needs a guard.
    for command_dir, text in TEXTS:
        for include_keys in (False, True):
            parse_strict(command_dir, text, include_keys)


# -- one-shot parsers ----------------------------------------------------------------------
@FUZZ
@given(text=any_text, command_dir=st.sampled_from(DIRS), include_keys=st.booleans())
def test_any_text_any_parser(text: str, command_dir: str, include_keys: bool) -> None:
    parse_strict(command_dir, text, include_keys)


@FUZZ
@given(data=raw_bytes, command_dir=st.sampled_from(DIRS))
def test_raw_bytes_any_parser(data: bytes, command_dir: str) -> None:
    assert parse_strict(command_dir, data) == parse_strict(command_dir, data.decode("utf-8", errors="replace"))


@settings(FUZZ, max_examples=250)
@given(case=mutated_fixture(), include_keys=st.booleans())
def test_mutated_fixtures(case: tuple, include_keys: bool) -> None:
    parse_strict(case[0], case[1], include_keys)


@FUZZ
@given(case=mutated_fixture(), command_dir=st.sampled_from(DIRS))
def test_mutated_fixtures_through_the_wrong_parser(case: tuple, command_dir: str) -> None:
    parse_strict(command_dir, case[1])


@FUZZ
@given(text=any_text)
def test_shared_helpers_on_any_text(text: str) -> None:
    with guards_off():
        for helper in (common.parse_selector, common.split_host_port, common.normalize_address, common.split_tokens,
                       common.to_int, common.yes_no, common.snake_key, common.redact_text, common.clean_lines,
                       common.clean_lines_stripped, linestream.clean_line, linestream.split_prompt,
                       linestream.split_timestamp, vpn_config.tokenize):
            helper(text)
        splitter = linestream.LineSplitter()
        assert "\n".join(splitter.feed(text) + splitter.close()).count("\n") <= text.count("\n")


# -- streaming parsers: feed/close --------------------------------------------------------
@settings(FUZZ, max_examples=100)
@given(case=mutated_fixture(), stream_dir=st.sampled_from(sorted(STREAMS)), cuts=st.lists(st.integers(min_value=0), max_size=20),
       as_bytes=st.booleans(), bound=st.one_of(st.none(), st.integers(min_value=-3, max_value=50)), include_keys=st.booleans())
def test_streams_in_any_chunks(case: tuple, stream_dir: str, cuts: List[int], as_bytes: bool, bound: Any,
                               include_keys: bool) -> None:
    cls, bound_name = STREAMS[stream_dir]
    text = case[1]
    with guards_off():
        stream = cls(include_keys=include_keys, **{bound_name: bound})
        handed_out = []
        for piece in chunks(text, cuts):
            handed_out += stream.feed(piece.encode("utf-8", errors="surrogateescape") if as_bytes else piece)
            stream.result()  # a look mid-capture changes nothing
        handed_out += stream.close()
        result = stream.result()
        assert stream.close() == []  # a second close hands out nothing again
    check_shape(stream_dir, result)
    json.dumps(handed_out)
    if bound is None and not as_bytes:
        # Unbounded, the chunks do not matter: same result as one-shot.
        assert json.dumps(result, sort_keys=True) == json.dumps(parse_strict(stream_dir, text, include_keys), sort_keys=True)


@FUZZ
@given(stream_dir=st.sampled_from(sorted(STREAMS)),
       calls=st.lists(st.one_of(any_text, raw_bytes, st.none(), st.integers(), st.just(["a\n"]), st.just("close")), max_size=12))
def test_streams_any_call_sequence(stream_dir: str, calls: List[Any]) -> None:
    cls = STREAMS[stream_dir][0]
    with guards_off():
        stream = cls()
        for call in calls:
            out = stream.close() if call == "close" else stream.feed(call)
            assert isinstance(out, list)
        stream.close()
    check_shape(stream_dir, stream.result())


# -- parse_cli: the command and the filter -------------------------------------------------
command_words = st.sampled_from(sorted({w for shape, dummy in cli_commands._SHAPES  # pylint: disable=protected-access
                                        for w in shape if isinstance(w, str)} | {"X", "|", "grep", "sudo", "root", "'", '"'}))
commands = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(command_words, command_words.map(lambda w: w[:max(1, len(w) // 2)]), st.text(max_size=6)),
             max_size=9).map(" ".join),
    st.sampled_from(cli_commands.SUPPORTED_COMMANDS),
    st.sampled_from(cli_commands.SUPPORTED_COMMANDS).map(lambda c: c.replace(" ", "\n", 1)),
    st.sampled_from(["\n", "diag\r\nvpn", "get\x00system status", "show 'vpn", 'get "system status', "| grep x",
                     "sudo root", "sudo", "diagnose vpn tunnel list \\"]),
)


@FUZZ
@given(command=commands, text=st.one_of(st.none(), any_text))
def test_find_parser_and_parse_cli_on_any_command(command: str, text: Any) -> None:
    try:
        parser = cli_commands.find_parser(command)
    except cli_commands.UnknownCommand as exc:
        assert "\n" not in str(exc)
        with pytest.raises(AnsibleFilterError) as raised:
            FILTER(text, command)
        message = str(raised.value)
        assert message.startswith("parse_cli: ") and "\n" not in message.strip()
        return
    assert parser in PARSERS.values()
    with guards_off():
        result = FILTER(text, command)
    assert isinstance(result, dict) and isinstance(result["unparsed"], list)
    assert json.dumps(result, sort_keys=True) == json.dumps(cli_commands.parse_cli(text, command), sort_keys=True)


def _filter_error(*args: Any, **kwargs: Any) -> str:
    with pytest.raises(AnsibleFilterError) as raised:
        FILTER(*args, **kwargs)
    message = str(raised.value)
    assert message.startswith("parse_cli: ") and "\n" not in message, message
    return message


bad_values = st.one_of(st.integers(), st.floats(allow_nan=False), st.lists(st.text(max_size=5), max_size=3),
                       st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.just(object()))


@FUZZ
@given(command=st.one_of(st.none(), bad_values, st.sampled_from(["", "   ", "\n", "\t"])))
def test_filter_bad_command_is_a_one_line_error(command: Any) -> None:
    assert "command" in _filter_error("text", command)


@FUZZ
@given(text=bad_values)
def test_filter_non_text_input_is_a_one_line_error(text: Any) -> None:
    assert "text" in _filter_error(text, "get system status")


@FUZZ
@given(include_keys=st.one_of(st.text(max_size=8), bad_values, st.none()))
def test_filter_include_keys_takes_only_a_boolean(include_keys: Any) -> None:
    try:
        valid = include_keys is None or boolean(include_keys, strict=True) in (True, False)
    except TypeError:
        valid = False
    if valid:
        FILTER("", "get system status", include_keys=include_keys)
    else:
        assert "include_keys" in _filter_error("", "get system status", include_keys=include_keys)


def test_filter_include_keys_string_false_keeps_keys_hidden() -> None:
    text = next(t for d, t in TEXTS if d == "diagnose_vpn_tunnel_list" and "key=" in t)
    hidden = FILTER(text, "diagnose vpn tunnel list")
    assert FILTER(text, "diagnose vpn tunnel list", include_keys="false") == hidden
    assert FILTER(text, "diagnose vpn tunnel list", include_keys="no") == hidden
    assert FILTER(text, "diagnose vpn tunnel list", include_keys="true") != hidden


def test_filter_accepts_bytes_and_none() -> None:
    assert FILTER(None, "get vpn ipsec tunnel summary") == {"tunnels": [], "unparsed": []}
    text = next(t for d, t in TEXTS if d == "get_vpn_ipsec_tunnel_summary")
    assert FILTER(text.encode("utf-8"), "get vpn ipsec tunnel summary") == FILTER(text, "get vpn ipsec tunnel summary")
