"""The FortiOS command layer: error detection, prompts, output cleaning, contexts."""
from __future__ import annotations

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import (
    arms_debug,
    clean_output,
    context_transition,
    find_cli_error,
    hostname_from_prompt,
    prompt_contexts,
    prompt_regex,
    quote_name,
)


@pytest.mark.parametrize("output, error", [
    ("Unknown action 0\n", "Unknown action 0"),
    ("command parse error before 'lsit'\nCommand fail. Return code -61\n", "command parse error before 'lsit'"),
    ("value parse error before 'maybe'\n", "value parse error before 'maybe'"),
    ("Command fail. Return code -160", "Command fail. Return code -160"),
    ("list all ipsec tunnel in vd 0\n------\n", None),
    ("name=Unknown action ver=1\n", None),
])
def test_find_cli_error(output: str, error: str) -> None:
    assert find_cli_error(output) == error


@pytest.mark.parametrize("buffer, contexts", [
    ("...\nHQ-FW1 # ", []),
    ("...\nHQ-FW1# ", []),
    ("...\nHQ-FW1 (root) # ", ["root"]),
    ("...\nHQ-FW1(Primary) (branch a) $ ", ["Primary", "branch a"]),
    ("...\r\nHQ-FW1 (phase1-interface) # ", ["phase1-interface"]),
])
def test_prompt_regex_matches_every_context(buffer: str, contexts: list) -> None:
    match = prompt_regex("HQ-FW1").search(buffer)
    assert match is not None
    assert prompt_contexts(match.group("prompt")) == contexts


def test_prompt_regex_ignores_other_hosts_and_mid_buffer_prompts() -> None:
    regex = prompt_regex("HQ-FW1")
    assert regex.search("OTHER # ") is None
    assert regex.search("HQ-FW1 # get system status\nVersion: x\n") is None


def test_hostname_from_prompt() -> None:
    assert hostname_from_prompt("FGT-60F (root) # ") == "FGT-60F"
    assert hostname_from_prompt("FGT-60F(Primary) $") == "FGT-60F"
    assert hostname_from_prompt("FGT # ") == "FGT"


def test_clean_output_strips_echo_prompt_and_paging() -> None:
    raw = ("diagnose vpn tunnel list\r\nlist all ipsec tunnel in vd 0\r\n--More-- \r         \r"
           "name=to-hq ver=2 serial=1\r\nHQ-FW1 (root) # ")
    text = clean_output(raw, "diagnose vpn tunnel list", prompt_regex("HQ-FW1"))
    assert text == "list all ipsec tunnel in vd 0\nname=to-hq ver=2 serial=1"


def test_clean_output_with_echo_after_prompt() -> None:
    raw = "HQ-FW1 # get vpn ipsec tunnel summary\n'a b' 192.0.2.1:0  selectors(total,up): 1/1\nHQ-FW1 # "
    assert clean_output(raw, "get vpn ipsec tunnel summary", prompt_regex("HQ-FW1")) == \
        "'a b' 192.0.2.1:0  selectors(total,up): 1/1"


@pytest.mark.parametrize("current, target, commands", [
    ((), (), []),
    ((), ("vdom", "root"), ["config vdom", "edit root"]),
    (("vdom", "root"), ("vdom", "root"), []),
    (("vdom", "root"), ("vdom", "cust a"), ["end", "config vdom", 'edit "cust a"']),
    (("vdom", "root"), ("global",), ["end", "config global"]),
    (("global",), (), ["end"]),
])
def test_context_transition(current: tuple, target: tuple, commands: list) -> None:
    assert context_transition(current, target) == commands


def test_quote_name() -> None:
    assert quote_name("to-hq_1") == "to-hq_1"
    assert quote_name("to hq") == '"to hq"'
    assert quote_name('a"b') == '"a\\"b"'


@pytest.mark.parametrize("command, arms", [
    ("diagnose debug application ike -1", True),
    ("diagnose debug enable", True),
    ("diag debug flow trace start 10", True),
    ("diagnose vpn ike log-filter dst-addr4 192.0.2.1", True),
    ("diagnose debug disable", False),
    ("diagnose debug reset", False),
    ("diagnose vpn tunnel list", False),
])
def test_arms_debug(command: str, arms: bool) -> None:
    assert arms_debug(command) is arms
