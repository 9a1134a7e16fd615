"""The CLI session, driven in-process: prompts, contexts, errors, pipes, paging."""

from __future__ import annotations

import pytest
from sim_helpers import Terminal

from fortisim.lab import parse_lab
from fortisim.model import Device
from fortisim.shell import ERASE_MORE, MORE, PAGE_LINES

LAB = {
    "devices": [
        {"hostname": "SINGLE", "version": "7.2.10"},
        {"hostname": "OLD", "version": "6.4.15", "console_output": "more",
         "disclaimer": "Lab use only.\nSecond line."},
        {"hostname": "MULTI", "version": "7.4.7", "vdom_mode": "multiple", "vdoms": ["root", "Branch"],
         "admins": [{"username": "vadmin", "password": "pw", "vdom": "Branch"}]},
    ],
    "tunnels": [
        {"name": "t1", "a": {"device": "SINGLE"}, "b": {"device": "MULTI", "vdom": "Branch"},
         "phase2": [{"name": f"p{i}", "src_subnet": f"10.0.{i}.0/24", "dst_subnet": f"10.1.{i}.0/24"}
                    for i in range(3)]},
        {"name": "t2", "a": {"device": "OLD"}, "b": {"device": "SINGLE"},
         "phase2": [{"name": f"q{i}", "src_subnet": f"10.2.{i}.0/24", "dst_subnet": f"10.3.{i}.0/24"}
                    for i in range(3)]},
    ],
}


@pytest.fixture
def devices() -> dict[str, Device]:
    return parse_lab(LAB).devices


def test_prompt_echo_and_unknown_command(devices: dict[str, Device]) -> None:
    term = Terminal(devices["SINGLE"])
    out = term.session("bogus cmd\r\n", "\n", "exit\n")
    assert out == "SINGLE # bogus cmd\r\nUnknown action 0\r\nSINGLE # \r\nSINGLE # exit\r\n"
    assert term.stats.devices["SINGLE"].commands == 2  # blank lines do not count


def test_parse_errors(devices: dict[str, Device]) -> None:
    out = Terminal(devices["SINGLE"]).session("get system bogus\n", "diagnose vpn tunnel list bogus\n",
                                              "diagnose vpn tunnel list name\n")
    assert out.count("Command fail. Return code -61") == 3
    assert "command parse error before 'bogus'" in out
    assert "command parse error before 'name'" in out


def test_abbreviations_and_name_filter(devices: dict[str, Device]) -> None:
    out = Terminal(devices["SINGLE"]).session("diag vpn tun li name t2\n", "diag vpn ike gate list name nope\n")
    assert "list ipsec tunnel by names in vd 0" in out and "name=t2 " in out and "name=t1 " not in out
    assert "name: nope" not in out


def test_grep_pipe(devices: dict[str, Device]) -> None:
    term = Terminal(devices["SINGLE"])
    out = term.session("get system status | grep Virtual\n")
    assert out.split("\r\n")[1:3] == [
        "Virtual domains status: 1 in NAT mode, 0 in TP mode",
        "Virtual domain configuration: disable",
    ]
    out = term.session("get system status | grep -i '^version'\n", "get system status | grep -c domain\n",
                       "get system status | grep -v a\n", "get system status | sed x\n")
    lines = out.split("\r\n")
    assert lines[1].startswith("Version: FortiGate-60F v7.2.10")
    assert lines[3] == "4"
    assert all("a" not in line for line in lines[5:-3] if not line.startswith("SINGLE #"))
    assert "command parse error before 'sed'" in out


def test_console_settings_and_config_writes(devices: dict[str, Device]) -> None:
    term = Terminal(devices["SINGLE"])
    out = term.session("get system console\n", "config system console\n", "set output standard\n", "end\n",
                       "config system console\n", "set output more\n", "get\n", "end\n",
                       "config sys console\n", "set output less\n", "set colour red\n", "abort\n")
    assert "output              : standard" in out
    assert "SINGLE (console) # " in out
    assert "value parse error before 'less'" in out and "command parse error before 'colour'" in out
    assert term.stats.devices["SINGLE"].config_writes == 1  # only the change to "more"
    assert devices["SINGLE"].console_output == "more"


