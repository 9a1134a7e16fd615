# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose debug flow trace` output (the packet flow trace).

Every line of a trace carries the message id and the trace id, then (with `diagnose debug
flow show function-name enable`) the kernel function and line, then the message:

    id=20085 trace_id=2 func=print_pkt_detail line=5844 msg="vd-root:0 received a
        packet(proto=1, 10.0.1.6:7390->192.168.110.11:2048) tun_id=0.0.0.0 from port2.
        type=8, code=0, id=7390, seq=814."
    id=20085 trace_id=2 func=ipsecdev_hard_start_xmit line=669 msg="enter IPSec interface
        VPN-IPSEC, tun_id=0.0.0.0"
    id=20085 trace_id=2 func=ipsec_common_output4 line=778 msg="No matching IPsec selector, drop"

Generations handled: the id is 13 (4.x/5.0), 20085 (5.x to 7.0), 65308 (7.2+), or any
other number (36870, 36871 were seen on 4.x); `func=`/`line=` are optional; console
timestamps (`2022-11-30 19:54:07 id=...`), a FortiGate-7000/6000 component prefix
(`[FPM04]  id=...`), the prompt in front of the first line, and a line whose `id=` was
cut off (`trace_id=1 func=...`) are accepted. A `msg="..."` may span lines (copies from
PDFs, narrow consoles); `msg=` may end a line with the text on the next one. Traces may
interleave: lines are grouped by (component, trace_id), and a second `received a packet`
for a trace id opens a new trace.

IPsec wording by generation: 5.x `enter IPsec interface-X` (4.x `enter IPsec tunnel-X`)
then `encrypted, and send to GW with source IP`; 7.x `enter IPSec interface X,
tun_id=...`, `output to IPSec tunnel X` (7.4: `, tun_id=GW, vrf 0`), `IPsec encrypt/auth`,
`send to GW via intf-PORT`. `ipsec_tunnel` is the tunnel the packet went into: the
`output to IPSec tunnel` name when printed (a dial-up instance such as `HUB_0`), else the
interface it entered.

Result: `traces[]` (see `_new_trace` for every key; the contract's core is `trace_id`,
`src_ip`, `dst_ip`, `protocol`, `src_port`, `dst_port`, `in_interface`, `route_gateway`,
`route_interface`, `policy_id`, `verdict`, `drop_reason`, `ipsec_tunnel`, `snat`),
`unparsed`, `stats` (line and verdict counters over every trace seen, including those a
bounded stream no longer holds).

* ICMP has no ports: `src_port`/`dst_port` are null and `icmp` holds `type`, `code`, `id`,
  `seq` (from `type=8, code=0, id=1, seq=1.`, or from the numbers after the addresses:
  the source is the ICMP id, the destination `type << 8 | code` (4.x: the type)).
* `verdict`: `denied` (`Denied by ... (policy N)`, a local-in policy `check failed on
  policy N, drop`), `dropped` (any `..., drop` message: `No matching IPsec selector`,
  `reverse path check fail`, `SA is not ready yet`, ...), `allowed` (`Allowed by
  Policy-N`, or the packet visibly left: encrypted / `send to` / `send out via`), else
  `unknown`. A drop after `Allowed by` wins (the selector check comes after the policy).
* `drop_reason`: `no_ipsec_selector`, `policy_deny`, `rpf_fail`, or the message text.
* `snat`: `Allowed by Policy-N: SNAT`, `find SNAT: ...` or `SNAT a->b:p` seen.
* `messages`: the msg texts in order, at most `MAX_MESSAGES` (`message_count` counts all).

`FlowTraceStream` parses while output arrives: `feed(chunk)` returns the traces whose
verdict became known (or changed, e.g. allowed then dropped) in that chunk; the returned
dicts are the live records, so a later line may still add to them. `close()` also returns
the traces that never got a verdict (`unknown`). With `max_traces` only the most recent
traces are kept (`stats.discarded` counts the others) and `unparsed` is bounded too.
`parse_debug_flow(text)` is one `feed` + `close` + `result`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import redact_text
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.linestream import (
    COMMAND_RE,
    LineSplitter,
    split_prompt,
    split_timestamp,
)

MAX_MESSAGES = 64
# A msg spanning lines is given up on after this many continuation lines.
MAX_CONTINUATION = 8

_TRACE_RE = re.compile(
    r"^(?:id=(?P<id>\d+)\s+)?trace_id=(?P<tid>\d+)(?:\s+func=(?P<func>\S+))?(?:\s+line=(?P<line>\d+))?"
    r"\s+msg=(?P<msg>.*)$")
