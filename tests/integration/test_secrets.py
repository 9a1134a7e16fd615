"""No secret leaves the collection: passwords, pre-shared keys, SA/IKE keys and ENC blobs of the secrets lab
(tests/integration/labs/secrets.yml) appear in no output, log, fact cache, report, snapshot or control directory.

The secrets are computed from the simulator's model, as it renders them: every admin password and phase 1 PSK
(plain text), the `ENC` blob `show` prints for each PSK (any 16-character window of it), and every IKE and ESP
key of every tunnel (any 16-hex-digit window, case-insensitive; the IKE debug prints keys in upper case). The
definition of key material follows tests/unit/plugins/module_utils/parsers/test_parser_properties.py; windows are
16 characters here (not 8) because a log of a few hundred kilobytes of hex (SPIs, cookies, hex dumps) would match
some 8-digit window by chance. A positive control (include_keys=true, whose results are not scanned) proves that
the windows are what the devices really print.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

from playbook_runner import ROOT, PlaybookRun, run_playbook

TROUBLESHOOT = ROOT / "playbooks" / "troubleshoot.yml"
PRECHECK = ROOT / "playbooks" / "precheck.yml"
WINDOW = 16

SHOW_TASKS = """
- name: Show the configuration and the key-bearing lists
  fortidiag.ipsec.command:
    commands:
      - show vpn ipsec phase1-interface
      - show full-configuration vpn ipsec phase1-interface
      - diagnose vpn tunnel list
      - diagnose vpn ike gateway list
      - get vpn ipsec tunnel details
  register: test_result
"""
KEYS_TASKS = SHOW_TASKS.replace("  register:", "    include_keys: true\n  register:")


def _windows(value: str, size: int = WINDOW) -> Set[str]:
    return {value[i:i + size] for i in range(len(value) - size + 1)}


def lab_secrets(lab: Any) -> Tuple[Set[str], Set[str], Set[str]]:
    """(plain-text passwords and PSKs, ENC blobs, hex keys in lower case) of every device of the lab."""
    from fortisim import sa  # pylint: disable=import-outside-toplevel
    from fortisim.render.config import enc_secret  # pylint: disable=import-outside-toplevel

    plain: Set[str] = set()
    blobs: Set[str] = set()
    keys: Set[str] = set()
    for device in lab.devices.values():
        plain.update(admin.password for admin in device.admins)
        for vdom in device.vdoms:
            for view in device.views(vdom):
                plain.add(view.phase1.psksecret)
                blobs.add(enc_secret(view.phase1.psksecret, device.hostname, view.vdom, view.name).split(" ", 1)[1])
                keys.update(value.lower() for value in sa.ike_sa(view, 0).keys.values() if value)
                for selector in view.selectors:
                    for direction in sa._dirs(view):  # pylint: disable=protected-access
                        esp = sa._keys(view, selector, direction)  # pylint: disable=protected-access
                        keys.update(value.lower() for value in (esp.enc_key, esp.auth_key) if value)
    return plain, blobs, keys


class Needles:
    def __init__(self, lab: Any) -> None:
        self.plain, blobs, keys = lab_secrets(lab)
        self.blob_windows = set().union(*(_windows(blob) for blob in blobs))
        self.key_windows = set().union(*(_windows(key) for key in keys))
        assert len(self.plain) == 9 and len(blobs) == 7 and len(keys) >= 20, (self.plain, blobs, keys)

    def found(self, text: str) -> List[str]:
        low = text.lower()
        hits = [p for p in self.plain if p in text]
        hits += [w for w in self.blob_windows if w in text]
        hits += [w for w in self.key_windows if w in low]
        return sorted(hits)


def _files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
            continue
        for base, _dirs, names in os.walk(root):
            for name in names:
                path = Path(base, name)
                if path.is_file():  # the control dir holds sockets while a play runs
                    yield path


def assert_nothing_leaks(needles: Needles, runs: Dict[str, PlaybookRun], *roots: Path) -> int:
    """Every run's stdout/stderr and every file under roots; returns how many files were scanned."""
    leaks = {}
    for name, run in runs.items():
        for stream, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            hits = needles.found(text)
            if hits:
                leaks["%s %s" % (name, stream)] = hits[:5]
    scanned = 0
    for path in _files(*roots):
        scanned += 1
        hits = needles.found(path.read_bytes().decode("utf-8", "replace"))
        if hits:
            leaks[str(path)] = hits[:5]
    assert not leaks, leaks
    return scanned


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("secrets")


@pytest.fixture(scope="module")
def needles(lab: Any) -> Needles:
    return Needles(lab.lab)


