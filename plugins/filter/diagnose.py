# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""diagnose: the collection's IPsec diagnosis rules over gathered evidence."""
from __future__ import annotations

DOCUMENTATION = r"""
name: diagnose
version_added: 0.1.0
author: fortidiag maintainers (@fortidiag)
short_description: Diagnose IPsec tunnels from gathered evidence
description:
  - Applies the collection's diagnosis rules (one table from evidence to cause to fix) to the evidence
    gathered for each tunnel and returns its findings and its top cause.
  - "Stages: C(configuration) (both peers' phase 1 / phase 2 compared when the peer is known),
    C(connectivity) (ping to the remote gateway, sniffer verdicts), C(debug) (IKE debug findings),
    C(selectors) (debug flow traces), C(policies) (firewall policies and routes)."
  - The top cause is the non-info finding with the lowest rule priority; ties go to the earlier stage.
  - A healthy tunnel (up, every selector up, packets received, no critical finding) gets no findings.
  - The same module also provides the filter C(fortidiag.ipsec.diagnosis_rules), which returns the rule table
    as a list of dicts (C(code), C(stage), C(severity), C(cause), C(fix), C(priority)).
options:
  _input:
    description:
      - A list of evidence dicts, one per tunnel (a single dict is accepted too).
      - "Keys, each optional: C(host), C(vdom), C(tunnel), C(state) (up, down, partial, unknown),
        C(selectors_up), C(selectors_total), C(rx_packets), C(tx_packets),
        C(config) (C(phase1), C(phase2), C(gateway_ip)), C(peer) (the same for the other peer, plus C(host)),
        C(ping_gateway) (parsed C(execute ping)), C(sniffer) (parsed sniffer with C(verdicts)),
        C(ike) (parsed IKE debug with C(findings)), C(flow) (parsed debug flow with C(traces)),
        C(policies), C(routes), C(remote_subnets), C(local_subnets)."
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Diagnose the gathered evidence
  ansible.builtin.set_fact:
    diagnosis: "{{ tunnel_evidence | fortidiag.ipsec.diagnose }}"

- name: Top cause per tunnel
  ansible.builtin.debug:
    msg: "{{ diagnosis | map(attribute='top_cause') }}"

- name: The rule table, for a report
  ansible.builtin.debug:
    msg: "{{ [] | fortidiag.ipsec.diagnosis_rules }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per evidence dict, in order, with C(tunnel), C(vdom), C(host), C(state), C(top_cause)
      (a finding code or null) and C(findings).
    - Each finding has C(code), C(severity) (critical, warning, info), C(stage), C(evidence) (list of lines),
      C(cause), C(fix) and C(tunnel).
  type: list
  elements: dict
"""

from typing import Any, Dict, List, Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.module_utils.diagnosis import diagnose_all, rules_as_dicts


def diagnose(evidence: Any) -> List[Dict[str, Any]]:
    if evidence is None:
        return []
    if isinstance(evidence, Mapping):
        evidence = [evidence]
    if isinstance(evidence, (str, bytes)) or not isinstance(evidence, (list, tuple)):
        raise AnsibleFilterError("diagnose expects a list of evidence dicts (one per tunnel), got %s" % type(evidence).__name__)
    for index, item in enumerate(evidence):
        if not isinstance(item, Mapping):
            raise AnsibleFilterError("diagnose: evidence item %d is a %s, not a dict" % (index, type(item).__name__))
    return diagnose_all(list(evidence))


def diagnosis_rules(unused: Any = None) -> List[Dict[str, Any]]:
    return rules_as_dicts()


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {"diagnose": diagnose, "diagnosis_rules": diagnosis_rules}
