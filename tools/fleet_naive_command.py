# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The naive way's one task: log in, run one command, print it, log out (fleet bench).

    FLEET_PASSWORD=... python tools/fleet_naive_command.py HOST PORT USER KNOWN_HOSTS COMMAND
"""
from __future__ import annotations

import os
import sys

from fleet_floor import MinimalFortinet, WEAK_KEX


def main(host: str, port: str, user: str, known_hosts: str, command: str) -> int:
    net = MinimalFortinet(host=host, port=int(port), username=user, password=os.environ["FLEET_PASSWORD"], fast_cli=True,
                          allow_agent=False, disabled_algorithms={"kex": WEAK_KEX}, ssh_strict=True,
                          system_host_keys=False, alt_host_keys=True, alt_key_file=known_hosts)
    try:
        print(net.send_command(command, expect_string=r"[#$] ?$", read_timeout=120, cmd_verify=False))
    finally:
        net.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
