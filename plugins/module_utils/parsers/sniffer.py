# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for `diagnose sniffer packet <intf> '<filter>' <verbose> <count> <tsformat>`.

Layout (FortiOS 5.x to 7.6):

    Using Original Sniffing Mode                      (newer builds)
    interfaces=[any]
    filters=[host 203.0.113.9 and udp port 500]
    pcap_snapshot: snaplen raised from 0 to 262144    (7.4+)
    2.105316 port1 out 198.51.100.1.500 -> 203.0.113.9.500: udp 716
    2.134201 port1 in 203.0.113.9.500 -> 198.51.100.1.500: udp 432
    3.514004 port1 out 198.51.100.1 -> 203.0.113.9: ip-proto-50 152
    ...
    6 packets received by filter
    0 packets dropped by kernel

* Verbose 1/2/3 print no interface and direction; 4/5/6 print `IFACE in|out|--`.
  2/3/5/6 add hex-dump lines (`0x0000\\t 4500 0054 ...\\tE..T...`), which are not
  `unparsed`: they are read only to classify UDP 4500 payloads and to find the SPI of
  an ESP packet printed without one.
* Timestamps: relative `ss.micro`, or absolute (`a` UTC, `l` local)
  `yyyy-mm-dd hh:mm:ss.micro`, kept as printed.
* Payloads: `udp N` (UDP payload length), `icmp: echo request`, TCP flags (`syn N`,
  `psh N ack M`, ...), `arp who-has A tell B`, ESP as `ip-proto-50 N` (older builds) or
  `ESP(spi=0x41a02d8a,seq=0x7a)[, length N]`, other protocols as `ip-proto-N N`.

Packets: `timestamp`, `interface`, `direction` (`in`, `out`, or null when not printed or
`--`), `src_ip`, `src_port`, `dst_ip`, `dst_port`, `protocol` (`udp`, `esp`, `tcp`,
`icmp`, `arp`, `ah`, `gre`, `ip-proto-N`, or null when the line names none), `spi`,
`length`, `seq`, `encap`, `info` (the payload text after the addresses).

`spi` is 8 lowercase hex digits without `0x`, the way `diagnose vpn tunnel list` prints
SPIs (`spi=1a2b3c4d`), so the two can be compared directly; it is set for ESP (from
`ESP(spi=...)` or the hex dump) and for ESP-in-UDP found in a hex dump, else null.
`encap` classifies UDP 4500 from the hex dump: `ike` (non-ESP marker: four zero bytes),
`esp` (ESP in UDP), `keepalive` (the one-byte 0xff NAT keepalive); null without a dump.

`summary`: every packet counted once: `ike` (UDP with port 500 on either side), `nat_t`
(UDP with port 4500 on either side), `esp` (IP protocol 50), `other`; plus `total`,
`esp_in_udp`, `nat_t_ike`, `nat_t_keepalive` (the classified part of `nat_t`).

`verdicts[]` (`code`, `peer`, `local`, `message`, `evidence`), per unordered pair of
addresses that exchanged IKE, NAT-T or ESP packets. The sniffer cannot say which address
is the FortiGate's, so `local` is decided per pair: by the printed direction when there is
one (an `out` packet's source, an `in` packet's destination), else the address that sent
the pair's first packet; `peer` is the other one. Codes: `ike_no_reply` (IKE sent, no
reply), `ike_reply_only`, `ike_exchanged`, `nat_t_in_use` (any UDP 4500), `nat_t_out_no_in`,
`nat_t_in_no_out`, `nat_t_both_ways` (UDP 4500 not classified by a hex dump, keepalives
excluded), `esp_out_no_in` (ESP out, none in: the peer or the path drops it, or the
peer's SA is gone), `esp_in_no_out`, `esp_both_ways`; `no_packets` (peer null) when
nothing was captured. NPU-offloaded ESP is not seen by the sniffer at all.

`SnifferStream` parses while output arrives: `feed(chunk)` returns the packets completed in
that chunk (a UDP 4500 or SPI-less ESP packet is completed by the next non-hex line, as
its hex dump may follow; everything else at once). With `max_packets` only the most
recent packets are kept; `summary` and `verdicts` still count every packet, and
`packets_total` counts them all. `parse_sniffer(text)` is one `feed` + `close` + `result`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import redact_text
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.linestream import (
    COMMAND_RE,
    LineSplitter,
    split_prompt,
)

# More address pairs than this are counted in `summary` only.
MAX_PAIRS = 4096

_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)"
_PACKET_RE = re.compile(r"^" + _TS + r"\s+(?P<rest>\S.*)$")
_IFACE_RE = re.compile(r"^(?P<intf>\S+)\s+(?P<dir>in|out|--)\s+(?P<body>\S.*)$")
_ADDRS_RE = re.compile(r"^(?P<src>\S+)\s+->\s+(?P<dst>\S+?):(?:\s+(?P<payload>.*)|$)")
_ARP_RE = re.compile(r"^arp\s+(?:who-has\s+(?P<who>\S+)(?:\s+tell\s+(?P<tell>\S+))?|reply\s+(?P<reply>\S+).*)")
_UDP_RE = re.compile(r"^udp\s+(\d+)")
_PROTO_RE = re.compile(r"^ip-proto-(\d+)(?:\s+(\d+))?")
_ESP_RE = re.compile(r"^ESP\(spi=(?:0x)?(?P<spi>[0-9A-Fa-f]+)(?:,\s*seq=(?:0x)?(?P<seq>[0-9A-Fa-f]+))?\)"
                     r"(?:,?\s*length\s+(?P<len>\d+))?", re.I)
