#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: ike_debug
short_description: Capture the IKE debug of a FortiGate and classify what it shows
description:
  - Arms C(diagnose debug application ike MASK) with an IKE log filter, reads the debug output
    for O(duration) seconds (or until a finding or a line appears), and returns the events and
    the findings (proposal, PSK, peer ID or selector mismatch, peer unreachable, DPD loss, NAT,
    established ...).
  - Optionally makes the tunnel negotiate once the capture runs (O(trigger)).
  - Debug is always switched off and reset afterwards, also on errors - C(diagnose debug disable),
    C(diagnose debug application ike 0), the IKE log filter cleared, C(diagnose debug reset). If
    the task is killed, the connection cleans up before its next command or when it closes.
  - The output is parsed as it arrives and only O(max_lines) events are kept, so a long or
    noisy capture does not fill the controller's memory.
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  tunnel:
    description:
      - Phase 1 name to debug. Sets the C(name) log filter (unless O(filters.name) is given) and
        is what O(trigger) acts on.
    type: str
  vdom:
    description: VDOM of the tunnel on a multi-VDOM FortiGate. Default is the admin's VDOM, else C(root).
    type: str
  categories:
    description:
      - What to print - C(all) (mask -1) or a list of errors (1), config (2), connect (4),
        negotiation (8), nat_t (16), dpd (32), keys (64), payload (128).
      - Keys printed by C(keys) are redacted unless O(include_keys=true).
    type: list
    elements: str
    default: [all]
  filters:
    description:
      - IKE log filter, written in the syntax of the device's version (C(log-filter dst-addr4) up
        to 7.2, C(log filter rem-addr4) from 7.4).
    type: dict
    default: {}
    suboptions:
      name:
        description: Phase 1 name (default O(tunnel)).
        type: str
      rem_addr4:
        description: Remote gateway IPv4 address, or two for a range.
        type: list
        elements: str
      loc_addr4:
        description: Local gateway IPv4 address, or two for a range.
        type: list
        elements: str
      rem_addr6:
        description: Remote gateway IPv6 address, or two for a range.
        type: list
        elements: str
      loc_addr6:
        description: Local gateway IPv6 address, or two for a range.
        type: list
        elements: str
      mdst_addr4:
        description: Several remote IPv4 peers (ADVPN); FortiOS 7.2 and older.
        type: list
        elements: str
      mdst_addr6:
        description: Several remote IPv6 peers; FortiOS 7.4 and newer.
        type: list
        elements: str
      dst_port:
        description: Remote IKE port (500, 4500 or a custom port).
        type: int
      interface:
        description: Interface the IKE packets use.
        type: str
      vd:
        description: VDOM index (C(-1) all).
        type: int
      negate:
        description: Filter options to negate (for example C([rem_addr4])).
        type: list
        elements: str
  timestamps:
    description: Prefix every debug line with the date and time (C(diagnose debug console timestamp enable)).
    type: bool
    default: true
  duration:
    description: Seconds to capture (1-3600).
    type: int
    default: 30
  until:
    description:
      - Stop as soon as one of these finding codes appears, for example C([established, psk_mismatch]).
        C(any) stops at the first finding.
    type: list
    elements: str
    default: []
  until_regex:
    description: Stop at the first debug line matching this regular expression.
    type: str
  max_lines:
    description: Stop after this many IKE events (lines) and keep no more (1-100000).
    type: int
    default: 5000
  trigger:
    description:
      - Make O(tunnel) negotiate once the capture runs - C(up) (C(diagnose vpn tunnel up) for
        its phase 2s that are down), C(flush) (C(diagnose vpn tunnel flush)), or C(clear)
        (C(diagnose vpn ike gateway clear name)). C(none) only listens.
      - Not sent in check mode.
    type: str
    choices: [none, up, flush, clear]
    default: none
  include_keys:
    description: Return the key material printed by the C(keys) category instead of C(<redacted>).
    type: bool
    default: false
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Check mode captures as usual (debug output is read-only and always cleaned up) but sends no trigger.
  - Raise C(ansible_command_timeout) above O(duration) only if the trigger itself is slow; the
    capture reads in one-second steps.
"""

EXAMPLES = r"""
- name: Why is the phase 1 to SPOKE-64 failing? Bring it up and listen for up to 20 s
  fortidiag.ipsec.ike_debug:
    tunnel: to-spoke64
    trigger: up
    duration: 20
    until: [phase1_proposal_mismatch, psk_mismatch, established]
  register: ike

- name: Show the findings
  ansible.builtin.debug:
    msg: "{{ ike.findings | map(attribute='code') | list }}"

- name: Listen to one peer by address, connection and negotiation messages only
  fortidiag.ipsec.ike_debug:
    categories: [errors, connect, negotiation, nat_t]
    filters:
      rem_addr4: [203.0.113.50]
    duration: 10

- name: Bring the Branch VDOM tunnel of MVDOM-72 up while capturing
  fortidiag.ipsec.ike_debug:
    tunnel: to-hub
    vdom: Branch
    trigger: flush
    until: [established]
    duration: 15
"""

RETURN = r"""
events:
  description: IKE debug lines (at most O(max_lines)) - C(timestamp), C(vdom), C(gateway), C(text), and more.
  returned: always
  type: list
  elements: dict
findings:
  description:
    - One per code and gateway - C(code), C(gateway), C(evidence) (the first line), C(count).
    - Codes - phase1_proposal_mismatch, phase2_proposal_mismatch, psk_mismatch, peer_id_mismatch,
      selector_mismatch, no_matching_gateway, peer_unreachable, dpd_timeout, nat_detected,
      negotiation_failure, established.
  returned: always
  type: list
  elements: dict
