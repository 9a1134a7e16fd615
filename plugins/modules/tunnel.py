#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: tunnel
short_description: Bring a FortiGate IPsec tunnel up or down, or flush its SAs
description:
  - Reads the tunnel with C(diagnose vpn tunnel list name NAME), sends only the commands needed
    to reach O(state), and returns the tunnel's state before and after.
  - O(state=up) and O(state=down) send C(diagnose vpn tunnel up|down PHASE2 PHASE1) for each
    phase 2 that is not yet in that state (FortiOS takes the phase2 name first; the phase1 name
    makes it unambiguous). A tunnel already in the requested state is not changed.
  - O(state=flushed) sends C(diagnose vpn tunnel flush PHASE1), which deletes every phase-2 SA of
    the tunnel; the tunnel renegotiates on traffic or auto-negotiate with new SPIs. A tunnel
    without SAs has nothing to flush and is not changed.
  - The module always names the tunnel, so it can never flush every tunnel of a VDOM.
  - Dial-up servers (phase1 type dynamic) have no selectors of their own; target an instance
    (C(NAME_0)), which can be taken down or flushed but only brought up from the client.
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  name:
    description: Phase 1 (phase1-interface) name, or a dial-up instance name such as C(dialup_0).
    type: str
    required: true
  phase2:
    description:
      - Act on this phase 2 (selector) only. Default is every phase 2 of the tunnel.
      - Not allowed with O(state=flushed), which FortiOS applies to the whole phase 1.
    type: str
  state:
    description: The requested state.
    type: str
    required: true
    choices: [up, down, flushed]
  vdom:
    description:
      - VDOM of the tunnel on a multi-VDOM FortiGate. Default is the admin's VDOM, else C(root).
    type: str
  wait:
    description:
      - Seconds to wait for the requested state, polling the tunnel list every second; 0 returns
        right after the commands.
      - For O(state=flushed), waits until the selectors that were up are up again on new SPIs
        (renegotiated).
      - The task fails when the state is not reached in time; RV(before) and RV(after) are
        still returned.
    type: int
    default: 0
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Check mode reads the tunnel and reports what would change; it sends nothing that changes state.
  - Diff mode shows the tunnel state before and after.
"""

EXAMPLES = r"""
- name: Bring the HUB-74 tunnel to SPOKE-72 up and wait up to 30 s for it
  fortidiag.ipsec.tunnel:
    name: to-spoke72
    state: up
    wait: 30

- name: Flush the SAs of a tunnel and wait for the renegotiation (new SPIs)
  fortidiag.ipsec.tunnel:
    name: to-spoke72
    state: flushed
    wait: 30

- name: Take one phase 2 down in a VDOM
  fortidiag.ipsec.tunnel:
    name: to-hub
    phase2: to-hub
    state: down
    vdom: Branch
"""

RETURN = r"""
commands:
  description: The commands sent (in check mode, those that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["diagnose vpn tunnel flush to-spoke72"]
before:
  description:
    - The tunnel before the change - C(state) (C(up), C(down) or C(partial)), C(selectors_up),
      C(selectors_total), C(selectors) (C(name), C(up), C(inbound_spis), C(outbound_spis), C(npu_flags)),
      C(offload_summary), C(kind) (C(static), C(dial_inst)).
  returned: when the tunnel exists
  type: dict
after:
  description: The tunnel after the change, same keys as RV(before); in check mode the state read before.
  returned: when the tunnel exists
  type: dict
state_reached:
  description: Whether the tunnel showed the requested state at the last read (always true in check mode).
  returned: always
  type: bool
"""

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_ops import (
    TunnelOpError,
    plan,
    progress,
    reached,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_runner import read_snapshot, send, wait_until


def _diff(before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> Dict[str, str]:
    def text(snap: Optional[Dict[str, Any]]) -> str:
        if not snap:
            return "absent\n"
        lines = ["state: %s (%s)" % (snap["state"], progress(snap))]
        lines += ["  %s: %s %s" % (s["name"], "up" if s["up"] else "down", ",".join(s["inbound_spis"])) for s in snap["selectors"]]
        return "\n".join(lines) + "\n"
    return {"before": text(before), "after": text(after)}


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            phase2=dict(type="str"),
            state=dict(type="str", required=True, choices=["up", "down", "flushed"]),
            vdom=dict(type="str"),
            wait=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    check_names(module, ("name", "phase2", "vdom"), required=("name",))
    if p["wait"] < 0:
        module.fail_json(msg="wait must be 0 or more seconds, got %d" % p["wait"])
    if p["state"] == "flushed" and p["phase2"]:
        # Known without reading the tunnel: refuse before connecting.
        module.fail_json(msg="phase2 is not allowed with state=flushed (diagnose vpn tunnel flush acts on the whole "
                             "phase 1); remove phase2")
    client = FortiOSClient(module)
    result = dict(changed=False, commands=[], state_reached=False)
    try:
        before = read_snapshot(client, p["name"], p["vdom"])
        todo = plan(before, p["name"], p["state"], p["phase2"], vdom_label=p["vdom"] or "")
        result.update(commands=todo.commands, changed=todo.changed, before=before)
        if module.check_mode:
            result.update(after=before, state_reached=True)
            if module._diff:
                result["diff"] = _diff(before, before)
            module.exit_json(**result)
        send(client, todo.commands, p["vdom"])
        ok, after = wait_until(client, p["name"], p["vdom"],
                               lambda snap: reached(before, snap, p["state"], todo.targets, renegotiated=p["wait"] > 0),
                               timeout=p["wait"])
    except (TunnelOpError, FortiOSClientError) as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(after=after, state_reached=ok)
    if module._diff:
        result["diff"] = _diff(before, after)
    if not ok and p["wait"] > 0:
        what = "renegotiated after the flush" if p["state"] == "flushed" else p["state"]
        module.fail_json(msg="tunnel %s not %s within %ds (%s); check the IKE debug and the peer" % (
            p["name"], what, p["wait"], progress(after)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