_TCP_RE = re.compile(r"^(?:(?:syn|ack|psh|fin|rst|urg)\b\s*)+", re.I)
_HEX_RE = re.compile(r"^0x[0-9A-Fa-f]{4}[:\s]")
_HEX_BYTES_RE = re.compile(r"^0x[0-9A-Fa-f]{4}:?\s+((?:[0-9A-Fa-f]{4}\s){0,7}[0-9A-Fa-f]{2,4})")
_INTERFACES_RE = re.compile(r"^interfaces=\[(.*)\]\s*$")
_FILTERS_RE = re.compile(r"^filters=\[(.*)\]\s*$")
_MODE_RE = re.compile(r"^Using\s+(.+?)\s+Sniffing Mode\s*$", re.I)
_SNAPLEN_RE = re.compile(r"^pcap_snapshot:\s*snaplen raised from\s+\d+\s+to\s+(\d+)", re.I)
_NOTE_RE = re.compile(r"^pcap_\w+:")
_COUNT_RE = re.compile(r"^(\d+)\s+packets?\s+(received by filter|dropped by kernel|captured)\s*$")

_PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "icmp6", 89: "ospf", 112: "vrrp"}

# (counter kind, label, (codes when only sent, only received, both ways)) in verdict order.
_VERDICT_KINDS = (
    ("ike", "IKE", ("ike_no_reply", "ike_reply_only", "ike_exchanged")),
    ("any_nat_t", "UDP 4500", ("nat_t_in_use",) * 3),
    ("nat_t", "UDP 4500", ("nat_t_out_no_in", "nat_t_in_no_out", "nat_t_both_ways")),
    ("esp", "ESP", ("esp_out_no_in", "esp_in_no_out", "esp_both_ways")),
)

_MESSAGES = {
    "ike_no_reply": "IKE sent, no reply",
    "ike_reply_only": "IKE received, none sent",
    "ike_exchanged": "IKE exchanged both ways",
    "nat_t_in_use": "NAT-T in use (UDP 4500)",
    "nat_t_out_no_in": "UDP 4500 out, none in",
    "nat_t_in_no_out": "UDP 4500 in, none out",
    "nat_t_both_ways": "UDP 4500 both ways",
    "esp_out_no_in": "ESP out, none in",
    "esp_in_no_out": "ESP in, none out",
    "esp_both_ways": "ESP both ways",
    "no_packets": "No packets captured",
}


def _address(text: str) -> Tuple[str, Optional[int]]:
    """`10.1.1.1.500` -> ("10.1.1.1", 500); `10.1.1.1` -> (..., None); IPv6 `2001:db8::1.500` too."""
    if ":" in text:  # IPv6: a port follows the last dot
        host, sep, port = text.rpartition(".")
        if sep and port.isdigit() and ":" in host and "." not in host:
            return host, int(port)
        return text, None
    if text.count(".") == 4:
        host, dummy, port = text.rpartition(".")
        if port.isdigit():
            return host, int(port)
    return text, None


def _hex_bytes(lines: List[str]) -> bytes:
    data = bytearray()
    for line in lines:
        match = _HEX_BYTES_RE.match(line)
        if match is None:
            continue
        for group in match.group(1).split():
            try:
                data += bytes.fromhex(group)
            except ValueError:
                break
    return bytes(data)


