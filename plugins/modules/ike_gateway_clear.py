#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: ike_gateway_clear
short_description: Clear one IKE gateway (phase 1) of a FortiGate so it renegotiates
description:
  - Sends C(diagnose vpn ike gateway clear name NAME), which deletes the phase 1 (IKE SA) and
    its phase-2 SAs; the tunnel then renegotiates. Use it for a phase 1 stuck in a bad state.
  - Reads C(diagnose vpn ike gateway list name NAME) first. A gateway with no IKE SA (neither
    established nor connecting) has nothing to clear and is not changed.
  - B(Without a name FortiOS clears every IKE gateway of every VDOM), dropping all IPsec tunnels
    of the FortiGate. The module does that only with O(all_gateways=true) B(and)
    O(confirm_all_vdoms=true).
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  name:
    description: Phase 1 name (as in C(diagnose vpn ike gateway list)). Required unless O(all_gateways=true).
    type: str
  vdom:
    description: VDOM of the gateway on a multi-VDOM FortiGate. Default is the admin's VDOM, else C(root).
    type: str
  all_gateways:
    description:
      - Clear every IKE gateway of every VDOM (C(diagnose vpn ike gateway clear) without a name).
      - Needs O(confirm_all_vdoms=true) as well. Mutually exclusive with O(name).
    type: bool
    default: false
  confirm_all_vdoms:
    description: The second, explicit confirmation that O(all_gateways=true) is meant to drop every tunnel in every VDOM.
    type: bool
    default: false
  wait:
    description:
      - Seconds to wait, polling every second, until the named gateway has a new established
        IKE SA. 0 returns right after the clear. The task fails when it does not renegotiate in
        time. Only with O(name).
    type: int
    default: 0
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Check mode reads the gateway and reports what would change; it sends nothing that changes state.
  - With O(all_gateways=true) the result is always C(changed), because gateways in VDOMs the
    session does not read are cleared too.
"""

EXAMPLES = r"""
- name: Clear the phase 1 of the SPOKE-72 tunnel on HUB-74 and wait for it to come back
  fortidiag.ipsec.ike_gateway_clear:
    name: to-spoke72
    wait: 30

- name: Clear a gateway in a VDOM (MVDOM-72)
  fortidiag.ipsec.ike_gateway_clear:
    name: to-hub
    vdom: Branch

- name: Clear EVERY IKE gateway in every VDOM (drops all tunnels)
  fortidiag.ipsec.ike_gateway_clear:
    all_gateways: true
    confirm_all_vdoms: true
"""

RETURN = r"""
commands:
  description: The commands sent (in check mode, those that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["diagnose vpn ike gateway clear name to-spoke72"]
before:
  description: The gateway before the clear - C(name), C(remote_ip), C(ike_sas) (C(id), C(spi), C(status)), C(established).
  returned: with O(name)
  type: dict
after:
  description: The gateway at the last read, same keys as RV(before); in check mode the state read before.
  returned: with O(name)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.gateway_ops import (
    CLEAR_ALL,
    GatewayOpError,
    check_request,
    clear_command,
    cleared,
    renegotiated,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_runner import read_gateway, send, wait_for_gateway


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            vdom=dict(type="str"),
            all_gateways=dict(type="bool", default=False),
            confirm_all_vdoms=dict(type="bool", default=False),
            wait=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    check_names(module, ("name", "vdom"))
    try:
        check_request(p["name"], p["all_gateways"], p["confirm_all_vdoms"])
        if p["wait"] < 0 or (p["wait"] and not p["name"]):
            raise GatewayOpError("wait takes 0 or more seconds and works only with name")
    except GatewayOpError as exc:
        module.fail_json(msg=str(exc))
    client = FortiOSClient(module)
    result = dict(changed=False, commands=[])
    try:
        if p["all_gateways"]:
            result.update(changed=True, commands=[CLEAR_ALL])
            if not module.check_mode:
                send(client, [CLEAR_ALL], p["vdom"])
            module.exit_json(**result)
        before = read_gateway(client, p["name"], p["vdom"])
        if before is None:
            raise GatewayOpError("no IKE gateway named '%s'%s (diagnose vpn ike gateway list shows none; check the "
                                 "phase1-interface name and the vdom)" % (p["name"], " in VDOM %s" % p["vdom"] if p["vdom"] else ""))
        commands = [clear_command(p["name"])] if before["ike_sas"] else []
        result.update(changed=bool(commands), commands=commands, before=before)
        if module.check_mode:
            module.exit_json(after=before, **result)
        send(client, commands, p["vdom"])
        if p["wait"] and commands:
            ok, after = wait_for_gateway(client, p["name"], p["vdom"], lambda gw: renegotiated(before, gw), p["wait"])
        else:
            ok, after = wait_for_gateway(client, p["name"], p["vdom"], lambda gw: cleared(before, gw) or not commands, 0)
    except (GatewayOpError, FortiOSClientError) as exc:
        module.fail_json(msg=str(exc), **result)
    result["after"] = after
    if p["wait"] and commands and not ok:
        module.fail_json(msg="IKE gateway %s not renegotiated within %ds; check the IKE debug and the peer" % (
            p["name"], p["wait"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
