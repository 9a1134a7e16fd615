"""``fortisim --lab LAB.yml --inventory OUT.yml``: serve every lab device over SSH."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import warnings
from pathlib import Path
from typing import Optional, Sequence

from fortisim import __version__, inventory, ops
from fortisim.clock import Clock
from fortisim.lab import LabError, load_lab
from fortisim.model import Lab
from fortisim.server import Sessions, start_device, stop_all
from fortisim.stats import StatsBook, atomic_write_text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fortisim", description="FortiOS SSH simulator (test double / demo lab).")
    parser.add_argument("--lab", required=True, type=Path, help="lab YAML file")
    parser.add_argument("--inventory", required=True, type=Path,
                        help="Ansible inventory to write once every device listens")
    parser.add_argument("--stats", type=Path, help="JSON file kept current with per-device counters")
    parser.add_argument("--command-log", type=Path,
                        help="append every command received as HOST<TAB>COMMAND (the fleet bench replays it)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port-base", type=int, default=0,
                        help="device i listens on PORT_BASE+i; 0 (default) picks free ports")
    parser.add_argument("--version", action="version", version=f"fortisim {__version__}")
    return parser


async def serve(lab: Lab, inventory_path: Path, stats_path: Optional[Path], host: str, port_base: int,
                command_log: Optional[Path] = None) -> int:
    devices = list(lab.devices.values())
    clock = Clock()
    stats = StatsBook([d.hostname for d in devices], stats_path,
                      tunnels=lambda host: ops.tunnel_states(lab.devices[host], clock.seconds()))
    if command_log is not None:
        stats.command_log = open(command_log, "a", encoding="utf-8")  # pylint: disable=consider-using-with
    stats.write_now()  # present from the start, so readers never race the first command
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    key = inventory.load_or_create_host_key(inventory.sibling(inventory_path, ".hostkey"))
    sessions = Sessions()
    acceptors = []
    ports: dict[str, int] = {}
    try:
        for index, device in enumerate(devices):
            port = port_base + index if port_base else 0
            try:
                acceptor = await start_device(device, host, port, key, stats, clock, sessions)
            except OSError as exc:
                print(f"fortisim: cannot listen on {host}:{port} for {device.hostname}: {exc.strerror}",
                      file=sys.stderr)
                return 1
            acceptors.append(acceptor)
            ports[device.hostname] = acceptor.sockets[0].getsockname()[1]
        known_hosts = inventory.sibling(inventory_path, ".known_hosts")
        atomic_write_text(known_hosts, inventory.known_hosts_text(host, ports, key))
        # The inventory goes last: its appearance tells callers that every device is up.
        inventory.write_inventory(inventory_path, inventory.inventory_data(devices, ports, host, known_hosts))
        print(f"fortisim: {len(devices)} devices listening on {host}; inventory {inventory_path}",
              file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await stop_all(acceptors, sessions)
        stats.write_now()
        if stats.command_log is not None:
            stats.command_log.close()
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # Finite-field DH is offered on purpose (netmiko's fortinet driver needs it);
    # the library's deprecation notice would only clutter the log.
    warnings.filterwarnings("ignore", message="Diffie-Hellman over finite fields")
    try:
        lab = load_lab(args.lab)
    except LabError as exc:
        print(f"fortisim: {args.lab}: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.port_base <= 65535 - len(lab.devices):
        print(f"fortisim: --port-base {args.port_base} leaves no room for {len(lab.devices)} devices",
              file=sys.stderr)
        return 2
    for path in (args.inventory, args.stats):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    # A stale inventory would tell a waiting caller that we are ready before we are.
    args.inventory.unlink(missing_ok=True)
    try:
        return asyncio.run(serve(lab, args.inventory, args.stats, args.host, args.port_base, args.command_log))
    except KeyboardInterrupt:
        return 0