_COMPONENT_RE = re.compile(r"^\[(?P<comp>[A-Za-z0-9_.\-]+)\]\s*")
_RECEIVED_RE = re.compile(
    r"^(?:vd-(?P<vdom>\S+?)(?::(?P<vdidx>\d+))?\s+)?received\s+a\s+packet\s*\(\s*proto=(?P<proto>\d+)\s*,\s*"
    r"(?P<src>[^\s>]*?)\s*->\s*(?P<dst>[^\s)]*)\s*\)?(?P<rest>.*)$")
_FROM_RE = re.compile(r"\bfrom\s+(\S+)")
_TUN_ID_RE = re.compile(r"\btun_id=(\S+?),?(?:\s|$)")
_ICMP_RE = re.compile(r"\btype=(\d+),\s*code=(\d+),\s*id=(\d+),\s*seq=(\d+)")
_TCP_RE = re.compile(r"\bflag\s+\[([^\]]*)\]")
_SESSION_NEW_RE = re.compile(r"^allocate a new session-([0-9A-Fa-f]+)")
_SESSION_FOUND_RE = re.compile(r"^Find an existing session,\s*id-([0-9A-Fa-f]+)(?:,\s*(\w+)\s+direction)?", re.I)
_ROUTE_RE = re.compile(r"^find a route:.*?\bgw-(?P<gw>\S+?),?\s+via\s+(?P<via>[^\s,]+)")
_PBR_RE = re.compile(r"^Match policy routing id=(\d+)")
_ALLOWED_RE = re.compile(r"^Allowed by Policy-(?P<id>\d+):?\s*(?P<rest>.*)$", re.I)
_DENIED_RE = re.compile(r"^Denied by\b(?P<what>.*)$", re.I)
_POLICY_NUM_RE = re.compile(r"\(policy\s+(\d+)\)|\bon policy\s+(\d+)", re.I)
_LOCAL_IN_DENY_RE = re.compile(r"check failed on policy\s+(\d+)", re.I)
_ENTER_7X_RE = re.compile(r"^enter IPsec interface\s+(?P<name>[^\s,]+)", re.I)
_ENTER_5X_RE = re.compile(r"^enter IPsec (?:interface|tunnel)-(?P<name>\S+)", re.I)
_OUTPUT_RE = re.compile(r"^output to IPsec tunnel\s+(?P<name>[^\s,]+)(?:,\s*tun_id=(?P<gw>[^\s,]+))?", re.I)
_ENCRYPTED_RE = re.compile(r"^encrypted, and send to\s+(?P<gw>[^\s,]+)(?:\s+with source\s+(?P<src>\S+))?", re.I)
_SEND_TO_RE = re.compile(r"^send to\s+(?P<gw>\S+)\s+via\s+intf-(?P<intf>\S+)")
_SEND_OUT_RE = re.compile(r"^send out via dev-(?P<intf>[^\s,]+)")
_SNAT_RE = re.compile(r"^(?:find SNAT:|SNAT\s+\S+->)")
_DNAT_RE = re.compile(r"^(?:find DNAT:|DNAT\s+\S+->)")
_DROP_RE = re.compile(r"(?:,\s*|\b)drop\.?$", re.I)
# Output of the other debug-flow commands, which shows up in the same captures.
_CHATTER_RE = re.compile(
    r"^(?:\^C|show function name|show trace messages about iprope|Debug messages will be on\b.*"
    r"|(?:vf|proto|Host addr|Host saddr|Host daddr|port|sport|dport|addr|saddr|daddr):\s.*)$", re.I)

# Lines that are never part of a wrapped msg: key material as other commands print it.
_SECRETISH_RE = re.compile(r"\bkey=\d|\bkey\s*:|\bSK_[a-z]{2}\b|\b(?:enc|auth):|\bENC\s|[0-9A-Fa-f]{16,}")


def _host_port(text: str) -> Tuple[Optional[str], Optional[int]]:
    """`10.1.1.1:500` -> ("10.1.1.1", 500); IPv6 `3ff5::100:10001` splits at the last colon."""
    text = text.strip()
    if not text:
        return None, None
    host, sep, port = text.rpartition(":")
    if sep and host and port.isdigit():
        return host, int(port)
    return text, None


