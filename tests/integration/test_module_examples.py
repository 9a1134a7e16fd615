"""Every EXAMPLES task of the operation modules runs cleanly against the demo lab.

A task with `vdom:` runs on MVDOM-72 (the demo's multi-VDOM box), the others on HUB-74,
in the order the documentation shows them.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from playbook_runner import ROOT, run_playbook

DEMO_LAB = ROOT / "tests" / "fortisim" / "labs" / "demo.yml"
MODULES = ("tunnel", "ike_gateway_clear", "phase1_interface", "command", "ike_debug", "debug_flow", "sniffer")


def _examples(module: str) -> List[Dict[str, Any]]:
    source = (ROOT / "plugins" / "modules" / ("%s.py" % module)).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError("%s has no EXAMPLES" % module)


def _host(task: Dict[str, Any]) -> str:
    args = next((v for k, v in task.items() if k.startswith("fortidiag.ipsec.")), None)
    return "MVDOM-72" if isinstance(args, dict) and args.get("vdom") else "HUB-74"


@pytest.mark.parametrize("module", MODULES)
def test_examples_run_on_the_demo_lab(module: str, lab_factory: Any, tmp_path: Path) -> None:
    tasks = _examples(module)
    assert tasks, module
    lab = lab_factory("examples_%s" % module, DEMO_LAB)
    body = []
    for index, task in enumerate(tasks):
        # An example's own register is kept: later examples may read it.
        task = dict(task, register=task.get("register") or "r%d" % index)
        task["when"] = "inventory_hostname == '%s'" % _host(task)
        body.append(task)
    keep = {"name": "Keep", "ansible.builtin.set_fact": {
        "test_result": "{{ {%s} }}" % ", ".join("'%s': %s" % (t["register"], t["register"]) for t in body)}}
    run = run_playbook(tmp_path, lab.inventory, yaml.safe_dump(body + [keep], sort_keys=False),
                       hosts="HUB-74,MVDOM-72")
    assert run.rc == 0, run.output
    ran = 0
    for host, results in run.results.items():
        for key, result in (results or {}).items():
            if result.get("skipped"):
                continue
            ran += 1
            assert not result.get("failed"), (host, key, result.get("msg"))
    assert ran == len(tasks)
