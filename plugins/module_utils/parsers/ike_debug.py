# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser and finding classifier for the IKE real-time debug
(`diagnose debug application ike MASK` + `diagnose debug enable`), FortiOS 5.6 to 7.6.

Line layout (one event per line)::

    [YYYY-MM-DD HH:MM:SS[.micro] ][PROMPT # ]ike [V=VDOM:]INDEX[:CONTEXT]: MESSAGE

`CONTEXT` is `GATEWAY`, `GATEWAY:SERIAL`, `GATEWAY:SERIAL:PHASE2:SERIAL`, `GATEWAY:PHASE2` or
`ICOOKIE/RCOOKIE:SERIAL` (before a gateway is matched); 7.4+ prints `V=VDOM:` before the
index. A few lines carry no index (`ike Negotiate SA Error: ...`, `ike shrank heap ...`) and
the IKEv1 error lines embed a second prefix
(`ike Negotiate ISAKMP SA Error: ike 0:GW:87: no SA proposal chosen`). Long hex dumps and
vendor IDs may wrap: a line of hex digits right after an IKE line continues it.

Findings (contract vocabulary), one per (code, gateway), first evidence kept:

* `phase1_proposal_mismatch` / `phase2_proposal_mismatch`: `no SA proposal chosen`,
  `no proposal chosen`, `no matching proposal`, `peer SA proposal not match local policy`,
  notify `NO_PROPOSAL_CHOSEN` / `NO-PROPOSAL-CHOSEN`. The phase is explicit in
  `Negotiate ISAKMP SA Error` / `Negotiate IPsec SA Error`; otherwise a line with a phase 2
  context (`GW:9:P2:15:`), or for an IKE SA that is established or in its IKEv2 AUTH
  exchange (where the first child SA is negotiated), is phase 2; anything else phase 1.
* `psk_mismatch`: `probable pre-shared secret mismatch` (IKEv1), `PSK auth failed: probable
  pre-shared key mismatch` (IKEv2), notify `AUTHENTICATION_FAILED` (the usual cause with a
  PSK), and an IKEv1 main-mode initiator whose 5th message (`ident_i3send`) is never answered
  (the peer cannot decrypt it) until 3 retransmissions or the negotiation timeout.
* `peer_id_mismatch`: `incorrect ID`, `gw validation failed` / `gateway validation failed`,
  `peer ID mismatch`, notify `INVALID-ID-INFORMATION` during phase 1.
* `selector_mismatch`: `specified selectors mismatch`, `no matching phase2 found`,
  `failed to match peer selectors`, notify `TS_UNACCEPTABLE`, `INVALID-ID-INFORMATION` during
  phase 2.
* `no_matching_gateway`: `no matching gateway`, `no suitable gateway`, `gateway not found`,
  `unknown peer`.
* `peer_unreachable`: 3 retransmissions (`sent IKE msg (...RETRANSMIT...)`) of a gateway that
  has not answered since its negotiation started (an answer is a `comes PEER:...` line from the
  address the gateway sends to, or a line of the gateway that received something), or a
  `negotiation timeout` without any answer; also `Network is unreachable` / `No route to host`.
* `dpd_timeout`: DPD failures (`DPD ... fail|timeout|expired`, `dpd failure`, `peer is dead`).
* `nat_detected`: `NAT detected` (not `NAT not detected`).
* `established`: `established IKE SA`, `added IPsec SA`.
* `negotiation_failure`: `no policy configured`, `gateway is in passive mode`; and the generic
  `negotiation failure`, `Negotiate SA Error: [N]`, `error processing ...`,
  `failed to get responder proposal`, `negotiation timeout` after the peer had answered: a
  generic line is dropped when a more precise failure of the same gateway (or a line without
  gateway) is within 8 IKE lines before or after it, so it only reports failures that nothing
  names more precisely.

A line with keys printed by mask 64 (`key 16:HEX`, `auth 20:HEX`, `SK_ei 32:HEX` ...) reads
`<redacted>` as a whole in the event's `text` unless include_keys; its `keys` field holds the
keys by name (`<redacted>` unless include_keys) and `masked` the line with only the keys hidden
(the same either way, so SPIs and cookies stay readable).

`IkeDebugStream` parses chunks cut anywhere with bounded memory (`max_events`, 200 unparsed
lines, one finding per code and gateway); `parse_ike_debug(text)` is the same on one chunk.
"""
from __future__ import annotations

import re
from collections import deque
from typing import Any, Deque, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import (
    REDACTED,
    gc_paused,
    redact_text,
    to_text,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.linestream import clean_line, split_prompt

FINDING_CODES = (
    "phase1_proposal_mismatch", "phase2_proposal_mismatch", "psk_mismatch", "peer_id_mismatch",
    "selector_mismatch", "no_matching_gateway", "peer_unreachable", "dpd_timeout", "nat_detected",
    "negotiation_failure", "established",
)
MAX_UNPARSED = 200
MAX_LINE = 65536  # longer raw lines are cut (a stream without line ends stays bounded)
RETRANSMITS_UNREACHABLE = 3  # retransmissions without any answer that make a peer unreachable
GENERIC_WINDOW = 8  # IKE lines around a generic failure searched for a more precise one
_STATE_LIMIT = 8192  # per-gateway / per-SA state entries kept before starting over

# `ike [V=VDOM:]INDEX[:CONTEXT]` then `: `, a blank or the end of the line.
_PREFIX_RE = re.compile(r"ike (?:V=([^:\s]*):)?([0-9]+)(?::(\S*?))?(?::\s+|:$|\s+|$)")
_V_RE = re.compile(r"V=([^:\s]*):")
# `diagnose debug console timestamp enable`: `2025-03-14 10:00:01[.123456] `.
_TIMESTAMP_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)(?:\s+|$)")
_COOKIES_RE = re.compile(r"^[0-9A-Fa-f]{16}/[0-9A-Fa-f]{16}$")
# `ike Negotiate ISAKMP SA Error: ike 0:GW:87: no SA proposal chosen` (the inner prefix names
# the gateway); 7.4 also `ike V=root:GW Negotiate SA Error: gateway validation failed`.
_NEGOTIATE_RE = re.compile(r"(?:(\S+) )?(Negotiate (?:(ISAKMP|IPsec) )?SA Error:\s*(.*))$")
_INNER_RE = re.compile(r"^ike (?:V=[^:\s]*:)?[0-9]+(?::\S*?)?(?::\s+|:$|\s+|$)")
_HEX_LINE_RE = re.compile(r"^[0-9A-Fa-f]+$")
# Console noise around a debug session: echoed commands and the debug switches' answers.
_COMMAND_RE = re.compile(r"^(?:di(?:a[a-z]*)?|get|show|exe[a-z]*|sudo|config|end|edit|next)(?:\s+[A-Za-z\-]|\s*$)")
_NOISE_RE = re.compile(r"^(?:Debug messages will be (?:on|off) for |Current duration is set to )")
# Key material printed with mask 64.
_KEY_RE = re.compile(r"\b(key|auth|SK_[a-z]{1,2})\s+([0-9]+):([0-9A-Fa-f]+)")
# Texts that never hold a finding: hex dumps and vendor IDs (long, skipped by the classifier).
_DUMP_PREFIXES = ("in ", "out ", "enc ", "dec ", "VID ")
# Cheap pre-check: only texts with one of these go through the rules below.
_TRIGGER_RE = re.compile(
    r"fail|FAIL|match|chosen|CHOSEN|incorrect|INVALID|UNACCEPT|Error|error|nreachable|No route|NAT|DPD|dpd|dead|"
    r"stablish|added IPsec|timeout|policy configured|passive mode|unknown peer|not found")
_SENT_RE = re.compile(r"^sent IKE msg \(([^)]*)\): ([^\s,]+)->([^\s,]+)")
_COMES_RE = re.compile(r"^comes ([^\s>]+?)->")

# Messages that are never a finding (proposal dumps, exchange headers, routine steps): the
# classifier skips them without a regex.
_ROUTINE_PREFIXES = (
    "type=", "proposal id", "protocol id", "protocol =", "trans_id", "encapsulation", "ISAKMP SA lifetime",
    "lifetime=", "IKEv1 exchange=", "IKEv2 exchange=", "cookie ", "my proposal", "incoming proposal",
    "incoming child SA proposal", "negotiation result", "matched proposal", "selected NAT-T", "peer is FortiGate",
    "received notify type NAT_DETECTION", "received notify type FRAGMENTATION", "DPD negotiated", "PFS ",
    "src ", "dst ", "IPsec SA selectors", "set sa life", "SA life ", "replay protection", "TSi_", "TSr_",
    "peer proposal", "found ", "using existing connection", "config found", "traffic triggered",
    "auto-negotiate", "created connection", "request is on the queue", "NAT keep-alive", "cache rebuild",
    "SA proposal chosen, matched", "add IPsec SA", "IPsec SA dec spi", "IPsec SA enc spi", "sending SNMP",
    "check peer route", "processing INITIAL-CONTACT", "processed INITIAL-CONTACT", "no pending Quick-Mode",
    "link is idle", "initiator: main mode", "responder: main mode", "initiator: aggressive mode",
    "responder: aggressive mode", "initiator: quick mode", "responder: quick mode",
)
# Exact messages seen in every failing negotiation: skip the rule search.
_EXACT: Dict[str, str] = {"negotiation failure": "generic"}

# (compiled rule, code); "proposal" and "invalid_id" depend on the phase, "generic" may be
# absorbed by a more precise finding. The first rule that matches wins: success lines and
# timeouts cannot contain a failure text, so they go first (they are the common hits).
_RULES: Tuple[Tuple[Any, str], ...] = (
    (re.compile(r"established IKE SA|added IPsec SA|(?:ISAKMP|IPsec) SA established"), "established"),
    (re.compile(r"negotiation timeout"), "timeout"),
    (re.compile(r"pre-shared (?:secret|key) mismatch|PSK auth(?:entication)? failed|AUTHENTICATION[_-]FAILED"), "psk_mismatch"),
    (re.compile(r"no (?:SA )?proposal chosen|NO[_-]PROPOSAL[_-]CHOSEN|no (?:matching|suitable) proposal|"
                r"peer SA proposal not match|failed to get a proposal"), "proposal"),
    (re.compile(r"selectors mismatch|no matching phase ?2|failed to match peer selectors|TS[_-]UNACCEPTABLE"),
     "selector_mismatch"),
    (re.compile(r"INVALID[_-]ID[_-]INFORMATION"), "invalid_id"),
    (re.compile(r"incorrect ID|gw validation failed|gateway validation failed|peer ID mismatch|"
                r"peer identifier .*(?:mismatch|does not match)"), "peer_id_mismatch"),
    (re.compile(r"no (?:matching|suitable) gateway|gateway not found|no gateway (?:found|matched)|unknown peer"),
     "no_matching_gateway"),
    (re.compile(r"\bDPD\b[^.]*?(?:fail|timeout|timed out|expired)|dpd[_ ]fail|peer is dead|dead peer", re.IGNORECASE),
     "dpd_timeout"),
    (re.compile(r"Network is unreachable|No route to host|Host is unreachable"), "peer_unreachable"),
    (re.compile(r"(?<!not )\bNAT(?:-T)? detected"), "nat_detected"),
    (re.compile(r"no policy configured|gateway is in passive mode"), "negotiation_failure"),
    (re.compile(r"negotiation fail|Negotiate SA Error|error processing|failed to get responder proposal|"
                r"SA connect\b.*\bfailed"), "generic"),
)
# Codes that make a generic failure nearby redundant.
_PRECISE = frozenset(FINDING_CODES) - {"established", "nat_detected"}


def _rule_code(message: str) -> Optional[str]:
    """The first rule that matches the message, or None (the phase is decided by the caller)."""
    code = _EXACT.get(message)
    if code is not None:
        return code
    if message.startswith(_ROUTINE_PREFIXES) or _TRIGGER_RE.search(message) is None:
        return None
    for rule, code in _RULES:
        if rule.search(message) is not None:
            return code
    return None


class _Peer(object):
    """What one gateway's current negotiation has shown (for peer_unreachable)."""

    __slots__ = ("remote", "answered", "retransmits", "msg5")

    def __init__(self) -> None:
        self.remote: Optional[str] = None
        self.answered = False
        self.retransmits = 0
        self.msg5 = False  # an IKEv1 main-mode initiator sent its 5th message (ident_i3send)


def _host(address: str) -> str:
    host, sep, port = address.rpartition(":")
    return host.strip("[]") if sep and port.isdigit() else address


def _split_context(context: str) -> Tuple[Optional[str], Optional[str], Optional[int], Optional[str], Optional[int]]:
    """`GW:9:P2:15` -> (gateway, cookies, serial, phase2, phase2_serial)."""
    segments = context.split(":")
    first = segments[0]
    gateway = cookies = None
    if first:
        if "/" in first and _COOKIES_RE.match(first):
            cookies = first
        else:
            gateway = first
    serial = phase2 = phase2_serial = None
    for segment in segments[1:]:
        if segment.isdecimal():
            if serial is None and phase2 is None:
                serial = int(segment)
            elif phase2_serial is None:
                phase2_serial = int(segment)
        elif segment and phase2 is None:
            phase2 = segment
    return gateway, cookies, serial, phase2, phase2_serial


class IkeDebugStream(object):
    """Streaming IKE debug parser: `feed` chunks cut anywhere, then `close`, then `result`.

    `feed`/`close` return the findings that appeared for the first time in that chunk (a
    (code, gateway) seen before is only counted). With `max_events`, only the first
    `max_events` events are kept (the rest are counted in `stats.events_dropped`); unparsed
    lines are capped at 200 and findings at one per (code, gateway), so memory stays bounded.
    A generic `negotiation_failure` is reported once the following 8 IKE lines have shown that
    nothing names the failure more precisely (or at `close`).
    """

    def __init__(self, include_keys: bool = False, max_events: Optional[int] = None) -> None:
        self._include_keys = bool(include_keys)
        self._max_events = None if max_events is None else max(0, int(max_events))
        self._pending: List[str] = []
        self._pending_len = 0
        self._events: List[Dict[str, Any]] = []
        self._findings: Dict[Tuple[str, Optional[str]], Dict[str, Any]] = {}
        self._unparsed: List[str] = []
        self._lines = 0
        self._event_count = 0
        self._dropped = 0
        self._unparsed_dropped = 0
        self._new: List[Dict[str, Any]] = []
        self._last_event: Optional[Dict[str, Any]] = None
        # The last meaningful line was an IKE hex dump/VID ("dump") or key line ("keys"): a line
        # of hex digits right after it continues it. None otherwise.
        self._continues: Optional[str] = None
        self._heads: Dict[str, Any] = {}  # line prefix -> parsed fields
        self._codes: Dict[str, Optional[str]] = {}  # message -> rule code (messages repeat)
        self._peers: Dict[Tuple[Any, str], _Peer] = {}
        self._by_remote: Dict[str, List[_Peer]] = {}
        self._child: set = set()  # (vdom, gateway, serial) of IKE SAs past phase 1 / in IKEv2 AUTH
        self._generic: Deque[Tuple[int, Optional[str], Dict[str, Any]]] = deque()
        self._recent: Deque[Tuple[int, Optional[str]]] = deque(maxlen=32)
        self._closed = False

    # -- public API ------------------------------------------------------------------
    def feed(self, chunk: Any) -> List[Dict[str, Any]]:
        """Parse a chunk; return the findings new in it. Never raises."""
        try:
            text = to_text(chunk)
            if not text or self._closed:
                return []
            with gc_paused():
                if "\n" not in text:
                    self._hold(text)
                    return []
                if self._pending:
                    self._pending.append(text)
                    text = "".join(self._pending)
                    self._pending = []
                    self._pending_len = 0
                # Lines need the full console clean-up only with escapes, backspaces, pager
                # remnants or a bare CR; CR LF alone is taken off by strip().
                plain = ("\x1b" not in text and "\x08" not in text and "--More--" not in text
                         and text.count("\r") == text.count("\r\n"))
                parts = text.split("\n")
                last = parts.pop()
                if last:
                    self._hold(last)
                self._process(parts, plain)
        except Exception:  # a parser never raises
            pass
        return self._take_new()

    def close(self) -> List[Dict[str, Any]]:
        """Flush a last line without line end and the pending generic failures."""
        try:
            if not self._closed:
                with gc_paused():
                    rest = "".join(self._pending)
                    self._pending = []
                    self._pending_len = 0
                    if rest:
                        self._process([rest], False)
                    self._flush_generic(None)
                self._closed = True
        except Exception:
            pass
        return self._take_new()

    @property
    def count(self) -> int:
        """IKE events seen so far (kept or not): cheap, for stop conditions."""
        return self._event_count

    def result(self) -> Dict[str, Any]:
        """{"events", "findings", "unparsed", "stats"} as parsed so far."""
        return {
            "events": list(self._events),
            "findings": [dict(finding) for finding in self._findings.values()],
            "unparsed": list(self._unparsed),
            "stats": {
                "lines": self._lines,
                "events": self._event_count,
                "events_dropped": self._dropped,
                "unparsed_dropped": self._unparsed_dropped,
            },
        }

    # -- line handling -------------------------------------------------------------
    def _hold(self, piece: str) -> None:
        room = MAX_LINE - self._pending_len
        if room <= 0:
            return
        if len(piece) > room:
            piece = piece[:room]
        self._pending.append(piece)
        self._pending_len += len(piece)

    def _take_new(self) -> List[Dict[str, Any]]:
        new = [dict(finding) for finding in self._new]
        self._new = []
        return new

    def _process(self, raw_lines: List[str], plain: bool) -> None:
        handle_ike = self._handle_ike
        stamp_match = _TIMESTAMP_RE.match
        count = 0
        for raw in raw_lines:
            if len(raw) > MAX_LINE:
                raw = raw[:MAX_LINE]
            line = raw.strip() if plain else clean_line(raw).strip()
            if not line:
                continue
            count += 1
            if line.startswith("ike "):
                handle_ike(line, None)
                continue
            timestamp = None
            if "0" <= line[0] <= "9":
                match = stamp_match(line)
                if match is not None:
                    timestamp = match.group(1)
                    line = line[match.end():]
                    if not line:
                        continue
                    if line.startswith("ike "):
                        handle_ike(line, timestamp)
                        continue
            self._other(line, timestamp)
        self._lines += count

    def _other(self, line: str, timestamp: Optional[str]) -> None:
        """A line that does not start with `ike `: prompt, echo, noise, hex continuation or unparsed."""
        had_prompt, rest = split_prompt(line)
        if had_prompt:
            rest = rest.strip()
            if timestamp is None and rest[:1].isdigit():
                # Asynchronous output right after the prompt, with its console timestamp.
                match = _TIMESTAMP_RE.match(rest)
                if match is not None:
                    timestamp = match.group(1)
                    rest = rest[match.end():]
            if rest.startswith("ike "):
                self._handle_ike(rest, timestamp)
                return
            if not rest or _COMMAND_RE.match(rest):
                self._continues = None
                return
            line = rest
        if self._continues is not None and timestamp is None and _HEX_LINE_RE.match(line):
            self._continue_event(line)
            return
        self._continues = None
        if _COMMAND_RE.match(line) or _NOISE_RE.match(line):
            return
        if len(self._unparsed) < MAX_UNPARSED:
            self._unparsed.append(line if self._include_keys else redact_text(line))
        else:
            self._unparsed_dropped += 1

    def _continue_event(self, hexdigits: str) -> None:
        """A wrapped dump or key goes on; kept events get the digits (keys only when shown)."""
        event = self._last_event
        if event is None:
            return
        keys = event.get("keys")
        if keys:
            if self._include_keys:
                name = list(keys)[-1]
                keys[name] = keys[name] + hexdigits
                event["text"] = event["text"] + hexdigits
        elif self._continues == "dump":
            event["text"] = event["text"] + hexdigits

    def _prefix(self, line: str) -> Tuple[Optional[str], Optional[int], Optional[str], str]:
        """(vdom, index, context or None, message) of an `ike ...` line."""
        match = _PREFIX_RE.match(line)
        if match is not None:
            return match.group(1), int(match.group(2)), match.group(3), line[match.end():]
        rest = line[4:]
        vdom = None
        vmatch = _V_RE.match(rest)
        if vmatch is not None:
            vdom = vmatch.group(1)
            rest = rest[vmatch.end():]
        return vdom, None, None, rest.strip()

    def _handle_ike(self, line: str, timestamp: Optional[str]) -> None:
        # The prefix (up to the first `: `) repeats from line to line: parsed once, then cached.
        cut = line.find(": ")
        key = line[:cut] if cut > 4 else None
        head = self._heads.get(key) if key is not None else None
        if head is not None:
            vdom, index, gateway, cookies, serial, phase2, phase2_serial = head
            text = line[cut + 1:].lstrip()
        else:
            match = _PREFIX_RE.match(line)
            if match is not None:
                vdom, index, context, text = match.group(1), int(match.group(2)), match.group(3), line[match.end():]
            else:
                vdom, index, context, text = self._prefix(line)
            if context:
                gateway, cookies, serial, phase2, phase2_serial = _split_context(context)
            else:
                gateway = cookies = phase2 = None
                serial = phase2_serial = None
            if key is not None and match is not None and (match.end(3) if context is not None else match.end(2)) == cut:
                if len(self._heads) >= _STATE_LIMIT:
                    self._heads.clear()
                self._heads[key] = (vdom, index, gateway, cookies, serial, phase2, phase2_serial)
        if text.startswith(_DUMP_PREFIXES):
            # Hex dumps and vendor IDs: the bulk of a capture, never a finding or a key.
            self._event_count += 1
            self._continues = "dump"
            if self._max_events is None or len(self._events) < self._max_events:
                event = {"timestamp": timestamp, "vdom": vdom, "vdom_index": index, "gateway": gateway,
                         "serial": serial, "phase2": phase2, "phase2_serial": phase2_serial, "cookies": cookies,
                         "text": text}
                self._events.append(event)
                self._last_event = event
            else:
                self._dropped += 1
                self._last_event = None
            return
        hint = 0
        message = text
        negotiate = None
        if index is None or "SA Error" in text:
            negotiate = _NEGOTIATE_RE.search(text)
            if negotiate is not None:
                inner = negotiate.group(4)
                kind = negotiate.group(3)
                hint = 1 if kind == "ISAKMP" else 2 if kind == "IPsec" else 0
                if negotiate.group(1) and gateway is None and negotiate.start() == 0:
                    gateway = negotiate.group(1)
                    text = negotiate.group(2)
                if inner.startswith("ike "):
                    ivdom, iindex, icontext, imessage = self._prefix(inner)
                    if _INNER_RE.match(inner) and index is None:
                        vdom = vdom if ivdom is None else ivdom
                        index = iindex
                        if icontext:
                            gateway, cookies, serial, phase2, phase2_serial = _split_context(icontext)
                    message = imessage
                else:
                    message = inner
        self._event_count += 1
        keys = masked = None
        if "key " in text or "SK_" in text:
            keys, masked = self._keys(text)
            if keys is not None and not self._include_keys:
                text = REDACTED  # the whole line: it carries key material
        if self._max_events is None or len(self._events) < self._max_events:
            event = {
                "timestamp": timestamp,
                "vdom": vdom,
                "vdom_index": index,
                "gateway": gateway,
                "serial": serial,
                "phase2": phase2,
                "phase2_serial": phase2_serial,
                "cookies": cookies,
                "text": text,
            }
            if keys is not None:
                event["keys"] = keys
                event["masked"] = masked
            self._events.append(event)
            self._last_event = event
        else:
            self._dropped += 1
            self._last_event = None
        if keys is not None:
            self._continues = "keys"
        else:
            # Only dumps, vendor IDs and keys wrap; hex after anything else is not placed.
            self._continues = None
            self._classify(line, timestamp, vdom, index, gateway, serial, phase2, phase2_serial, message, hint,
                           negotiate)

    def _keys(self, text: str) -> Tuple[Optional[Dict[str, str]], str]:
        found: Dict[str, str] = {}

        def hide(match: Any) -> str:
            name = match.group(1)
            label = name
            number = 2
            while label in found:
                label = "%s_%d" % (name, number)
                number += 1
            found[label] = match.group(3) if self._include_keys else REDACTED
            return "%s %s:%s" % (name, match.group(2), REDACTED)

        redacted = _KEY_RE.sub(hide, text)
        # A mask can open a word boundary ("0key 1:ab" -> "<redacted>key 1:ab"): mask again
        # until nothing key-like is left. Each pass removes a hex value, so this ends.
        while True:
            again = _KEY_RE.sub(hide, redacted)
            if again == redacted:
                break
            redacted = again
        return (found or None), redacted

    # -- classification --------------------------------------------------------------
    def _classify(self, line: str, timestamp: Optional[str], vdom: Optional[str], index: Optional[int],
                  gateway: Optional[str], serial: Optional[int], phase2: Optional[str],
                  phase2_serial: Optional[int], message: str, hint: int, negotiate: Any) -> None:
        vkey = vdom if vdom is not None else index
        number = self._event_count
        if self._generic and self._generic[0][0] + GENERIC_WINDOW < number:
            self._flush_generic(number)
        if message.startswith("comes "):
            match = _COMES_RE.match(message)
            if match is not None:
                for peer in self._by_remote.get(_host(match.group(1)), ()):
                    peer.answered = True
                    peer.retransmits = 0
                    peer.msg5 = False
            return
        if gateway is not None:
            if message.startswith("sent IKE msg ("):
                self._sent(line, timestamp, vdom, index, vkey, gateway, message)
                return
            if "AUTH msg" in message or "quick mode" in message:
                self._mark_child(vkey, gateway, serial)
            if "respons" in message or "received" in message:
                peer = self._peers.get((vkey, gateway))
                if peer is not None:
                    peer.answered = True
                    peer.retransmits = 0
                    peer.msg5 = False
        code = self._codes.get(message, False)
        if code is False:
            code = _rule_code(message)
            if len(self._codes) >= _STATE_LIMIT:
                self._codes.clear()
            self._codes[message] = code
        if code is None:
            if negotiate is not None:
                # `Negotiate SA Error: [11820]` and other reasons no rule names.
                self._generic_hit(number, gateway, line, timestamp, vdom, index)
            return
        if code == "proposal" or code == "invalid_id":
            child = hint == 2 or (hint == 0 and (phase2 is not None or phase2_serial is not None
                                                 or (vkey, gateway, serial) in self._child))
            if code == "proposal":
                code = "phase2_proposal_mismatch" if child else "phase1_proposal_mismatch"
            else:
                code = "selector_mismatch" if child else "peer_id_mismatch"
        elif code == "timeout":
            self._timeout(line, timestamp, vdom, index, vkey, gateway)
            return
        elif code == "generic":
            self._generic_hit(number, gateway, line, timestamp, vdom, index)
            return
        elif code == "established" and message.startswith("established IKE SA"):
            self._mark_child(vkey, gateway, serial)
            peer = self._peers.get((vkey, gateway)) if gateway is not None else None
            if peer is not None:
                peer.answered = True
                peer.retransmits = 0
                peer.msg5 = False
        self._hit(code, gateway, line, timestamp, vdom, index)

    def _mark_child(self, vkey: Any, gateway: Optional[str], serial: Optional[int]) -> None:
        if len(self._child) >= _STATE_LIMIT:
            self._child.clear()
        self._child.add((vkey, gateway, serial))

    def _peer(self, vkey: Any, gateway: str) -> _Peer:
        key = (vkey, gateway)
        peer = self._peers.get(key)
        if peer is None:
            if len(self._peers) >= _STATE_LIMIT:
                self._peers.clear()
                self._by_remote.clear()
            peer = self._peers[key] = _Peer()
        return peer

    def _sent(self, line: str, timestamp: Optional[str], vdom: Optional[str], index: Optional[int],
              vkey: Any, gateway: str, message: str) -> None:
        match = _SENT_RE.match(message)
        if match is None:
            return
        kind = match.group(1)
        peer = self._peer(vkey, gateway)
        remote = _host(match.group(3))
        if peer.remote != remote:
            if peer.remote is not None:
                old = self._by_remote.get(peer.remote)
                if old and peer in old:
                    old.remove(peer)
            peer.remote = remote
            self._by_remote.setdefault(remote, []).append(peer)
        if "RETRANSMIT" in kind.upper():
            peer.retransmits += 1
            if peer.retransmits >= RETRANSMITS_UNREACHABLE:
                if not peer.answered:
                    self._hit("peer_unreachable", gateway, line, timestamp, vdom, index)
                elif peer.msg5:
                    self._hit("psk_mismatch", gateway, line, timestamp, vdom, index)
            return
        if kind in ("ident_i1send", "aggr_i1send", "SA_INIT"):
            # A new negotiation as initiator: nothing answered it yet.
            peer.answered = False
            peer.retransmits = 0
            peer.msg5 = False
        elif kind == "ident_i3send":
            peer.msg5 = True
            peer.retransmits = 0

    def _timeout(self, line: str, timestamp: Optional[str], vdom: Optional[str], index: Optional[int],
                 vkey: Any, gateway: Optional[str]) -> None:
        peer = self._peers.get((vkey, gateway)) if gateway is not None else None
        if peer is None or not peer.answered:
            self._hit("peer_unreachable", gateway, line, timestamp, vdom, index)
        elif peer.msg5:
            self._hit("psk_mismatch", gateway, line, timestamp, vdom, index)
        else:
            self._generic_hit(self._event_count, gateway, line, timestamp, vdom, index)
        if peer is not None:
            peer.answered = False
            peer.retransmits = 0
            peer.msg5 = False

    def _generic_hit(self, number: int, gateway: Optional[str], line: str, timestamp: Optional[str],
                     vdom: Optional[str], index: Optional[int]) -> None:
        for seen, other in self._recent:
            if number - seen <= GENERIC_WINDOW and (other is None or gateway is None or other == gateway):
                return  # a precise failure came just before
        self._generic.append((number, gateway, {"line": line, "timestamp": timestamp, "vdom": vdom, "index": index}))

    def _flush_generic(self, number: Optional[int]) -> None:
        """Report the generic failures that no precise one followed (all of them at close)."""
        generic = self._generic
        while generic and (number is None or generic[0][0] + GENERIC_WINDOW < number):
            seen, gateway, info = generic.popleft()
            self._record("negotiation_failure", gateway, info["line"], info["timestamp"], info["vdom"], info["index"])

    def _hit(self, code: str, gateway: Optional[str], line: str, timestamp: Optional[str],
             vdom: Optional[str], index: Optional[int]) -> None:
        if code in _PRECISE:
            number = self._event_count
            self._recent.append((number, gateway))
            if self._generic:
                kept = deque(item for item in self._generic
                             if not (number - item[0] <= GENERIC_WINDOW
                                     and (item[1] is None or gateway is None or item[1] == gateway)))
                self._generic = kept
        self._record(code, gateway, line, timestamp, vdom, index)

    def _record(self, code: str, gateway: Optional[str], line: str, timestamp: Optional[str],
                vdom: Optional[str], index: Optional[int]) -> None:
        key = (code, gateway)
        finding = self._findings.get(key)
        if finding is None:
            finding = {
                "code": code,
                "gateway": gateway,
                "evidence": line,  # never a key line (those are not classified)
                "count": 1,
                "first_seen": timestamp,
                "last_seen": timestamp,
                "vdom": vdom,
                "vdom_index": index,
            }
            self._findings[key] = finding
            self._new.append(finding)
        else:
            finding["count"] += 1
            if timestamp is not None:
                finding["last_seen"] = timestamp
                if finding["first_seen"] is None:
                    finding["first_seen"] = timestamp


def parse_ike_debug(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse a whole IKE debug capture: {"events", "findings", "unparsed", "stats"}."""
    stream = IkeDebugStream(include_keys=include_keys)
    stream.feed(text)
    stream.close()
    return stream.result()