def _new_trace(trace_id: int, debug_id: Optional[int], component: Optional[str],
               timestamp: Optional[str]) -> Dict[str, Any]:
    return {
        "trace_id": trace_id,
        "debug_id": debug_id,
        "component": component,
        "timestamp": timestamp,
        "vdom": None,
        "vdom_index": None,
        "src_ip": None,
        "src_port": None,
        "dst_ip": None,
        "dst_port": None,
        "protocol": None,
        "icmp": None,
        "tcp_flags": None,
        "in_interface": None,
        "tun_id": None,
        "session_id": None,
        "new_session": None,
        "route_gateway": None,
        "route_interface": None,
        "policy_route_id": None,
        "policy_id": None,
        "verdict": "unknown",
        "drop_reason": None,
        "ipsec_interface": None,
        "ipsec_tunnel": None,
        "ipsec_gateway": None,
        "encrypted": False,
        "out_interface": None,
        "snat": False,
        "dnat": False,
        "messages": [],
        "message_count": 0,
    }


def _apply_received(trace: Dict[str, Any], match: Any) -> None:
    trace["vdom"] = match.group("vdom")
    trace["vdom_index"] = int(match.group("vdidx")) if match.group("vdidx") else None
    protocol = int(match.group("proto"))
    trace["protocol"] = protocol
    src, src_num = _host_port(match.group("src"))
    dst, dst_num = _host_port(match.group("dst"))
    trace["src_ip"], trace["dst_ip"] = src, dst
    rest = match.group("rest")
    found = _FROM_RE.search(rest)
    if found:
        name = found.group(1)
        trace["in_interface"] = name[:-1] if name.endswith(".") else name
    found = _TUN_ID_RE.search(rest)
    if found:
        trace["tun_id"] = found.group(1)
    if protocol in (1, 58):
        icmp: Dict[str, Optional[int]] = {"type": None, "code": None, "id": src_num, "seq": None}
        found = _ICMP_RE.search(rest)
        if found:
            icmp.update(type=int(found.group(1)), code=int(found.group(2)), id=int(found.group(3)),
                        seq=int(found.group(4)))
        elif dst_num is not None:
            if dst_num > 255 or dst_num == 0:  # type << 8 | code (an echo reply is 0 either way)
                icmp.update(type=dst_num >> 8, code=dst_num & 255)
            else:  # 4.x printed the type alone
                icmp["type"] = dst_num
        trace["icmp"] = icmp
        return
    trace["src_port"], trace["dst_port"] = src_num, dst_num
    found = _TCP_RE.search(rest)
    if found:
        trace["tcp_flags"] = found.group(1)


def _set_verdict(trace: Dict[str, Any], verdict: str, reason: Optional[str] = None) -> None:
    current = trace["verdict"]
    if current in ("denied", "dropped"):
        return  # the first refusal is the one that counts
    if verdict == "allowed":
        if current == "unknown":
            trace["verdict"] = "allowed"
        return
    trace["verdict"] = verdict
    trace["drop_reason"] = reason


def _policy_number(text: str) -> Optional[int]:
    found = _POLICY_NUM_RE.search(text)
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


def _apply_message(trace: Dict[str, Any], msg: str) -> None:
    """Fold one message into the trace."""
    text = msg.strip()
    match = _RECEIVED_RE.match(text)
    if match:
        _apply_received(trace, match)
        return
    match = _SESSION_NEW_RE.match(text)
    if match:
        trace["session_id"], trace["new_session"] = match.group(1), True
        return
    match = _SESSION_FOUND_RE.match(text)
    if match:
        trace["session_id"], trace["new_session"] = match.group(1), False
        return
    match = _ROUTE_RE.match(text)
    if match:
        trace["route_gateway"], trace["route_interface"] = match.group("gw"), match.group("via")
        return
    match = _PBR_RE.match(text)
    if match:
        trace["policy_route_id"] = int(match.group(1))
        return
    match = _ALLOWED_RE.match(text)
    if match:
        trace["policy_id"] = int(match.group("id"))
        if "SNAT" in match.group("rest").upper():
            trace["snat"] = True
        _set_verdict(trace, "allowed")
        return
    match = _DENIED_RE.match(text)
    if match:
        number = _policy_number(text)
        if number is not None:
            trace["policy_id"] = number
        reason = "policy_deny" if number is not None or "policy" in text.lower() else text
        _set_verdict(trace, "denied", reason)
        return
    match = _LOCAL_IN_DENY_RE.search(text)
    if match:
        trace["policy_id"] = int(match.group(1))
        _set_verdict(trace, "denied", "policy_deny")
        return
    match = _ENTER_7X_RE.match(text) or _ENTER_5X_RE.match(text)
    if match:
        trace["ipsec_interface"] = match.group("name")
        trace["ipsec_tunnel"] = trace["ipsec_tunnel"] or match.group("name")
        return
    match = _OUTPUT_RE.match(text)
    if match:
        trace["ipsec_tunnel"] = match.group("name")
        trace["ipsec_interface"] = trace["ipsec_interface"] or match.group("name")
        gateway = match.group("gw")
        if gateway and gateway != "0.0.0.0":
            trace["ipsec_gateway"] = gateway
        return
    match = _ENCRYPTED_RE.match(text)
    if match:
        trace["encrypted"] = True
        trace["ipsec_gateway"] = match.group("gw")
        _set_verdict(trace, "allowed")
        return
    if text.lower().startswith("ipsec encrypt"):
        trace["encrypted"] = True
        return
    match = _SEND_TO_RE.match(text)
    if match:
        trace["out_interface"] = match.group("intf")
        if trace["encrypted"] or trace["ipsec_tunnel"]:
            trace["ipsec_gateway"] = trace["ipsec_gateway"] or match.group("gw")
        _set_verdict(trace, "allowed")
        return
    match = _SEND_OUT_RE.match(text)
    if match:
        trace["out_interface"] = match.group("intf")
        _set_verdict(trace, "allowed")
        return
    if _SNAT_RE.match(text):
        trace["snat"] = True
        return
    if _DNAT_RE.match(text):
        trace["dnat"] = True
        return
    lowered = text.lower()
    if "no matching ipsec selector" in lowered:
        _set_verdict(trace, "dropped", "no_ipsec_selector")
    elif "reverse path check fail" in lowered:
        _set_verdict(trace, "dropped", "rpf_fail")
    elif _DROP_RE.search(text):
        _set_verdict(trace, "dropped", text)


