# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench` (captures): memory and speed of a long IKE debug capture on the controller.

Streams a generated IKE debug capture (default 100 MB, timestamped 7.x lines for a few
hundred gateways: negotiations with hex dumps, retransmissions, failures and successes)
through the module's capture loop (module_utils/capture.run_capture) with a stand-in
connection that hands out 256 KB chunks, as `read_for` does, and the streaming IKE debug
parser bounded to 5,000 events. Measures:
  * peak memory with tracemalloc over the whole capture (it must not grow with the size);
  * throughput in MB/s in a separate run without tracemalloc (MB = 10^6 bytes).
Also checks the same on the flow trace and sniffer streams (20 MB each, reported only).

Ends with one line, e.g.
`capture: size_mb=100 mb_per_s=31.0 peak_mb=9.8 events_kept=5000 findings=7`
and exits 1 (saying why) when peak memory is over --max-peak-mb.

    python tools/bench_capture.py [--size-mb 100] [--max-peak-mb 64]
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Dict, Iterator, List

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 256 * 1024


def _import() -> Dict[str, Any]:
    link = ROOT / ".venv" / "collections"
    if (link / "ansible_collections" / "fortidiag" / "ipsec").exists():
        sys.path.insert(0, str(link))
    else:
        base = Path(tempfile.mkdtemp(prefix="bench-collections-"))
        (base / "ansible_collections" / "fortidiag").mkdir(parents=True)
        os.symlink(str(ROOT), str(base / "ansible_collections" / "fortidiag" / "ipsec"))
        sys.path.insert(0, str(base))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.capture import CapturePlan, run_capture
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import FlowTraceStream
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import IkeDebugStream
    from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import SnifferStream
    return dict(CapturePlan=CapturePlan, run_capture=run_capture, IkeDebugStream=IkeDebugStream,
                FlowTraceStream=FlowTraceStream, SnifferStream=SnifferStream)


def _stamp(second: int) -> str:
    return "2026-11-27 %02d:%02d:%02d.%06d" % ((second // 3600) % 24, (second // 60) % 60, second % 60,
                                               (second * 7919) % 1000000)


def ike_lines(rng: random.Random) -> Iterator[str]:
    """Endless IKE debug in the 7.x format: a negotiation, a hex dump, retries, outcomes."""
    second = 0
    while True:
        second += 1
        gw = "vpn-site-%d" % rng.randint(1, 400)
        peer = "198.18.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254))
        ts = _stamp(second)
        cookie = "%016x/%016x" % (rng.getrandbits(64), rng.getrandbits(64))
        yield "%s ike V=root:0: comes %s:500->192.0.2.1:500,ifindex=5,vrf=0,len=%d...." % (ts, peer, rng.randint(200, 900))
        yield "%s ike V=root:0: IKEv2 exchange=SA_INIT id=%s len=%d" % (ts, cookie, rng.randint(200, 900))
        hexdump = "".join("%02X" % rng.getrandbits(8) for _unused in range(rng.randint(120, 400)))
        yield "%s ike V=root:0:%s:%d: in %s" % (ts, gw, rng.randint(1, 9999), hexdump)
        roll = rng.random()
        if roll < 0.5:
            yield "%s ike V=root:0:%s:%d: sent IKE msg (SA_INIT_r1send): 192.0.2.1:500->%s:500, len=%d" % (
                ts, gw, rng.randint(1, 9999), peer, rng.randint(200, 900))
            yield "%s ike V=root:0:%s:%d: established IKE SA %s" % (ts, gw, rng.randint(1, 9999), cookie)
        elif roll < 0.75:
            yield "%s ike V=root:0:%s:%d: sent IKE msg (ident_i1send): 192.0.2.1:500->%s:500, len=%d, vrf=0, id=%s" % (
                ts, gw, rng.randint(1, 9999), peer, rng.randint(200, 900), cookie)
            yield "%s ike V=root:0:%s: negotiation timeout, deleting" % (ts, gw)
        elif roll < 0.9:
            yield "%s ike V=root:0:%s:%d: no SA proposal chosen" % (ts, gw, rng.randint(1, 9999))
            yield "%s ike V=root:0:%s:%d: negotiation failure" % (ts, gw, rng.randint(1, 9999))
        else:
            yield "%s ike V=root:0:%s:%d: probable pre-shared secret mismatch" % (ts, gw, rng.randint(1, 9999))


def flow_lines(rng: random.Random) -> Iterator[str]:
    trace = 0
    while True:
        trace += 1
        src, dst = "10.1.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254)), "10.2.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254))
        yield ('id=65308 trace_id=%d func=print_pkt_detail line=5895 msg="vd-root:0 received a packet(proto=1, '
               '%s:%d->%s:2048) tun_id=0.0.0.0 from port3. type=8, code=0, id=%d, seq=1."' % (trace, src, trace, dst, trace))
        yield 'id=65308 trace_id=%d func=init_ip_session_common line=6076 msg="allocate a new session-%08x"' % (trace, trace)
        yield 'id=65308 trace_id=%d func=vf_ip_route_input_common line=2605 msg="find a route: flag=04000000 gw-%s via vpn-site-%d"' % (
            trace, dst, trace % 400)
        yield 'id=65308 trace_id=%d func=fw_forward_handler line=930 msg="Allowed by Policy-4:"' % trace
        yield 'id=65308 trace_id=%d func=ipsecdev_hard_start_xmit line=669 msg="enter IPSec interface vpn-site-%d, tun_id=0.0.0.0"' % (
            trace, trace % 400)


