# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mask secrets in the Ansible log file while `persistent_log_messages` is on.

ansible-connection then writes every JSON-RPC request and response to the log file through
the `ansible` logger, unredacted: the `set_options` request carries the connection's
password, responses carry device output (SA and IKE keys, `ENC` blobs). A filter on that
logger rewrites each record before any handler sees it. It costs nothing while the option is
off (it is never installed) and touches only the log, never what modules receive.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Optional, Set

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.common import REDACTED, SECRET_SET_PREFIX, mask_secrets

# "password": "..." (and friends) in a JSON request, escaped quotes included.
_JSON_SECRET_RE = re.compile(
    r'("[^"]*(?:passw(?:or)?d|secret|passphrase|psk|token)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
# `set psksecret VALUE` / `set password VALUE` inside a logged request (a JSON string).
_SET_SECRET_RE = re.compile(
    r"(" + SECRET_SET_PREFIX + r")(?!ENC[ \t])(?!<redacted>)"
    r"(\\\"(?:[^\"\\]|\\[^\"])*\\\"|(?:[^\"\\\s]|\\.)+)",
    re.IGNORECASE)


class SecretsLogFilter(logging.Filter):
    """Replaces known secret values and secret-looking fields in every record by <redacted>."""

    def __init__(self) -> None:
        super().__init__()
        self.values: Set[str] = set()

    def add(self, value: Optional[str]) -> None:
        if value and len(value) >= 4:  # a 1-3 character "password" would mask half the log
            self.values.add(value)
            self.values.add(json.dumps(value)[1:-1])  # as it appears inside a JSON string

    def mask(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        text = _JSON_SECRET_RE.sub(r'\g<1>"%s"' % REDACTED, text)
        # Device output arrives JSON-escaped: one device line per `\\n`-separated piece.
        text = "\\n".join(mask_secrets(piece) for piece in text.split("\\n"))
        return _SET_SECRET_RE.sub(self._learn, text)

    def _learn(self, match: "re.Match[str]") -> str:
        # A secret typed in a request: remember it, the device may echo it in an error
        # (`value parse error before 'VALUE'`) in the response that follows.
        value = match.group(2)
        if value.startswith('\\"') and value.endswith('\\"'):
            value = value[2:-2]
        self.add(value.replace('\\"', '"').replace("\\\\", "\\"))
        return match.group(1) + REDACTED

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to break
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_FILTER: Optional[SecretsLogFilter] = None


def install_log_filter(password: Optional[str] = None, logger_name: str = "ansible") -> SecretsLogFilter:
    """Install the filter on the `ansible` logger once per process; remember `password`."""
    global _FILTER  # pylint: disable=global-statement
    if _FILTER is None:
        _FILTER = SecretsLogFilter()
        logging.getLogger(logger_name).addFilter(_FILTER)
    _FILTER.add(password)
    return _FILTER
