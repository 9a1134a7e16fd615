"""IKE debug in the simulator: the debug switches, the IKE log filter per version, the stats,
and the asynchronous IKE lines, classified by the collection's parser for every fault."""

from __future__ import annotations

import asyncio
import copy
import re
import time
from typing import Any, Iterator, Optional

import asyncssh
import pytest
from sim_helpers import Terminal, pair, pair_lab
from test_sim_negotiate import MISMATCHES

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.ike_debug import parse_ike_debug
from fortisim import ikedebug
from fortisim.clock import Clock
from fortisim.harness import RunningLab, running_lab
from fortisim.lab import parse_lab
from fortisim.model import EXTERNAL_FAULTS, Device
from fortisim.shell import Shell
from fortisim.stats import StatsBook

ARM = ("diagnose debug application ike -1\r", "diagnose debug enable\r")
FAILURES = {"phase1_proposal_mismatch", "phase2_proposal_mismatch", "psk_mismatch", "peer_id_mismatch",
            "selector_mismatch", "no_matching_gateway", "peer_unreachable", "dpd_timeout", "negotiation_failure"}
PARSE_ERROR = "command parse error before '%s'\r\nCommand fail. Return code -61"


def findings(text: str) -> dict[str, set[Optional[str]]]:
    """code -> gateways, from the collection's parser."""
    out: dict[str, set[Optional[str]]] = {}
    for finding in parse_ike_debug(text)["findings"]:
        out.setdefault(finding["code"], set()).add(finding["gateway"])
    return out


