# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench` (parsers): throughput of the FortiOS output parsers on generated input.

Generates a deterministic `diagnose vpn tunnel list` capture of 5,000 tunnels (and of
50,000 for the scaling check) in the format real FortiGates print (7.2 and 7.4 records:
static tunnels with 1-3 phase 2 selectors, rekeys with two SAs, tunnels down with `sa=0`,
dial-up parents with their instances; keys, SPIs and addresses vary with the seed), then
measures with time.perf_counter:
  * throughput: the best of N single parses at 1x (MB = 10^6 bytes);
  * scaling: the best 10x parse against the best per-parse time of 10 1x parses in a
    row, so that both sides are runs of the same length (on a shared machine a 0.3 s run
    can fall between bursts of other load, a 3 s one cannot); the ratio against the
    single best 1x parse is printed too;
  * peak memory with tracemalloc, in a separate run.
Each timed parse starts with empty parser caches, as in a new module process. Also times
`diagnose vpn ike gateway list` on 5,000 gateways (reported, no threshold).

Ends with one line, e.g.
`parsers: tunnels=5000 size_mb=6.6 mb_per_s=23.4 peak_mb=41.0 ratio_10x=10.2`
and exits 1 (saying why) when throughput is under --min-mb-per-s or the ratio is over --max-ratio.

    python tools/bench_parsers.py [--tunnels 5000] [--rounds 3] [--runs 3] [--seed 7]
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
SEPARATOR = "-" * 54

# (esp algorithm, esp key length, ah algorithm, ah key length), as FortiOS prints them.
_CIPHERS = (
    ("aes", 16, "sha1", 20),
    ("aes", 16, "sha256", 32),
    ("aes", 32, "sha256", 32),
    ("aes", 32, "sha512", 64),
    ("aes-gcm", 20, "null", 0),
    ("aes-gcm", 36, "null", 0),
    ("3des", 24, "sha1", 20),
)
_IKE_PROPOSALS = ("aes128-sha256", "aes256-sha256", "aes128gcm", "aes256gcm", "aes256-sha1")


def _import_parsers() -> Tuple[Callable[..., Dict[str, Any]], Callable[..., Dict[str, Any]], Callable[[], None]]:
    """The collection's parsers (importable as ansible_collections.fortidiag.ipsec), and a
    function that empties their caches, so that each timed parse starts as in a new process."""
    link = ROOT / ".venv" / "collections"
    if (link / "ansible_collections" / "fortidiag" / "ipsec").exists():
        sys.path.insert(0, str(link))
    else:  # no `make venv` link: make a throwaway one
        base = Path(tempfile.mkdtemp(prefix="bench-collections-"))
        (base / "ansible_collections" / "fortidiag").mkdir(parents=True)
        os.symlink(str(ROOT), str(base / "ansible_collections" / "fortidiag" / "ipsec"))
        sys.path.insert(0, str(base))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers import common
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_gateway import parse_ike_gateway_list
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import parse_tunnel_list

    def reset() -> None:
        common.normalize_address.cache_clear()
        gc.collect()

    return parse_tunnel_list, parse_ike_gateway_list, reset


