# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the FortiOS output parsers.

Everything here is pure and total: any input gives a value, nothing raises.
"""
from __future__ import annotations

import gc
import ipaddress
import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Dict, Iterator, List, Optional, Tuple

REDACTED = "<redacted>"

# Paging prompt plus the erase sequence the console sends after a key press:
# "--More-- " then "\r" + spaces + "\r", or backspaces + spaces + backspaces.
_MORE_RE = re.compile(r"--More--[ \t]*(?:[\r\x08]+[ \t]*)*")
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# `diagnose debug console timestamp enable` prefix, with or without microseconds.
_TIMESTAMP_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:\s|$)")
# Whole-text pre-check for the above (starts with a literal, so the scan is fast).
_TIMESTAMP_ANYWHERE_RE = re.compile(r"-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
# HOST # , HOST# , HOST (root) # , HOST(Primary) (vd1) $ , and a bare "# " from copied docs.
_PROMPT_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]*)?(?:\s*\([^()\s]+\))*\s*[#$](?=\s|$)\s*")
# A command as typed (abbreviations included), for dropping the echoed command line.
_COMMAND_RE = re.compile(r"^(?:dia\w*|get|show|exe\w*|sudo)\s+[A-Za-z]")
_HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")

_REDACT_KEY_EQ_RE = re.compile(r"(\bkey=\d+\s+)[0-9A-Fa-f]+")
_REDACT_KEY_COLON_RE = re.compile(r"(\b(?:key|SK_e[ir]|SK_a[ir]|SK_d|SK_p[ir])\s*:\s*)\S.*$")
_REDACT_DETAIL_RE = re.compile(r"(\b(?:enc|auth):\s*\S+\s+)[0-9A-Fa-f][0-9A-Fa-f\-]{7,}")
_REDACT_ENC_RE = re.compile(r"(\bENC\s+)\S+")
_BARE_HEX_LINE_RE = re.compile(r"^\s*[0-9A-Fa-f]{16,}(?:[\-\s][0-9A-Fa-f]+)*\s*$")
# A stray piece of key material (e.g. output cut mid-line): any standalone hex run of
# 8+ digits with a letter in it, or of 16+ digits. Counters stay readable.
_HEX_RUN_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?=[0-9]*[A-Fa-f])[0-9A-Fa-f]{8,}|[0-9A-Fa-f]{16,})(?![0-9A-Za-z])")
_SECRET_NAME_RE = re.compile(r"(?:^|_)(?:key|keys|secret|psk|password|passwd|sk_[a-z]+)(?:_|$)|^sk_")


def to_text(data: Any) -> str:
    """Coerce any input to text (bytes are decoded leniently, None is empty)."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).decode("utf-8", errors="replace")
    try:
        return str(data)
    except Exception:  # a hostile __str__ must not break a parser
        return ""


def _apply_backspaces(line: str) -> str:
    out: List[str] = []
    for char in line:
        if char == "\x08":
            if out:
                out.pop()
        else:
            out.append(char)
    return "".join(out)


# Shared with the streaming line splitter (linestream.py).
apply_backspaces = _apply_backspaces


def _last_carriage_segment(line: str) -> str:
    # A bare CR means the console rewrote the line: what shows is the last non-blank part.
    for segment in reversed(line.split("\r")):
        if segment.strip():
            return segment
    return ""


def _prepare(raw: str) -> Tuple[str, bool, bool]:
    """Clean-up done on a run of whole lines, plus whether lines may need repairs
    (`\r`/backspace) or timestamp removal. No pattern here matches across a `\n`."""
    if "--More--" in raw:
        raw = _MORE_RE.sub("", raw)
    if "\x1b" in raw:
        raw = _ANSI_RE.sub("", raw)
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n")
    # Most captures need neither: test the whole text once, not every line.
    rewrites = "\r" in raw or "\x08" in raw
    stamps = rewrites or _TIMESTAMP_ANYWHERE_RE.search(raw) is not None
    return raw, rewrites, stamps