def _ip_start(data: bytes) -> Optional[int]:
    """Offset of the IPv4 header: 0 (verbose 2/5), 14 (Ethernet), 16 (Linux cooked)."""
    if len(data) >= 20 and data[0] >> 4 == 4 and data[0] & 15 >= 5:
        return 0
    for offset in (14, 16):
        if len(data) >= offset + 20 and data[offset - 2:offset] == b"\x08\x00" and data[offset] >> 4 == 4:
            return offset
    return None


def _classify(packet: Dict[str, Any], hex_lines: List[str]) -> None:
    """Use a hex dump to find the SPI of ESP, or what a UDP 4500 packet carries."""
    data = _hex_bytes(hex_lines)
    start = _ip_start(data)
    if start is None:
        return
    header = (data[start] & 15) * 4
    total = int.from_bytes(data[start + 2:start + 4], "big")
    data = data[:start + total] if total >= header else data
    proto = data[start + 9]
    body = data[start + header:]
    if proto == 50 and len(body) >= 8:
        packet["spi"] = body[:4].hex()
        packet["seq"] = int.from_bytes(body[4:8], "big")
        return
    if proto != 17 or len(body) < 8:
        return
    payload = body[8:]
    if len(payload) == 1 and payload[0] == 0xFF:
        packet["encap"] = "keepalive"
    elif len(payload) >= 4 and payload[:4] == b"\x00\x00\x00\x00":
        packet["encap"] = "ike"
    elif len(payload) >= 8:
        packet["encap"] = "esp"
        packet["spi"] = payload[:4].hex()
        packet["seq"] = int.from_bytes(payload[4:8], "big")


def _payload(packet: Dict[str, Any], payload: str) -> None:
    packet["info"] = redact_text(payload, keep_ids=True)
    match = _UDP_RE.match(payload)
    if match:
        packet["protocol"], packet["length"] = "udp", int(match.group(1))
        return
    match = _ESP_RE.match(payload)
    if match:
        packet["protocol"] = "esp"
        packet["spi"] = match.group("spi").lower().rjust(8, "0")
        if match.group("seq"):
            packet["seq"] = int(match.group("seq"), 16)
        if match.group("len"):
            packet["length"] = int(match.group("len"))
        return
    match = _PROTO_RE.match(payload)
    if match:
        number = int(match.group(1))
        packet["protocol"] = _PROTOCOLS.get(number, "ip-proto-%d" % number)
        packet["length"] = int(match.group(2)) if match.group(2) else None
        return
    if payload.startswith("icmp"):
        packet["protocol"] = "icmp"
        return
    if _TCP_RE.match(payload):
        packet["protocol"] = "tcp"


def _new_packet(timestamp: str) -> Dict[str, Any]:
    return {
        "timestamp": timestamp,
        "interface": None,
        "direction": None,
        "src_ip": None,
        "src_port": None,
        "dst_ip": None,
        "dst_port": None,
        "protocol": None,
        "spi": None,
        "length": None,
        "seq": None,
        "encap": None,
        "info": None,
    }


def _parse_packet(line: str) -> Optional[Dict[str, Any]]:
    match = _PACKET_RE.match(line)
    if match is None:
        return None
    packet = _new_packet(match.group("ts"))
    body = match.group("rest")
    found = _IFACE_RE.match(body)
    if found and (_ADDRS_RE.match(found.group("body")) or found.group("body").startswith("arp ")):
        packet["interface"] = found.group("intf")
        packet["direction"] = found.group("dir") if found.group("dir") != "--" else None
        body = found.group("body")
    found = _ADDRS_RE.match(body)
    if found:
        packet["src_ip"], packet["src_port"] = _address(found.group("src"))
        packet["dst_ip"], packet["dst_port"] = _address(found.group("dst"))
        _payload(packet, (found.group("payload") or "").strip())
        return packet
    found = _ARP_RE.match(body)
    if found:
        packet["protocol"] = "arp"
        packet["info"] = redact_text(body, keep_ids=True)
        packet["dst_ip"] = found.group("who") or found.group("reply")
        packet["src_ip"] = found.group("tell")
        return packet
    return None


