"""The molecule scenario extensions/molecule/faults: the troubleshooting playbook on the fault lab.

The scenario's verify step checks every tunnel's top cause against the lab's expected_cause and
lists all wrong tunnels in one message; running it from pytest lets `make test` run it beside the
other test files (xdist). FORTIDIAG_LAB=/path/to/lab.yml in the environment runs another lab.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from playbook_runner import BIN, ROOT, ansible_env


def _molecule(tmp: Path, *args: str, timeout: int) -> subprocess.CompletedProcess:
    env = ansible_env(tmp)
    # Its own ephemeral directory, so a concurrent `make molecule` keeps its own simulator.
    env.update(MOLECULE_EPHEMERAL_DIRECTORY=str(tmp / "molecule"), NO_COLOR="1", MOLECULE_NO_COLOR="1")
    env.pop("MOLECULE_PROJECT_DIRECTORY", None)
    return subprocess.run([str(BIN / "molecule"), *args, "--scenario-name", "faults"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          check=False)


def test_faults_scenario(tmp_path: Path) -> None:
    try:
        run = _molecule(tmp_path, "test", timeout=1200)
    finally:
        if (tmp_path / "molecule" / "fortisim" / "fortisim.pid").exists():  # killed before its destroy step
            _molecule(tmp_path, "destroy", timeout=120)
    tail = run.stdout[-6000:]
    assert run.returncode == 0, "molecule test failed (rc %d); output ends:\n%s" % (run.returncode, tail)
    assert re.search(r"verify: Executed: Successful", run.stdout), tail
    assert re.search(r"\bmsg\W+\d+ tunnels of \S+ diagnosed as expected", run.stdout), tail