def sniffer_lines(rng: random.Random) -> Iterator[str]:
    second = 0
    while True:
        second += 1
        peer = "198.18.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254))
        ts = _stamp(second)
        yield "%s port1 out 192.0.2.1.500 -> %s.500: udp 412" % (ts, peer)
        yield "%s port1 out 192.0.2.1 -> %s: ip-proto-50 %d" % (ts, peer, rng.randint(60, 1400))


def chunks(lines: Iterator[str], size_bytes: int) -> Iterator[str]:
    """~CHUNK-sized pieces cut anywhere (mid-line too), CRLF line ends, until size_bytes."""
    sent = 0
    buf: List[str] = []
    length = 0
    for line in lines:
        buf.append(line + "\r\n")
        length += len(line) + 2
        if length >= CHUNK:
            text = "".join(buf)
            cut = CHUNK - 37  # never on a line boundary
            yield text[:cut]
            buf, length = [text[cut:]], len(text) - cut
            sent += cut
            if sent >= size_bytes:
                return


class _Client:
    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self.done = False

    def run_commands(self, commands: List[Dict[str, Any]], keep_debug: bool = False) -> List[Dict[str, Any]]:
        return [{"command": c["command"], "vdom": None, "output": ""} for c in commands]

    def read_for(self, seconds: float, max_bytes: int) -> str:
        piece = next(self._pieces, None)
        if piece is None:
            self.done = True
            return ""
        return piece

    def send_control(self, char: str) -> str:
        return ""

    def start_command(self, command: str, vdom: Any = None) -> str:
        return command

    def stop_debug(self) -> List[str]:
        return ["diagnose debug disable"]


class _Clock:
    """Capture time that never runs out before the input does (the input ends the loop)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1e-6
        return self.now


def generate(kind: str, size_mb: float, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    lines = {"ike": ike_lines, "flow": flow_lines, "sniffer": sniffer_lines}[kind](rng)
    return chunks(lines, int(size_mb * 1e6))


def capture(mods: Dict[str, Any], kind: str, pieces: Iterator[str]) -> Dict[str, Any]:
    stream = {"ike": lambda: mods["IkeDebugStream"](max_events=5000),
              "flow": lambda: mods["FlowTraceStream"](max_traces=1000),
              "sniffer": lambda: mods["SnifferStream"](max_packets=1000)}[kind]()
    client = _Client(pieces)
    plan = mods["CapturePlan"](arm=[], duration=1e9, finished=lambda: client.done)
    run = mods["run_capture"](client, plan, stream, lambda: 0, clock=_Clock())
    return {"run": run, "result": stream.result()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--speed-mb", type=float, default=20.0, help="size of the timed (untraced) run")
    parser.add_argument("--max-peak-mb", type=float, default=64.0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    mods = _import()

    # Speed: input generated beforehand, so only the capture loop and the parser are timed.
    speeds = {}
    for kind in ("ike", "flow", "sniffer"):
        pieces = list(generate(kind, args.speed_mb, args.seed))
        gc.collect()
        start = time.perf_counter()
        timed = capture(mods, kind, iter(pieces))
        speeds[kind] = timed["run"].bytes / 1e6 / (time.perf_counter() - start)
        del pieces
    mb_per_s = speeds["ike"]

    # Memory: a long capture generated on the fly (the generator itself holds one chunk).
    gc.collect()
    tracemalloc.start()
    big = capture(mods, "ike", generate("ike", args.size_mb, args.seed))
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    result = big["result"]
    print("ike stream: %.1f MB in chunks of %d KB, stopped_by=%s, events=%d kept=%d findings=%d" % (
        big["run"].bytes / 1e6, CHUNK // 1024, big["run"].stopped_by, result["stats"]["events"],
        len(result["events"]), len(result["findings"])))
    print("speed (MB/s, %.0f MB each): ike %.1f, flow %.1f, sniffer %.1f" % (
        args.speed_mb, speeds["ike"], speeds["flow"], speeds["sniffer"]))
    print("capture: size_mb=%.0f mb_per_s=%.1f peak_mb=%.1f events_kept=%d findings=%d" % (
        big["run"].bytes / 1e6, mb_per_s, peak_mb, len(result["events"]), len(result["findings"])))
    if peak_mb > args.max_peak_mb:
        print("FAIL: peak memory %.1f MB over %.1f MB: the capture keeps more than it should" % (peak_mb, args.max_peak_mb))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
