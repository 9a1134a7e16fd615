"""The session layer of the connection plugin against fortisim, without Ansible."""
from __future__ import annotations

import time
from typing import Any

import pytest
from fortisim.harness import running_lab

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import FortiOSCLIError
from ansible_collections.fortidiag.ipsec.plugins.plugin_utils.session import (
    FortiOSSession,
    SessionError,
    SessionParams,
    SessionTimeout,
)


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("basic")


def session_for(lab: Any, host: str, **overrides: Any) -> FortiOSSession:
    hv = lab.hosts[host]
    params = SessionParams(host=hv["ansible_host"], port=int(hv["ansible_port"]), username=hv["ansible_user"],
                           password=hv["ansible_password"], known_hosts_file=hv["ansible_fortios_known_hosts_file"],
                           label=host, command_timeout=10)
    for key, value in overrides.items():
        setattr(params, key, value)
    return FortiOSSession(params)


def test_cli_errors_raise_and_the_session_goes_on(lab: Any) -> None:
    session = session_for(lab, "FW-A")
    try:
        with pytest.raises(FortiOSCLIError, match=r"command 'diagnose vpn tunnel lsit' failed: command parse error before 'lsit'"):
            session.run("diagnose vpn tunnel lsit")
        with pytest.raises(FortiOSCLIError, match=r"failed: Unknown action 0"):
            session.run("frobnicate")
        assert "to-b" in session.run("get vpn ipsec tunnel summary")
        assert session.logins == 1
    finally:
        session.close()


def test_device_info_from_one_status_command(lab: Any) -> None:
    before = lab.stats()["FW-D"]["commands"]
    session = session_for(lab, "FW-D")
    try:
        info = session.open().as_dict()
    finally:
        session.close()
    assert info["hostname"] == "FW-D"
    assert info["version"] == "6.4.15"
    assert info["vdom_mode"] == "disable" and info["multi_vdom"] is False
    assert info["admin_vdom"] is None
    # Login (disclaimer accepted) + `get system status` + `exit`: no probing, no console write.
    stats = lab.wait_stats(lambda s: s["FW-D"]["commands"] > before)
    assert stats["FW-D"]["config_writes"] == 0


def test_vdom_contexts_switch_only_when_needed(lab: Any) -> None:
    session = session_for(lab, "FW-V")
    try:
        session.open()
        # The login ran `get system status`; wait until the debounced stats show it.
        before = lab.wait_stats(lambda s: s["FW-V"]["commands"] >= 1)["FW-V"]["commands"]
        assert "root-vpn" in session.run("get vpn ipsec tunnel summary", vdom="root")
        assert "root-vpn" in session.run("diagnose vpn tunnel list", vdom="root")
        assert "cust-vpn" in session.run("get vpn ipsec tunnel summary", vdom="Cust")
        assert "Virtual domain configuration: multiple" in session.run("get system status", scope="global")
        after = lab.wait_stats(lambda s: s["FW-V"]["commands"] >= before + 11)["FW-V"]["commands"]
        # config vdom, edit root, 2 commands, end, config vdom, edit Cust, 1 command, end, config global, 1 command
        assert after - before == 11
        with pytest.raises(SessionError, match=r"^FW-V: cannot enter VDOM NoSuchVdom \(edit NoSuchVdom: "):
            session.run("diagnose vpn tunnel list", vdom="NoSuchVdom")
        assert "cust-vpn" in session.run("get vpn ipsec tunnel summary", vdom="Cust")
    finally:
        session.close()


def test_vdom_scoped_admin_stays_in_its_vdom(lab: Any) -> None:
    session = session_for(lab, "FW-V", username="cust-admin", password="cust-pass")
    try:
        assert session.open().admin_vdom == "Cust"
        assert "cust-vpn" in session.run("get vpn ipsec tunnel summary")
        with pytest.raises(SessionError, match="admin 'cust-admin' is scoped to VDOM Cust and cannot run global commands"):
            session.run("get system console", scope="global")
        with pytest.raises(SessionError, match="scoped to VDOM Cust, not root"):
            session.run("get vpn ipsec tunnel summary", vdom="root")
    finally:
        session.close()