stats:
  description: C(lines), C(events), C(events_dropped) as counted by the parser.
  returned: always
  type: dict
capture:
  description:
    - How the capture went - C(stopped_by) (duration, until, max_lines, error), C(seconds),
      C(bytes), C(commands) (arming), C(trigger) (sent, or would be in check mode), C(cleanup)
      (the commands that switched debug off), C(mask).
  returned: always
  type: dict
"""

import re
from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.capture import CapturePlan, run_capture
from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.debug_commands import (
    DebugInputError,
    ike_arm_commands,
    ike_filter_commands,
    ike_mask,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.gateway_ops import clear_command
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names, new_module
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import IkeDebugStream
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_ops import TunnelOpError, plan
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_runner import read_snapshot

FINDING_CODES = ("phase1_proposal_mismatch", "phase2_proposal_mismatch", "psk_mismatch", "peer_id_mismatch",
                 "selector_mismatch", "no_matching_gateway", "peer_unreachable", "dpd_timeout", "nat_detected",
                 "negotiation_failure", "established", "any")

FILTER_SPEC = dict(
    name=dict(type="str"),
    rem_addr4=dict(type="list", elements="str"),
    loc_addr4=dict(type="list", elements="str"),
    rem_addr6=dict(type="list", elements="str"),
    loc_addr6=dict(type="list", elements="str"),
    mdst_addr4=dict(type="list", elements="str"),
    mdst_addr6=dict(type="list", elements="str"),
    dst_port=dict(type="int"),
    interface=dict(type="str"),
    vd=dict(type="int"),
    negate=dict(type="list", elements="str"),
)


def _trigger_commands(client: FortiOSClient, p: Dict[str, Any]) -> List[str]:
    if p["trigger"] == "none":
        return []
    if p["trigger"] == "clear":
        return [clear_command(p["tunnel"])]
    state = "up" if p["trigger"] == "up" else "flushed"
    return plan(read_snapshot(client, p["tunnel"], p["vdom"]), p["tunnel"], state, vdom_label=p["vdom"] or "").commands


def main() -> None:
    # new_module: a scalar for filters is a clear failure, not an ansible-core traceback.
    module: AnsibleModule = new_module(
        argument_spec=dict(
            tunnel=dict(type="str"),
            vdom=dict(type="str"),
            categories=dict(type="list", elements="str", default=["all"]),
            filters=dict(type="dict", default={}, options=FILTER_SPEC),
            timestamps=dict(type="bool", default=True),
            duration=dict(type="int", default=30),
            until=dict(type="list", elements="str", default=[]),
            until_regex=dict(type="str"),
            max_lines=dict(type="int", default=5000),
            trigger=dict(type="str", default="none", choices=["none", "up", "flush", "clear"]),
            include_keys=dict(type="bool", default=False, no_log=False),
        ),
        required_if=[("trigger", "up", ["tunnel"]), ("trigger", "flush", ["tunnel"]), ("trigger", "clear", ["tunnel"])],
        supports_check_mode=True,
    )
    p = module.params
    check_names(module, ("tunnel", "vdom", "filters.name", "filters.interface"))
    filters = {k: v for k, v in (p["filters"] or {}).items() if v not in (None, [], "")}
    if p["tunnel"] and "name" not in filters:
        filters["name"] = p["tunnel"]
    try:
        mask = ike_mask(p["categories"])
        # Filter values are checked before connecting; only which mdst option exists waits for the version.
        ike_filter_commands("7.4" if filters.get("mdst_addr6") else "7.2", filters)
        if not 1 <= p["duration"] <= 3600:
            raise DebugInputError("duration must be 1-3600 seconds, got %d" % p["duration"])
        if not 1 <= p["max_lines"] <= 100000:
            raise DebugInputError("max_lines must be 1-100000, got %d" % p["max_lines"])
        bad = [c for c in p["until"] if c not in FINDING_CODES]
        if bad:
            raise DebugInputError("until takes finding codes (%s), got %s" % (", ".join(FINDING_CODES), ", ".join(map(repr, bad))))
        if p["until_regex"]:
            try:
                re.compile(p["until_regex"])
            except re.error as exc:
                raise DebugInputError("until_regex is not a valid regular expression: %s" % exc)
    except DebugInputError as exc:
        module.fail_json(msg=str(exc))
    client = FortiOSClient(module)
    until = set(p["until"])
    capture = dict(mask=mask, commands=[], trigger=[], cleanup=[], stopped_by=None)
    try:
        version = client.device_info().get("version")
        arm = ike_arm_commands(version, mask, filters, p["timestamps"])
        trigger = _trigger_commands(client, p)
    except (DebugInputError, TunnelOpError, FortiOSClientError) as exc:
        module.fail_json(msg=str(exc), capture=capture)
    capture.update(commands=arm, trigger=trigger, trigger_sent=bool(trigger) and not module.check_mode)
    stream = IkeDebugStream(include_keys=p["include_keys"], max_events=p["max_lines"])
    run = run_capture(client, CapturePlan(
        arm=arm, vdom=p["vdom"], duration=p["duration"], trigger=[] if module.check_mode else trigger,
        stop_when=(lambda new: "any" in until or any(f["code"] in until for f in new)) if until else None,
        stop_regex=p["until_regex"], max_items=p["max_lines"],
    ), stream, lambda: stream.count)
    result = stream.result()
    capture.update(stopped_by=run.stopped_by, seconds=run.seconds, bytes=run.bytes, cleanup=run.cleanup)
    out = dict(changed=capture["trigger_sent"], events=result["events"], findings=result["findings"], stats=result["stats"], capture=capture)
    if run.error:
        module.fail_json(msg=run.error, **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
