# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netmiko driver loads without paramiko's optional invoke import, and leaves no trace of the block."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.fortidiag.ipsec.plugins.plugin_utils import session
driver = session._driver()
import paramiko.config
print(json.dumps({"driver": driver.__name__, "base": [c.__name__ for c in driver.__mro__][1],
                  "invoke_loaded": "invoke" in sys.modules, "paramiko_invoke": paramiko.config.invoke is None,
                  "cached": session._driver() is driver}))
"""


def test_driver_skips_invoke_and_cleans_up() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / ".venv" / "collections")],
                         capture_output=True, text=True, check=True, timeout=120)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["base"] == "FortinetSSH"
    assert probe["cached"] is True
    # paramiko only needs invoke for `Match exec` in ssh_config files, which the session never reads.
    assert probe["paramiko_invoke"] is True
    # The None placeholder is gone: a later `import invoke` in the same process would work.
    assert probe["invoke_loaded"] is False


def test_driver_keeps_an_already_imported_invoke() -> None:
    probe = PROBE.replace("from ansible_collections", "import invoke\nfrom ansible_collections", 1)
    out = subprocess.run([sys.executable, "-c", probe, str(ROOT / ".venv" / "collections")],
                         capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["invoke_loaded"] is True
    assert result["paramiko_invoke"] is False
