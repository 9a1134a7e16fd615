"""meta/execution-environment.yml: `ansible-builder create` accepts it and writes the pinned requirements.

`create` only writes the build context (no container engine, no network), so it runs here.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from playbook_runner import BIN, ROOT

EE = ROOT / "meta" / "execution-environment.yml"


def _lines(path: Path) -> list:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_dependency_files_match_the_root_copies() -> None:
    # `create` reads the EE file's paths from meta/, ansible-builder's introspection of the installed
    # collection reads the same paths from the collection root: both copies must say the same.
    for name in ("requirements.txt", "bindep.txt"):
        assert (ROOT / "meta" / name).read_text() == (ROOT / name).read_text(), \
            "meta/%s differs from %s: copy the root file over it" % (name, name)
    deps = yaml.safe_load(EE.read_text())["dependencies"]
    assert (deps["python"], deps["system"]) == ("requirements.txt", "bindep.txt")


def test_ansible_builder_create(tmp_path: Path) -> None:
    context = tmp_path / "context"
    run = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", str(EE), "-c", str(context),
                          "--output-filename", "Containerfile"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-core==2.19.14" in containerfile and "ansible-runner==" in containerfile, containerfile
    assert "python3.11" in containerfile, containerfile
    build = context / "_build"
    assert _lines(build / "requirements.txt") == _lines(ROOT / "requirements.txt")
    assert all("==" in req for req in _lines(build / "requirements.txt"))
    assert _lines(build / "bindep.txt") == _lines(ROOT / "bindep.txt")
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    galaxy_yml = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert galaxy["collections"] == [{"name": "fortidiag.ipsec", "version": str(galaxy_yml["version"])}]