def _clean_split(raw_lines: List[str], drop_command_echo: bool, strip: bool, rewrites: bool, stamps: bool,
                 seen_data: bool) -> Tuple[List[str], bool]:
    """The per-line part of clean_lines(); also returns whether output has started."""
    prompt_match = _PROMPT_RE.match
    command_match = _COMMAND_RE.match
    lines: List[str] = []
    append = lines.append
    for line in raw_lines:
        if rewrites:
            if "\r" in line:
                line = _last_carriage_segment(line)
            if "\x08" in line:
                line = _apply_backspaces(line)
        if stamps:
            match = _TIMESTAMP_RE.match(line)
            if match:
                line = line[match.end():]
        stripped = line.strip()
        if not stripped:
            continue
        # A prompt needs a `#` or `$`: skip the regex for every other line.
        match = prompt_match(line) if ("#" in line or "$" in line) else None
        if match:
            rest = line[match.end():]
            stripped = rest.strip()
            # Prompt alone, or prompt + echoed command: not output.
            if not stripped or (drop_command_echo and command_match(rest)):
                continue
            # Asynchronous output can start on the prompt line itself.
            line = rest
        elif drop_command_echo and not seen_data and command_match(stripped):
            continue
        seen_data = True
        append(stripped if strip else line.rstrip())
    return lines, seen_data


def _clean(text: Any, drop_command_echo: bool, strip: bool) -> List[str]:
    """clean_lines() in one pass; `strip` also left-strips each kept line."""
    raw, rewrites, stamps = _prepare(to_text(text))
    return _clean_split(raw.split("\n"), drop_command_echo, strip, rewrites, stamps, False)[0]


def clean_lines(text: Any, drop_command_echo: bool = True) -> List[str]:
    """Split console output into meaningful lines.

    Removes paging artifacts, carriage returns, ANSI escapes, console timestamps,
    prompt lines and the echoed command. Blank lines are dropped; the rest are
    right-stripped (indentation is kept, parsers must not rely on it).
    """
    return _clean(text, drop_command_echo, False)


def clean_lines_stripped(text: Any, drop_command_echo: bool = True) -> List[str]:
    """clean_lines() with each line also left-stripped (what line parsers work on)."""
    return _clean(text, drop_command_echo, True)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a parser builds its result.

    A parse allocates containers (dicts, lists) and frees almost none, which is what
    triggers collections: each full one walks every object of the process again, so a
    10x input would cost well over 10x the time (the same pattern Mercurial's `nogc`
    avoids). The collector is enabled again afterwards if it was enabled before.
    Then, unless the application uses gc.freeze() itself, the objects made meanwhile
    are moved to the oldest generation (freeze + unfreeze: no object is visited), so
    that the next young collection does not walk the whole result once more; cyclic
    garbage among them is still found by the next full collection.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def iter_clean_lines(text: Any, drop_command_echo: bool = True, strip: bool = True,
                     chunk_chars: int = 65536) -> Iterator[List[str]]:
    """The lines of clean_lines_stripped() (clean_lines() with strip=False), in pieces.

    Joined, the pieces are exactly the list the one-shot function returns. Each covers
    about `chunk_chars` of input (whole lines) and is cleaned on its own (no clean-up
    pattern spans lines), so a parser that takes the pieces one at a time works on text
    that is still in the CPU cache, and holds one piece of lines at a time.
    """
    raw = to_text(text)
    seen_data = False
    start = 0
    while True:
        end = raw.find("\n", start + max(chunk_chars, 0))
        piece, rewrites, stamps = _prepare(raw[start:] if end < 0 else raw[start:end + 1])
        raw_lines = piece.split("\n")
        if end >= 0:
            raw_lines.pop()  # what follows the piece's last "\n" is the next piece
        lines, seen_data = _clean_split(raw_lines, drop_command_echo, strip, rewrites, stamps, seen_data)
        yield lines
        if end < 0:
            return
        start = end + 1


# Hex that identifies rather than protects: SPIs (`spi=`, `SPI: a/b`), sequence numbers.
_ID_BEFORE_RE = re.compile(r"(?:\bspi[=:]\s*(?:[0-9A-Fa-f]+/)?|lastseq=|seqno=)$", re.IGNORECASE)


def redact_text(line: str, keep_ids: bool = False) -> str:
    """Hide key material in a free-text line (used for `unparsed` and free-form values).

    keep_ids: leave SPIs and sequence numbers readable (raw command output, where people
    compare SPIs between peers); keys and bare hex runs are hidden all the same.
    """
    if _BARE_HEX_LINE_RE.match(line):
        return REDACTED
    line = _REDACT_KEY_EQ_RE.sub(r"\g<1>" + REDACTED, line)
    line = _REDACT_KEY_COLON_RE.sub(r"\g<1>" + REDACTED, line)
    line = _REDACT_DETAIL_RE.sub(r"\g<1>" + REDACTED, line)
    line = _REDACT_ENC_RE.sub(r"\g<1>" + REDACTED, line)
    if not keep_ids:
        return _HEX_RUN_RE.sub(REDACTED, line)
    return _HEX_RUN_RE.sub(lambda m: m.group(0) if _ID_BEFORE_RE.search(line, 0, m.start()) else REDACTED, line)