def _outputs_env(monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    monkeypatch.setenv("ANSIBLE_LOG_PATH", str(out / "ansible.log"))
    monkeypatch.setenv("ANSIBLE_CACHE_PLUGIN", "jsonfile")
    monkeypatch.setenv("ANSIBLE_CACHE_PLUGIN_CONNECTION", str(out / "facts"))
    monkeypatch.setenv("PWD", str(out))  # snapshots/ lands here


def test_keys_are_what_the_devices_print(lab: Any, needles: Needles, tmp_path: Path) -> None:
    """Positive control: with include_keys the raw output carries the very windows the other tests look for."""
    run = run_playbook(tmp_path, lab.inventory, KEYS_TASKS, hosts="SEC-A:SEC-C")
    assert run.rc == 0, run.output
    raw = json.dumps(run.results)
    found = needles.found(raw)
    assert any(w in found for w in needles.blob_windows), "no ENC blob window in the raw config"
    assert len([w for w in found if w in needles.key_windows]) > 100, "no key window in the raw lists"
    assert not [p for p in needles.plain if p in raw]  # FortiOS never prints a PSK or password in clear


def test_troubleshoot_precheck_and_command_at_vvv_leak_nothing(
        lab: Any, needles: Needles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _outputs_env(monkeypatch, out)
    runs: Dict[str, PlaybookRun] = {}
    report = out / "report"
    runs["troubleshoot"] = run_playbook(out, lab.inventory, "", playbook=TROUBLESHOOT,
                                        extra=["-vvv", "-e", "fortidiag_report_dir=%s" % report])
    assert runs["troubleshoot"].rc == 0, runs["troubleshoot"].output
    runs["precheck"] = run_playbook(out, lab.inventory, "", playbook=PRECHECK, extra=["-vvv"])
    assert runs["precheck"].rc == 0, runs["precheck"].output
    runs["command"] = run_playbook(out, lab.inventory, SHOW_TASKS, extra=["-vvv"])
    assert runs["command"].rc == 0, runs["command"].output

    # Everything that should have been written was, and the later stages did run (so their output is covered).
    data = json.loads((report / "report.json").read_text())
    causes = {t["name"]: t["top_cause"] for t in data["hosts"]["SEC-B"]["tunnels"]}
    assert causes == {"sec-v2": None, "sec-bad": "psk_mismatch"}, causes
    troubleshoot = runs["troubleshoot"].stdout
    for task in ("Capture the IKE debug of each tunnel", "Selectors", "Read the firewall policies"):
        assert task in troubleshoot, task
    assert "SK_ei 32:<redacted>" in troubleshoot  # the IKE debug printed keys, and they were hidden
    assert sorted(p.name for p in (out / "snapshots").iterdir()) == ["SEC-A.json", "SEC-B.json", "SEC-C.json"]
    cached = {p.name.rsplit("_", 1)[-1]: p for p in (out / "facts").iterdir()}  # s1_SEC-A (ansible-core 2.19)
    assert sorted(cached) == ["SEC-A", "SEC-B", "SEC-C"]
    assert "fortios_ipsec" in cached["SEC-A"].read_text()
    assert "psksecret ENC <redacted>" in runs["command"].stdout
    log = (out / "ansible.log").read_text()
    assert "jsonrpc" not in log and "<redacted>" in log  # persistent_log_messages is off by default

    # out/ holds the log, facts/, report/, snapshots/, results.json, pc/ (the persistent connection control
    # directory, ANSIBLE_PERSISTENT_CONTROL_PATH_DIR) and ansible-tmp/ (ANSIBLE_LOCAL_TEMP).
    assert (out / "pc").is_dir() and (out / "ansible-tmp").is_dir()
    scanned = assert_nothing_leaks(needles, runs, out)
    assert scanned >= 12


# ansible-core's own connection start, and the fleet strategy's (the connection process forked from the worker).
@pytest.mark.parametrize("strategy", [None, "fortidiag.ipsec.fleet"])
def test_persistent_log_messages_are_masked(lab: Any, needles: Needles, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, strategy: Optional[str]) -> None:
    """ANSIBLE_PERSISTENT_LOG_MESSAGES=1: ansible warns that it logs every RPC unredacted; the connection masks the
    password, keys and ENC blobs in the log while the module results (include_keys) keep them."""
    out = tmp_path / "out"
    out.mkdir()
    _outputs_env(monkeypatch, out)
    monkeypatch.setenv("ANSIBLE_PERSISTENT_LOG_MESSAGES", "1")
    # include_keys results are printed at -vvv (and logged) unless the task says no_log, as docs/security.md says.
    tasks = KEYS_TASKS.replace("  register:", "  no_log: true\n  register:") + """
- name: Type a pre-shared key (no_log, as docs/security.md says; the simulator refuses to change it)
  fortidiag.ipsec.command:
    commands: [config vpn ipsec phase1-interface, edit sec-v1, set psksecret PskTyped-Wd5z-Secret, next, end]
    allow_changes: true
    check_errors: false
  no_log: true
  when: inventory_hostname == 'SEC-A'
"""
    run = run_playbook(out, lab.inventory, tasks, hosts="SEC-A:SEC-C", extra=["-vvv"], strategy=strategy)
    assert run.rc == 0, run.output
    assert "Persistent connection logging is enabled" in run.stderr and "WILL NOT redact" in run.stderr
    # The results are untouched: keys are there because include_keys asked for them.
    results = out / "results.json"
    assert len([w for w in needles.found(results.read_text()) if w in needles.key_windows]) > 100
    results.unlink()  # the control is not scanned
    log = (out / "ansible.log").read_text()
    assert "jsonrpc request" in log and "jsonrpc response" in log
    assert '"password": "<redacted>"' in log and "key=32 <redacted>" in log and "ENC <redacted>" in log
    assert "set psksecret <redacted>" in log and "PskTyped-Wd5z-Secret" not in log + run.output
    assert_nothing_leaks(needles, {"command": run}, out)


HOST_KEY_TASK = """
- name: Read the tunnel summary
  fortidiag.ipsec.vpn_facts:
    gather_subset: [tunnel_summary]
- name: Keep it
  ansible.builtin.set_fact:
    test_result: "{{ ansible_facts.fortios_ipsec.tunnel_summary.tunnels | length }}"
"""


@pytest.mark.skipif(not (shutil.which("ssh-keyscan") and shutil.which("ssh-keygen")), reason="needs openssh-client")
def test_host_keys_are_checked_by_default_and_ssh_keyscan_accepts_them(lab: Any, tmp_path: Path) -> None:
    """docs/security.md: an unknown key and a changed key are refused with the fix in one line; the key that
    ssh-keyscan fetched (after checking its fingerprint) is accepted. The inventory never turns checking off."""
    host = lab.hosts["SEC-A"]
    assert not any("host_key_checking" in name for name in host)
    port = int(host["ansible_port"])
    known = tmp_path / "known_hosts"

    def run(name: str) -> PlaybookRun:
        work = tmp_path / name
        work.mkdir()
        return run_playbook(work, lab.inventory, HOST_KEY_TASK, hosts="SEC-A",
                            extra=["-e", "ansible_fortios_known_hosts_file=%s" % known])

    known.write_text("")
    unknown = run("unknown")
    assert unknown.rc != 0 and "Traceback" not in unknown.output
    assert re.search(r"SEC-A \(127\.0\.0\.1:%d\): host key not trusted \(.*not found in known_hosts\); add it to %s "
                     r"\(ssh-keyscan -p %d 127\.0\.0\.1 >> %s\)" % (port, re.escape(str(known)), port, re.escape(str(known))),
                     unknown.output), unknown.output

    # A changed key: known_hosts holds another ed25519 key for the same [host]:port.
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    other = (tmp_path / "other.pub").read_text().split()
    known.write_text("[127.0.0.1]:%d %s %s\n" % (port, other[0], other[1]))
    changed = run("changed")
    assert changed.rc != 0 and "Traceback" not in changed.output
    assert re.search(r"SEC-A \(127\.0\.0\.1:%d\): host key changed \(Host key for server '127\.0\.0\.1' does not match: "
                     r"got '[^']+', expected '[^']+'\); if the device's key really changed \(check its fingerprint on the "
                     r"console\), replace it: ssh-keygen -R '\[127\.0\.0\.1\]:%d' -f %s, then ssh-keyscan -p %d 127\.0\.0\.1 >> %s"
                     % (port, port, re.escape(str(known)), port, re.escape(str(known))), changed.output), changed.output
    # ...and that fix works: the old line goes, the new key goes in.
    subprocess.run(["ssh-keygen", "-R", "[127.0.0.1]:%d" % port, "-f", str(known)], capture_output=True, check=True)
    assert known.read_text().strip() == ""

    # The documented fix: fetch the key, compare its fingerprint with the device's, append it.
    scan = subprocess.run(["ssh-keyscan", "-p", str(port), "-t", "ed25519", "127.0.0.1"], capture_output=True, text=True,
                          timeout=30, check=True).stdout
    fingerprint = subprocess.run(["ssh-keygen", "-lf", "-"], input=scan, capture_output=True, text=True, check=True).stdout
    assert fingerprint.split()[1] == subprocess.run(["ssh-keygen", "-lf", str(lab.known_hosts)], capture_output=True,
                                                    text=True, check=True).stdout.split()[1]
    known.write_text(scan)
    accepted = run("accepted")
    assert accepted.rc == 0, accepted.output
    assert int(accepted.results["SEC-A"]) == 2
