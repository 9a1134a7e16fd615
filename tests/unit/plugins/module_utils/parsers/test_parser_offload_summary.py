"""Per-tunnel NPU offload summary derived from each SA's npu_flag."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.tunnel_list import offload_summary


def tunnel(*offloads: Optional[str]) -> Dict[str, Any]:
    sas: List[Dict[str, Any]] = [{"offload": o} for o in offloads]
    return {"proxyids": [{"sas": sas[:1]}, {"sas": sas[1:]}]}


@pytest.mark.parametrize("offloads, state", [
    ((), "no_sa"),
    (("both", "both"), "full"),
    (("both", "outbound"), "partial"),
    (("inbound",), "partial"),
    (("none", "none"), "none"),
    ((None,), "unknown"),
    (("none", None), "none"),
])
def test_state(offloads: tuple, state: str) -> None:
    assert offload_summary(tunnel(*offloads))["state"] == state


def test_counts() -> None:
    summary = offload_summary(tunnel("both", "outbound", "none", None))
    assert summary == {"both": 1, "outbound": 1, "inbound": 0, "none": 1, "unknown": 1, "sas": 4, "state": "partial"}
