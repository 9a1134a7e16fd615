# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared cleaning and conversion helpers."""
from __future__ import annotations

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    clean_lines,
    normalize_address,
    parse_selector,
    redact_text,
    snake_key,
    split_host_port,
    split_tokens,
    to_int,
    to_text,
    yes_no,
)


@pytest.mark.parametrize("prompt", [
    "FGT # ", "FGT# ", "FGT (root) # ", "FGT (Branch)# ", "FGT(Primary) (vd1) $ ",
    "FGT-60F.lab_1 (global) # ", "# ",
])
def test_prompt_and_echoed_command_are_dropped(prompt: str) -> None:
    text = "%sdiagnose vpn tunnel list\nlist all ipsec tunnel in vd 0\n\n%s" % (prompt, prompt)
    assert clean_lines(text) == ["list all ipsec tunnel in vd 0"]


def test_abbreviated_command_echo_is_dropped() -> None:
    assert clean_lines("FGT # diag vpn tun list\nname=a ver=1") == ["name=a ver=1"]
    assert clean_lines("get vpn ipsec tunnel sum\n'a' 192.0.2.1:0") == ["'a' 192.0.2.1:0"]


def test_bare_command_word_after_data_is_kept() -> None:
    # Only a leading echo is dropped; data is never mistaken for a command later on.
    assert clean_lines("x=1\nget something here") == ["x=1", "get something here"]


def test_async_output_on_prompt_line_is_kept() -> None:
    assert clean_lines("FGT # ike 0: comes 192.0.2.1:500->192.0.2.2:500") == [
        "ike 0: comes 192.0.2.1:500->192.0.2.2:500"]


@pytest.mark.parametrize("stamp", ["2024-05-01 10:00:01 ", "2024-05-01 10:00:01.123456 "])
def test_console_timestamps_are_stripped(stamp: str) -> None:
    text = "%sname=a ver=1\n%s  src: 0:0.0.0.0/0.0.0.0:0\n%s\n" % (stamp, stamp, stamp)
    assert clean_lines(text) == ["name=a ver=1", "  src: 0:0.0.0.0/0.0.0.0:0"]


@pytest.mark.parametrize("artifact", [
    "--More-- \r         \r",
    "--More-- " + "\x08" * 9 + " " * 9 + "\x08" * 9,
    "\r--More--\r        \r",
])
def test_more_paging_artifacts_are_removed(artifact: str) -> None:
    text = "line one\n%sline two\nline three" % artifact
    assert clean_lines(text) == ["line one", "line two", "line three"]


def test_trailing_more_without_continuation() -> None:
    assert clean_lines("a=1\n--More-- ") == ["a=1"]


def test_crlf_and_overwritten_lines() -> None:
    assert clean_lines("a=1\r\nb=2\r\n") == ["a=1", "b=2"]
    assert clean_lines("garbage\rc=3\n") == ["c=3"]


def test_backspaces_and_ansi_escapes() -> None:
    assert clean_lines("abx\x08c=1\n\x1b[1mbold\x1b[0m") == ["abc=1", "bold"]


def test_clean_lines_accepts_anything() -> None:
    assert clean_lines(None) == []
    assert clean_lines(b"name=a\xff ver=1") == ["name=a\ufffd ver=1"]
    assert clean_lines(12) == ["12"]
    assert to_text(bytearray(b"x")) == "x"


@pytest.mark.parametrize("address, expected", [
    ("0.0.0.0/0.0.0.0", "0.0.0.0/0"),
    ("10.1.1.0/255.255.255.0", "10.1.1.0/24"),
    ("10.1.1.0/24", "10.1.1.0/24"),
    ("10.1.1.5/255.255.255.0", "10.1.1.5/24"),
    ("0.0.0.0-255.255.255.255", "0.0.0.0/0"),
    ("192.0.2.7-192.0.2.7", "192.0.2.7/32"),
    ("10.30.0.0-10.30.3.255", "10.30.0.0/22"),
    ("10.50.0.10-10.50.0.20", "10.50.0.10-10.50.0.20"),
    ("10.0.0.9-10.0.0.1", "10.0.0.9-10.0.0.1"),
    ("10.1.0.0/255.0.255.0", "10.1.0.0/255.0.255.0"),
    ("::/0", "::/0"),
    ("2001:db8::-2001:db8::ffff", "2001:db8::/112"),
    ("not-an-address", "not-an-address"),
])
def test_normalize_address(address: str, expected: str) -> None:
    assert normalize_address(address) == expected