def ike_lines(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").split("\n") if re.match(r"^(?:\d{4}-\d\d-\d\d \S+ )?ike ", line)]


class Live:
    """A Shell running as a task, for sessions that must overlap (several devices, one clock)."""

    def __init__(self, device: Device, clock: Clock, stats: StatsBook) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.out: list[str] = []
        self.shell = Shell(device, device.primary_admin, stats, clock, self.queue.get, self.out.append)
        self.task = asyncio.get_running_loop().create_task(self.shell.run())

    async def send(self, *lines: str) -> str:
        """Type lines, wait for the prompt after each; return what they printed."""
        start = len("".join(self.out))
        for line in lines:
            prompts = "".join(self.out).count(self.shell.prompt)
            self.queue.put_nowait(line + "\r")
            await self._prompt(prompts)
        return "".join(self.out)[start:]

    async def _prompt(self, prompts: int) -> None:
        for _unused in range(5000):
            await asyncio.sleep(0)
            if "".join(self.out).count(self.shell.prompt) > prompts:
                return
        raise AssertionError("no prompt: " + "".join(self.out)[-500:])

    async def close(self) -> None:
        self.queue.put_nowait("")
        await self.task


def two_sessions(lab_data: dict[str, Any], script: Any) -> Any:
    lab = parse_lab(lab_data)
    clock = Clock(frozen=100)
    stats = StatsBook(list(lab.devices))

    async def go() -> Any:
        a = Live(lab.devices["A"], clock, stats)
        b = Live(lab.devices["B"], clock, stats)
        try:
            return await script(a, b, clock, stats)
        finally:
            await a.close()
            await b.close()

    return asyncio.run(go())


# -- the switches ----------------------------------------------------------------------------------
def test_application_duration_info_and_timestamps() -> None:
    device = pair_lab().devices["A"]
    out = Terminal(device).session(
        "diagnose debug application ike -1\r", "diag debug app ike\r", "diagnose debug duration 0\r",
        "diagnose debug application ike 6\r", "diagnose debug duration 45\r", "diagnose debug duration\r",
        "diagnose debug application ike nope\r", "diagnose debug application bogus 1\r",
        "diagnose debug console timestamp enable\r", "diagnose debug enable\r", "diagnose debug info\r")
    assert "Debug messages will be on for 30 minutes.\r\n" in out
    assert "ike debug level is -1\r\n" in out
    assert "Current duration is set to unlimited.\r\n" in out
    assert "Debug messages will be on for unlimited time.\r\n" in out
    assert "Current duration is set to 45.\r\n" in out
    assert "value parse error before 'nope'" in out and PARSE_ERROR % "bogus" in out
    info = out.split("diagnose debug info\r\n")[1]
    assert "debug output:           enable" in info and "console timestamp:      enable" in info
    assert "ike debug level:       6" in info
    assert device.debug.apps == {"ike": 6}
    Terminal(device).session("diagnose debug application ike 0\r")
    assert device.debug.apps == {}


def test_reset_stops_applications_but_keeps_the_ike_filter() -> None:
    device = pair_lab().devices["B"]  # 7.4
    term = Terminal(device)
    term.session("diagnose vpn ike log filter name vpn\r", "diagnose debug application ike -1\r",
                 "diagnose debug reset\r")
    assert device.debug.apps == {}
    assert device.debug.ike_filter == {"name": "vpn"}  # not documented to be cleared: the collection clears it
    assert term.stats.snapshot()["B"]["debug_filters"] == {"ike": {"name": "vpn"}}


@pytest.mark.parametrize("version", ["6.4.15", "7.0.17", "7.2.10"])
def test_log_filter_up_to_72(version: str) -> None:
    lab = pair_lab(a={"device": "A"})
    device = lab.devices["A"]
    device.release = type(device.release).parse(version)
    out = Terminal(device).session(
        "diagnose vpn ike log-filter dst-addr4 198.51.100.2\r", "diagnose vpn ike log-filter src-addr4 198.51.100.1 198.51.100.9\r",
        "diag vpn ike log-filter name vpn\r", "diagnose vpn ike log-filter dst-port 500\r",
        "diagnose vpn ike log-filter negate src-addr4\r", "diagnose vpn ike log-filter mdst-addr4 192.0.2.1 192.0.2.2\r",
        "diagnose vpn ike log-filter list\r", "diagnose vpn ike log filter name x\r",
        "diagnose vpn ike log-filter rem-addr4 1.1.1.1\r", "diagnose vpn ike log-filter dst-addr4 not-an-ip\r",
        "diagnose vpn ike log-filter dst-port\r")
    assert PARSE_ERROR % "filter" in out and PARSE_ERROR % "rem-addr4" in out and PARSE_ERROR % "dst-port" in out
    assert "value parse error before 'not-an-ip'" in out
    listing = out.split("log-filter list\r\n")[1]
    assert "name: vpn" in listing and "IPv4 source: not 198.51.100.1-198.51.100.9" in listing
    assert "dest port: 500" in listing and "IPv4 dest: 198.51.100.2" in listing
    assert device.debug.ike_filter == {"dst-addr4": ["198.51.100.2"], "src-addr4": ["198.51.100.1", "198.51.100.9"],
                                       "name": "vpn", "dst-port": 500, "negate": ["src-addr4"],
                                       "mdst-addr4": ["192.0.2.1", "192.0.2.2"]}
    Terminal(device).session("diagnose vpn ike log-filter clear\r")
    assert device.debug.ike_filter == {}


@pytest.mark.parametrize("version", ["7.4.7", "7.6.3"])
def test_log_filter_from_74(version: str) -> None:
    device = pair_lab().devices["B"]
    device.release = type(device.release).parse(version)
    out = Terminal(device).session(
        "diagnose vpn ike log filter rem-addr4 198.51.100.1\r", "diagnose vpn ike log filter loc-addr4 198.51.100.2\r",
        "diagnose vpn ike log filter mdst-addr6 2001:db8::1\r", "diagnose vpn ike log filter vd 0\r",
        "diagnose vpn ike log filter interface wan1\r", "diagnose vpn ike log filter list\r",
        "diagnose vpn ike log filter dst-addr4 1.1.1.1\r", "diagnose vpn ike log filter src-addr4 1.1.1.1\r",
        "diagnose vpn ike log filter src-port 500\r", "diagnose vpn ike log-filter name vpn\r",
        "diagnose vpn ike log filter rem-addr6 198.51.100.1\r")
    for word in ("dst-addr4", "src-addr4", "src-port", "log-filter"):
        assert PARSE_ERROR % word in out
    assert "value parse error before '198.51.100.1'" in out  # an IPv4 address for an IPv6 option
    listing = out.split("log filter list\r\n")[1]
    assert "IPv4 remote: 198.51.100.1" in listing and "IPv4 local: 198.51.100.2" in listing
    assert "interface: wan1" in listing and "vd: 0" in listing
    assert set(device.debug.ike_filter) == {"rem-addr4", "loc-addr4", "mdst-addr6", "vd", "interface"}


def test_log_filter_is_a_vdom_command() -> None:
    lab = parse_lab({"devices": [{"hostname": "MV", "version": "7.4.7", "vdom_mode": "multiple", "vdoms": ["root", "Edge"]}]})
    out = Terminal(lab.devices["MV"]).session(
        "diagnose vpn ike log filter name x\r", "diagnose debug application ike -1\r", "config vdom\r", "edit Edge\r",
        "diagnose vpn ike log filter name x\r")
    assert PARSE_ERROR % "vpn" in out
    assert "Debug messages will be on for 30 minutes." in out  # diagnose debug works anywhere
    assert lab.devices["MV"].debug.ike_filter == {"name": "x"}


# -- stats -----------------------------------------------------------------------------------------
def test_stats_follow_switches_and_a_closed_session_leaves_device_debug_armed() -> None:
    device = pair_lab().devices["B"]
    term = Terminal(device)
    assert term.stats.snapshot()["B"]["debug_enabled"] is False
    seen: list[Any] = []

    async def go() -> None:
        live = Live(device, term.clock, term.stats)
        await live.send("diagnose vpn ike log filter rem-addr4 198.51.100.1", "diagnose debug enable")
        seen.append(term.stats.snapshot()["B"])
        await live.send("diagnose debug application ike 8")
        seen.append(term.stats.snapshot()["B"])
        await live.close()

    asyncio.run(go())
    assert seen[0]["debug_enabled"] is True  # console output on counts
    assert seen[0]["debug_filters"] == {"ike": {"rem-addr4": ["198.51.100.1"]}}
    after = term.stats.snapshot()["B"]
    assert after["debug_enabled"] is True and device.debug.sessions == []  # the app stays armed on the device
    assert after["debug_filters"] == {"ike": {"rem-addr4": ["198.51.100.1"]}}
    term.session("diagnose debug reset\r", "diagnose vpn ike log filter clear\r")
    assert term.stats.snapshot()["B"]["debug_enabled"] is False
    assert term.stats.snapshot()["B"]["debug_filters"] == {}


# -- the lines -------------------------------------------------------------------------------------
def test_lines_need_console_output_and_the_application() -> None:
    lab = pair_lab(b={"device": "B", "phase1": {"psksecret": "other"}})
    device = lab.devices["A"]
    assert ike_lines(Terminal(device).session("diagnose debug application ike -1\r", "get system status\r")) == []
    assert device.debug.apps == {"ike": -1}  # the session is gone; the application stays armed
    assert ike_lines(Terminal(device).session("diagnose debug application ike 0\r", "diagnose debug enable\r",
                                              "get system status\r")) == []
    out = Terminal(device).session(*ARM)
    assert findings(out) == {"psk_mismatch": {"vpn"}}
    assert ike_lines(Terminal(device).session("diagnose debug disable\r", "get system status\r")) == []


def test_retries_every_period_and_formats_per_version() -> None:
    async def script(a: Live, b: Live, clock: Clock, stats: StatsBook) -> tuple[str, str]:
        first = await a.send("diagnose debug console timestamp enable", *[c.strip() for c in ARM])
        again = await a.send("get system status")  # same time: nothing new
        clock.frozen = 100 + ikedebug.RETRY_SECONDS
        later = await a.send("get system status")
        await b.send(*[c.strip() for c in ARM])
        clock.frozen = 100 + 2 * ikedebug.RETRY_SECONDS
        return first + again + later, await b.send("get system status")

    out_a, out_b = two_sessions(pair(b={"device": "B", "phase1": {"proposal": "3des-md5"}}), script)
    lines = ike_lines(out_a)
    assert all(re.match(r"^2025-03-14 10:\d\d:\d\d\.\d{6} ike 0[:]", line) for line in lines)  # 7.2, timestamps
    assert sum("sent IKE msg (SA_INIT)" in line for line in lines) == 2  # one attempt per period
    assert ike_lines(out_b) and all(line.startswith("ike V=root:0") for line in ike_lines(out_b))  # 7.4
    assert findings(out_a) == {"phase1_proposal_mismatch": {"vpn"}}
    assert findings(out_b) == {"phase1_proposal_mismatch": {None}}  # the responder matched no gateway


def test_non_root_vdom_index_and_vdom_name() -> None:
    data = {"devices": [{"hostname": "MV", "version": "7.2.10", "vdom_mode": "multiple", "vdoms": ["root", "Edge"]},
                        {"hostname": "N", "version": "7.6.3", "vdom_mode": "multiple", "vdoms": ["root", "Core"]}],
            "tunnels": [{"name": "t", "a": {"device": "MV", "vdom": "Edge"}, "b": {"external": "203.0.113.5", "state": "down"}},
                        {"name": "u", "a": {"device": "N", "vdom": "Core"}, "b": {"external": "203.0.113.6", "state": "down"}}]}
    lab = parse_lab(data)
    assert all(line.startswith("ike 3:") or line.startswith("ike 3 ") for line in ike_lines(Terminal(lab.devices["MV"]).session(*ARM)))
    lines = ike_lines(Terminal(lab.devices["N"]).session(*ARM))
    assert lines and all(line.startswith("ike V=Core:3:") for line in lines)
    assert findings("\n".join(lines)) == {"peer_unreachable": {"u"}}


@pytest.mark.parametrize("ike_version", [1, 2])
@pytest.mark.parametrize("changes,fault,phase1_up", MISMATCHES, ids=[f"{m[1]}-{i}" for i, m in enumerate(MISMATCHES)])
def test_every_negotiated_fault_is_classified_on_both_ends(changes: dict[str, Any], fault: str, phase1_up: bool,
                                                           ike_version: int) -> None:
    changes = copy.deepcopy(changes)
    if ike_version == 1:
        if fault == "ike_version_mismatch":
            pytest.skip("the version is the mismatch")
        changes.setdefault("phase1", {})["ike_version"] = 1
    lab = pair_lab(**changes)
    assert lab.result("vpn").fault == fault
    clock = Clock(frozen=100)
    # A version or mode mismatch is no fault name of the contract: the initiator's peer never
    # answers, the responder finds no gateway for the request.
    expected = {"A": "peer_unreachable", "B": "no_matching_gateway"} if fault in ("ike_version_mismatch", "ike_mode_mismatch") \
        else {"A": fault, "B": fault}
    for host in ("A", "B"):
        found = findings(Terminal(lab.devices[host], clock=clock).session(*ARM))
        assert expected[host] in found, (host, found)
        assert set(found) & FAILURES == {expected[host]}, (host, found)


@pytest.mark.parametrize("ike_version", [1, 2])
@pytest.mark.parametrize("fault", EXTERNAL_FAULTS)
def test_every_external_fault_is_classified(fault: str, ike_version: int) -> None:
    lab = pair_lab(phase1={"ike_version": ike_version}, b={"external": "203.0.113.7", "state": "down", "fault": fault})
    expected = "peer_unreachable" if fault in ("ike_version_mismatch", "ike_mode_mismatch") else fault
    found = findings(Terminal(lab.devices["A"]).session(*ARM))
    assert set(found) & FAILURES == {expected}
    assert found[expected] == {"vpn"}


def test_dialup_hub_shows_the_spokes_it_refuses() -> None:
    data = {"devices": [{"hostname": "HUB", "version": "7.4.7"}, {"hostname": "S", "version": "7.0.17"}],
            "dialup": [{"name": "dial", "hub": {"device": "HUB"},
                        "spokes": [{"external": "192.0.2.77", "state": "down", "fault": "psk_mismatch"},
                                   {"device": "S", "name": "to-hub", "phase1": {"proposal": "3des-md5"}}]}]}
    lab = parse_lab(data)
    assert [v.name for v in lab.devices["HUB"].views("root")] == ["dial"]  # no instance for either
    found = findings(Terminal(lab.devices["HUB"]).session(*ARM))
    assert set(found) & FAILURES == {"psk_mismatch", "phase1_proposal_mismatch"}
    assert found["psk_mismatch"] == {"dial"}  # the parent's name: no instance exists
    assert findings(Terminal(lab.devices["S"]).session(*ARM)) == {"phase1_proposal_mismatch": {"to-hub"}}


@pytest.mark.parametrize("ike_version", [1, 2])
def test_operations_print_a_negotiation_on_both_ends(ike_version: int) -> None:
    data = pair(phase1={"ike_version": ike_version}, a={"device": "A", "behind_nat": True})
    data["devices"][0]["negotiation_ms"] = 2000

    async def script(a: Live, b: Live, clock: Clock, stats: StatsBook) -> tuple[str, str, str]:
        await b.send(*[c.strip() for c in ARM])
        started = await a.send(*[c.strip() for c in ARM], "diagnose vpn ike gateway clear")
        clock.frozen = 102.5  # negotiation_ms has passed
        done = await a.send("diagnose vpn tunnel flush")
        return started, done, await b.send("get system status")

    started, done, peer = two_sessions(data, script)
    assert "established" not in findings(started)  # the new SAs take negotiation_ms to appear
    assert findings(started) == {"nat_detected": {"vpn"}}
    assert findings(started + done) == {"nat_detected": {"vpn"}, "established": {"vpn"}}
    assert findings(peer) == {"nat_detected": {"vpn"}, "established": {"vpn"}}
    assert any("4500" in line for line in ike_lines(done))


def test_spis_of_the_negotiation_match_the_tunnel_list() -> None:
    lab = pair_lab()
    device = lab.devices["A"]
    out = Terminal(device).session(*ARM, "diagnose vpn tunnel flush\r", "diagnose vpn tunnel list\r")
    added = re.search(r"added IPsec SA: SPIs=([0-9a-f]{8})/([0-9a-f]{8})", out)
    assert added is not None
    assert f"dec: spi={added.group(1)}" in out and f"enc: spi={added.group(2)}" in out


def test_up_on_a_faulty_tunnel_prints_the_fault_at_once() -> None:
    lab = pair_lab(b={"device": "B", "phase2": [{"src_subnet": "10.9.0.0/24", "dst_subnet": "10.1.0.0/24"}]})
    clock = Clock(frozen=100)
    term = Terminal(lab.devices["A"], clock=clock)
    term.session(*ARM)  # the retry of this period
    out = term.session(*ARM, "diagnose vpn tunnel up vpn\r")
    tail = out.split("diagnose vpn tunnel up vpn\r\n")[1]
    assert findings(tail) == {"selector_mismatch": {"vpn"}}


def test_mask_bits_choose_the_categories() -> None:
    lab = pair_lab(b={"device": "B", "phase1": {"psksecret": "other"}})
    device = lab.devices["A"]
    clock = Clock(frozen=100)

    def attempt(*commands: str) -> list[str]:
        clock.frozen += ikedebug.RETRY_SECONDS  # a new retry for each session
        return ike_lines(Terminal(device, clock=clock).session(*commands))

    errors = attempt("diagnose debug application ike 1\r", "diagnose debug enable\r")
    assert errors == ["ike 0:vpn:%s: received notify type AUTHENTICATION_FAILED" % errors[0].split(":")[2]]
    everything = attempt(*ARM)
    assert any(" SK_ei " in line for line in everything) and any(": out " in line for line in everything)
    without = attempt("diagnose debug application ike 63\r", "diagnose debug enable\r")
    assert not any(" SK_ei " in line or ": out " in line for line in without)
    assert findings("\n".join(without)) == {"psk_mismatch": {"vpn"}}
    keys_parsed = parse_ike_debug("\n".join(everything))
    assert all(value == "<redacted>" for event in keys_parsed["events"] for value in event.get("keys", {}).values())


def test_log_filter_narrows_the_lines() -> None:
    data = {"devices": [{"hostname": "A", "version": "7.2.10", "interfaces": {"port1": "198.51.100.1/24"}}],
            "tunnels": [{"name": "t1", "a": {"device": "A"}, "b": {"external": "203.0.113.1", "state": "down"}},
                        {"name": "t2", "a": {"device": "A"}, "b": {"external": "203.0.113.2", "state": "down",
                                                                   "fault": "psk_mismatch"}}]}

    def gateways(*filter_args: str) -> dict[str, set[Optional[str]]]:
        device = parse_lab(data).devices["A"]
        commands = [f"diagnose vpn ike log-filter {args}\r" for args in filter_args]
        return findings(Terminal(device).session(*commands, *ARM))

    assert gateways() == {"peer_unreachable": {"t1"}, "psk_mismatch": {"t2"}}
    assert gateways("name t2") == {"psk_mismatch": {"t2"}}
    assert gateways("dst-addr4 203.0.113.1") == {"peer_unreachable": {"t1"}}
    assert gateways("dst-addr4 203.0.113.1", "negate dst-addr4") == {"psk_mismatch": {"t2"}}
    assert gateways("dst-addr4 203.0.113.0 203.0.113.9") == {"peer_unreachable": {"t1"}, "psk_mismatch": {"t2"}}
    assert gateways("vd 3") == {}
    assert gateways("dst-port 4500") == {}


# -- over SSH ---------------------------------------------------------------------------------------
SSH_LAB: dict[str, Any] = {
    "defaults": {"username": "admin", "password": "sim-pass"},
    "devices": [{"hostname": "A", "version": "7.4.7", "interfaces": {"port1": "198.51.100.1/24"}},
                {"hostname": "B", "version": "7.2.10", "interfaces": {"port1": "198.51.100.2/24"}}],
    "tunnels": [{"name": "bad", "a": {"device": "A"}, "b": {"device": "B", "phase1": {"psksecret": "other"}}},
                {"name": "gone", "a": {"device": "A"}, "b": {"external": "203.0.113.9", "state": "down"}}],
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(SSH_LAB, tmp_path_factory.mktemp("ikedebug")) as running:
        yield running


async def _read_until(process: Any, pattern: str, timeout: float = 10.0) -> str:
    text = ""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, text):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{pattern!r} never came; got:\n{text}")
        try:
            text += await asyncio.wait_for(process.stdout.read(65536), remaining)
        except asyncio.TimeoutError:
            continue
    return text


def test_async_lines_over_ssh_between_commands_and_left_armed_after_disconnect(sim: RunningLab) -> None:
    port = sim.hosts["A"]["ansible_port"]

    async def go() -> tuple[str, str]:
        async with asyncssh.connect("127.0.0.1", port=port, username="admin", password="sim-pass",
                                    known_hosts=None) as conn:
            process = await conn.create_process(term_type="vt100")
            await _read_until(process, r"A # $")
            process.stdin.write("diagnose vpn ike log filter name bad\rdiagnose debug console timestamp enable\r"
                                "diagnose debug application ike -1\rdiagnose debug enable\r")
            # Nothing typed from here: the background writer delivers the retries.
            lines = await _read_until(process, r"(?s)enable\r\n.*AUTHENTICATION_FAILED\r\n.*AUTHENTICATION_FAILED\r\n",
                                      timeout=3 * ikedebug.RETRY_SECONDS + 5)
            process.stdin.write("get system status\r")
            status = await _read_until(process, r"System time:[^\n]*\n(?:[^\n]*\n)*?A # ")
            process.stdin.write("exit\r")
            await process.wait_closed()
            return lines, status

    lines, status = asyncio.run(go())
    assert findings(lines) == {"psk_mismatch": {"bad"}}  # the name filter hides "gone"
    assert all(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} ike V=root:0", line) for line in ike_lines(lines))
    output = status.split("get system status\r\n", 1)[1].split("A # ")[0]
    body = output[output.index("Version:"):output.index("System time:")]
    assert " ike " not in body and not body.startswith("ike")  # never inside a command's output
    stats = sim.wait_stats(lambda s: s["A"]["debug_filters"] == {"ike": {"name": "bad"}} and s["A"]["debug_enabled"])
    assert stats["A"]["debug_enabled"] is True  # the session left ike armed on the device
    assert stats["A"]["debug_filters"] == {"ike": {"name": "bad"}}