# Key material and configured secrets in raw output, for mask_secrets (whole text, not per line).
_MASK_RES = (
    re.compile(r"(\bENC[ \t]+)[^\s<]\S*"),  # set psksecret ENC ..., set password ENC ...
    re.compile(r"(\bkey=\d+[ \t]+)[0-9A-Fa-f]+"),  # diagnose vpn tunnel list
    re.compile(r"(\b(?:key|SK_e[ir]|SK_a[ir]|SK_d|SK_p[ir])[ \t]*:[ \t]*)[0-9A-Fa-f][^\r\n]*"),  # ike gateway list
    re.compile(r"(\b(?:enc|auth):[ \t]*\S+[ \t]+)[0-9A-Fa-f][0-9A-Fa-f\-]{7,}"),  # tunnel details
    re.compile(r"(\b(?:key|auth|SK_[a-z]{1,2})[ \t]+\d+:)[0-9A-Fa-f]+"),  # IKE debug, category keys
)
_MASK_TRIGGER_RE = re.compile(r"ENC|key|SK_|enc:|auth")
# `set <secret-name> ` typed on the CLI, up to the value: psksecret, password, passphrase, *-key...
# (mask_command here, the persistent log filter in plugin_utils/log_filter.py).
SECRET_SET_PREFIX = r"\bset[ \t]+(?:\S*(?:secret|passw(?:or)?d|passphrase|psk)\S*|(?:\S*-)?key)[ \t]+"
_SECRET_SET_RE = re.compile(r"(" + SECRET_SET_PREFIX + r")\S.*$", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """Raw device output with key material and `ENC` blobs replaced by `<redacted>`.

    For what must never reach a log (the persistent connection's message log): unlike
    redact_text it keeps every SPI, cookie, counter and hex dump, so parsers read the masked
    text exactly as the raw text, keys aside. Text with nothing key-like is returned as is.
    """
    if not text or not _MASK_TRIGGER_RE.search(text):
        return text
    for regex in _MASK_RES:
        text = regex.sub(r"\g<1>" + REDACTED, text)
    return text


def mask_command(command: str) -> str:
    """A typed command with the value of `set psksecret|password|...-key VALUE` hidden."""
    return _SECRET_SET_RE.sub(r"\g<1>" + REDACTED, command) if "set" in command else command


def redact_field(name: str, value: str) -> Optional[str]:
    """A free-form `name: value` pair: whole value hidden when the name says secret."""
    text = value.strip()
    if _SECRET_NAME_RE.search(snake_key(name)):
        return REDACTED if text else None
    return redact_text(text)


def is_hex(value: str) -> bool:
    return bool(_HEX_RE.match(value))


def to_int(value: Any, base: int = 10) -> Optional[int]:
    """Integer or None; never raises."""
    if value is None:
        return None
    try:
        return int(str(value).strip(), base)
    except (TypeError, ValueError):
        return None


def yes_no(value: Any) -> Optional[bool]:
    """`yes`/`no`, `enable`/`disable`, `1`/`0` as booleans; anything else None."""
    text = str(value).strip().lower() if value is not None else ""
    if text in ("yes", "enable", "enabled", "on", "1", "true"):
        return True
    if text in ("no", "disable", "disabled", "off", "0", "false"):
        return False
    return None


def snake_key(key: str) -> str:
    """`Max number of virtual domains` -> `max_number_of_virtual_domains`."""
    return re.sub(r"[^0-9a-z]+", "_", key.strip().lower()).strip("_")


def split_host_port(text: Optional[str]) -> Tuple[Optional[str], Optional[int]]:
    """`192.0.2.1:500` -> ("192.0.2.1", 500); IPv6 hosts keep their colons."""
    if text is None:
        return None, None
    text = text.strip()
    if not text:
        return None, None
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and host:
        return host, int(port)
    return text, None


# Octet text -> value, for the canonical spellings only ("0".."255": no sign, space or leading zero).
_OCTETS: Dict[str, int] = dict((str(number), number) for number in range(256))


def _ipv4_int(text: str) -> Optional[int]:
    """A plainly written dotted quad (no leading zeros, no spaces) as an int, else None.

    Only a fast path: whatever this declines goes through the ipaddress module.
    """
    parts = text.split(".")
    if len(parts) != 4:
        return None
    octets = _OCTETS
    first, second, third, fourth = octets.get(parts[0]), octets.get(parts[1]), octets.get(parts[2]), octets.get(parts[3])
    if first is None or second is None or third is None or fourth is None:
        return None
    return (first << 24) | (second << 16) | (third << 8) | fourth


def _netmask_text(prefix: int) -> str:
    value = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return "%d.%d.%d.%d" % (value >> 24, (value >> 16) & 255, (value >> 8) & 255, value & 255)


# Canonical netmask / prefix length text -> "/prefix length". Anything else (a hostmask, a
# non-contiguous mask, "024") is left to the ipaddress module.
_PREFIXES: Dict[str, str] = dict((_netmask_text(prefix), "/%d" % prefix) for prefix in range(33))
_PREFIXES.update((str(prefix), "/%d" % prefix) for prefix in range(33))
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A dotted quad written the way ipaddress prints it, then a mask.
_PLAIN_NETWORK_RE = re.compile(r"(%s(?:\.%s){3})/([0-9.]{1,15})" % (_OCTET, _OCTET))


def _fast_ipv4_address(address: str) -> Optional[str]:
    """normalize_address() for the IPv4 forms FortiOS prints; None for anything else.

    Gives exactly what the ipaddress-based code gives for these inputs. As the dotted
    quads are canonical, a network or range start prints as its own text.
    """
    if "-" in address:
        start_text, dummy, end_text = address.partition("-")
        start_text = start_text.strip()
        end_text = end_text.strip()
        start = _ipv4_int(start_text)
        end = _ipv4_int(end_text)
        if start is None or end is None or start > end:
            return None
        size = end - start + 1
        if size & (size - 1) or start & (size - 1):
            return "%s-%s" % (start_text, end_text)
        return "%s/%d" % (start_text, 33 - size.bit_length())  # one network
    match = _PLAIN_NETWORK_RE.fullmatch(address)
    if match is None:
        return None
    prefix = _PREFIXES.get(match.group(2))
    if prefix is None:
        return None
    # The network prints as its address; with host bits set ipaddress keeps the address
    # (ip_interface): the same text either way.
    return match.group(1) + prefix


@lru_cache(maxsize=4096)
def normalize_address(address: str) -> str:
    """Selector address as CIDR when it is one prefix, else `start-end` (or as printed)."""
    address = address.strip()
    if "-" in address or "/" in address:
        fast = _fast_ipv4_address(address)
        if fast is not None:
            return fast
    try:
        if "-" in address:
            start_text, dummy, end_text = address.partition("-")
            start = ipaddress.ip_address(start_text.strip())
            end = ipaddress.ip_address(end_text.strip())
            networks = list(ipaddress.summarize_address_range(start, end))
            if len(networks) == 1:
                return networks[0].with_prefixlen
            return "%s-%s" % (start, end)
        if "/" in address:
            try:
                return ipaddress.ip_network(address).with_prefixlen
            except ValueError:
                # Host bits set: keep the address, still show the prefix length.
                return ipaddress.ip_interface(address).with_prefixlen
    except (ValueError, TypeError):
        pass
    return address


def parse_selector(text: str) -> Optional[Dict[str, Any]]:
    """`PROTO:ADDR:PORT` (e.g. `0:10.1.1.0/255.255.255.0:0`) -> {protocol, address, port}."""
    text = text.strip()
    proto, sep, rest = text.partition(":")
    if not sep:
        return None
    if text.count(":") == 1 and ("." in proto or "/" in proto):
        # 5.x prints `ADDR:PORT` without the protocol.
        port_number = to_int(rest)
        if port_number is None:
            return None
        return {"protocol": None, "address": normalize_address(proto), "port": port_number}
    address, sep, port = rest.rpartition(":")
    if not sep or not address:
        return None
    protocol = to_int(proto)
    port_number = to_int(port)
    if protocol is None or port_number is None:
        return None
    return {"protocol": protocol, "address": normalize_address(address), "port": port_number}


def split_tokens(text: str) -> List[Tuple[str, Optional[str]]]:
    """`a=1 b=x flag` -> [("a", "1"), ("b", "x"), ("flag", None)]."""
    tokens: List[Tuple[str, Optional[str]]] = []
    for token in text.split():
        key, sep, value = token.partition("=")
        tokens.append((key, value) if sep else (token, None))
    return tokens
