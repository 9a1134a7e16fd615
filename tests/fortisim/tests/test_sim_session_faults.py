"""Injected session faults (lab key ``session_faults``): each kind in-process and over SSH."""

from __future__ import annotations

import socket
import time
from typing import Any, Iterator, Tuple

import paramiko
import pytest
from sim_helpers import Terminal

from fortisim.harness import RunningLab, running_lab
from fortisim.lab import LabError, parse_lab
from fortisim.model import Device
from fortisim.sessionfaults import GARBAGE, SessionDropped

SUMMARY = "get vpn ipsec tunnel summary"


def device(*faults: dict[str, Any], **extra: Any) -> Device:
    lab = parse_lab({
        "devices": [{"hostname": "F", "version": "7.2.10", "session_faults": list(faults), **extra},
                    {"hostname": "P", "version": "7.4.7"}],
        "tunnels": [{"name": "vpn", "a": {"device": "F"}, "b": {"device": "P"},
                     "phase2": [{"name": f"s{i}", "src_subnet": f"10.1.{i}.0/24", "dst_subnet": f"10.2.{i}.0/24"}
                                for i in range(12)]}],
    })
    return lab.devices["F"]


def test_cli_error_refuses_the_command_then_heals() -> None:
    dev = device({"kind": "cli_error", "command": "tunnel summary"})
    out = Terminal(dev).session(SUMMARY + "\r", SUMMARY + "\r")
    first, second = out.split("F # " + SUMMARY)[1:3]
    assert "command parse error before 'summary'\r\nCommand fail. Return code -61\r\n" in first
    assert "vpn" in second and "Return code" not in second
    dev = device({"kind": "cli_error", "code": -160, "times": 0})
    out = Terminal(dev).session("get system status\r", SUMMARY + "\r")
    assert out.count("Command fail. Return code -160") == 2 and "Version:" not in out


def test_drop_sends_part_of_the_output_and_ends_the_session() -> None:
    dev = device({"kind": "drop", "command": "^get vpn", "after_bytes": 30})
    term = Terminal(dev)
    with pytest.raises(SessionDropped):
        term.session("get system status\r", SUMMARY + "\r", "get system status\r")
    assert dev.session_faults[0].exhausted
    out = term.session(SUMMARY + "\r")  # healed: the next session answers normally
    assert "vpn" in out and out.rstrip().endswith("F #")


def test_stall_prints_output_but_never_a_prompt() -> None:
    dev = device({"kind": "stall", "command": "summary", "after_bytes": 10})
    out = Terminal(dev).session(SUMMARY + "\r", "\x03", "\r", "get system status\r")
    tail = out.split(SUMMARY + "\r\n", 1)[1]
    assert len(tail) == 10 and "F #" not in tail and "Version" not in tail
    out = Terminal(device({"kind": "stall"})).session("get system status\r", "\r")
    assert "Version:" in out and out.count("F # ") == 1  # whole output, then nothing


