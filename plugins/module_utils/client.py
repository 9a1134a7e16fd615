# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module-side access to the persistent FortiOS connection."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ansible.module_utils.connection import Connection, ConnectionError

# The connection plugin's RPC surface: modules use nothing else.
RPC_METHODS = frozenset(("run_commands", "get_device_info", "read_for", "send_control", "start_command", "stop_debug"))


class FortiOSClientError(Exception):
    """A one-line failure to report with fail_json."""


class FortiOSClient:
    """Calls the allow-listed RPC methods of fortidiag.ipsec.fortios."""

    def __init__(self, module: Any) -> None:
        socket_path = getattr(module, "_socket_path", None)
        if not socket_path:
            module.fail_json(msg="%s needs connection: fortidiag.ipsec.fortios (set ansible_connection for "
                                 "this host)" % module._name)
        self._conn = Connection(socket_path)

    @classmethod
    def for_socket(cls, socket_path: str) -> "FortiOSClient":
        """A client for an action plugin, which has the socket path but no module."""
        client = cls.__new__(cls)
        client._conn = Connection(socket_path)
        return client

    def _rpc(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if method not in RPC_METHODS:
            raise FortiOSClientError("RPC method %s is not part of the fortios connection API" % method)
        try:
            return getattr(self._conn, method)(*args, **kwargs)
        except ConnectionError as exc:
            raise FortiOSClientError(_one_line(str(exc)))

    def run_commands(self, commands: List[Union[str, Dict[str, Any]]], vdom: Optional[str] = None,
                     scope: Optional[str] = None, keep_debug: bool = False) -> List[Dict[str, Any]]:
        if keep_debug:
            return self._rpc("run_commands", commands, vdom=vdom, scope=scope, keep_debug=True)
        return self._rpc("run_commands", commands, vdom=vdom, scope=scope)

    def read_for(self, seconds: float, max_bytes: int = 1 << 20) -> str:
        return self._rpc("read_for", seconds, max_bytes)

    def send_control(self, char: str) -> str:
        return self._rpc("send_control", char)

    def start_command(self, command: str, vdom: Optional[str] = None) -> str:
        return self._rpc("start_command", command, vdom=vdom)

    def stop_debug(self) -> List[str]:
        return self._rpc("stop_debug")

    def device_info(self) -> Dict[str, Any]:
        return self._rpc("get_device_info")


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "connection error"