def _join(parts: List[str], line: str) -> None:
    """Append a continuation line of a msg: a line cut at `-` joins without a blank."""
    if parts and parts[-1].endswith("-"):
        parts.append(line.strip())
    elif parts and parts[-1]:
        parts.append(" " + line.strip())
    else:
        parts.append(line.strip())


class FlowTraceStream:
    """Incremental `diagnose debug flow` parser (see the module doc)."""

    def __init__(self, include_keys: bool = False, max_traces: Optional[int] = None) -> None:
        self.include_keys = include_keys
        self.max_traces = max_traces if max_traces is None or max_traces > 0 else 1
        self._max_unparsed = None if max_traces is None else max(100, self.max_traces or 0)
        self._lines = LineSplitter()
        self._traces: List[Dict[str, Any]] = []
        self._start = 0  # index of the first kept trace in _traces (bounded mode)
        self._open: Dict[Tuple[Optional[str], int], Dict[str, Any]] = {}
        self._reported: Dict[int, str] = {}  # id(trace) -> verdict last returned
        self._dirty: Dict[int, Dict[str, Any]] = {}  # traces whose verdict moved since the last return
        self._evicted: List[int] = []  # dirty traces no longer kept: forgotten once handed out
        self._changed: List[Dict[str, Any]] = []
        self._unparsed: List[str] = []
        self._pending: Optional[Dict[str, Any]] = None  # a msg spanning lines
        self._closed = False
        self._stats: Dict[str, int] = {
            "lines": 0, "trace_lines": 0, "traces": 0, "allowed": 0, "denied": 0, "dropped": 0,
            "unknown": 0, "discarded": 0, "unparsed": 0,
        }

    # -- public API ---------------------------------------------------------
    def feed(self, chunk: Any) -> List[Dict[str, Any]]:
        try:
            for line in self._lines.feed(chunk):
                self._line(line)
        except Exception:  # a parser never raises; the line is simply lost to `unparsed`
            pass
        return self._take_changed()

    def close(self) -> List[Dict[str, Any]]:
        try:
            for line in self._lines.close():
                self._line(line)
            self._flush_pending()
            if not self._closed:
                self._closed = True
                # Traces that never got a verdict are done now, as `unknown`.
                for trace in self._kept():
                    if id(trace) not in self._reported:
                        self._mark(trace)
        except Exception:
            pass
        return self._take_changed()

    @property
    def count(self) -> int:
        """Traces kept so far: cheap, for stop conditions."""
        return len(self._kept())

    def result(self) -> Dict[str, Any]:
        return {"traces": list(self._kept()), "unparsed": list(self._unparsed), "stats": dict(self._stats)}

    # -- internals ----------------------------------------------------------
    def _kept(self) -> List[Dict[str, Any]]:
        return self._traces[self._start:] if self._start else self._traces

    def _take_changed(self) -> List[Dict[str, Any]]:
        for trace in self._dirty.values():
            if self._reported.get(id(trace)) != trace["verdict"]:
                self._mark(trace)
        self._dirty.clear()
        for ident in self._evicted:
            self._reported.pop(ident, None)
        self._evicted = []
        changed, self._changed = self._changed, []
        return changed

    def _mark(self, trace: Dict[str, Any]) -> None:
        self._reported[id(trace)] = trace["verdict"]
        self._changed.append(trace)

    def _unplaced(self, line: str) -> None:
        self._stats["unparsed"] += 1
        if self._max_unparsed is not None and len(self._unparsed) >= self._max_unparsed:
            return
        self._unparsed.append(line if self.include_keys else redact_text(line))

    def _line(self, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        self._stats["lines"] += 1
        timestamp, component = None, None
        for _unused in range(3):
            had_prompt, rest = split_prompt(line)
            if had_prompt:
                line = rest.strip()
                if not line or COMMAND_RE.match(line):
                    return
                continue
            stamp, rest = split_timestamp(line)
            if stamp is not None:
                timestamp, line = stamp, rest.strip()
                continue
            match = _COMPONENT_RE.match(line)
            if match is not None:
                component, line = match.group("comp"), line[match.end():]
                continue
            break
        self._dispatch(line, raw, timestamp, component)

    def _dispatch(self, line: str, raw: str, timestamp: Optional[str], component: Optional[str]) -> None:
        match = _TRACE_RE.match(line)
        if match is None:
            # A continuation never looks like key material (that would be other output).
            if self._pending is not None and not _SECRETISH_RE.search(line):
                self._continue(line)
                return
            self._flush_pending()
            if COMMAND_RE.match(line) or _CHATTER_RE.match(line):
                return
            self._unplaced(raw.strip())
            return
        self._flush_pending()
        self._stats["trace_lines"] += 1
        header = {
            "tid": int(match.group("tid")),
            "id": int(match.group("id")) if match.group("id") else None,
            "component": component,
            "timestamp": timestamp,
            "parts": [],
            "count": 0,
        }
        msg = match.group("msg").strip()
        if not msg:
            header["quote"] = True  # `msg=` ends the line: the text follows
            self._pending = header
            return
        if msg.startswith('"'):
            body = msg[1:]
            end = body.rfind('"')
            if end >= 0:
                self._message(header, body[:end])
                return
            header["parts"].append(body)
            self._pending = header
            return
        self._message(header, msg)

    def _continue(self, line: str) -> None:
        pending = self._pending
        if pending is None:
            return
        pending["count"] += 1
        text = line
        if pending.pop("quote", False):
            if not text.startswith('"'):
                self._pending = None
                self._message(pending, "")
                self._dispatch(line, line, None, None)  # not the awaited text: a line of its own
                return
            text = text[1:]
        end = text.rfind('"')
        if end >= 0:
            _join(pending["parts"], text[:end])
            self._pending = None
            self._message(pending, "".join(pending["parts"]))
            return
        _join(pending["parts"], text)
        if pending["count"] >= MAX_CONTINUATION:
            self._flush_pending()

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._message(pending, "".join(pending["parts"]))

    def _message(self, header: Dict[str, Any], msg: str) -> None:
        key = (header["component"], header["tid"])
        trace = self._open.get(key)
        received = _RECEIVED_RE.match(msg.strip()) is not None
        if trace is None or (received and trace["src_ip"] is not None):
            trace = self._new(key, header)
        trace["message_count"] += 1
        if len(trace["messages"]) < MAX_MESSAGES:
            trace["messages"].append(msg.strip())
        before = trace["verdict"]
        _apply_message(trace, msg)
        after = trace["verdict"]
        if after != before:
            self._stats[before] -= 1
            self._stats[after] += 1
            self._dirty[id(trace)] = trace

    def _new(self, key: Tuple[Optional[str], int], header: Dict[str, Any]) -> Dict[str, Any]:
        trace = _new_trace(header["tid"], header["id"], header["component"], header["timestamp"])
        self._open[key] = trace
        self._traces.append(trace)
        self._stats["traces"] += 1
        self._stats["unknown"] += 1
        if self.max_traces is not None and len(self._traces) - self._start > self.max_traces:
            old = self._traces[self._start]
            self._start += 1
            self._stats["discarded"] += 1
            if id(old) in self._dirty:
                self._evicted.append(id(old))  # still handed out by this feed, then forgotten
            else:
                self._reported.pop(id(old), None)
            old_key = (old["component"], old["trace_id"])
            if self._open.get(old_key) is old:
                del self._open[old_key]
            if self._start > 1024 and self._start * 2 > len(self._traces):
                self._traces = self._traces[self._start:]
                self._start = 0
        return trace


def parse_debug_flow(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose debug flow` trace output (see the module doc). Never raises."""
    stream = FlowTraceStream(include_keys=include_keys)
    stream.feed(text)
    stream.close()
    return stream.result()