def test_vdom_on_a_device_without_vdoms_is_refused(lab: Any) -> None:
    session = session_for(lab, "FW-A")
    try:
        with pytest.raises(SessionError, match="VDOMs are not enabled, cannot use vdom 'Cust'"):
            session.run("get vpn ipsec tunnel summary", vdom="Cust")
    finally:
        session.close()


def test_paging_in_band_returns_whole_output(lab: Any) -> None:
    session = session_for(lab, "FW-B")
    try:
        text = session.run("diagnose vpn tunnel list")
    finally:
        session.close()
    assert "--More--" not in text
    assert text.count("proxyid=") == 2
    assert "\r" not in text


def test_timeout_drops_the_session_and_the_next_call_logs_in_again(lab: Any) -> None:
    session = session_for(lab, "FW-SLOW")
    try:
        session.open()
        session.params.command_timeout = 1
        with pytest.raises(SessionTimeout, match=r"FW-SLOW: no prompt within 1s after 'get vpn ipsec tunnel summary'"):
            session.run("get vpn ipsec tunnel summary")
        assert not session.connected
        session.params.command_timeout = 10
        session.run("get vpn ipsec tunnel summary")
        assert session.logins == 2
    finally:
        session.close()


def test_read_for_and_ctrl_c(lab: Any) -> None:
    session = session_for(lab, "FW-A")
    try:
        session.open()
        assert session.read_for(0.2) == ""
        session.send_control("c")
        assert "to-b" in session.run("get vpn ipsec tunnel summary")
        with pytest.raises(SessionError, match="one letter"):
            session.send_control("cc")
    finally:
        session.close()


def test_bad_credentials_and_closed_port_are_one_line(lab: Any) -> None:
    bad = session_for(lab, "FW-A", password="nope")
    with pytest.raises(SessionError) as err:
        bad.open()
    assert str(err.value) == "FW-A: authentication failed for user 'admin'; check ansible_user and ansible_password (or the key file)"
    closed = FortiOSSession(SessionParams(host="127.0.0.1", port=9, username="a", password="b", label="GHOST",
                                          host_key_checking=False, ssh_timeout=3))
    with pytest.raises(SessionError, match=r"^GHOST: cannot connect: Unable to connect to port 9 on 127.0.0.1$") as err:
        closed.open()
    assert "\n" not in str(err.value)


FAULT_LAB = {
    "defaults": {"username": "admin", "password": "lab-pass"},
    "devices": [{"hostname": "FW-F", "version": "7.2.10", "session_faults": [
        {"kind": "prompt_change", "command": "tunnel summary", "hostname": "FW-RENAMED"},
        {"kind": "stall", "command": "^diagnose vpn tunnel list"},
    ]}],
}


def test_prompt_change_and_rpc_deadline_fail_fast_then_recover(tmp_path: Any) -> None:
    with running_lab(FAULT_LAB, tmp_path) as sim:
        session = session_for(sim, "FW-F", command_timeout=30)
        try:
            started = time.monotonic()
            with pytest.raises(SessionError, match=r"^FW-F: the prompt changed from 'FW-F #' to 'FW-RENAMED #' after "
                                                   r"'get vpn ipsec tunnel summary' \(was the hostname changed\?\)"):
                session.run("get vpn ipsec tunnel summary")
            assert time.monotonic() - started < 10 and not session.connected
            assert "Version:" in session.run("get system status")  # logged in again, new prompt learnt
            assert session.info.hostname == "FW-RENAMED" and session.logins == 2
            # The connection plugin's RPC deadline cuts a stall short of the 30 s command timeout.
            session.deadline = time.monotonic() + 1.5
            with pytest.raises(SessionTimeout, match=r"^FW-F: no prompt within 30s after 'diagnose vpn tunnel list'$"):
                session.run("diagnose vpn tunnel list")
            assert time.monotonic() - session.deadline < 2 and not session.connected
            session.deadline = None
            assert "FW-RENAMED" not in session.run("diagnose vpn tunnel list") and session.logins == 3
        finally:
            session.close()