def test_slow_trickles_the_same_output() -> None:
    normal = Terminal(device()).session(SUMMARY + "\r")
    dev = device({"kind": "slow", "delay_ms": 5, "chunk_bytes": 40})
    started = time.monotonic()
    out = Terminal(dev).session(SUMMARY + "\r")
    assert out == normal
    chunks = -(-len(normal.split(SUMMARY + "\r\n", 1)[1].rsplit("F # ", 1)[0]) // 40)
    assert time.monotonic() - started >= chunks * 0.005


def test_garbage_mixes_line_noise_into_the_output() -> None:
    dev = device({"kind": "garbage", "command": "tunnel list"})
    out = Terminal(dev).session("diagnose vpn tunnel list\r")
    assert out.count(GARBAGE) >= 10 and "\x00" in out and "\udcff" in out
    assert out.count("proxyid=") >= 12 and out.rstrip().endswith("F #")


def test_huge_output_ends_with_the_prompt() -> None:
    dev = device({"kind": "huge", "size_bytes": 300_000})
    out = Terminal(dev).session(SUMMARY + "\r")
    assert 300_000 < len(out) < 320_000 and "'vpn'" in out and out.endswith("F # ")


def test_paging_fault_pages_even_with_output_standard() -> None:
    dev = device({"kind": "paging", "command": "tunnel list"})
    assert dev.console_output == "standard"
    out = Terminal(dev).session("diagnose vpn tunnel list\r", *[" "] * 6, "diagnose vpn tunnel list\r")
    first, second = out.split("F # diagnose vpn tunnel list")[1:3]
    assert first.count("--More-- ") == 6 and "--More--" not in second
    assert first.count("proxyid=") == second.count("proxyid=") == 12


def test_prompt_change_renames_the_prompt_for_good() -> None:
    dev = device({"kind": "prompt_change", "command": "summary", "hostname": "F-RENAMED"})
    out = Terminal(dev).session(SUMMARY + "\r", "get system status\r")
    assert out.startswith("F # ") and "\r\nF-RENAMED # get system status" in out
    assert Terminal(dev).session("\r").startswith("F-RENAMED # ")  # new logins see it too
    assert Terminal(device({"kind": "prompt_change"})).session(SUMMARY + "\r").endswith("\r\nF-NEW # ")


def test_disclaimer_kind_sets_the_banner() -> None:
    dev = device({"kind": "disclaimer", "text": "Lawful use only."})
    out = Terminal(dev).session("a\r", "\r")
    assert out.startswith("Lawful use only.\r\n\r\n(Press 'a' to accept):") and out.endswith("F # ")


@pytest.mark.parametrize("fault,message", [
    ({"kind": "explode"}, "session_faults[0].kind: 'explode' is not one of drop, stall"),
    ({"kind": "drop", "delay_ms": 3}, "session_faults[0](drop).delay_ms: unknown key"),
    ({"kind": "stall", "command": "(unclosed"}, "session_faults[0](stall).command: '(unclosed' is not a valid regular"),
    ({"kind": "cli_error", "code": 61}, "session_faults[0](cli_error).code: expected a negative return code"),
    ({"kind": "auth_failure", "command": "x"}, "session_faults[0](auth_failure).command: unknown key"),
    ({"kind": "slow", "times": -1}, "session_faults[0](slow).times: -1 is out of range"),
    ({"kind": "prompt_change", "hostname": "bad name"}, "hostname: 'bad name' is not a valid hostname"),
    ("drop", "session_faults[0]: expected a mapping, got str"),
])
def test_bad_faults_are_one_line_errors(fault: Any, message: str) -> None:
    with pytest.raises(LabError) as err:
        device(fault)
    assert message in str(err.value) and str(err.value).startswith("devices[0](F).session_faults[0]")
    with pytest.raises(LabError, match=r"devices\[0\]\(F\)\.session_faults: expected a list"):
        parse_lab({"devices": [{"hostname": "F", "session_faults": {"kind": "drop"}}]})


# -- over SSH --------------------------------------------------------------------

LAB: dict[str, Any] = {
    "defaults": {"username": "admin", "password": "pw"},
    "devices": [
        {"hostname": "AUTH", "session_faults": [{"kind": "auth_failure", "times": 2}]},
        {"hostname": "HKEY", "session_faults": [{"kind": "host_key_change"}]},
        {"hostname": "DROP", "session_faults": [{"kind": "drop", "command": "status", "after_bytes": 25}]},
        {"hostname": "NOISE", "session_faults": [{"kind": "garbage", "command": "status"}]},
    ],
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(LAB, tmp_path_factory.mktemp("faults")) as running:
        yield running


def _client(sim: RunningLab, host: str, strict: bool = True) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if strict:
        client.load_host_keys(str(sim.known_hosts))
    else:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=sim.hosts[host]["ansible_port"], username="admin", password="pw",
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client


def _shell_until(chan: Any, marker: bytes, timeout: float = 5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        try:
            chunk = chan.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


def _shell_command(sim: RunningLab, host: str, command: str) -> Tuple[Any, Any]:
    """A new login with an interactive shell at HOST's prompt, COMMAND sent: (client, channel)."""
    client = _client(sim, host)
    chan = client.invoke_shell()
    chan.settimeout(0.5)
    _shell_until(chan, ("%s # " % host).encode())
    chan.send(command + "\n")
    return client, chan


def test_auth_failure_refuses_the_right_password_then_heals(sim: RunningLab) -> None:
    for _attempt in range(2):
        with pytest.raises(paramiko.AuthenticationException):
            _client(sim, "AUTH")
    _client(sim, "AUTH").close()
    stats = sim.wait_stats(lambda s: s["AUTH"]["logins"] == 1)
    assert stats["AUTH"]["failed_logins"] == 2


def test_host_key_change_is_a_mismatch_with_known_hosts(sim: RunningLab) -> None:
    with pytest.raises(paramiko.BadHostKeyException):
        _client(sim, "HKEY")
    client = _client(sim, "HKEY", strict=False)  # a new key, the same device behind it
    try:
        _stdin, stdout, _err = client.exec_command("get system status")
        assert "Hostname: HKEY" in stdout.read().decode()
    finally:
        client.close()


def test_drop_closes_the_transport_mid_output(sim: RunningLab) -> None:
    client, chan = _shell_command(sim, "DROP", "get system status")
    data = _shell_until(chan, b"never")
    assert data.startswith(b"get system status\r\n") and len(data) == len("get system status\r\n") + 25
    assert not client.get_transport().is_active() or chan.closed
    client.close()
    client, chan = _shell_command(sim, "DROP", "get system status")  # healed
    assert b"Hostname: DROP" in _shell_until(chan, b"\r\nDROP # ")
    client.close()


def test_garbage_reaches_the_client_as_raw_bytes(sim: RunningLab) -> None:
    client, chan = _shell_command(sim, "NOISE", "get system status")
    data = _shell_until(chan, b"\r\nNOISE # ")
    client.close()
    assert b"\x00\x07\x1b[2J\x1b[0;1m\xff\xfe\x80\xc3\x1b[0m" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"Hostname: NOISE" in data


def test_a_fault_that_never_fires_changes_nothing() -> None:
    # A lab with faults that never fire behaves like one without.
    dev = device({"kind": "drop", "command": "never-typed"})
    assert "'vpn'" in Terminal(dev).session(SUMMARY + "\r")
