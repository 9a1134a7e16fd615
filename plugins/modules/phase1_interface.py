#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: phase1_interface
short_description: Manage troubleshooting settings (npu-offload) of a FortiGate IPsec phase1-interface
description:
  - Reads the phase 1 with C(show full-configuration vpn ipsec phase1-interface NAME) and, only
    when a requested value differs, writes it with C(config vpn ipsec phase1-interface) /
    C(edit NAME) / C(set ...) / C(next) / C(end), then reads it back to verify.
  - Never creates a phase 1 - an unknown name is an error - and never touches settings that are
    not requested. A setting left out is only reported.
  - C(npu-offload) applies to SAs negotiated after the change. With O(renegotiate=true) the
    module flushes the tunnel's SAs after a change and waits for the new ones, so RV(tunnel)
    shows their new C(npu_flags) (C(00) kernel, C(03) both directions on the NPU).
version_added: 0.2.0
author: fortidiag maintainers (@fortidiag)
options:
  name:
    description: The phase1-interface name (not a dial-up instance such as C(NAME_0)).
    type: str
    required: true
  vdom:
    description: VDOM of the phase 1 on a multi-VDOM FortiGate. Default is the admin's VDOM, else C(root).
    type: str
  npu_offload:
    description:
      - C(set npu-offload). Omit to only report the current value.
      - A FortiGate without NPU (a VM) has no such setting; asking for it is an error.
    type: str
    choices: [enable, disable]
  renegotiate:
    description:
      - After a change, flush the tunnel (C(diagnose vpn tunnel flush NAME)) so its SAs are
        negotiated again with the new setting, and wait O(wait) seconds for them.
      - Only when this task changed something; a tunnel without SAs is left alone. Not for
        dial-up servers (flush their instances with M(fortidiag.ipsec.tunnel)).
    type: bool
    default: false
  wait:
    description: Seconds to wait for the renegotiated SAs with O(renegotiate=true); the task fails when they do not come up.
    type: int
    default: 30
notes:
  - Needs C(ansible_connection=fortidiag.ipsec.fortios).
  - Check mode reads the configuration and reports what would change; it writes nothing.
  - Diff mode shows the managed settings before and after, as FortiOS configuration.
  - Flushing interrupts traffic through the tunnel until it renegotiates.
"""

EXAMPLES = r"""
- name: Report npu-offload of a phase 1 without changing it
  fortidiag.ipsec.phase1_interface:
    name: to-spoke72
  register: p1

- name: Disable NPU offload and renegotiate so the new SAs are in the kernel (npu_flag 00)
  fortidiag.ipsec.phase1_interface:
    name: to-spoke72
    npu_offload: disable
    renegotiate: true
    wait: 30

- name: Enable it again in a VDOM
  fortidiag.ipsec.phase1_interface:
    name: to-hub
    vdom: Branch
    npu_offload: enable
