"""``diagnose debug flow`` (filter, trace, the traced probe pings) and ``diagnose sniffer packet``
(a foreground command fed by the live tunnel state), checked with the collection's own parsers."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Awaitable, Callable, Iterator, Optional

import asyncssh
import pytest

from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.debug_flow import parse_debug_flow
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.sniffer import parse_sniffer
from fortisim import debug as simdebug
from fortisim.clock import Clock
from fortisim.harness import RunningLab, running_lab
from fortisim.lab import parse_lab
from fortisim.model import Device, Lab
from fortisim.sa import ipsec_sa
from fortisim.shell import Shell
from fortisim.sniffer import compile_filter
from fortisim.stats import StatsBook

PERIOD_MS = 30


def lab_data(version: str = "7.4.7", peer_version: str = "7.2.10") -> dict[str, Any]:
    return {
        "defaults": {"username": "admin", "password": "sim-pass", "sniffer_period_ms": PERIOD_MS},
        "devices": [
            {"hostname": "A", "version": version, "interfaces": {"port1": "198.51.100.1/24", "port3": "10.1.0.1/24"}},
            {"hostname": "B", "version": peer_version,
             "interfaces": {"wan1": "198.51.100.2/24", "internal": "10.2.0.1/24"}},
        ],
        "tunnels": [
            {"name": "vpn", "phase1": {"npu_offload": "disable"},
             "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.0.0/24"}],
             "a": {"device": "A"}, "b": {"device": "B"}},
            {"name": "fast", "phase2": [{"src_subnet": "10.1.1.0/24", "dst_subnet": "10.2.1.0/24"}],
             "a": {"device": "A"}, "b": {"device": "B"}},  # npu-offload enable (the default)
            {"name": "dead", "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.9.0.0/24"}],
             "a": {"device": "A"}, "b": {"external": "203.0.113.9", "state": "down", "fault": "peer_unreachable"}},
            {"name": "psk", "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.5.0/24"}],
             "a": {"device": "A"}, "b": {"device": "B", "phase1": {"psksecret": "not-the-same"}}},
            {"name": "natted", "phase1": {"npu_offload": "disable"},
             "phase2": [{"src_subnet": "10.1.0.0/24", "dst_subnet": "10.2.6.0/24"}],
             "a": {"device": "A"}, "b": {"device": "B", "behind_nat": True, "nat_port": 61000}},
        ],
    }


def make_lab(version: str = "7.4.7") -> Lab:
    return parse_lab(lab_data(version))


class Driver:
    """One in-process session whose input the test feeds while it runs."""

    def __init__(self, device: Device, clock: Optional[Clock] = None) -> None:
        self.device = device
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.out: list[str] = []
        self.stats = StatsBook([device.hostname])
        self.shell = Shell(device, device.primary_admin, self.stats, clock or Clock(frozen=100), self.queue.get,
                           self.out.append)

    @property
    def text(self) -> str:
        return "".join(self.out)

    def send(self, text: str) -> None:
        self.queue.put_nowait(text)

    async def wait_for(self, pattern: str, start: int = 0, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text[start:]):
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never came; got:\n{self.text[start:]}")
            await asyncio.sleep(0.005)
        return self.text[start:]

    async def run(self, command: str) -> str:
        """Type a command and return its output (up to the next prompt, which may be another one)."""
        start = len(self.text)
        self.send(command + "\n")
        await self.wait_for(re.escape(command) + r"\r\n(?:.*\r\n)*?[^\r\n]* # $", start)
        text = self.text[start:]
        return text[text.index("\r\n") + 2:text.rindex("\r\n") + 2].replace("\r\n", "\n") if text.count("\r\n") > 1 else ""


def scenario(device: Device, body: Callable[[Driver], Awaitable[None]], clock: Optional[Clock] = None) -> Driver:
    async def go() -> Driver:
        driver = Driver(device, clock)
        task = asyncio.ensure_future(driver.shell.run())
        try:
            await driver.wait_for(re.escape(driver.shell.prompt))
            await body(driver)
        finally:
            driver.send("")
            await asyncio.wait_for(task, 5)
        return driver
    return asyncio.run(go())


async def trace_setup(d: Driver, count: int, *filters: str, console: bool = True) -> None:
    for flt in filters:
        assert await d.run(f"diagnose debug flow filter {flt}") == ""
    assert await d.run("diagnose debug flow show function-name enable") == "show function name\n"
    if console:
        await d.run("diagnose debug enable")
    await d.run(f"diagnose debug flow trace start {count}")


# -- diagnose debug flow filter --------------------------------------------------------

def test_flow_filter_set_show_negate_clear() -> None:
    device = make_lab().devices["A"]

    async def body(d: Driver) -> None:
        assert await d.run("diagnose debug flow filter") == "".join(
            f"        {label}: any\n" for label in ("vf", "proto", "Host addr", "Host saddr", "Host daddr", "port",
                                                    "sport", "dport"))
        for command in ("diag debug flow filter addr 10.2.0.1", "diagnose debug flow filter saddr 10.1.0.9 10.1.0.1",
                        "diagnose debug flow filter proto 1", "diagnose debug flow filter dport 500 4500",
                        "diagnose debug flow filter vd 0", "diagnose debug flow filter negate saddr"):
            assert await d.run(command) == ""
        assert device.debug.flow_filter == {"addr": "10.2.0.1", "saddr": "10.1.0.1-10.1.0.9", "proto": 1,
                                            "dport": "500-4500", "vd": 0, "negate": ["saddr"]}
        shown = await d.run("diagnose debug flow filter")
        assert "        vf: 0\n        proto: 1\n        Host addr: 10.2.0.1-10.2.0.1\n" in shown
        assert "        Host saddr: 10.1.0.1-10.1.0.9 (negate)\n" in shown and "        dport: 500-4500\n" in shown
        assert simdebug.filters(device.debug) == {"flow": device.debug.flow_filter}
        assert await d.run("diagnose debug flow filter addr 10.1.1.1 10.2.2.2 and") == ""
        assert "Host addr: 10.1.1.1-10.1.1.1 and 10.2.2.2-10.2.2.2" in await d.run("diagnose debug flow filter")
        assert await d.run("diagnose debug flow filter clear") == ""
        assert device.debug.flow_filter == {} and simdebug.filters(device.debug) == {}
        assert "value parse error before 'nowhere'" in await d.run("diagnose debug flow filter daddr nowhere")
        assert "command parse error before 'bogus'" in await d.run("diagnose debug flow filter bogus 1")
        assert "value parse error before '70000'" in await d.run("diagnose debug flow filter port 70000")
        assert device.debug.flow_filter == {}
        assert await d.run("diagnose debug flow show iprope enable") == "show trace messages about iprope\n"
        assert await d.run("diagnose debug flow trace start 7") == ""
        assert device.debug.flow_trace_remaining == 7 and simdebug.armed(device.debug, [])
        assert await d.run("diagnose debug flow trace stop") == ""
        assert device.debug.flow_trace_remaining == 0

    scenario(device, body)


# -- traced pings -------------------------------------------------------------------------

@pytest.mark.parametrize("version, ident", [("6.4.15", 20085), ("7.0.17", 20085), ("7.2.10", 65308), ("7.4.7", 65308)])
def test_ping_through_an_up_tunnel_is_traced_as_allowed(version: str, ident: int) -> None:
    device = make_lab(version).devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        await trace_setup(d, 2, "daddr 10.2.0.1")
        await d.run("execute ping-options source 10.1.0.1")
        outputs.append(await d.run("execute ping 10.2.0.1"))

    scenario(device, body)
    text = outputs[0]
    assert text.startswith("PING 10.2.0.1 (10.2.0.1): 56 data bytes\nid=%d trace_id=" % ident)
    # Each echo request's trace comes just before its reply, as a console shows them.
    assert re.search(r'msg="[^"]*seq=0\."\n(?:id=.*\n)+64 bytes from 10.2.0.1: icmp_seq=0 ', text)
    result = parse_debug_flow(text)
    traces = result["traces"]
    assert len(traces) == 2 and device.debug.flow_trace_remaining == 0
    for trace in traces:
        assert trace["verdict"] == "allowed" and trace["ipsec_tunnel"] == "vpn" and trace["drop_reason"] is None
        assert (trace["src_ip"], trace["dst_ip"], trace["protocol"], trace["in_interface"]) == (
            "10.1.0.1", "10.2.0.1", 1, "local")
        assert trace["debug_id"] == ident and trace["icmp"]["type"] == 8
    assert (traces[0]["route_gateway"], traces[0]["route_interface"], traces[0]["new_session"]) == (
        "198.51.100.2", "vpn", True)
    assert traces[1]["new_session"] is False and traces[1]["icmp"]["seq"] == 1
    assert traces[1]["trace_id"] == traces[0]["trace_id"] + 1
    if version.startswith("6.4"):
        assert traces[0]["ipsec_gateway"] == "198.51.100.2" and "encrypted, and send to" in text
    else:
        assert traces[0]["out_interface"] == "port1" and "IPsec encrypt/auth" in text
    assert ("output to IPSec tunnel vpn, tun_id=198.51.100.2, vrf 0" in text) == version.startswith("7.4")
    assert "func=print_pkt_detail line=" in text
    assert "5 packets transmitted, 5 packets received, 0% packet loss" in text  # the ping answered as usual


def test_ping_through_a_down_selector_or_outside_it_is_dropped() -> None:
    device = make_lab().devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        await trace_setup(d, 10)
        await d.run("execute ping-options repeat-count 1")
        await d.run("execute ping-options source 10.1.0.1")
        outputs.append(await d.run("execute ping 10.9.0.5"))  # the dead peer's selector: down
        outputs.append(await d.run("execute ping 10.2.5.7"))  # psk mismatch: down too
        await d.run("execute ping-options source 198.51.100.1")
        outputs.append(await d.run("execute ping 10.2.0.1"))  # vpn is up, but not for this source
        outputs.append(await d.run("execute ping 192.0.2.200"))  # nowhere
        outputs.append(await d.run("execute ping 198.51.100.2"))  # the peer's gateway, connected

    scenario(device, body)
    dead, psk, outside, nowhere, connected = (parse_debug_flow(text)["traces"] for text in outputs)
    for traces, tunnel in ((dead, "dead"), (psk, "psk"), (outside, "vpn")):
        assert [(t["verdict"], t["drop_reason"], t["ipsec_tunnel"]) for t in traces] == [
            ("dropped", "no_ipsec_selector", tunnel)]
    assert "100% packet loss" in outputs[0] and "100% packet loss" in outputs[2]
    assert nowhere[0]["verdict"] == "dropped" and nowhere[0]["drop_reason"] == "no route to host, drop"
    assert (connected[0]["verdict"], connected[0]["route_interface"]) == ("unknown", "port1")
    assert "1 packets received" in outputs[4]


def test_trace_lines_need_console_output_and_a_trace_count() -> None:
    device = make_lab().devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        await d.run("execute ping-options source 10.1.0.1")
        await d.run("execute ping-options repeat-count 3")
        await d.run("diagnose debug enable")
        outputs.append(await d.run("execute ping 10.2.0.1"))  # console on, nothing armed
        await d.run("diagnose debug disable")
        await d.run("diagnose debug flow trace start 2")
        outputs.append(await d.run("execute ping 10.2.0.1"))  # armed, console off: used up unseen
        assert device.debug.flow_trace_remaining == 0
        await d.run("diagnose debug flow trace start 2")
        await d.run("diagnose debug enable")
        outputs.append(await d.run("execute ping 10.2.0.1"))  # both: the first two requests only
        outputs.append(await d.run("execute ping 10.2.0.1"))  # counter spent
        await d.run("diagnose debug flow filter daddr 10.2.0.99")
        await d.run("diagnose debug flow trace start 5")
        outputs.append(await d.run("execute ping 10.2.0.1"))  # filtered out: the counter stays
        assert device.debug.flow_trace_remaining == 5
        await d.run("diagnose debug flow filter negate daddr")
        outputs.append(await d.run("execute ping 10.2.0.1"))

    scenario(device, body)
    counts = [len(parse_debug_flow(text)["traces"]) for text in outputs]
    assert counts == [0, 0, 2, 0, 0, 3]
    assert all("3 packets transmitted, 3 packets received" in text for text in outputs)


def test_console_timestamps_on_trace_lines() -> None:
    device = make_lab().devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        await d.run("diagnose debug console timestamp enable")
        await trace_setup(d, 1)
        await d.run("execute ping-options source 10.1.0.1")
        outputs.append(await d.run("execute ping 10.2.0.1"))

    scenario(device, body)
    trace = parse_debug_flow(outputs[0])["traces"][0]
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", trace["timestamp"]) and trace["verdict"] == "allowed"


# -- diagnose sniffer packet ------------------------------------------------------------------

async def sniff(d: Driver, command: str, until: str = "", stop: bool = True) -> str:
    """Start a sniffer, wait for ``until`` in its output, stop it with Ctrl-C; return its output."""
    start = len(d.text)
    d.send(command + "\n")
    await d.wait_for(re.escape(command) + r"\r\n", start)
    if until:
        await d.wait_for(until, start)
    if stop:
        d.send("\x03")
    await d.wait_for(r"packets dropped by kernel\r\n" + re.escape(d.shell.prompt) + "$", start)
    text = d.text[start:]
    return text[text.index("\r\n") + 2:len(text) - len(d.shell.prompt)].replace("\r\n", "\n")


def test_sniffer_count_stops_it_and_esp_carries_the_tunnel_list_spis() -> None:
    lab = make_lab()
    device = lab.devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        outputs.append(await sniff(d, "diagnose sniffer packet port1 'host 198.51.100.2 and esp' 4 6", stop=False))
        assert d.shell.debug.sniffer is None
        outputs.append(await d.run("get system status"))  # the session is back to normal

    scenario(device, body)
    text = outputs[0]
    lines = text.split("\n")
    assert lines[:4] == ["Using Original Sniffing Mode", "interfaces=[port1]", "filters=[host 198.51.100.2 and esp]",
                         "pcap_snapshot: snaplen raised from 0 to 262144"]
    assert lines[-4:] == ["", "6 packets received by filter", "0 packets dropped by kernel", ""]
    result = parse_sniffer(text)
    assert len(result["packets"]) == 6 and result["received"] == 6 and result["unparsed"] == []
    assert [v["code"] for v in result["verdicts"]] == ["esp_both_ways"]
    view = next(v for v in device.views("root") if v.name == "vpn")
    sa = ipsec_sa(view, view.selectors[0], 100)
    assert sa is not None
    assert {p["spi"] for p in result["packets"] if p["direction"] == "out"} == {sa.outbound.spi}
    assert {p["spi"] for p in result["packets"] if p["direction"] == "in"} == {sa.inbound.spi}
    seqs = [p["seq"] for p in result["packets"] if p["direction"] == "out"]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert "Hostname: A" in outputs[1]


def test_sniffer_ike_no_reply_for_a_silent_peer_and_ctrl_c() -> None:
    device = make_lab("7.2.10").devices["A"]
    outputs: list[str] = []
    seen: list[Optional[str]] = []

    async def body(d: Driver) -> None:
        command = "diagnose sniffer packet any 'host 203.0.113.9 and (udp port 500 or udp port 4500)' 4 0 a"
        start = len(d.text)
        d.send(command + "\n")
        await d.wait_for(r"udp 476\r\n(?:.*\r\n)*.*udp 476\r\n", start)
        seen.append(d.shell.debug.sniffer)
        d.send("show system interface\n")  # typed while it runs: read only for Ctrl-C, dropped
        d.send("\x03")
        await d.wait_for(r"packets dropped by kernel\r\n" + re.escape(d.shell.prompt) + "$", start)
        outputs.append(d.text[start:])
        outputs.append(await d.run("diagnose vpn tunnel list name dead"))

    scenario(device, body)
    assert seen == ["diagnose sniffer packet any host 203.0.113.9 and (udp port 500 or udp port 4500) 4 0 a"]
    assert "show system interface" not in outputs[0]
    text = outputs[0].replace("\r\n", "\n")
    assert "Using Original Sniffing Mode\ninterfaces=[any]\n" in text and "pcap_snapshot" not in text
    result = parse_sniffer(text)
    assert result["summary"]["ike"] >= 2 and result["summary"]["esp"] == 0
    assert all(p["direction"] == "out" and p["interface"] == "port1" for p in result["packets"])
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$", result["packets"][0]["timestamp"])
    assert [(v["code"], v["peer"], v["local"]) for v in result["verdicts"]] == [
        ("ike_no_reply", "203.0.113.9", "198.51.100.1")]
    assert "name=dead" in outputs[1]


def test_npu_offloaded_esp_is_not_seen_but_turning_offload_off_shows_it() -> None:
    device = make_lab().devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        # "fast" is up with npu_flag=03: its ESP never reaches the sniffer.
        outputs.append(await sniff(d, "diagnose sniffer packet port1 'esp' 4", until=r"(?:.*ESP\(spi=.*\r\n){6}"))
        for line in ("config vpn ipsec phase1-interface", "edit fast", "set npu-offload disable", "end"):
            await d.run(line)
        await d.run("diagnose vpn tunnel flush fast")  # new SAs take the new setting
        outputs.append(await sniff(d, "diagnose sniffer packet port1 'esp' 4", until=r"(?:.*ESP\(spi=.*\r\n){8}"))

    scenario(device, body)
    fast = next(v for v in device.views("root") if v.name == "fast")
    before, after = (parse_sniffer(text) for text in outputs)
    fast_spis = set()
    sa = ipsec_sa(fast, fast.selectors[0], 100)
    assert sa is not None
    fast_spis = {sa.inbound.spi, sa.outbound.spi}
    assert before["packets"] and not {p["spi"] for p in before["packets"]} & fast_spis
    assert {p["spi"] for p in after["packets"]} & fast_spis


def test_nat_t_esp_in_udp_and_keepalives_with_a_hex_dump() -> None:
    device = make_lab().devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        outputs.append(await sniff(d, "diagnose sniffer packet port1 'udp port 4500' 5 12", stop=False))

    scenario(device, body)
    result = parse_sniffer(outputs[0])
    natted = next(v for v in device.views("root") if v.name == "natted")
    sa = ipsec_sa(natted, natted.selectors[0], 100)
    assert sa is not None
    assert result["summary"]["nat_t"] == 12 and result["summary"]["esp"] == 0 and result["unparsed"] == []
    assert {(p["src_port"], p["dst_port"]) for p in result["packets"]} == {(4500, 61000), (61000, 4500)}
    esp = [p for p in result["packets"] if p["encap"] == "esp"]
    assert {p["spi"] for p in esp if p["direction"] == "out"} == {sa.outbound.spi}
    assert {p["spi"] for p in esp if p["direction"] == "in"} == {sa.inbound.spi}
    assert [p["direction"] for p in result["packets"] if p["encap"] == "keepalive"] == ["in"]
    assert re.search(r"\n0x0000\t 4500 ", outputs[0])  # verbose 5 dumps from the IP header
    assert [v["code"] for v in result["verdicts"]] == ["nat_t_in_use", "esp_both_ways"]


def test_settings_mismatch_shows_ike_both_ways_and_filters_narrow() -> None:
    device = make_lab().devices["A"]
    outputs: list[str] = []

    async def body(d: Driver) -> None:
        outputs.append(await sniff(d, "diagnose sniffer packet any 'udp port 500' 4 4", stop=False))
        outputs.append(await sniff(d, "diagnose sniffer packet any 'not esp and not udp port 500' 4 3", stop=False))
        outputs.append(await sniff(d, "diagnose sniffer packet any 'vlan 5 or mpls' 1 3", stop=False))  # outside the subset

    scenario(device, body)
    ike, rest, everything = (parse_sniffer(text) for text in outputs)
    assert {p["dst_port"] for p in ike["packets"]} == {500}
    psk = [p for p in ike["packets"] if "198.51.100.2" in (p["src_ip"], p["dst_ip"])]
    assert {p["direction"] for p in psk} == {"out", "in"}  # psk mismatch: answered, then refused
    assert ("ike_exchanged", "198.51.100.2") in {(v["code"], v["peer"]) for v in ike["verdicts"]}
    assert all(p["protocol"] == "udp" and 4500 in (p["src_port"], p["dst_port"]) for p in rest["packets"])
    assert everything["filters"] == "vlan 5 or mpls" and everything["received"] == 3
    assert everything["packets"][0]["interface"] is None  # verbose 1: no interface, no direction


@pytest.mark.parametrize("text, matches", [
    ("none", {"ike", "esp", "natt"}),
    ("host 203.0.113.9", {"ike"}),
    ("esp or proto 17", {"ike", "esp", "natt"}),
    ("proto 50", {"esp"}),
    ("udp and not port 500", {"natt"}),
    ("src host 198.51.100.1 && (port 4500 || esp)", {"esp", "natt"}),
    ("dst port 4500", set()),
    ("!udp", {"esp"}),
    ("net 203.0.113.0/24", {"ike"}),
])
def test_bpf_subset(text: str, matches: set[str]) -> None:
    from fortisim.sniffer import SimPacket
    packets = {
        "ike": SimPacket("port1", "out", "198.51.100.1", 500, "203.0.113.9", 500, 17),
        "esp": SimPacket("port1", "out", "198.51.100.1", 0, "198.51.100.2", 0, 50),
        "natt": SimPacket("port1", "out", "198.51.100.1", 4500, "198.51.100.2", 61000, 17),
    }
    predicate, understood = compile_filter(text)
    assert understood
    assert {name for name, pkt in packets.items() if predicate(pkt)} == matches


def test_sniffer_headers_per_train_hex_dumps_and_bad_arguments() -> None:
    outputs: dict[str, str] = {}
    for version in ("6.4.15", "7.0.17", "7.2.10", "7.6.3"):
        device = make_lab(version).devices["A"]

        async def body(d: Driver, version: str = version) -> None:
            outputs[version] = await sniff(d, "diagnose sniffer packet port1 'host 198.51.100.2 and esp' 6 2 l",
                                           stop=False)
            outputs[version + "-bad"] = await d.run("diagnose sniffer packet port1 esp 9")
            outputs[version + "-nowhere"] = await d.run("diagnose sniffer packet port42")

        scenario(device, body)
    assert outputs["6.4.15"].startswith("interfaces=[port1]\n")
    assert outputs["7.0.17"].startswith("interfaces=[port1]\n")
    assert outputs["7.2.10"].startswith("Using Original Sniffing Mode\ninterfaces=[port1]\nfilters=[")
    assert "pcap_snapshot: snaplen raised from 0 to 262144\n" in outputs["7.6.3"]
    old = parse_sniffer(outputs["6.4.15"])
    assert "ip-proto-50" in outputs["6.4.15"] and all(p["spi"] for p in old["packets"])  # SPI from the dump
    assert re.search(r"\n0x0000\t 00\w\w \w{4} \w{4} \w{4} \w{4} \w{4} 0800 4500\t", outputs["6.4.15"])
    new = parse_sniffer(outputs["7.6.3"])
    assert "ESP(spi=0x" in outputs["7.6.3"] and all(p["spi"] for p in new["packets"]) and len(new["packets"]) == 2
    for version in ("6.4.15", "7.6.3"):
        assert outputs[version + "-bad"] == "value parse error before '9'\nCommand fail. Return code -651\n"
        assert "parse error before 'port42'" in outputs[version + "-nowhere"]


def test_end_of_input_stops_a_sniffer_and_closes_the_session() -> None:
    device = make_lab().devices["A"]

    async def go() -> str:
        d = Driver(device)
        task = asyncio.ensure_future(d.shell.run())
        d.send("diagnose sniffer packet any none 4\n")
        await d.wait_for(r"ESP\(spi")
        d.send("")  # the client went away
        await asyncio.wait_for(task, 5)
        assert d.shell.closed and d.shell.debug.sniffer is None
        return d.text

    text = asyncio.run(go())
    assert text.rstrip().endswith("0 packets dropped by kernel")


# -- over SSH -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(lab_data(), tmp_path_factory.mktemp("sniff")) as running:
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


def test_sniffer_over_ssh_ctrl_c_count_and_other_sessions_not_blocked(sim: RunningLab) -> None:
    port = sim.hosts["A"]["ansible_port"]

    async def go() -> tuple[str, str, float]:
        async with asyncssh.connect("127.0.0.1", port=port, username="admin", password="sim-pass",
                                    known_hosts=None) as conn, \
                asyncssh.connect("127.0.0.1", port=port, username="admin", password="sim-pass",
                                 known_hosts=None) as other:
            process = await conn.create_process(term_type="vt100")
            await _read_until(process, r"A # $")
            process.stdin.write("diagnose sniffer packet any 'host 198.51.100.2' 4\r")
            first = await _read_until(process, r"(?s)(?:ESP\(spi=.*?){4}\r\n")
            stats = sim.wait_stats(lambda s: s["A"]["debug_enabled"], timeout=5)
            assert stats["A"]["debug_enabled"]
            started = time.monotonic()
            status = await other.run("get system status", check=False)  # not blocked by the sniffer
            elapsed = time.monotonic() - started
            process.stdin.write("\x03")
            stopped = first + await _read_until(process, r"packets dropped by kernel\r\nA # $")
            process.stdin.write("diagnose sniffer packet port1 'esp' 4 3\r")
            counted = await _read_until(process, r"3 packets received by filter\r\n0 packets dropped by kernel\r\nA # $")
            process.stdin.write("exit\r")
            await process.wait_closed()
            assert "Hostname: A" in status.stdout
            return stopped, counted, elapsed

    stopped, counted, elapsed = asyncio.run(go())
    assert elapsed < 2.0
    result = parse_sniffer(stopped.replace("\r\n", "\n"))
    assert result["received"] == len(result["packets"]) >= 4
    codes = {v["code"] for v in result["verdicts"]}
    assert "esp_both_ways" in codes and "ike_exchanged" in codes  # vpn is up, psk keeps failing
    assert len(parse_sniffer(counted.replace("\r\n", "\n"))["packets"]) == 3
    sim.wait_stats(lambda s: not s["A"]["debug_enabled"], timeout=5)


def test_flow_filter_and_trace_show_in_the_stats(sim: RunningLab) -> None:
    port = sim.hosts["B"]["ansible_port"]

    async def run(commands: str) -> str:
        async with asyncssh.connect("127.0.0.1", port=port, username="admin", password="sim-pass",
                                    known_hosts=None) as conn:
            return (await conn.run(commands, check=False)).stdout

    assert asyncio.run(run("diagnose debug flow filter daddr 10.1.0.1\ndiagnose debug flow trace start 3")) == ""
    stats = sim.wait_stats(lambda s: s["B"]["debug_filters"] != {})
    assert stats["B"]["debug_filters"] == {"flow": {"daddr": "10.1.0.1"}}
    assert stats["B"]["debug_enabled"] is True  # an armed trace left behind counts as debug left on
    # The filter is device-wide: another session sees and clears it.
    assert "Host daddr: 10.1.0.1-10.1.0.1" in asyncio.run(run("diagnose debug flow filter"))
    asyncio.run(run("diagnose debug flow filter clear\ndiagnose debug flow trace stop"))
    sim.wait_stats(lambda s: s["B"]["debug_filters"] == {} and not s["B"]["debug_enabled"])
