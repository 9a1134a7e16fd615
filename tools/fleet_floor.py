# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The floor of the fleet bench: plain Python, no Ansible.

Logs into every device at once (one thread and one SSH login each, netmiko as the collection
uses it, with the same minimal session set-up), sends each device's commands in order, reads
each to the prompt, logs out. Nothing is parsed: this is the time the I/O itself takes.

    python tools/fleet_floor.py PLAN.json   # {host: {host, port, username, password, known_hosts, commands}}

Prints `floor: devices=N commands=M wall_s=S` and exits 1 if any device failed.
"""
from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

from netmiko.fortinet.fortinet_ssh import FortinetSSH

WEAK_KEX = ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"]


class MinimalFortinet(FortinetSSH):
    """Find the prompt and stop: no probe commands (the collection's session does the same)."""

    def session_preparation(self) -> None:
        self._test_channel_read(pattern=r"[#$]")
        self.set_base_prompt()

    def cleanup(self, command: str = "exit") -> None:
        try:
            self.write_channel(command + self.RETURN)
        except Exception:  # pylint: disable=broad-except
            pass


def run_device(spec: Dict[str, Any]) -> int:
    net = MinimalFortinet(host=spec["host"], port=spec["port"], username=spec["username"], password=spec["password"],
                          fast_cli=True, allow_agent=False, disabled_algorithms={"kex": WEAK_KEX},
                          ssh_strict=True, system_host_keys=False, alt_host_keys=True, alt_key_file=spec["known_hosts"])
    try:
        for command in spec["commands"]:
            net.send_command(command, expect_string=r"[#$] ?$", read_timeout=120, strip_command=False,
                             cmd_verify=False)
    finally:
        net.disconnect()
    return len(spec["commands"])


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        plan: Dict[str, Dict[str, Any]] = json.load(handle)
    start = time.monotonic()
    failed = 0
    commands = 0
    with ThreadPoolExecutor(max_workers=len(plan)) as pool:
        futures = {host: pool.submit(run_device, spec) for host, spec in plan.items()}
        for host, future in futures.items():
            try:
                commands += future.result()
            except Exception as exc:  # pylint: disable=broad-except
                failed += 1
                print("floor: %s failed: %s" % (host, str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                      file=sys.stderr)
    wall = time.monotonic() - start
    print("floor: devices=%d commands=%d wall_s=%.1f" % (len(plan), commands, wall))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
