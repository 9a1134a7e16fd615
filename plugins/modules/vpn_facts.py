#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vpn_facts
short_description: Gather the IPsec VPN state of a FortiGate as structured facts
description:
  - Runs FortiOS monitor commands over the persistent C(fortidiag.ipsec.fortios) connection and
    returns them parsed under C(ansible_facts.fortios_ipsec), in the field names of the
    collection's parsed-facts contract.
  - All requested subsets are gathered in one batch, with one context switch per VDOM.
  - Read-only; runs the same in check mode.
version_added: 0.1.0
author: fortidiag maintainers (@fortidiag)
options:
  gather_subset:
    description:
      - What to gather. Each subset runs these commands (once per VDOM unless noted)
      - C(system) - C(get system status), read once at login, costs no command.
      - C(tunnel_summary) - C(get vpn ipsec tunnel summary).
      - C(tunnel_list) - C(diagnose vpn tunnel list), with SAs, npu flags and a per-tunnel C(offload_summary).
      - C(ike_gateways) - C(diagnose vpn ike gateway list).
      - C(tunnel_details) - C(get vpn ipsec tunnel details).
      - C(ipsec_tunnel_list) - C(get ipsec tunnel list).
      - C(stats) - C(get vpn ipsec stats tunnel) (summed over VDOMs, each VDOM in C(by_vdom)).
      - C(hw_offload) - C(diagnose vpn ipsec status), once per device (counters are device-wide; run in the first VDOM).
      - C(config) - C(show full-configuration vpn ipsec phase1-interface) and C(phase2-interface).
      - C(all) gathers everything in one batch of commands.
      - Prefix a subset with C(!) to exclude it, for example C([all, "!config"]).
    type: list
    elements: str
    default: [all]
  tunnels:
    description:
      - Phase 1 names to limit the facts to. Dial-up instances (C(NAME_0)) follow their parent.
      - Default is every tunnel.
    type: list
    elements: str
    default: []
  vdom:
    description:
      - VDOM or VDOMs to gather from on a multi-VDOM FortiGate. Default C(root).
      - Ignored on a FortiGate without VDOMs. A VDOM-scoped admin may name only its own VDOM.
    type: list
    elements: str
  include_keys:
    description:
      - Return live IPsec and IKE key material instead of C(<redacted>). Keys then reach
        facts, logs and reports, so use it only when you need them.
    type: bool
    default: false
  set_facts:
    description:
      - Set C(ansible_facts.fortios_ipsec). With V(false) the same data is returned as C(fortios_ipsec)
        in the task result instead, for C(register).
      - On large fleets V(false) is much faster, because Ansible copies every host's facts for each later
        task, while registered results are only referenced.
    type: bool
    default: true
  result_format:
    description:
      - With O(set_facts=false), V(json) returns RV(fortios_ipsec) as one JSON string (decode it with
        C(from_json)). Ansible copies and walks every value of a result several times on the controller;
        one string costs almost nothing, which on fleets of hundreds of hosts is most of the run time.
      - V(json) with O(set_facts=true) is refused.
    type: str
    choices: [data, json]
    default: data
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Runs as an action plugin on the controller (no module process per host); the module gives the same result.
  - Supports check mode.
"""

EXAMPLES = r"""
- name: Gather every IPsec fact
  fortidiag.ipsec.vpn_facts:

- name: Only the summary and the tunnel list of two tunnels in two VDOMs
  fortidiag.ipsec.vpn_facts:
    gather_subset: [tunnel_summary, tunnel_list]
    tunnels: [to-branch1, dialup-hub]
    vdom: [root, customer-a]

- name: Gather without setting facts (large fleets), for register
  fortidiag.ipsec.vpn_facts:
    gather_subset: [tunnel_summary, tunnel_list]
    set_facts: false
  register: vpn

- name: Show which selectors are down
  ansible.builtin.debug:
    msg: "{{ ansible_facts.fortios_ipsec.tunnel_summary.tunnels | selectattr('selectors_up', 'lt', 1) | map(attribute='name') }}"
"""

RETURN = r"""
fortios_ipsec:
  description:
    - With O(set_facts=false), the same data as RV(ansible_facts.fortios_ipsec).
    - A JSON string of it with O(result_format=json).
  returned: when O(set_facts=false)
  type: raw
ansible_facts:
  description: Facts under the C(fortios_ipsec) key.
  returned: when O(set_facts=true)
  type: dict
  contains:
    fortios_ipsec:
      description: The gathered subsets, plus C(device) and C(vdoms).
      type: dict
      returned: always
      contains:
        device:
          description: What the login learned (hostname, version, model, serial, vdom_mode, ha_mode, admin_vdom).
          type: dict
          returned: always
          sample: {"hostname": "HQ-FW1", "version": "7.2.8", "vdom_mode": "disable"}
        vdoms:
          description: The VDOMs gathered from (null on a device without VDOMs).
          type: list
          elements: str
          returned: always
        tunnel_summary:
          description:
            - C(get vpn ipsec tunnel summary) as C(tunnels) (name, remote_ip, remote_port, selectors_total,
              selectors_up, rx/tx packets and errors) and C(unparsed).
          type: dict
          returned: when gathered
        tunnel_details:
          description: C(get vpn ipsec tunnel details) as C(tunnels) with C(selectors) and their SAs; keys redacted unless O(include_keys).
          type: dict
          returned: when gathered
        ipsec_tunnel_list:
          description: C(get ipsec tunnel list) as C(tunnels) (name, remote_gateway, proxy_src, proxy_dst, status, timeout).
          type: dict
          returned: when gathered
        stats:
          description: C(get vpn ipsec stats tunnel) as C(tunnels) and C(selectors) counters.
          type: dict
          returned: when gathered
        hw_offload:
          description: C(diagnose vpn ipsec status) as C(devices) with per-algorithm crypto counters.
          type: dict
          returned: when gathered
        config:
          description: Phase 1 and phase 2 settings as C(phase1) and C(phase2); pre-shared secrets always C(<redacted>).
          type: dict
          returned: when gathered
        system:
          description: C(get system status) (version, build, model, hostname, serial, vdom_mode, ha_mode, ...).
          type: dict
          returned: when gathered
        tunnel_list:
          description:
            - C(diagnose vpn tunnel list) as C(tunnels) (with proxyids, SAs, counters, npu flags) and C(unparsed).
            - Keys read C(<redacted>) unless O(include_keys).
          type: dict
          returned: when gathered
        ike_gateways:
          description: C(diagnose vpn ike gateway list) as C(gateways) (with IKE SAs) and C(unparsed).
          type: dict
          returned: when gathered
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import ARGUMENT_SPEC, FactsError, gather, result
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names


def main() -> None:
    # Tasks normally run plugins/action/vpn_facts.py (same spec, same gather); this is the
    # module proper, for ansible-doc and for callers that run modules directly.
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    check_names(module, ("tunnels", "vdom"))
    try:
        result(facts={}, set_facts=module.params["set_facts"], result_format=module.params["result_format"])
        facts = gather(FortiOSClient(module), module.params)
    except (FactsError, FortiOSClientError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result(facts, module.params["set_facts"], module.params["result_format"]))


if __name__ == "__main__":
    main()
