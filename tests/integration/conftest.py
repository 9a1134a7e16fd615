"""Integration tests: real ansible-playbook runs against the fortisim simulator."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

LABS = Path(__file__).resolve().parent / "labs"


@pytest.fixture(scope="module")
def lab_factory(tmp_path_factory: pytest.TempPathFactory):
    """Start a lab from tests/integration/labs/<name>.yml; stopped at module end."""
    from fortisim.harness import running_lab

    stack = []

    def start(name: str, path: Any = None):
        work = tmp_path_factory.mktemp(name)
        ctx = running_lab(path or LABS / ("%s.yml" % name), work)
        lab = ctx.__enter__()
        stack.append(ctx)
        return lab

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)