def test_v6_console_only_through_show(devices: dict[str, Device]) -> None:
    out = Terminal(devices["OLD"]).session("a", "get system console\n", "show full-configuration system console\n")
    assert "command parse error before 'console'" in out
    assert "config system console\r\n    set output more\r\n" in out


def test_disclaimer_waits_for_a(devices: dict[str, Device]) -> None:
    out = Terminal(devices["OLD"]).session("x", "y", "a\r", "exit\n")
    assert out.startswith("Lab use only.\r\nSecond line.\r\n\r\n(Press 'a' to accept):\r\nOLD # exit")
    assert out.count("OLD # ") == 1  # the Enter after "a" is swallowed


def test_multi_vdom_contexts(devices: dict[str, Device]) -> None:
    term = Terminal(devices["MULTI"])
    out = term.session("diagnose vpn tunnel list\n", "get system console\n", "get vpn ipsec tunnel summary\n",
                       "config global\n", "get system console\n", "diagnose vpn tunnel list\n", "end\n",
                       "config vdom\n", "edit nope\n", "edit Branch\n", "get vpn ipsec tunnel summary\n",
                       "get system status | grep Current\n", "end\n", "exit\n")
    assert out.count("command parse error before 'vpn'") == 3  # top level x2, global x1
    assert "command parse error before 'console'" in out
    assert "MULTI (global) # get system console\r\noutput              : standard" in out
    assert "MULTI (vdom) # edit nope\r\nentry not found in datasource" in out
    assert "MULTI (Branch) # get vpn ipsec tunnel summary\r\n't1' " in out
    assert "Current virtual domain: Branch" in out
    assert out.endswith("MULTI (Branch) # end\r\nMULTI # exit\r\n")


def test_vdom_admin_is_confined(devices: dict[str, Device]) -> None:
    multi = devices["MULTI"]
    admin = next(a for a in multi.admins if a.username == "vadmin")
    out = Terminal(multi, admin).session("config global\n", "config vdom\n", "end\n", "diag vpn tunnel list\n")
    assert out.startswith("MULTI (Branch) # config global\r\ncommand parse error before 'global'")
    assert "command parse error before 'vdom'" in out
    assert "MULTI (Branch) # end\r\nMULTI (Branch) # " in out
    assert "list all ipsec tunnel in vd 3" in out


def test_paging_space_enter_and_q(devices: dict[str, Device]) -> None:
    old = devices["OLD"]
    single = Terminal(devices["SINGLE"]).session("diagnose vpn tunnel list name t2\n")
    full = single.split("\r\n")[1:-1]
    assert len(full) > PAGE_LINES + 2
    out = Terminal(old).session("a", "diagnose vpn tunnel list\n", "\r", " ", "diagnose vpn tunnel list\n", "q",
                                "exit\n")
    first, second = out.split("OLD # diagnose vpn tunnel list\r\n")[1:]
    pages = first.split(MORE)
    assert len(pages[0].split("\r\n")) == PAGE_LINES + 1  # 22 lines and the pager
    assert pages[1].startswith(ERASE_MORE) and pages[1].count("\r\n") == 1  # Enter: one more line
    assert len(pages) == 3 and pages[2].startswith(ERASE_MORE)  # space: the rest fits one page
    assert second.endswith(MORE + ERASE_MORE + "OLD # exit\r\n")  # q aborts to the prompt


def test_latency_is_applied(devices: dict[str, Device]) -> None:
    import time

    dev = devices["SINGLE"]
    dev.latency_ms = 150
    start = time.monotonic()
    Terminal(dev).session("get system status\n", "exit\n")
    assert time.monotonic() - start >= 0.3
