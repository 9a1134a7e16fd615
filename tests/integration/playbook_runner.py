"""Run ansible-playbook against a simulated lab and collect per-host results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
LABS = Path(__file__).resolve().parent / "labs"
BIN = Path(sys.executable).parent


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    results: Dict[str, Any]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def ansible_env(tmp: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".venv" / "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=str(tmp / "pc"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
    )
    return env


def run_playbook(tmp: Path, inventory: Path, tasks: str, hosts: str = "fortigates",
                 extra: Optional[List[str]] = None, playbook: Optional[Path] = None,
                 timeout: int = 300, strategy: Optional[str] = None) -> PlaybookRun:
    """Run a playbook; `tasks` (YAML) run on `hosts` and every host's `result_*` vars are saved."""
    results_file = tmp / "results.json"
    play_strategy = ("\n  strategy: %s" % strategy) if strategy else ""
    if playbook is None:
        playbook = tmp / "play.yml"
        playbook.write_text(textwrap.dedent("""\
            - name: Test play
              hosts: {hosts}
              gather_facts: false{strategy}
              tasks:
            {tasks}
                - name: Save results
                  ansible.builtin.copy:
                    content: >-
                      {{% set out = {{}} %}}{{% for h in ansible_play_hosts_all %}}
                      {{% set _ = out.update({{h: hostvars[h].test_result | default(None)}}) %}}
                      {{% endfor %}}{{{{ out | to_json }}}}
                    dest: {results}
                    mode: "0600"
                  run_once: true
                  delegate_to: localhost
                  check_mode: false
            """).format(hosts=hosts, strategy=play_strategy, tasks=textwrap.indent(textwrap.dedent(tasks), "    "), results=results_file))
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)] + (extra or [])
    proc = subprocess.run(cmd, cwd=tmp, env=ansible_env(tmp), capture_output=True, text=True, timeout=timeout, check=False)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)


def assert_one_line_failure(result: Dict[str, Any], *needles: str) -> None:
    """A task failed with a one-line message (no traceback) that says each needle."""
    assert result.get("failed"), result
    msg = result["msg"]
    assert "\n" not in msg and "Traceback" not in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
