"""Files written beside the inventory: the Ansible inventory, known_hosts and the host key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import asyncssh
import yaml

from fortisim.model import Device
from fortisim.stats import atomic_write_text


def sibling(inventory: Path, suffix: str) -> Path:
    """``/x/lab.yml`` + ``.known_hosts`` -> ``/x/lab.known_hosts``."""
    return inventory.with_suffix(suffix) if inventory.suffix in (".yml", ".yaml") \
        else inventory.with_name(inventory.name + suffix)


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """One ed25519 key for every device; kept so known_hosts stays valid across runs."""
    if path.exists():
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    key.write_private_key(tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return key


def known_hosts_text(host: str, ports: dict[str, int], key: asyncssh.SSHKey) -> str:
    public = key.export_public_key("openssh").decode().split()
    entry = f"{public[0]} {public[1]}"
    lines = []
    for port in ports.values():
        # OpenSSH syntax: non-default ports go in brackets.
        name = host if port == 22 else f"[{host}]:{port}"
        lines.append(f"{name} {entry}")
    return "\n".join(lines) + "\n"


def inventory_data(devices: list[Device], ports: dict[str, int], host: str,
                   known_hosts: Path) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for device in devices:
        admin = device.primary_admin
        hostvars: dict[str, Any] = {
            "ansible_host": host,
            "ansible_port": ports[device.hostname],
            "ansible_user": admin.username,
            "ansible_password": admin.password,
            "ansible_connection": "fortidiag.ipsec.fortios",
            "ansible_fortios_known_hosts_file": str(known_hosts.resolve()),
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "fortidiag_sim_version": str(device.release),
        }
        if device.multi_vdom:
            hostvars["fortidiag_vdoms"] = list(device.vdoms)
        extra = [{"username": a.username, "password": a.password, "vdom": a.vdom}
                 for a in device.admins[1:]]
        if extra:
            hostvars["fortidiag_sim_admins"] = extra
        hosts[device.hostname] = hostvars
        for group in (device.release.group_name, f"vdom_{device.vdom_mode}"):
            groups.setdefault(group, {"hosts": {}})["hosts"][device.hostname] = {}
    children: dict[str, Any] = {"fortigates": {"hosts": hosts}}
    children.update(sorted(groups.items()))
    return {"all": {"children": children}}


def write_inventory(path: Path, data: dict[str, Any]) -> None:
    header = "# Written by fortisim; regenerated on every start.\n"
    atomic_write_text(path, header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
