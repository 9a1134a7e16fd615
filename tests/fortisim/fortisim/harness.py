"""Run a lab from tests: ``with running_lab(lab, tmp_path) as sim: ...``.

The simulator runs as a subprocess (``python -m fortisim``), so a test exercises
exactly what the CLI does, and a crash in a session cannot take pytest with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

import yaml

from fortisim.inventory import sibling
from fortisim.lab import load_lab
from fortisim.model import Lab

LabSource = Union[str, Path, dict]


@dataclass
class RunningLab:
    process: subprocess.Popen
    lab_path: Path
    inventory: Path
    known_hosts: Path
    stats_path: Path
    log_path: Path
    _hosts: Optional[dict[str, dict[str, Any]]] = field(default=None, repr=False)
    _lab: Optional[Lab] = field(default=None, repr=False)

    @property
    def hosts(self) -> dict[str, dict[str, Any]]:
        """Host vars per hostname, as written in the inventory."""
        if self._hosts is None:
            data = yaml.safe_load(self.inventory.read_text(encoding="utf-8"))
            self._hosts = data["all"]["children"]["fortigates"]["hosts"]
        return self._hosts

    @property
    def lab(self) -> Lab:
        """The parsed lab, including ``results`` (each tunnel's expected state and fault)."""
        if self._lab is None:
            self._lab = load_lab(self.lab_path)
        return self._lab

    def stats(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.stats_path.read_text(encoding="utf-8"))

    def wait_stats(self, predicate: Callable[[dict[str, dict[str, Any]]], bool],
                   timeout: float = 5.0) -> dict[str, dict[str, Any]]:
        """Poll the (debounced) stats file until ``predicate`` holds; return the last read."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.stats()
            if predicate(current) or time.monotonic() > deadline:
                return current
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout``; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _lab_file(lab: LabSource, workdir: Path) -> Path:
    if isinstance(lab, dict):
        path = workdir / "lab.yml"
        path.write_text(yaml.safe_dump(lab, sort_keys=False), encoding="utf-8")
        return path
    return Path(lab).resolve()


@contextmanager
def running_lab(lab: LabSource, workdir: Path, *, host: str = "127.0.0.1", port_base: int = 0,
                start_timeout: float = 30.0, stop_timeout: float = 10.0,
                inventory_name: str = "inventory.yml", extra_args: Sequence[str] = ()) -> Iterator[RunningLab]:
    """Start ``fortisim`` on ``lab`` (a path, or a dict written to workdir/lab.yml).

    Yields once the inventory exists, i.e. every device listens. Raises
    RuntimeError with the simulator's stderr if it exits or times out first.
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    lab_path = _lab_file(lab, workdir)
    inventory = workdir / inventory_name
    inventory.unlink(missing_ok=True)  # its appearance is the readiness signal
    stats_path = workdir / "stats.json"
    log_path = workdir / "fortisim.log"
    cmd = [sys.executable, "-m", "fortisim", "--lab", str(lab_path), "--inventory", str(inventory),
           "--stats", str(stats_path), "--host", host, "--port-base", str(port_base), *extra_args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    sim = RunningLab(process, lab_path, inventory, sibling(inventory, ".known_hosts"), stats_path, log_path)
    try:
        deadline = time.monotonic() + start_timeout
        while not inventory.exists():
            if process.poll() is not None:
                raise RuntimeError(f"fortisim exited with {process.returncode} before serving:\n{sim.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"fortisim did not write {inventory} within {start_timeout}s:\n{sim.log()}")
            time.sleep(0.05)
        yield sim
    finally:
        sim.stop(stop_timeout)
