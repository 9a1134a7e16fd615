# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: fortios
short_description: One persistent SSH CLI session per FortiGate, built on netmiko
description:
  - Opens one SSH session to a FortiGate with netmiko (C(device_type=fortinet)) and keeps it
    for the whole play in ansible-core's persistent connection process, so every
    C(fortidiag.ipsec) task on a host shares one login.
  - Modules reach it through a small RPC surface; see the collection's C(docs/connection.md).
  - "Prerequisite for fast, write-free sessions: the console output mode. With
    C(config system console) / C(set output standard) already set on the FortiGate, the
    session runs without paging and writes no configuration. With C(output more) (the
    factory default) the session answers C(--More--) prompts in band by default, which
    works with any admin profile and still writes nothing, but costs one round trip per
    page. O(console_paging=configure) instead switches the console to C(standard) for the
    session and back to C(more) at logout, as netmiko does; that needs global write rights
    and shows as two configuration changes (for example FortiManager goes out of sync)."

  - Multi-VDOM devices are handled by entering C(config vdom) / C(edit NAME) or
    C(config global) as each command requires; the session stays in the last context to
    save round trips. A VDOM-scoped admin (who lands in its VDOM at login) runs every
    command in that VDOM and gets a clear error for anything else.
  - Host keys are checked by default against O(known_hosts_file).
  - When the session closes (play end, C(meta reset_connection), idle timeout) any debug
    that was switched on through it is switched off and reset.
author: fortidiag maintainers (@fortidiag)
version_added: 0.1.0
requirements:
  - netmiko >= 4.8 and paramiko >= 4 on the controller (the Python that runs ansible-playbook)
options:
  host:
    description: Address of the FortiGate.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  device_name:
    description: The name used for this device in messages (the inventory name by default).
    type: str
    vars:
      - name: inventory_hostname
  port:
    description: SSH port.
    type: int
    default: 22
    ini:
      - section: defaults
        key: remote_port
    env:
      - name: ANSIBLE_REMOTE_PORT
    vars:
      - name: ansible_port
  remote_user:
    description: Admin user name.
    type: str
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    vars:
      - name: ansible_user
  password:
    description: Admin password. Never logged.
    type: str
    vars:
      - name: ansible_password
      - name: ansible_ssh_pass
      - name: ansible_ssh_password
  private_key_file:
    description: Private key for public-key authentication.
    type: path
    ini:
      - section: defaults
        key: private_key_file
    env:
      - name: ANSIBLE_PRIVATE_KEY_FILE
    vars:
      - name: ansible_private_key_file
      - name: ansible_ssh_private_key_file
  host_key_checking:
    description:
      - Refuse hosts whose key is not in O(known_hosts_file).
      - To accept a device's key, add it with C(ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts)
        after checking its fingerprint on the console, or set this to false for a lab.
    type: boolean
    default: true
    ini:
      - section: defaults
        key: host_key_checking
    env:
      - name: ANSIBLE_HOST_KEY_CHECKING
    vars:
      - name: ansible_host_key_checking
      - name: ansible_ssh_host_key_checking
  known_hosts_file:
    description: The known_hosts file that host keys are checked against.
    type: path
    default: ~/.ssh/known_hosts
    env:
      - name: FORTIDIAG_KNOWN_HOSTS_FILE
    vars:
      - name: ansible_fortios_known_hosts_file
  ssh_timeout:
    description: Seconds allowed for the TCP connection, the SSH handshake and the login.
    type: int
    default: 15
    vars:
      - name: ansible_fortios_ssh_timeout
  console_paging:
    description:
      - How to cope with C(config system console) / C(set output more).
      - C(in_band) answers C(--More--) prompts and never writes configuration.
      - C(configure) sets C(output standard) for the session when it is C(more) and restores it at logout (two
        configuration writes, needs global rights).
    type: str
    default: in_band
    choices: [in_band, configure]
    vars:
      - name: ansible_fortios_console_paging
  persistent_connect_timeout:
    description: Seconds the persistent connection process waits idle before it logs out.
    type: int
    default: 30
    ini:
      - section: persistent_connection
        key: connect_timeout
    env:
      - name: ANSIBLE_PERSISTENT_CONNECT_TIMEOUT
    vars:
      - name: ansible_connect_timeout
  persistent_command_timeout:
    description: Seconds one command may take to return to the prompt.
    type: int
    default: 30
    ini:
      - section: persistent_connection
        key: command_timeout
    env:
      - name: ANSIBLE_PERSISTENT_COMMAND_TIMEOUT
    vars:
      - name: ansible_command_timeout
  persistent_log_messages:
    description:
      - Log every RPC request and response to the Ansible log file. Responses can carry device
        output; keep it off in production.
      - Ansible warns that this logs everything unredacted. This connection masks, in what reaches the log file,
        the password (its value and any C(password) field), key material (SA and IKE keys), C(ENC) blobs
        (pre-shared keys, passwords) and the value of C(set psksecret|password|...) commands. Module results
        are unchanged. See the collection's C(docs/security.md).
    type: boolean
    default: false
    ini:
      - section: persistent_connection
        key: log_messages
    env:
      - name: ANSIBLE_PERSISTENT_LOG_MESSAGES
    vars:
      - name: ansible_persistent_log_messages