def test_parse_selector() -> None:
    assert parse_selector("17:192.0.2.5-192.0.2.5:1701") == {
        "protocol": 17, "address": "192.0.2.5/32", "port": 1701}
    assert parse_selector("0:2001:db8::/32:0") == {"protocol": 0, "address": "2001:db8::/32", "port": 0}
    assert parse_selector("garbage") is None
    assert parse_selector("x:1.2.3.4:0") is None


def test_split_host_port() -> None:
    assert split_host_port("192.0.2.1:500") == ("192.0.2.1", 500)
    assert split_host_port("2001:db8::1:4500") == ("2001:db8::1", 4500)
    assert split_host_port(" ") == (None, None)
    assert split_host_port(None) == (None, None)
    assert split_host_port("host") == ("host", None)


def test_redact_text() -> None:
    assert redact_text("dec: spi=1 esp=aes key=16 00112233") == "dec: spi=1 esp=aes key=16 " + REDACTED
    assert redact_text("  key: 0011-2233") == "  key: " + REDACTED
    assert redact_text("SK_ar: abcd") == "SK_ar: " + REDACTED
    assert redact_text("enc: aes-cbc 0011223344556677") == "enc: aes-cbc " + REDACTED
    assert redact_text("0123456789abcdef0123") == REDACTED
    assert redact_text("ah=null key=0 ") == "ah=null key=0 "


@pytest.mark.parametrize("line,expected", [
    ("  dec:spi=0a1b2c3d esp=aes key=16 00112233445566778899aabbccddeeff",
     "  dec:spi=0a1b2c3d esp=aes key=16 <redacted>"),
    ("SPI: 5a10c9e2d4b7f301/0e77aa1c93b5d2f6", "SPI: 5a10c9e2d4b7f301/0e77aa1c93b5d2f6"),
    ("        spi: 1f2e3d4c", "        spi: 1f2e3d4c"),
    (" seqno=7a2b3 esn=0 replaywin_lastseq=0007a2b1 itn=0", " seqno=7a2b3 esn=0 replaywin_lastseq=0007a2b1 itn=0"),
    ("  cafebabe00112233 spi=abcd1234", "  <redacted> spi=abcd1234"),
    ("00112233445566778899aabbccddeeff", "<redacted>"),
])
def test_redact_text_keeping_ids_hides_keys_only(line: str, expected: str) -> None:
    assert redact_text(line, keep_ids=True) == expected
    assert "<redacted>" in redact_text(line) or redact_text(line) == line


def test_small_converters() -> None:
    assert to_int("12") == 12 and to_int("x") is None and to_int(None) is None
    assert to_int("ff", 16) == 255
    assert yes_no("yes") is True and yes_no("no") is False and yes_no("maybe") is None
    assert snake_key("PQC-KEM (all IPsec)") == "pqc_kem_all_ipsec"
    assert split_tokens("a=1 b= flag") == [("a", "1"), ("b", ""), ("flag", None)]


def test_parse_selector_without_protocol_as_5x_prints_it() -> None:
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import parse_selector
    assert parse_selector("10.1.1.0/255.255.255.0:0") == {"protocol": None, "address": "10.1.1.0/24", "port": 0}
    assert parse_selector("0:10.1.1.0/255.255.255.0:0") == {"protocol": 0, "address": "10.1.1.0/24", "port": 0}
    assert parse_selector("garbage:x") is None