class _Hex(object):
    """Deterministic key-like hex (SHAKE-256 of a counter): as random-looking as real key material."""

    def __init__(self, seed: int) -> None:
        self._seed = ("bench-%d-" % seed).encode("ascii")
        self._counter = 0

    def take(self, digits: int) -> str:
        self._counter += 1
        return hashlib.shake_256(self._seed + str(self._counter).encode("ascii")).hexdigest((digits + 1) // 2)[:digits]


def _randint(rng: random.Random, low: int, high: int) -> int:
    """rng.randint() without its argument checks (the generator calls it a million times)."""
    return low + int(rng.random() * (high - low + 1))


def _dotted(value: int) -> str:
    return "%d.%d.%d.%d" % ((value >> 24) & 255, (value >> 16) & 255, (value >> 8) & 255, value & 255)


# Address plans: the FortiGate's WAN addresses in TEST-NET-1, static peers in the benchmarking
# range 198.18.0.0/15, dial-up peers behind carrier NAT in 100.64.0.0/10, tunnel IDs in 10.0.0.0/8.
_LOCAL_BASE = 0xC0000200  # 192.0.2.0/24; a FortiGate has a few WAN addresses
_PEER_BASE, _PEER_SPAN = 0xC6120000, 0x1FFFE  # 198.18.0.1 - 198.19.255.254
_DIALUP_BASE, _DIALUP_SPAN = 0x64400000, 0x3FFFFE  # 100.64.0.1 - 100.127.255.254
_TUNNEL_ID_BASE, _TUNNEL_ID_SPAN = 0x0A000000, 0xFFFFFE  # 10.0.0.1 - 10.255.255.254


def _ip(base: int, span: int, index: int) -> str:
    """A host address of a plan, different for each index (below the span)."""
    return _dotted(base + 1 + index % span)


def _subnet(rng: random.Random, base: int, index: int) -> str:
    """A selector address in base/12: a.b.c.d/m.m.m.m or an a.b.c.d-e.f.g.h range."""
    bits = rng.choice((16, 24, 24, 24, 25, 28))
    size = 1 << (32 - bits)
    start = (base | ((index << 8) & 0x000FFF00)) & ((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF)
    if rng.random() < 0.25:
        return "%s-%s" % (_dotted(start), _dotted(start + size - 1))
    return "%s/%s" % (_dotted(start), _dotted((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF))


def _sa_block(rng: random.Random, hexgen: _Hex, local: str, remote: str, selid: int, v74: bool) -> List[str]:
    esp, esp_len, ah, ah_len = rng.choice(_CIPHERS)
    lifetime = rng.choice((3600, 28800, 43200))
    remaining = _randint(rng, 60, lifetime)
    seqno = _randint(rng, 0, 3000000)
    dec_pkts, enc_pkts = _randint(rng, 0, 5000000), _randint(rng, 0, 5000000)
    npu_flag = rng.choice(("00", "01", "02", "03", "03", "03"))
    options = rng.choice(("226", "2e", "18227", "20a02", "38203", "1a6"))
    lines = [
        "  SA:  ref=3 options=%s type=00 soft=0 mtu=%d expire=%d/0B replaywin=2048"
        % (options, rng.choice((1422, 1438, 1446, 1470)), max(remaining - 11, 0)),
        "       seqno=%x esn=0 replaywin_lastseq=%08x qat=0 rekey=%d hash_search_len=1"
        % (seqno, seqno + _randint(rng, 0, 5), _randint(rng, 0, 1)),
        "  life: type=01 bytes=0/0 timeout=%d/%d" % (remaining, lifetime),
    ]
    for direction in ("dec", "enc"):
        lines.append("  %s: spi=%s esp=%s key=%d %s" % (direction, hexgen.take(8), esp, esp_len, hexgen.take(esp_len * 2)))
        if ah_len:
            lines.append("       ah=%s key=%d %s" % (ah, ah_len, hexgen.take(ah_len * 2)))
        else:
            # GCM: no separate authentication key; 7.2 prints a trailing space.
            lines.append("       ah=null key=0" if v74 else "       ah=null key=0 ")
    lines.append("  dec:pkts/bytes=%d/%d, enc:pkts/bytes=%d/%d"
                 % (dec_pkts, dec_pkts * _randint(rng, 60, 1400), enc_pkts, enc_pkts * _randint(rng, 60, 1400)))
    npuid = 1 if npu_flag == "03" else 0
    lines.append("  npu_flag=%s npu_rgwy=%s npu_lgwy=%s npu_selid=%x dec_npuid=%d enc_npuid=%d"
                 % (npu_flag, remote, local, selid, npuid, npuid))
    return lines


def _tunnel_head(rng: random.Random, name: str, serial: int, local: str, remote: str, ports: Tuple[int, int],
                 mode: str, v74: bool, tun_id: str) -> List[str]:
    dst_mtu = 0 if mode == "dialup/2" else 1500
    line1 = "name=%s ver=%d serial=%x %s:%d->%s:%d tun_id=%s tun_id6=::%s dst_mtu=%d dpd-link=on weight=1" % (
        name, rng.choice((1, 2)), serial, local, ports[0], remote, ports[1], tun_id, tun_id, dst_mtu)
    bound_if = _randint(rng, 3, 40)
    real_if = " real_if=%d" % bound_if if v74 else ""
    if mode == "dialup/2":
        encap, options, flags, run_state = "none/552", "0228", "npu frag-rfc", ""
    elif mode == "dial_inst/3":
        encap, options, flags, run_state = "none/8872", "22a8", "npu rgwy-chg frag-rfc", "run_state=0 "
    else:
        encap, options, flags, run_state = "none/520", "0208", "npu frag-rfc", "run_state=0 "
    line2 = "bound_if=%d%s lgwy=static/1 tun=intf mode=%s encap=%s options[%s]=%s  %srole=primary accept_traffic=1 overlay_id=0" % (
        bound_if, real_if, mode, encap, options, flags, run_state)
    return [line1, line2, ""]


def _tunnel_stats(rng: random.Random, v74: bool, proxyids: int, children: int, nat_port: int) -> List[str]:
    rxp, txp = _randint(rng, 0, 9000000), _randint(rng, 0, 9000000)
    status = " status=ok" if v74 else ""
    lines = [
        "proxyid_num=%d child_num=%d refcnt=%d ilast=%d olast=%d ad=/0"
        % (proxyids, children, _randint(rng, 3, 14), _randint(rng, 0, 50000), _randint(rng, 0, 50000)),
        "stat: rxp=%d txp=%d rxb=%d txb=%d" % (rxp, txp, rxp * _randint(rng, 60, 1400), txp * _randint(rng, 60, 1400)),
        "dpd: mode=%s on=%d%s idle=%dms retry=3 count=0 seqno=%x"
        % (rng.choice(("on-demand", "on-idle")), _randint(rng, 0, 1), status, rng.choice((5000, 10000, 20000)),
           _randint(rng, 0, 4000)),
    ]
    if nat_port:
        lines.append("natt: mode=silent draft=0 interval=10 remote_port=%d" % nat_port)
    else:
        lines.append("natt: mode=none draft=0 interval=0 remote_port=0")
    lines.append("fec: egress=0 ingress=0")
    return lines


def _static_tunnel(rng: random.Random, hexgen: _Hex, index: int, v74: bool) -> List[str]:
    name = "vpn-%s-%d" % (rng.choice(("branch", "dc", "partner", "aws", "azure", "site")), index)
    local, remote = _ip(_LOCAL_BASE, 4, index), _ip(_PEER_BASE, _PEER_SPAN, index)
    nat_port = 4500 if rng.random() < 0.2 else 0
    ports = (4500, 4500) if nat_port else (0, 0)
    count = rng.choice((1, 1, 1, 2, 2, 3))
    down = rng.random() < 0.12
    lines = _tunnel_head(rng, name, index % 4096 + 1, local, remote, ports, "auto/1", v74, remote)
    lines += _tunnel_stats(rng, v74, count, 0, nat_port)
    for number in range(count):
        sa_count = 0 if down else (2 if rng.random() < 0.06 else 1)
        flag = " auto-negotiate" if rng.random() < 0.5 else ""
        lines.append("proxyid=%s-p2-%d proto=0 sa=%d ref=%d serial=%d%s"
                     % (name, number + 1, sa_count, 2 + sa_count, number + 1, flag))
        lines.append("  src: 0:%s:0" % _subnet(rng, 0x0A000000, index * 3 + number))
        lines.append("  dst: 0:%s:0" % _subnet(rng, 0xAC100000, index * 3 + number))
        for dummy in range(sa_count):
            lines += _sa_block(rng, hexgen, local, remote, (index * 3 + number) % 4096, v74)
    lines.append("run_tally=%d" % _randint(rng, 0, 1))
    return lines


def _dialup_group(rng: random.Random, hexgen: _Hex, index: int, instances: int, v74: bool) -> List[List[str]]:
    """Parent `mode=dialup/2` record plus its `NAME_N` instances (each a record)."""
    parent = "dialup-%d" % index
    local = _ip(_LOCAL_BASE, 4, index)
    records = []
    for number in range(instances):
        remote = _ip(_DIALUP_BASE, _DIALUP_SPAN, index * 8 + number)
        nat_port = _randint(rng, 1024, 65535) if rng.random() < 0.5 else 0
        ports = (4500, nat_port) if nat_port else (0, 0)
        lines = _tunnel_head(rng, "%s_%d" % (parent, number), (index + number) % 4096 + 1, local, remote,
                             ports, "dial_inst/3", v74, remote)
        lines.insert(3, "parent=%s index=%d" % (parent, number))
        lines += _tunnel_stats(rng, v74, 1, 0, nat_port)
        lines.append("proxyid=%s proto=0 sa=1 ref=3 serial=1 add-route" % parent)
        lines.append("  src: 0:0.0.0.0/0.0.0.0:0")
        lines.append("  dst: 0:%s-%s:0" % (remote, remote))
        lines += _sa_block(rng, hexgen, local, remote, (index + number) % 4096, v74)
        records.append(lines)
    head = _tunnel_head(rng, parent, index % 4096 + 1, local, "0.0.0.0", (0, 0), "dialup/2", v74, _ip(_TUNNEL_ID_BASE, _TUNNEL_ID_SPAN, index))
    records.append(head + _tunnel_stats(rng, v74, 0, instances, 0) + ["run_tally=0"])
    return records


def tunnel_list_text(tunnels: int, seed: int = 7, host: str = "FGT-BENCH") -> str:
    """`diagnose vpn tunnel list` output with exactly `tunnels` records (plus prompt and header)."""
    rng = random.Random(seed)
    hexgen = _Hex(seed)
    records: List[List[str]] = []
    index = 0
    while len(records) < tunnels:
        index += 1
        v74 = rng.random() < 0.5
        if rng.random() < 0.15:
            group = _dialup_group(rng, hexgen, index, _randint(rng, 1, 4), v74)
            records.extend(group[:tunnels - len(records)])
        else:
            records.append(_static_tunnel(rng, hexgen, index, v74))
    out = ["%s # diagnose vpn tunnel list" % host, "list all ipsec tunnel in vd 0"]
    for record in records:
        out.append(SEPARATOR)
        out.extend(record)
    out.append("")
    out.append("%s # " % host)
    return "\n".join(out)


def ike_gateway_text(gateways: int, seed: int = 7, host: str = "FGT-BENCH") -> str:
    """`diagnose vpn ike gateway list` output with `gateways` blocks (IKEv1 and IKEv2)."""
    rng = random.Random(seed + 1)
    hexgen = _Hex(seed + 1)
    out = ["%s # diagnose vpn ike gateway list" % host, ""]
    for index in range(gateways):
        version = rng.choice((1, 2, 2))
        local, remote = _ip(_LOCAL_BASE, 4, index), _ip(_PEER_BASE, _PEER_SPAN, index)
        down = rng.random() < 0.1
        out += [
            "vd: root/0",
            "name: vpn-gw-%d" % index,
            "version: %d" % version,
            "interface: port%d %d" % (index % 8 + 1, index % 8 + 3),
            "addr: ->" if down else "addr: %s:500 -> %s:500" % (local, remote),
            "tun_id: %s/::%s" % (remote, remote),
            "remote_location: 0.0.0.0",
            "network-id: 0",
            "created: %ds ago" % _randint(rng, 1, 900000),
            "peer-id: %s" % remote,
            "peer-id-auth: no",
            "PPK: no",
        ]
        if down:
            out += ["IKE SA: created 0/0", "IPsec SA: created 0/0", ""]
            continue
        out += ["IKE SA: created 1/1  established 1/1  time 0/10/20 ms",
                "IPsec SA: created 1/1  established 1/1  time 0/0/0 ms", ""]
        age = _randint(rng, 10, 86000)
        out += [
            "  id/spi: %d %s/%s" % (index + 1, hexgen.take(16), hexgen.take(16)),
            "  direction: %s" % rng.choice(("initiator", "responder")),
            "  status: established %d-%ds ago = %dms" % (age, age, rng.choice((0, 10, 20, 40))),
            "  proposal: %s" % rng.choice(_IKE_PROPOSALS),
        ]
        if version == 1:
            out.append("  key: %s-%s" % (hexgen.take(16), hexgen.take(16)))
        else:
            out += ["  child: no",
                    "  SK_ei: %s-%s-%s" % (hexgen.take(16), hexgen.take(16), hexgen.take(8)),
                    "  SK_er: %s-%s-%s" % (hexgen.take(16), hexgen.take(16), hexgen.take(8)),
                    "  SK_ai:", "  SK_ar:", "  PPK: no",
                    "  message-id sent/recv: %d/%d" % (_randint(rng, 0, 9), _randint(rng, 0, 9))]
        out += ["  lifetime/rekey: 86400/%d" % (86400 - age),
                "  DPD sent/recv: %08x/%08x" % (_randint(rng, 0, 4000), _randint(rng, 0, 4000)),
                "  peer-id: %s" % remote, ""]
    out.append("%s # " % host)
    return "\n".join(out)


def run_time(parse: Callable[..., Any], text: str, reset: Callable[[], None], repeat: int = 1) -> float:
    """Seconds per parse, over `repeat` parses in a row (each result freed after the clock stops)."""
    total = 0.0
    for dummy in range(repeat):
        reset()
        start = time.perf_counter()
        result = parse(text)
        total += time.perf_counter() - start
        del result
    return total / repeat


def peak_memory(parse: Callable[..., Any], text: str, reset: Callable[[], None]) -> float:
    """Peak bytes allocated while parsing (the input text itself not counted)."""
    reset()
    tracemalloc.start()
    try:
        result = parse(text)
        dummy, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return float(peak)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--tunnels", type=int, default=5000)
    parser.add_argument("--gateways", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="timing rounds, each: --runs single 1x parses, 10 1x parses in a row, one 10x parse")
    parser.add_argument("--runs", type=int, default=3, help="single 1x parses per round (and gateway-list parses)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-mb-per-s", type=float, default=20.0)
    parser.add_argument("--max-ratio", type=float, default=11.0)
    args = parser.parse_args(argv)
    parse_tunnel_list, parse_ike_gateway_list, reset = _import_parsers()
    mb = 1e6  # MB = 10^6 bytes

    small = tunnel_list_text(args.tunnels, args.seed)
    large = tunnel_list_text(args.tunnels * 10, args.seed)
    gateways = ike_gateway_text(args.gateways, args.seed)
    for name, result, key, want in (("tunnel list", parse_tunnel_list(small), "tunnels", args.tunnels),
                                    ("gateway list", parse_ike_gateway_list(gateways), "gateways", args.gateways)):
        if len(result[key]) != want or result["unparsed"]:
            print("bench: generated %s parsed to %d %s and %d unparsed lines (want %d and 0)"
                  % (name, len(result[key]), key, len(result["unparsed"]), want))
            return 1
    del result

    # 1x and 10x take turns, so that both see the same machine. The 10x/1x ratio compares
    # runs of the same length: one 10x parse against 10 1x parses in a row. On a shared
    # machine a 0.3 s run can fall between two bursts of other load, a 3 s run cannot.
    t_small = t_batch = t_large = float("inf")
    for dummy in range(max(args.rounds, 1)):
        for dummy in range(max(args.runs, 1)):
            t_small = min(t_small, run_time(parse_tunnel_list, small, reset))
        t_batch = min(t_batch, run_time(parse_tunnel_list, small, reset, repeat=10))
        t_large = min(t_large, run_time(parse_tunnel_list, large, reset))
    t_gw = min(run_time(parse_ike_gateway_list, gateways, reset) for dummy in range(max(args.runs, 1) + 2))
    peak_small = peak_memory(parse_tunnel_list, small, reset) / mb
    peak_gw = peak_memory(parse_ike_gateway_list, gateways, reset) / mb
    size_small = len(small.encode("utf-8")) / mb
    size_large = len(large.encode("utf-8")) / mb
    size_gw = len(gateways.encode("utf-8")) / mb
    rate = size_small / t_small
    ratio = t_large / t_batch

    rows = [
        ("tunnel list 1x", "%d tunnels" % args.tunnels, small.count("\n") + 1, size_small, t_small, peak_small),
        ("  10 in a row", "(s per parse)", small.count("\n") + 1, size_small, t_batch, None),
        ("tunnel list 10x", "%d tunnels" % (args.tunnels * 10), large.count("\n") + 1, size_large, t_large, None),
        ("ike gateway list", "%d gateways" % args.gateways, gateways.count("\n") + 1, size_gw, t_gw, peak_gw),
    ]
    print("%-17s %-16s %9s %8s %8s %8s %8s" % ("parser", "input", "lines", "MB", "best s", "MB/s", "peak MB"))
    for label, items, lines, size, seconds, peak in rows:
        peak_text = "-" if peak is None else "%.1f" % peak
        print("%-17s %-16s %9d %8.1f %8.3f %8.1f %8s" % (label, items, lines, size, seconds, size / seconds, peak_text))
    print("10x/1x time: %.2f (10x parse / 1x parses 10 in a row); against the single best 1x parse: %.2f"
          % (ratio, t_large / t_small))

    failures = []
    if rate < args.min_mb_per_s:
        failures.append("tunnel list throughput %.1f MB/s is under %.1f MB/s" % (rate, args.min_mb_per_s))
    if ratio > args.max_ratio:
        failures.append("10x input took %.2fx the 1x time (limit %.1fx)" % (ratio, args.max_ratio))
    for failure in failures:
        print("FAIL: %s" % failure)
    print("parsers: tunnels=%d size_mb=%.1f mb_per_s=%.1f peak_mb=%.1f ratio_10x=%.1f"
          % (args.tunnels, size_small, rate, peak_small, ratio))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