"""

EXAMPLES = r"""
# inventory/group_vars/fortigates.yml
# ansible_connection: fortidiag.ipsec.fortios
# ansible_user: diag-ro
# ansible_password: "{{ vault_fortigate_password }}"
# ansible_fortios_known_hosts_file: ~/.ssh/known_hosts_fortigates
# ansible_command_timeout: 60
"""

import atexit
import time
from typing import Any, Dict, List, Optional, Union

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.connection import NetworkConnectionBase, ensure_connect

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import FortiOSCLIError
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import mask_command
from ansible_collections.fortidiag.ipsec.plugins.plugin_utils.log_filter import install_log_filter
from ansible_collections.fortidiag.ipsec.plugins.plugin_utils.session import (
    FortiOSSession,
    SessionError,
    SessionParams,
    first_line,
)

# The RPC surface modules may call is run_commands, get_device_info, read_for, send_control,
# start_command and stop_debug: ansible-connection exposes every public method, so the
# module-side client (module_utils/client.py, RPC_METHODS) is where the allow-list is enforced.


class Connection(NetworkConnectionBase):
    """Persistent FortiOS CLI connection."""

    transport = "fortidiag.ipsec.fortios"
    has_pipelining = True

    def __init__(self, play_context: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(play_context, *args, **kwargs)
        self._session: Optional[FortiOSSession] = None
        self._atexit_registered = False

    # -- connection lifecycle --------------------------------------------------------
    def _connect(self) -> "Connection":
        if self._session is not None and self._session.connected:
            return self
        params = SessionParams(
            host=self.get_option("host"),
            port=int(self.get_option("port") or 22),
            username=self.get_option("remote_user") or "",
            password=self.get_option("password"),
            private_key_file=self.get_option("private_key_file"),
            host_key_checking=bool(self.get_option("host_key_checking")),
            known_hosts_file=self.get_option("known_hosts_file"),
            ssh_timeout=int(self.get_option("ssh_timeout")),
            command_timeout=int(self.get_option("persistent_command_timeout")),
            console_paging=self.get_option("console_paging"),
            label=self._label(),
        )
        if self._session is None:
            self._session = FortiOSSession(params, log=lambda message: self.queue_message("vvvv", mask_command(message)))
        else:
            # Log the same session in again: it remembers debug that a dropped login left switched on
            # (and switches it off first), which a new session object would forget.
            self._session.params = params
        if not self._atexit_registered:
            # ansible-connection's shutdown skips close() when its socket file is already gone
            # (an interrupted ansible-playbook): clean up debug on the way out regardless.
            atexit.register(self._close_at_exit)
            self._atexit_registered = True
        try:
            self._session.open()
        except SessionError as exc:
            raise AnsibleConnectionFailure(to_text(exc))
        except Exception as exc:  # ansible-connection's timeout alarm, or a library's own error
            self._session.abandon()
            raise AnsibleConnectionFailure("%s: cannot log in: %s" % (params.label, first_line(exc)))
        self._connected = True
        self.queue_message("vvvv", "fortios session open to %s" % params.label)
        return self

    def _close_at_exit(self) -> None:
        try:
            if self._session is not None:
                self._session.close()
                self._session = None
        except Exception:  # interpreter shutdown: never raise
            pass

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        super().close()

    def _label(self) -> str:
        name = self.get_option("device_name") or self.get_option("host")
        return "%s (%s:%s)" % (name, self.get_option("host"), self.get_option("port") or 22)

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        session = self._session
        if session is not None:
            # Give up a second before ansible-connection's command timeout alarm: its message names
            # no host, and it would leave the CLI half-way through a command for the next task.
            session.deadline = time.monotonic() + max(1.0, float(self.get_option("persistent_command_timeout")) - 1.0)
        try:
            return func(*args, **kwargs)
        except FortiOSCLIError as exc:
            raise AnsibleConnectionFailure("%s: %s" % (self._label(), exc))
        except SessionError as exc:
            self._connected = bool(self._session and self._session.connected)
            raise AnsibleConnectionFailure(to_text(exc))
        except Exception as exc:  # the alarm anyway, or a transport error: the CLI state is unknown
            if self._session is not None:
                self._session.abandon()
            self._connected = False
            raise AnsibleConnectionFailure("%s: %s" % (self._label(), first_line(exc)))
        finally:
            if session is not None:
                session.deadline = None

    def set_options(self, task_keys: Any = None, var_options: Any = None, direct: Any = None) -> None:
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if self.get_option("persistent_log_messages"):
            # ansible-connection then logs every RPC request (set_options carries the password)
            # and response (device output): mask secrets in what reaches the log file.
            install_log_filter(self.get_option("password"))

    # -- RPC surface -----------------------------------------------------------------
    @ensure_connect
    def run_commands(self, commands: List[Union[str, Dict[str, Any]]], vdom: Optional[str] = None,
                     scope: Optional[str] = None, check_errors: bool = True,
                     keep_debug: bool = False) -> List[Dict[str, Any]]:
        """Run commands in order; each may be a string or {command, vdom, scope, check_errors}.

        Returns [{command, vdom, output}]. Raises on the first CLI error when check_errors.
        A debug capture still armed is switched off first unless keep_debug (see session.run).
        """
        results = []
        for item in commands:
            spec = item if isinstance(item, dict) else {"command": item}
            command = str(spec["command"])
            where = spec.get("vdom", vdom)
            output = self._call(self._session.run, command, vdom=where, scope=spec.get("scope", scope),
                                check_errors=spec.get("check_errors", check_errors), keep_debug=keep_debug)
            results.append({"command": command, "vdom": where, "output": output})
        return results

    @ensure_connect
    def get_device_info(self) -> Dict[str, Any]:
        """What the login learned: hostname, version, VDOM mode, admin scope, console mode."""
        info = self._session.info.as_dict()
        info["logins"] = self._session.logins
        return info

    @ensure_connect
    def read_for(self, seconds: float, max_bytes: int = 1 << 20) -> str:
        return self._call(self._session.read_for, float(seconds), int(max_bytes))

    @ensure_connect
    def send_control(self, char: str) -> str:
        return self._call(self._session.send_control, char)

    @ensure_connect
    def start_command(self, command: str, vdom: Optional[str] = None) -> str:
        """Start a debug/sniffer command without waiting for the prompt (read_for reads it)."""
        return self._call(self._session.start, str(command), vdom)

    @ensure_connect
    def stop_debug(self) -> List[str]:
        """Switch off every debug switch, filter, trace and running sniffer; returns the commands sent."""
        return self._call(self._session.stop_debug)