"""

RETURN = r"""
commands:
  description: Configuration and flush commands sent (in check mode, those that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["config vpn ipsec phase1-interface", "edit to-spoke72", "set npu-offload disable", "next", "end"]
before:
  description: Managed settings before the task, by option name (for example C(npu_offload)).
  returned: success
  type: dict
  sample: {"npu_offload": "enable"}
after:
  description: Managed settings as read back after the change (in check mode, the requested values).
  returned: success
  type: dict
  sample: {"npu_offload": "disable"}
summary:
  description:
    - One flat row for fleet reports - C(name), C(vdom), C(changed), C(before) and C(after) (the
      managed settings), C(npu_flags) (every SA's flag after renegotiation, else null).
  returned: success
  type: dict
  sample: {"name": "to-spoke72", "vdom": null, "changed": true, "before": {"npu_offload": "enable"},
           "after": {"npu_offload": "disable"}, "npu_flags": ["00"]}
tunnel:
  description:
    - The tunnel after renegotiation - C(state), C(selectors) with C(npu_flags) and C(inbound_spis),
      C(offload_summary) (see M(fortidiag.ipsec.tunnel)).
  returned: when O(renegotiate=true) flushed the tunnel
  type: dict
"""

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fortidiag.ipsec.plugins.module_utils.client import FortiOSClient, FortiOSClientError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.module_args import check_names
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.vpn_config import parse_phase1_config
from ansible_collections.fortidiag.ipsec.plugins.module_utils.phase1_settings import (
    SETTINGS,
    Phase1SettingError,
    changes,
    config_commands,
    config_text,
    current,
    find_entry,
    read_command,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_ops import TunnelOpError, plan, progress, reached
from ansible_collections.fortidiag.ipsec.plugins.module_utils.tunnel_runner import read_snapshot, send, wait_until


def _read_entry(client: FortiOSClient, name: str, vdom: Optional[str]) -> Dict[str, Any]:
    output = client.run_commands([{"command": read_command(name), "vdom": vdom}])[0]["output"]
    entry = find_entry(parse_phase1_config(output), name)
    if entry is None:
        hint = " (dial-up instances have no configuration of their own: use the parent)" if name.rsplit("_", 1)[-1].isdigit() else ""
        raise Phase1SettingError("no phase1-interface named '%s'%s%s" % (name, " in VDOM %s" % vdom if vdom else "", hint))
    return entry


def _renegotiate(client: FortiOSClient, module: AnsibleModule, entry: Dict[str, Any], result: Dict[str, Any]) -> None:
    p = module.params
    if entry.get("type") == "dynamic":
        raise Phase1SettingError("renegotiate: %s is a dial-up server; flush its instances with fortidiag.ipsec.tunnel" % p["name"])
    before = read_snapshot(client, p["name"], p["vdom"])
    todo = plan(before, p["name"], "flushed")
    result["commands"] += todo.commands
    if module.check_mode or not todo.commands:
        result["tunnel"] = before
        return
    send(client, todo.commands, p["vdom"])
    ok, after = wait_until(client, p["name"], p["vdom"], lambda snap: reached(before, snap, "flushed", todo.targets, True), p["wait"])
    result["tunnel"] = after
    if not ok:
        module.fail_json(msg="%s: set, but the tunnel did not renegotiate within %ds after the flush (%s)" % (
            p["name"], p["wait"], progress(after)), **result)


def main() -> None:
    spec = dict(
        name=dict(type="str", required=True),
        vdom=dict(type="str"),
        renegotiate=dict(type="bool", default=False),
        wait=dict(type="int", default=30),
    )
    spec.update({s.option: dict(type="str", choices=list(s.choices)) for s in SETTINGS})
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    check_names(module, ("name", "vdom"), required=("name",))
    if p["wait"] < 0:
        module.fail_json(msg="wait must be 0 or more seconds, got %d" % p["wait"])
    wanted = {s.option: p[s.option] for s in SETTINGS if p[s.option] is not None}
    client = FortiOSClient(module)
    result = dict(changed=False, commands=[])
    try:
        entry = _read_entry(client, p["name"], p["vdom"])
        reported = {s.option: entry.get(s.option) for s in SETTINGS}
        before = dict(reported, **current(entry, wanted))
        todo = changes(before, wanted)
        commands = config_commands(entry["name"], todo)
        result.update(changed=bool(todo), commands=list(commands), before=before, after=dict(before, **wanted))
        if module._diff:
            result["diff"] = {"before": config_text(p["name"], before), "after": config_text(p["name"], result["after"]),
                              "before_header": "%s (before)" % p["name"], "after_header": "%s (after)" % p["name"]}
        if not module.check_mode and todo:
            send(client, commands, p["vdom"])
            readback = _read_entry(client, p["name"], p["vdom"])
            result["after"] = {s.option: readback.get(s.option) for s in SETTINGS}
            wrong = [s.keyword for s, _unused, value in todo if result["after"].get(s.option) != value]
            if wrong:
                module.fail_json(msg="%s: FortiOS did not keep %s (read back %s)" % (
                    p["name"], ", ".join(wrong), result["after"]), **result)
        if p["renegotiate"] and todo:
            _renegotiate(client, module, entry, result)
    except (Phase1SettingError, TunnelOpError, FortiOSClientError) as exc:
        module.fail_json(msg=str(exc), **result)
    flags = [f for sel in (result.get("tunnel") or {}).get("selectors", []) for f in sel["npu_flags"]]
    result["summary"] = dict(name=p["name"], vdom=p["vdom"], changed=result["changed"], before=result["before"],
                             after=result["after"], npu_flags=flags if "tunnel" in result else None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
