"""The command module's safety classifier: what is read-only, what is refused."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.command_policy import (
    KINDS,
    ONE_LINE,
    Verdict,
    batch_problem,
    change_verb,
    classify,
    classify_all,
    display,
    first_refusal,
)

READ = "read"

# (command, kind); read_only is exactly kind == "read".
TABLE = [
    # Read-only monitor commands, full and abbreviated.
    ("get system status", READ),
    ("GET System Status", READ),
    ("show", READ),
    ("show full-configuration vpn ipsec phase1-interface", READ),
    ("sh vpn ipsec phase2-interface", READ),
    ("tree", READ),
    ("get vpn ipsec tunnel summary", READ),
    ("get system status | grep Version", READ),
    ("show | grep x", READ),
    ("show vpn ipsec phase1-interface | grep -f psksecret", READ),
    ("diagnose vpn tunnel list", READ),
    ("diagnose vpn tunnel list name to-hub", READ),
    ("diagnose vpn tunnel dialup-list", READ),
    ("diagnose vpn ike gateway list name X", READ),
    ("diagnose vpn ike status", READ),
    ("diagnose vpn ipsec status", READ),
    ("diagnose sys session list", READ),
    ("diagnose sys session filter dport 500", READ),
    ("diagnose hardware deviceinfo nic port1", READ),
    ("diag vpn tun li", READ),
    ("di vpn tunnel list name 'to hq'", READ),
    ("diagnose firewall iprope lookup 10.0.0.1 1234 10.1.1.1 80 tcp port1", READ),
    ("diagnose sys ha status", READ),
    ("diagnose vpn tunnel list name to-spoke72", READ),  # digits: a value, not a verb
    ("diagnose vpn tunnel list name to_down", READ),  # underscore: a value
    ('diagnose vpn tunnel list name "shut down"', READ),  # a space: a value
    ("diagnose vpn tunnel stat", READ),
    ("diagnose debug info", READ),
    ("diag deb inf", READ),
    ("diag vpn ike log-filter list", READ),
    ("diagnose vpn ike log filter list", READ),
    ("execute ping 10.0.0.1", READ),
    ("exe ping-opt source 10.1.1.1", READ),
    ("execute ping6 2001:db8::1", READ),
    ("execute ping-options reset", READ),
    ("exec traceroute 203.0.113.50", READ),
    ("execute tracert6 2001:db8::1", READ),
    ("sudo root diagnose vpn tunnel list", READ),
    ("sudo global get system status", READ),
    ("  get   system status  ", READ),
    # diagnose commands that change state.
    ("diagnose vpn tunnel flush", "diagnose_change"),
    ("diag vpn tun fl to-hub", "diagnose_change"),
    ("diagnose vpn tunnel down p2", "diagnose_change"),
    ("diagnose vpn tunnel up p2", "diagnose_change"),
    ("diag vpn tunnel dow p2", "diagnose_change"),
    ("diagnose vpn ike gateway clear", "diagnose_change"),
    ("diagnose vpn ike gateway cle name x", "diagnose_change"),
    ("diagnose vpn ike gateway flush name to-hub", "diagnose_change"),
    ("diagnose sys session clear", "diagnose_change"),
    ("diagnose vpn ike restart", "diagnose_change"),
    ("diag vpn ike res", "diagnose_change"),
    ("diagnose vpn tunnel delinbsa x 1234", "diagnose_change"),
    ("diagnose sys ha reset-uptime", "diagnose_change"),
    ("diagnose sys kill 11 1234", "diagnose_change"),
    ("diagnose test application ike 1", "diagnose_change"),
    ("diagnose vpn tunnel list name down", "diagnose_change"),  # a tunnel named `down`: conservative
    ('diagnose vpn tunnel "flush"', "diagnose_change"),  # the CLI reads quoted keywords too
    ("diagnose vpn tunnel fl\\ush", "diagnose_change"),
    ("DIAGNOSE VPN TUNNEL FLUSH", "diagnose_change"),
    ("sudo root diag vpn tunnel flush", "diagnose_change"),
    ("diagnose vpn tunnel flush | grep x", "diagnose_change"),
    # Debug: arms output or blocks the CLI.
    ("diagnose debug enable", "debug"),
    ("diagnose debug application ike -1", "debug"),
    ("diag debug reset", "debug"),
    ("diag de app ike -1", "debug"),
    ('diagnose sniffer packet any "port 500" 4 10', "debug"),
    ("diagnose vpn ike log-filter dst-addr4 198.51.100.1", "debug"),
    ("diagnose vpn ike log filter name to-hub", "debug"),
    ("diag vpn ike log-filter clear", "debug"),
    ("diagnose sys top 1 20", "debug"),
    ("get system performance top", "debug"),
    # execute, other than ping / traceroute.
    ("execute reboot", "execute"),
    ("exec factoryreset", "execute"),
    ("execute backup config ftp x", "execute"),
    ("execute", "execute"),
    ("exe pin 10.0.0.1", "execute"),  # under 4 letters
    ("exe trac 10.0.0.1", "execute"),  # traceroute or tracert6
    ("exe tracer 10.0.0.1", "execute"),  # traceroute or traceroute-options
    # Configuration.
    ("config vpn ipsec phase1-interface", "config"),
    ("conf vpn ipsec phase2-interface", "config"),
    ("edit to-hub", "config"),
    ("set remote-gw 198.51.100.1", "config"),
    ("unset psksecret", "config"),
    ("delete to-hub", "config"),
    ("purge", "config"),
    ("end", "config"),
    ("next", "config"),
    ("abort", "config"),
    # Session enders: refused always.
    ("exit", "session"),
    ("quit", "session"),
    ("logout", "session"),
    ("lo", "session"),
    ("ex", "session"),  # execute or exit
    ("sudo root exit", "session"),
    # Unknown or ambiguous.
    ("d vpn tunnel list", "config"),  # diagnose or delete: taken as the worse
    ("s system status", "config"),  # show, set, select or sudo
    ("frobnicate", "unknown"),
    ("fnsysctl ls", "unknown"),
    ("sudo root", "unknown"),
    ("get system status | execute reboot", "unknown"),
    ("get system status | more", "unknown"),
    # Not one well-formed line.
    ("", "invalid"),
    ("   ", "invalid"),
    ("get system status\ndiagnose vpn tunnel flush", "invalid"),
    ("get system status\r", "invalid"),
    ("get system\tstatus", "invalid"),
    ("get system status\x00", "invalid"),
    ("get system\u2028status", "invalid"),
    ("get system ?", "invalid"),
    ("show 'abc", "invalid"),
    ("get system status \\", "invalid"),
    ("| grep x", "invalid"),
]


@pytest.mark.parametrize("command, kind", TABLE, ids=[repr(c) for c, _k in TABLE])
def test_verdict_table(command: str, kind: str) -> None:
    verdict = classify(command)
    assert verdict.kind == kind, verdict
    assert verdict.read_only is (kind == READ)
    if verdict.read_only:
        assert verdict.reason == ""
    else:
        assert verdict.reason and "\n" not in verdict.reason


def test_table_covers_every_kind() -> None:
    assert {kind for _c, kind in TABLE} == set(KINDS)
    assert len(TABLE) >= 40


@pytest.mark.parametrize("command, reason", [
    ("diagnose vpn tunnel flush", "'diagnose vpn tunnel flush' changes device state ('flush')"),
    ("diag vpn tun fl to-hub", "'diag vpn tun fl to-hub' changes device state ('fl' abbreviates 'flush')"),
    ("diagnose sys ha reset-uptime",
     "'diagnose sys ha reset-uptime' changes device state ('reset-uptime' starts with 'reset')"),
    ("exit", "'exit' would close the persistent session"),
    ("config vpn ipsec phase1-interface", "'config vpn ipsec phase1-interface' changes the configuration"),
    ("get a\nb", ONE_LINE),
])
def test_reasons_name_the_command_and_the_verb(command: str, reason: str) -> None:
    assert classify(command).reason == reason


def test_control_characters_are_escaped_in_the_reason() -> None:
    reason = classify("get system\x1bstatus").reason
    assert reason.startswith(ONE_LINE) and "\\x1b" in reason and "\x1b" not in reason


@pytest.mark.parametrize("word, verb", [
    ("flush", True), ("fl", True), ("cle", True), ("res", True), ("dow", True), ("delinbsa", True),
    ("uptime", True), ("li", False), ("list", False), ("status", False), ("sys", False), ("f", False),
    ("dialup-list", False), ("deviceinfo", False), ("session", False), ("filter", False),
])
def test_change_verbs(word: str, verb: bool) -> None:
    assert (change_verb(word) is not None) is verb


def test_first_refusal_puts_always_refused_commands_first() -> None:
    commands = ["diagnose vpn tunnel flush", "get system status", "exit"]
    verdicts = classify_all(commands)
    assert first_refusal(verdicts, allow_changes=False) == (2, verdicts[2])
    assert first_refusal(verdicts, allow_changes=True) == (2, verdicts[2])
    verdicts = classify_all(commands[:2])
    assert first_refusal(verdicts, allow_changes=False) == (0, verdicts[0])
    assert first_refusal(verdicts, allow_changes=True) is None
    assert first_refusal(classify_all(["get system status"]), allow_changes=False) is None


@pytest.mark.parametrize("commands, problem", [
    (["config vpn ipsec phase1-interface", "edit to-hub", "set dpd on-idle", "next", "end"], None),
    (["conf vpn ipsec phase2-interface", "edit p2", "config something", "end", "next", "abort"], None),
    (["get system status", "diagnose vpn tunnel flush"], None),
    (["config global"], "use the vdom and scope options"),
    (["conf vd", "edit root", "end"], "use the vdom and scope options"),
    (["config vpn ipsec phase1-interface", "edit to-hub"], "left open"),
    (["end"], "outside a config block"),
    (["set remote-gw 198.51.100.1"], "outside a config block"),
    (["config vpn ipsec phase1-interface", "end", "end"], "outside a config block"),
    (["config vpn ipsec phase1-interface", "end", "next"], "outside a config block"),
])
def test_batch_problem(commands: list, problem: object) -> None:
    found = batch_problem(commands, classify_all(commands))
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found and "\n" not in found


def test_long_sudo_chains_do_not_recurse() -> None:
    assert classify("sudo root " * 5000 + "diagnose vpn tunnel flush").kind == "diagnose_change"
    assert classify("sudo root " * 5000 + "get system status").read_only


def test_display_is_one_printable_line() -> None:
    assert display("  get system status ") == "get system status"
    assert display("a\nb\tc\u2028d") == "a\\x0ab\\x09c\\u2028d"
    assert len(display("x" * 500)) == 200


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_classify_is_total(text: str) -> None:
    verdict = classify(text)
    assert isinstance(verdict, Verdict) and verdict.kind in KINDS
    assert verdict.read_only is (verdict.kind == READ)
    assert verdict.read_only or (verdict.reason and "\n" not in verdict.reason and "\r" not in verdict.reason)


WORDS = st.sampled_from(["get", "show", "diag", "diagnose", "vpn", "tunnel", "tun", "list", "li", "flush", "fl",
                         "exit", "exe", "execute", "ping", "sudo", "root", "config", "end", "|", "grep", "'",
                         '"', "\\", "?", "name", "to-hub", "10.0.0.1", "-1", "debug", "sniffer", "ike", "log",
                         "filter", "top"])


@settings(max_examples=500, deadline=None)
@given(st.lists(WORDS, max_size=8))
def test_classify_is_total_on_cli_like_text(words: list) -> None:
    command = " ".join(words)
    verdict = classify(command)
    assert verdict.kind in KINDS and verdict.read_only is (verdict.kind == READ)
    commands = [command, "end"]
    batch_problem(commands, classify_all(commands))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1))
def test_appending_a_flush_never_makes_a_diagnose_read_only(text: str) -> None:
    verdict = classify("diagnose vpn tunnel flush " + text)
    assert not verdict.read_only