def _category(packet: Dict[str, Any]) -> str:
    """ike | nat_t | esp | other (the summary buckets)."""
    if packet["protocol"] == "esp":
        return "esp"
    if packet["protocol"] == "udp":
        ports = (packet["src_port"], packet["dst_port"])
        if 4500 in ports:
            return "nat_t"
        if 500 in ports:
            return "ike"
    return "other"


class _Pair(object):
    """IPsec traffic between two addresses, for the verdicts."""

    __slots__ = ("first", "order", "votes", "sent")

    def __init__(self, first: str, order: int) -> None:
        self.first = first  # the address that sent the pair's first packet
        self.order = order
        self.votes: Dict[str, int] = {}  # address -> evidence it is the local one
        self.sent: Dict[str, Dict[str, int]] = {}  # address -> kind -> packets it sent


class SnifferStream:
    """Incremental `diagnose sniffer packet` parser (see the module doc)."""

    def __init__(self, include_keys: bool = False, max_packets: Optional[int] = None) -> None:
        self.include_keys = include_keys
        self.max_packets = max_packets if max_packets is None or max_packets > 0 else 1
        self._max_unparsed = None if max_packets is None else max(100, self.max_packets or 0)
        self._lines = LineSplitter()
        self._packets: List[Dict[str, Any]] = []
        self._start = 0
        self._pending: Optional[Dict[str, Any]] = None  # a packet whose hex dump may follow
        self._hex: List[str] = []
        self._new: List[Dict[str, Any]] = []
        self._pairs: Dict[Tuple[str, str], _Pair] = {}
        self._summary: Dict[str, int] = {"ike": 0, "nat_t": 0, "esp": 0, "other": 0, "total": 0,
                                         "esp_in_udp": 0, "nat_t_ike": 0, "nat_t_keepalive": 0}
        self._head: Dict[str, Any] = {"interfaces": None, "filters": None, "received": None, "dropped": None,
                                      "captured": None, "mode": None, "snaplen": None}
        self._notes: List[str] = []
        self._unparsed: List[str] = []
        self._unparsed_total = 0
        self._discarded = 0

    # -- public API ---------------------------------------------------------
    def feed(self, chunk: Any) -> List[Dict[str, Any]]:
        try:
            for line in self._lines.feed(chunk):
                self._line(line)
        except Exception:  # a parser never raises
            pass
        return self._take_new()

    def close(self) -> List[Dict[str, Any]]:
        try:
            for line in self._lines.close():
                self._line(line)
            self._finish_pending()
        except Exception:
            pass
        return self._take_new()

    @property
    def finished(self) -> bool:
        """The sniffer printed its end counts (it stopped by itself): cheap, for stop conditions."""
        return self._head["received"] is not None

    def result(self) -> Dict[str, Any]:
        kept = self._packets[self._start:] if self._start else self._packets
        result: Dict[str, Any] = {
            "packets": list(kept),
            "summary": dict(self._summary),
            "interfaces": self._head["interfaces"],
            "filters": self._head["filters"],
            "received": self._head["received"],
            "dropped": self._head["dropped"],
            "captured": self._head["captured"],
            "mode": self._head["mode"],
            "snaplen": self._head["snaplen"],
            "notes": list(self._notes),
            "packets_total": self._summary["total"],
            "packets_discarded": self._discarded,
            "verdicts": self._verdicts(),
            "unparsed": list(self._unparsed),
        }
        return result

    # -- lines ----------------------------------------------------------------
    def _take_new(self) -> List[Dict[str, Any]]:
        new, self._new = self._new, []
        return new

    def _unplaced(self, line: str) -> None:
        self._unparsed_total += 1
        if self._max_unparsed is not None and len(self._unparsed) >= self._max_unparsed:
            return
        self._unparsed.append(line if self.include_keys else redact_text(line))

    def _line(self, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        if _HEX_RE.match(line):
            if self._pending is not None:
                self._hex.append(line)
            return  # hex dumps of packets already complete are of no further use
        self._finish_pending()
        had_prompt, rest = split_prompt(line)
        if had_prompt:
            line = rest.strip()
            if not line or COMMAND_RE.match(line):
                return
        packet = _parse_packet(line)
        if packet is not None:
            wants_hex = (packet["protocol"] == "esp" and packet["spi"] is None) or _category(packet) == "nat_t"
            if wants_hex:
                self._pending = packet
            else:
                self._complete(packet)
            return
        self._header(line, raw)

    def _header(self, line: str, raw: str) -> None:
        match = _INTERFACES_RE.match(line)
        if match:
            self._head["interfaces"] = match.group(1)
            return
        match = _FILTERS_RE.match(line)
        if match:
            self._head["filters"] = match.group(1)
            return
        match = _COUNT_RE.match(line)
        if match:
            key = {"received by filter": "received", "dropped by kernel": "dropped"}.get(match.group(2), "captured")
            self._head[key] = int(match.group(1))
            return
        match = _MODE_RE.match(line)
        if match:
            self._head["mode"] = match.group(1).lower()
            return
        match = _SNAPLEN_RE.match(line)
        if match:
            self._head["snaplen"] = int(match.group(1))
            return
        if _NOTE_RE.match(line):
            self._notes.append(redact_text(line))
            return
        if line in ("^C", "^c") or COMMAND_RE.match(line):
            return
        self._unplaced(raw.strip())

    def _finish_pending(self) -> None:
        packet, self._pending = self._pending, None
        if packet is None:
            return
        if self._hex:
            _classify(packet, self._hex)
            self._hex = []
        self._complete(packet)

    # -- packets and counts -------------------------------------------------------
    def _complete(self, packet: Dict[str, Any]) -> None:
        category = _category(packet)
        summary = self._summary
        summary[category] += 1
        summary["total"] += 1
        encap = packet["encap"]
        if category == "nat_t" and encap is not None:
            key = {"esp": "esp_in_udp", "ike": "nat_t_ike", "keepalive": "nat_t_keepalive"}[encap]
            summary[key] += 1
        if category != "other":
            self._count_pair(packet, category)
        self._packets.append(packet)
        self._new.append(packet)
        if self.max_packets is not None and len(self._packets) - self._start > self.max_packets:
            self._start += 1
            self._discarded += 1
            if self._start > 1024 and self._start * 2 > len(self._packets):
                self._packets = self._packets[self._start:]
                self._start = 0

    def _count_pair(self, packet: Dict[str, Any], category: str) -> None:
        src, dst = packet["src_ip"], packet["dst_ip"]
        if not src or not dst:
            return
        key = (src, dst) if src <= dst else (dst, src)
        pair = self._pairs.get(key)
        if pair is None:
            if len(self._pairs) >= MAX_PAIRS:
                return
            pair = self._pairs[key] = _Pair(src, len(self._pairs))
        direction = packet["direction"]
        if direction == "out":
            pair.votes[src] = pair.votes.get(src, 0) + 1
        elif direction == "in":
            pair.votes[dst] = pair.votes.get(dst, 0) + 1
        if category == "nat_t":
            kind = {"esp": "esp", "ike": "ike", "keepalive": "keepalive"}.get(packet["encap"] or "", "nat_t")
        else:
            kind = category
        sent = pair.sent.setdefault(src, {})
        sent[kind] = sent.get(kind, 0) + 1
        if category == "nat_t":
            sent["any_nat_t"] = sent.get("any_nat_t", 0) + 1

    def _verdicts(self) -> List[Dict[str, Any]]:
        if not self._summary["total"]:
            return [{"code": "no_packets", "peer": None, "local": None, "message": _MESSAGES["no_packets"],
                     "evidence": "0 packets captured"}]
        verdicts: List[Dict[str, Any]] = []
        for key, pair in sorted(self._pairs.items(), key=lambda item: item[1].order):
            first, second = key
            local = pair.first
            votes_first, votes_second = pair.votes.get(first, 0), pair.votes.get(second, 0)
            if votes_first != votes_second:
                local = first if votes_first > votes_second else second
            peer = second if local == first else first
            out, back = pair.sent.get(local, {}), pair.sent.get(peer, {})
            for kind, label, codes in _VERDICT_KINDS:
                sent, received = out.get(kind, 0), back.get(kind, 0)
                if not sent and not received:
                    continue
                code = codes[2] if sent and received else codes[0] if sent else codes[1]
                verdicts.append({
                    "code": code, "peer": peer, "local": local, "message": _MESSAGES[code],
                    "evidence": "%s %s -> %s: %d out, %d in" % (label, local, peer, sent, received),
                })
        return verdicts


def parse_sniffer(text: Any, include_keys: bool = False) -> Dict[str, Any]:
    """Parse `diagnose sniffer packet` output (see the module doc). Never raises."""
    stream = SnifferStream(include_keys=include_keys)
    stream.feed(text)
    stream.close()
    return stream.result()
