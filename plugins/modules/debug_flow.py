#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: debug_flow
short_description: Trace packets through a FortiGate (diagnose debug flow) and say where they go
description:
  - Sets a flow filter, traces up to O(count) packets with C(diagnose debug flow trace start),
    and returns one trace per packet - route, policy, the IPsec tunnel it entered, or why it was
    dropped (no matching IPsec selector, policy deny, reverse path check).
  - With O(probe), the FortiGate itself sends pings (C(execute ping) from O(probe.source)) so a
    selector is exercised without waiting for user traffic.
  - The trace is always stopped and the filter cleared afterwards, also on errors.
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  vdom:
    description: VDOM to trace in on a multi-VDOM FortiGate. Default is the admin's VDOM, else C(root).
    type: str
  filters:
    description: The flow filter (C(diagnose debug flow filter ...)). Without any, every packet is traced.
    type: dict
    default: {}
    suboptions:
      addr:
        description: Source or destination IPv4 address.
        type: str
      saddr:
        description: Source IPv4 address.
        type: str
      daddr:
        description: Destination IPv4 address.
        type: str
      proto:
        description: IP protocol number (1 ICMP, 6 TCP, 17 UDP).
        type: int
      port:
        description: Source or destination port.
        type: int
      sport:
        description: Source port.
        type: int
      dport:
        description: Destination port.
        type: int
      negate:
        description: Filter options to negate.
        type: list
        elements: str
  count:
    description: Packets to trace (C(trace start N)); the capture ends when that many traces are complete.
    type: int
    default: 10
  duration:
    description: Seconds to wait for traces (1-600).
    type: int
    default: 15
  function_name:
    description: Show the kernel function of every message (C(show function-name enable)).
    type: bool
    default: true
  timestamps:
    description: Prefix every line with the date and time.
    type: bool
    default: true
  probe:
    description:
      - Send pings from the FortiGate once the trace runs. Without O(filters), the filter
        defaults to the probe's destination.
    type: dict
    suboptions:
      destination:
        description: Address to ping (inside the remote selector).
        type: str
        required: true
      source:
        description: Source address (an interface address inside the local selector).
        type: str
      count:
        description: Pings to send.
        type: int
        default: 3
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Supports check mode (it only reads; the probe pings are sent in check mode too).
"""

EXAMPLES = r"""
- name: Does traffic from the HUB-74 LAN reach SPOKE-72 through the tunnel?
  fortidiag.ipsec.debug_flow:
    probe:
      destination: 10.72.0.1
      source: 10.74.0.1
      count: 3
    count: 3
  register: flow

- name: Where did each packet go?
  ansible.builtin.debug:
    msg: "{{ flow.traces | map(attribute='verdict') | list }} via {{ flow.traces | map(attribute='ipsec_tunnel') | list }}"

- name: Trace ICMP to an address for 10 s without probing
  fortidiag.ipsec.debug_flow:
    filters:
      daddr: 10.70.0.1
      proto: 1
    count: 5
    duration: 10
"""

RETURN = r"""
traces:
  description:
    - One per traced packet - C(trace_id), C(src_ip), C(dst_ip), C(protocol), C(src_port), C(dst_port),
      C(in_interface), C(route_gateway), C(route_interface), C(policy_id), C(verdict)
      (allowed, denied, dropped, unknown), C(drop_reason) (no_ipsec_selector, policy_deny,
      rpf_fail, other text), C(ipsec_tunnel), C(snat).
  returned: always
  type: list
  elements: dict
probe:
  description: The probe's ping result (C(transmitted), C(received), C(loss_percent), ...), when O(probe) was given.
  returned: with O(probe)
  type: dict
capture:
  description: C(stopped_by) (duration, ended, error), C(seconds), C(bytes), C(commands), C(cleanup).
  returned: always
  type: dict
"""

from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.capture import CapturePlan, run_capture
from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient
from ansible_collections.fortidiag.ipsec.plugins.module_utils.debug_commands import (
    DebugInputError,
    flow_arm_commands,
    ping_probe_commands,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names, new_module
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import FlowTraceStream
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ping import parse_ping


def _probe_result(commands: List[str], outputs: List[str]) -> Dict[str, Any]:
    for command, output in zip(commands, outputs):
        if command.startswith("execute ping ") and "-options" not in command:
            parsed = parse_ping(output)
            parsed.pop("unparsed", None)
            return parsed
    return {}


def main() -> None:
    # new_module: a scalar for filters (or probe) is a clear failure, not an ansible-core traceback.
    module: AnsibleModule = new_module(
        argument_spec=dict(
            vdom=dict(type="str"),
            filters=dict(type="dict", default={}, options=dict(
                addr=dict(type="str"), saddr=dict(type="str"), daddr=dict(type="str"), proto=dict(type="int"),
                port=dict(type="int"), sport=dict(type="int"), dport=dict(type="int"),
                negate=dict(type="list", elements="str"))),
            count=dict(type="int", default=10),
            duration=dict(type="int", default=15),
            function_name=dict(type="bool", default=True),
            timestamps=dict(type="bool", default=True),
            probe=dict(type="dict", options=dict(
                destination=dict(type="str", required=True), source=dict(type="str"), count=dict(type="int", default=3))),
        ),
        supports_check_mode=True,
    )
    p = module.params
    check_names(module, ("vdom",))
    filters = {k: v for k, v in (p["filters"] or {}).items() if v not in (None, [], "")}
    probe = p["probe"]
    if probe and not filters:
        filters = {"daddr": probe["destination"]}
    try:
        if not 1 <= p["duration"] <= 600:
            raise DebugInputError("duration must be 1-600 seconds, got %d" % p["duration"])
        # The probe first: without filters its destination becomes daddr, and the error must name the probe.
        trigger = ping_probe_commands(probe["destination"], probe.get("source"), probe["count"]) if probe else []
        arm = flow_arm_commands(filters, p["count"], p["function_name"], p["timestamps"])
    except DebugInputError as exc:
        module.fail_json(msg=str(exc))
    client = FortiOSClient(module)
    stream = FlowTraceStream(max_traces=p["count"])
    run = run_capture(client, CapturePlan(
        arm=arm, vdom=p["vdom"], duration=p["duration"], trigger=trigger,
        finished=lambda: stream.count >= p["count"],
    ), stream, lambda: stream.count)
    result = stream.result()
    out: Dict[str, Any] = dict(changed=False, traces=result["traces"], stats=result.get("stats", {}), capture=dict(
        stopped_by=run.stopped_by, seconds=run.seconds, bytes=run.bytes, commands=arm + trigger, cleanup=run.cleanup))
    if probe:
        out["probe"] = _probe_result(trigger, run.trigger_outputs)
    if run.error:
        module.fail_json(msg=run.error, **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
