# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""no_log audit: every option that looks secret is no_log=True, and every look-alike says no_log=False.

Walks the argument spec of every module in plugins/modules (as AnsibleModule receives it, suboptions
included), the vpn_facts spec its action plugin validates (module_utils/facts.py), and the connection
plugin's documented options (plugin options have no no_log: the password's handling is checked instead).
"""
from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml
from ansible.module_utils import basic

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "ansible_collections.fortidiag.ipsec.plugins"
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))

# ansible-test's validate-modules pattern (pass but not passive, secret, token, key) plus the words of this domain.
SECRET_NAME_RE = re.compile(r"pass(?!ive)|secret|token|key|psk|passphrase|private|credential", re.IGNORECASE)
# Names that match but hold no secret. Each must say no_log=False explicitly.
NOT_SECRET = {
    "include_keys": "a switch: return key material instead of <redacted>",
}


class _Captured(Exception):
    def __init__(self, spec: Dict[str, Any]) -> None:
        super().__init__("captured")
        self.spec = spec


def _capture(_self: Any, *args: Any, **kwargs: Any) -> None:
    raise _Captured(kwargs["argument_spec"] if "argument_spec" in kwargs else args[0])


def module_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> Dict[str, Any]:
    """The spec a module's main() hands to AnsibleModule, however it gets there."""
    module = importlib.import_module("%s.modules.%s" % (PREFIX, name))
    monkeypatch.setattr(basic, "_load_params", lambda: {})  # no module arguments on stdin here
    monkeypatch.setattr(basic.AnsibleModule, "__init__", _capture)
    with pytest.raises(_Captured) as caught:
        module.main()
    return caught.value.spec


def walk(spec: Dict[str, Any], path: str = "") -> Iterator[Tuple[str, str, Dict[str, Any]]]:
    for name, option in spec.items():
        where = "%s%s" % (path, name)
        yield where, name, option
        for alias in option.get("aliases") or []:
            yield where + " (alias %s)" % alias, alias, option
        if option.get("options"):
            yield from walk(option["options"], where + ".")


def audit(spec: Dict[str, Any]) -> List[str]:
    problems = []
    for where, name, option in walk(spec):
        if not SECRET_NAME_RE.search(name):
            continue
        if name in NOT_SECRET:
            if option.get("no_log", None) is not False:
                problems.append("%s: not secret (%s), must say no_log=False" % (where, NOT_SECRET[name]))
        elif option.get("no_log") is not True:
            problems.append("%s: looks secret, needs no_log=True" % where)
    return problems


def test_the_pattern_bites() -> None:
    spec = {"password": {"type": "str"}, "psk": {"type": "str", "no_log": True}, "passive": {"type": "bool"},
            "include_keys": {"type": "bool"}, "auth": {"type": "dict", "options": {"api_token": {"type": "str"}}}}
    assert audit(spec) == ["password: looks secret, needs no_log=True",
                           "include_keys: not secret (a switch: return key material instead of <redacted>), "
                           "must say no_log=False",
                           "auth.api_token: looks secret, needs no_log=True"]


@pytest.mark.parametrize("name", MODULES)
def test_module_secret_options_are_no_log(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = module_spec(name, monkeypatch)
    assert spec, name
    assert audit(spec) == []


def test_vpn_facts_action_spec_is_the_module_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = importlib.import_module(PREFIX + ".module_utils.facts")
    assert audit(facts.ARGUMENT_SPEC) == []
    assert module_spec("vpn_facts", monkeypatch) == facts.ARGUMENT_SPEC


def test_documented_options_match_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """An option documented but missing from the spec (or the reverse) would escape the audit."""
    for name in MODULES:
        module = importlib.import_module("%s.modules.%s" % (PREFIX, name))
        documented = set((yaml.safe_load(module.DOCUMENTATION).get("options") or {}))
        assert documented == set(module_spec(name, monkeypatch)), name


def test_connection_secret_options() -> None:
    """Plugin options cannot carry no_log; the connection's secret-looking options are known, one by one."""
    connection = importlib.import_module(PREFIX + ".connection.fortios")
    options = yaml.safe_load(connection.DOCUMENTATION)["options"]
    looks_secret = {name for name in options if SECRET_NAME_RE.search(name)}
    # password: the secret; private_key_file: a path to one; host_key_checking: a switch.
    assert looks_secret == {"password", "private_key_file", "host_key_checking"}
    assert "Never logged" in options["password"]["description"]
    assert options["private_key_file"]["type"] == "path"
    assert options["host_key_checking"]["type"] == "boolean" and options["host_key_checking"]["default"] is True
    assert options["persistent_log_messages"]["default"] is False


def test_session_params_never_show_the_password() -> None:
    session = importlib.import_module(PREFIX + ".plugin_utils.session")
    params = session.SessionParams(host="192.0.2.1", username="admin", password="Very-Secret-Pw1")
    assert "Very-Secret-Pw1" not in repr(params) and "Very-Secret-Pw1" not in str(params)


def test_log_filter_masks_password_keys_and_typed_secrets() -> None:
    log_filter = importlib.import_module(PREFIX + ".plugin_utils.log_filter")
    secrets = log_filter.SecretsLogFilter()
    secrets.add('Pw"With-Quote1')
    record = logging.LogRecord("ansible", logging.INFO, __file__, 1, "%s", (
        'jsonrpc request: {"params": [[], {"direct": {"password": "Pw\\"With-Quote1", "host": "h"}}]} '
        '{"output": "  SK_ei: 0011223344556677\\n    set psksecret ENC aGVsbG8gd29ybGQ=\\n'
        '  dec: spi=1a2b3c4d esp=aes key=32 00112233445566778899aabbccddeeff"} '
        '["edit t1", "set psksecret Typed-Psk-42", "next"]',), None)
    assert secrets.filter(record)
    text = record.getMessage()
    for secret in ("With-Quote1", "0011223344556677", "aGVsbG8", "00112233445566778899", "Typed-Psk-42"):
        assert secret not in text, (secret, text)
    assert "spi=1a2b3c4d" in text and '"host": "h"' in text and "set psksecret <redacted>" in text
    echo = logging.LogRecord("ansible", logging.INFO, __file__, 1, "value parse error before 'Typed-Psk-42'", (), None)
    secrets.filter(echo)
    assert "Typed-Psk-42" not in echo.getMessage()  # learnt from the request
