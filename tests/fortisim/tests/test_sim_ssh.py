"""End to end over SSH: netmiko's fortinet driver, raw paramiko, stats, shutdown, scale."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import asyncssh
import paramiko
import pytest
import yaml
from netmiko import ConnectHandler

from fortisim.harness import RunningLab, running_lab
from fortisim.inventory import load_or_create_host_key

LAB: dict[str, Any] = {
    "defaults": {"username": "admin", "password": "sim-pass"},
    "devices": [
        {"hostname": "STD", "version": "7.2.10"},
        {"hostname": "MORE", "version": "7.0.17", "console_output": "more"},
        {"hostname": "PAGER", "version": "7.4.7", "console_output": "more"},
        {"hostname": "DISC", "version": "6.4.15", "console_output": "more", "disclaimer": "Authorised use only."},
        {"hostname": "MV", "version": "7.6.3", "vdom_mode": "multiple", "vdoms": ["root", "Edge"],
         "admins": [{"username": "edge-admin", "password": "edge-pass", "vdom": "Edge"}]},
    ],
    "tunnels": [
        {"name": "t1", "a": {"device": "STD"}, "b": {"device": "MV", "vdom": "Edge"}},
        {"name": "t2", "a": {"device": "PAGER"}, "b": {"device": "STD"},
         "phase2": [{"name": f"p{i}", "src_subnet": f"10.0.{i}.0/24", "dst_subnet": f"10.1.{i}.0/24"}
                    for i in range(3)]},
    ],
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(LAB, tmp_path_factory.mktemp("sim")) as running:
        yield running


def _netmiko(sim: RunningLab, host: str, **extra: Any) -> Any:
    hv = sim.hosts[host]
    return ConnectHandler(device_type="fortinet", host=hv["ansible_host"], port=hv["ansible_port"],
                          username=extra.pop("username", hv["ansible_user"]),
                          password=extra.pop("password", hv["ansible_password"]), **extra)


def _paramiko(sim: RunningLab, host: str, user: str = "admin", password: str = "sim-pass",
              **kwargs: Any) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(sim.known_hosts))  # strict: the key must match the file we wrote
    client.connect("127.0.0.1", port=sim.hosts[host]["ansible_port"], username=user, password=password,
                   look_for_keys=False, allow_agent=False, timeout=10, **kwargs)
    return client


def test_inventory_shape(sim: RunningLab) -> None:
    data = yaml.safe_load(sim.inventory.read_text())
    children = data["all"]["children"]
    assert set(children["fortigates"]["hosts"]) == {"STD", "MORE", "PAGER", "DISC", "MV"}
    assert set(children["fortios_7_2"]["hosts"]) == {"STD"}
    assert set(children["vdom_multiple"]["hosts"]) == {"MV"}
    hv = sim.hosts["MV"]
    assert hv["fortidiag_vdoms"] == ["root", "Edge"] and "fortidiag_vdoms" not in sim.hosts["STD"]
    assert hv["ansible_connection"] == "fortidiag.ipsec.fortios"
    assert hv["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    assert hv["fortidiag_sim_version"] == "7.6.3"
    assert Path(hv["ansible_fortios_known_hosts_file"]).is_absolute()
    assert Path(hv["ansible_fortios_known_hosts_file"]) == sim.known_hosts
    lines = sim.known_hosts.read_text().splitlines()
    assert f"[127.0.0.1]:{hv['ansible_port']} ssh-ed25519 AAAA" in "\n".join(lines)
    assert len(lines) == 5
    assert sim.inventory.with_suffix(".hostkey").exists()


def test_stats_file_shape(sim: RunningLab) -> None:
    stats = sim.stats()
    assert set(stats) == {"STD", "MORE", "PAGER", "DISC", "MV"}
    assert set(stats["STD"]) == {"logins", "failed_logins", "commands", "config_writes", "tunnel_ops", "tunnels",
                                 "debug_enabled", "debug_filters"}
    assert stats["STD"]["debug_enabled"] is False and stats["STD"]["debug_filters"] == {}
    assert stats["STD"]["tunnel_ops"] == 0
    assert stats["STD"]["tunnels"]["root/t1"] == {"state": "up", "selectors_up": 1, "selectors_total": 1,
                                                  "npu_offload": "enable", "sa_generation": 0, "npu_flags": ["03"]}
    assert set(stats["MV"]["tunnels"]) == {"Edge/t1"}


def test_netmiko_on_standard_device_writes_nothing(sim: RunningLab) -> None:
    conn = _netmiko(sim, "STD")
    assert conn.base_prompt.strip() == "STD"
    assert "Hostname: STD" in conn.send_command("get system status | grep Hostname")
    assert "'t1' " in conn.send_command("get vpn ipsec tunnel summary")
    conn.disconnect()
    stats = sim.wait_stats(lambda s: s["STD"]["logins"] >= 1 and s["STD"]["commands"] >= 5)["STD"]
    assert stats["logins"] == 1 and stats["config_writes"] == 0


def test_netmiko_on_more_device_switches_output(sim: RunningLab) -> None:
    conn = _netmiko(sim, "MORE")
    # netmiko set "output standard" while preparing the session: one write
    assert sim.wait_stats(lambda s: s["MORE"]["config_writes"] == 1)["MORE"]["config_writes"] == 1
    assert "--More--" not in conn.send_command("diagnose vpn ike gateway list")
    conn.disconnect()  # and restores "more" on the way out: a second write
    assert sim.wait_stats(lambda s: s["MORE"]["config_writes"] == 2)["MORE"]["config_writes"] == 2


def test_netmiko_accepts_disclaimer_on_v6(sim: RunningLab) -> None:
    conn = _netmiko(sim, "DISC")
    assert "v6.4.15" in conn.send_command("get system status | grep Version")
    conn.disconnect()
    assert sim.wait_stats(lambda s: s["DISC"]["config_writes"] == 2)["DISC"]["config_writes"] == 2


def test_netmiko_multi_vdom(sim: RunningLab) -> None:
    conn = _netmiko(sim, "MV")
    out = conn.send_command("diagnose vpn tunnel list")
    assert "command parse error before 'vpn'" in out
    conn.send_command("config vdom", expect_string=r"#")
    conn.send_command("edit Edge", expect_string=r"#")
    assert "list all ipsec tunnel in vd 3" in conn.send_command("diagnose vpn tunnel list", expect_string=r"#")
    conn.send_command("end", expect_string=r"#")
    conn.disconnect()


def test_vdom_admin_prompt_and_global_refused(sim: RunningLab) -> None:
    client = _paramiko(sim, "MV", "edge-admin", "edge-pass")
    chan = client.invoke_shell()
    text = _read_until(chan, "# ")
    assert text.endswith("MV (Edge) # ")
    chan.send("config global\n")
    assert "command parse error before 'global'" in _read_until(chan, "(Edge) # ")
    client.close()


def _read_until(chan: paramiko.Channel, marker: str, timeout: float = 5.0) -> str:
    buf = ""
    deadline = time.monotonic() + timeout
    while not buf.endswith(marker):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {marker!r}; got {buf!r}")
        if chan.recv_ready():
            buf += chan.recv(65536).decode()
        else:
            time.sleep(0.01)
    return buf


def test_paging_over_ssh(sim: RunningLab) -> None:
    client = _paramiko(sim, "PAGER")
    chan = client.invoke_shell()
    _read_until(chan, "PAGER # ")
    chan.send("diagnose vpn tunnel list\n")
    first = _read_until(chan, "--More-- ")
    assert first.count("\r\n") == 1 + 22  # the echoed command, then one page
    chan.send(" ")
    second = _read_until(chan, "--More-- ")
    assert second.startswith("\r         \r")
    chan.send("q")
    assert _read_until(chan, "PAGER # ").endswith("\r         \rPAGER # ")
    chan.send("exit\n")
    client.close()


@pytest.mark.parametrize("kex", ["diffie-hellman-group-exchange-sha256", "curve25519-sha256@libssh.org",
                                 "ecdh-sha2-nistp256"])
def test_key_exchange_paramiko(sim: RunningLab, kex: str) -> None:
    # Only gex-sha256 survives netmiko's fortinet restriction on paramiko 5.
    others = [k for k in paramiko.Transport._preferred_kex if k != kex]  # type: ignore[attr-defined]
    client = _paramiko(sim, "STD", disabled_algorithms={"kex": others})
    out = client.exec_command("get system status | grep Hostname")[1]
    assert out.read().decode().strip() == "Hostname: STD"
    client.close()


@pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")
@pytest.mark.parametrize("kex", ["curve25519-sha256", "diffie-hellman-group14-sha256"])
def test_key_exchange_asyncssh_client(sim: RunningLab, kex: str) -> None:
    async def run() -> str:
        async with asyncssh.connect("127.0.0.1", sim.hosts["STD"]["ansible_port"], username="admin",
                                    password="sim-pass", known_hosts=str(sim.known_hosts), kex_algs=[kex],
                                    client_keys=None, agent_path=None) as conn:
            result = await conn.run("get system status | grep Hostname")
            return str(result.stdout)

    assert asyncio.run(run()).strip() == "Hostname: STD"


def test_wrong_password_is_counted(sim: RunningLab) -> None:
    before = sim.stats()["STD"]["failed_logins"]
    with pytest.raises(paramiko.AuthenticationException):
        _paramiko(sim, "STD", password="wrong")
    stats = sim.wait_stats(lambda s: s["STD"]["failed_logins"] > before)["STD"]
    assert stats["failed_logins"] == before + 1


def test_exec_channel_runs_commands(sim: RunningLab) -> None:
    client = _paramiko(sim, "STD")
    out = client.exec_command("get vpn ipsec tunnel summary")[1]
    lines = out.read().decode().splitlines()
    assert [line.split()[0] for line in lines] == ["'t1'", "'t2'"]
    client.close()


def test_netmiko_details_config_and_ping(sim: RunningLab) -> None:
    conn = _netmiko(sim, "STD")
    details = conn.send_command("get vpn ipsec tunnel name t1")
    assert details.startswith("gateway\n  name: 't1'\n") and "      inbound\n        spi: " in details
    config = conn.send_command("show vpn ipsec phase1-interface t1")
    assert '    edit "t1"' in config and "set psksecret ENC " in config and "fortisim-psk" not in config
    peer = sim.lab.devices["MV"].interfaces["port1"].ip
    ping = conn.send_command(f"execute ping {peer}")
    assert "5 packets transmitted, 5 packets received, 0% packet loss" in ping and "round-trip" in ping
    conn.disconnect()


def test_sigterm_stops_cleanly_with_open_session(tmp_path: Path) -> None:
    with running_lab({"devices": [{"hostname": "ONE", "version": "7.4.7"}]}, tmp_path) as sim:
        client = _paramiko(sim, "ONE", "admin", "fortisim")
        chan = client.invoke_shell()
        _read_until(chan, "ONE # ")
        chan.send("get system status\n")
        _read_until(chan, "ONE # ")
        code = sim.stop()
        assert code == 0
        # the final write happened on the way out, without waiting for the debounce
        assert sim.stats()["ONE"]["logins"] == 1 and sim.stats()["ONE"]["commands"] == 1
        assert "Traceback" not in sim.log()
        client.close()


def test_port_base_and_host_key_reuse(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    lab = {"devices": [{"hostname": "P1"}]}
    with running_lab(lab, tmp_path, port_base=base) as sim:
        assert sim.hosts["P1"]["ansible_port"] == base
        first = sim.known_hosts.read_text().split()[-1]
    with running_lab(lab, tmp_path) as sim:
        assert sim.known_hosts.read_text().split()[-1] == first  # same key, reused from <stem>.hostkey
    assert load_or_create_host_key(tmp_path / "inventory.hostkey").export_public_key().split()[1].decode() == first


def test_two_hundred_devices(tmp_path: Path) -> None:
    versions = ["6.4.15", "7.0.17", "7.2.10", "7.4.7", "7.6.3"]
    lab = {"devices": [{"hostname": f"FGT{i:03d}", "version": versions[i % 5]} for i in range(200)],
           "tunnels": [{"name": "peer", "a": {"device": f"FGT{i:03d}"}, "b": {"device": f"FGT{i + 1:03d}"}}
                       for i in range(0, 200, 2)]}
    started = time.monotonic()
    with running_lab(lab, tmp_path) as sim:
        assert time.monotonic() - started < 20
        assert len(sim.hosts) == 200
        for host in ("FGT000", "FGT117", "FGT199"):
            client = _paramiko(sim, host, "admin", "fortisim")
            out = client.exec_command("get system status | grep Hostname")[1]
            assert out.read().decode().strip() == f"Hostname: {host}"
            client.close()
        stats = sim.wait_stats(lambda s: s["FGT199"]["logins"] == 1)
        assert stats["FGT117"]["logins"] == 1 and stats["FGT001"]["logins"] == 0


def test_command_log_records_each_command_in_order(tmp_path: Path) -> None:
    log = tmp_path / "commands.log"
    lab = {"defaults": {"username": "admin", "password": "sim-pass"}, "devices": [{"hostname": "LOG", "version": "7.4.7"}]}
    with running_lab(lab, tmp_path, extra_args=["--command-log", str(log)]) as running:
        client = _paramiko(running, "LOG")
        try:
            stdout = client.exec_command("get system status\nget vpn ipsec tunnel summary")[1]
            stdout.read()
        finally:
            client.close()
    assert log.read_text(encoding="utf-8").splitlines() == [
        "LOG\tget system status", "LOG\tget vpn ipsec tunnel summary"]
