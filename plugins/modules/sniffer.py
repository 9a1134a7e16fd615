#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: sniffer
short_description: Capture IKE, NAT-T and ESP packets on a FortiGate and say what the wire shows
description:
  - Runs C(diagnose sniffer packet INTERFACE 'FILTER' VERBOSITY COUNT TSFORMAT) for O(duration)
    seconds (or O(count) packets), stops it like a person would (Ctrl-C), and returns the
    packets, counts per kind (IKE on UDP 500, NAT-T on UDP 4500, ESP) and verdicts such as
    "IKE sent, no reply" or "ESP out, none in".
  - The filter is built from O(remote_gateway) and O(protocols), or given raw in O(filter).
  - NPU-offloaded ESP does not reach the sniffer; a tunnel with offloaded SAs may show IKE only.
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  interface:
    description: Interface to capture on, or C(any).
    type: str
    default: any
  remote_gateway:
    description: The peer's address; the filter becomes C(host ADDRESS and (PROTOCOLS)).
    type: str
  protocols:
    description: Which traffic to capture - C(ike) (UDP 500), C(nat_t) (UDP 4500), C(esp) (IP protocol 50).
    type: list
    elements: str
    choices: [ike, nat_t, esp]
    default: [ike, nat_t, esp]
  filter:
    description: A raw BPF filter instead of O(remote_gateway)/O(protocols) (C(none) captures everything).
    type: str
  verbosity:
    description: Sniffer verbosity 1-6; 4 prints the interface and direction, which the verdicts need.
    type: int
    default: 4
  count:
    description: Stop after this many packets; 0 captures until O(duration) ends.
    type: int
    default: 0
  duration:
    description: Seconds to capture (1-600).
    type: int
    default: 10
  timestamps:
    description: Timestamp format - C(absolute) (UTC), C(local), or C(relative) seconds.
    type: str
    choices: [absolute, local, relative]
    default: absolute
  max_packets:
    description: Packets to keep in RV(packets) (the counts and verdicts use all of them).
    type: int
    default: 1000
  vdom:
    description: VDOM context to run the sniffer from on a multi-VDOM FortiGate.
    type: str
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Supports check mode (a capture only reads).
"""

EXAMPLES = r"""
- name: Is the unreachable partner answering IKE at all?
  fortidiag.ipsec.sniffer:
    remote_gateway: 203.0.113.50
    protocols: [ike, nat_t]
    duration: 8
  register: wire

- name: Verdicts
  ansible.builtin.debug:
    msg: "{{ wire.verdicts | map(attribute='message') | list }}"

- name: ESP both ways to SPOKE-70 on port1, stop after 20 packets
  fortidiag.ipsec.sniffer:
    interface: port1
    remote_gateway: 198.51.100.70
    protocols: [esp]
    count: 20
    duration: 10
"""

RETURN = r"""
packets:
  description:
    - Captured packets (at most O(max_packets)) - C(timestamp), C(interface), C(direction), C(src_ip),
      C(src_port), C(dst_ip), C(dst_port), C(protocol), C(spi).
  returned: always
  type: list
  elements: dict
summary:
  description: Packet counts C(ike), C(nat_t), C(esp), C(other).
  returned: always
  type: dict
verdicts:
  description: What the wire shows per peer - C(code) (for example ike_no_reply, esp_out_no_in), C(peer), C(message), C(evidence).
  returned: always
  type: list
  elements: dict
capture:
  description: C(stopped_by) (duration, ended, max_lines, error), C(seconds), C(bytes), C(command), C(cleanup), C(received), C(dropped).
  returned: always
  type: dict
"""

from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.capture import CapturePlan, run_capture
from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient
from ansible_collections.fortidiag.ipsec.plugins.module_utils.debug_commands import (
    DebugInputError,
    sniffer_command,
    sniffer_filter,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import SnifferStream


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", default="any"),
            remote_gateway=dict(type="str"),
            protocols=dict(type="list", elements="str", default=["ike", "nat_t", "esp"], choices=["ike", "nat_t", "esp"]),
            filter=dict(type="str"),
            verbosity=dict(type="int", default=4),
            count=dict(type="int", default=0),
            duration=dict(type="int", default=10),
            timestamps=dict(type="str", default="absolute", choices=["absolute", "local", "relative"]),
            max_packets=dict(type="int", default=1000),
            vdom=dict(type="str"),
        ),
        mutually_exclusive=[("filter", "remote_gateway")],
        supports_check_mode=True,
    )
    p = module.params
    check_names(module, ("vdom",))
    try:
        if not 1 <= p["duration"] <= 600:
            raise DebugInputError("duration must be 1-600 seconds, got %d" % p["duration"])
        if not 1 <= p["max_packets"] <= 100000:
            raise DebugInputError("max_packets must be 1-100000, got %d" % p["max_packets"])
        bpf = sniffer_filter(p["remote_gateway"], p["protocols"], p["filter"])
        command = sniffer_command(p["interface"], bpf, p["verbosity"], p["count"], p["timestamps"])
    except DebugInputError as exc:
        module.fail_json(msg=str(exc))
    client = FortiOSClient(module)
    stream = SnifferStream(max_packets=p["max_packets"])
    run = run_capture(client, CapturePlan(
        arm=[], vdom=p["vdom"], duration=p["duration"], foreground=command,
        finished=lambda: stream.finished,
    ), stream, lambda: 0)
    result = stream.result()
    out: Dict[str, Any] = dict(
        changed=False, packets=result["packets"], summary=result["summary"], verdicts=result["verdicts"],
        capture=dict(stopped_by=run.stopped_by, seconds=run.seconds, bytes=run.bytes, command=command,
                     cleanup=run.cleanup, received=result.get("received"), dropped=result.get("dropped")))
    if run.error:
        module.fail_json(msg=run.error, **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
