"""`make demo`: start the simulated lab, run the troubleshooting playbook, show the report."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fortisim.harness import running_lab

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "tests" / "fortisim" / "labs" / "demo.yml"
WORK = ROOT / ".lab" / "demo"


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    with running_lab(LAB, WORK) as lab:
        print("Simulated lab is up: %d FortiGates, inventory %s" % (len(lab.hosts), lab.inventory), flush=True)
        env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".venv" / "collections"))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(lab.inventory),
               str(ROOT / "playbooks" / "troubleshoot.yml")]
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
    reports = sorted((ROOT / "reports").glob("*/report.md"))
    if reports:
        print("\nReport: %s (open it in a browser)\n        %s\n        %s" % (
            reports[-1].with_suffix(".html"), reports[-1], reports[-1].with_suffix(".json")))
    return rc


if __name__ == "__main__":
    sys.exit(main())
