# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fuzzing every module's parameters without a device.

Each module's `main()` runs with its arguments from `patch_module_args` (ansible-core 2.19),
`fail_json`/`exit_json` turned into exceptions, and a connection whose every use raises
`DeviceTouched`. Bad types and bad combinations must fail with one line that names the
parameter, before the connection is used; valid combinations must get as far as the device.
"""
from __future__ import annotations

import importlib
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils import client as client_mod
from ansible_collections.fortidiag.ipsec.plugins.module_utils.debug_commands import IKE_CATEGORIES
from ansible_collections.fortidiag.ipsec.plugins.module_utils.facts import SUBSET_CHOICES
from ansible_collections.fortidiag.ipsec.plugins.module_utils.phase1_settings import SETTINGS

MODULES = ("vpn_facts", "command", "tunnel", "ike_gateway_clear", "phase1_interface", "ike_debug", "debug_flow", "sniffer")
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


class DeviceTouched(BaseException):
    """The module used the connection (BaseException: no `except Exception` in a module swallows it)."""


class Failed(BaseException):
    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class Exited(BaseException):
    pass


class SpecCaptured(BaseException):
    pass


class _NoDevice:
    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path

    def __getattr__(self, name: str) -> Any:
        raise DeviceTouched(name)


def _fail(self: Any, msg: str = "", **kwargs: Any) -> None:
    raise Failed(msg)


def _exit(self: Any, **kwargs: Any) -> None:
    raise Exited()


def main_of(name: str) -> Any:
    return importlib.import_module("ansible_collections.fortidiag.ipsec.plugins.modules.%s" % name).main


def run(name: str, args: Dict[str, Any], check_mode: bool = False) -> Tuple[str, Optional[str]]:
    """('failed', msg), ('device', None) or ('exited', None)."""
    args = dict(args, _ansible_socket="/nonexistent/fortidiag-fuzz.sock", _ansible_check_mode=check_mode)
    with patch_module_args(args), mock.patch.object(basic.AnsibleModule, "fail_json", _fail), \
            mock.patch.object(basic.AnsibleModule, "exit_json", _exit), mock.patch.object(client_mod, "Connection", _NoDevice):
        try:
            main_of(name)()
        except Failed as exc:
            return "failed", exc.msg
        except DeviceTouched:
            return "device", None
        except Exited:
            return "exited", None
    raise AssertionError("%s.main() returned without exit_json or fail_json" % name)


def spec_of(name: str) -> Dict[str, Any]:
    """The AnsibleModule(...) keyword arguments main() builds (argument_spec, required_if, ...)."""
    captured: Dict[str, Any] = {}

    def capture(self: Any, **kwargs: Any) -> None:
        captured.update(kwargs)
        raise SpecCaptured()

    with patch_module_args({}), mock.patch.object(basic.AnsibleModule, "__init__", capture):
        with pytest.raises(SpecCaptured):
            main_of(name)()
    return captured


SPECS = {name: spec_of(name) for name in MODULES}


def assert_rejected(outcome: Tuple[str, Optional[str]], *names: str) -> None:
    kind, msg = outcome
    assert kind == "failed", "accepted (%s) instead of rejected; expected a message naming %s" % (kind, names)
    assert msg and "\n" not in msg and "Traceback" not in msg, msg
    assert any(n in msg for n in names), "message does not name %s: %s" % (names, msg)


# -- valid arguments, per module -------------------------------------------------------------
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,14}", fullmatch=True)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
ports = st.integers(min_value=1, max_value=65535)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def drop_none(draw_dict: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in draw_dict.items() if v is not None}


@st.composite
def valid_vpn_facts(draw: Any) -> Dict[str, Any]:
    set_facts = draw(st.booleans())
    return drop_none(dict(
        gather_subset=draw(optional(st.lists(st.sampled_from(SUBSET_CHOICES + ["!" + s for s in SUBSET_CHOICES if s != "all"]),
                                             min_size=1, max_size=4))),
        tunnels=draw(optional(st.lists(names, max_size=3))), vdom=draw(optional(st.lists(names, min_size=1, max_size=2))),
        include_keys=draw(optional(st.booleans())), set_facts=set_facts,
        result_format=draw(st.sampled_from(["data", "json"] if not set_facts else ["data"]))))


READ_ONLY = ["get system status", "diagnose vpn tunnel list", "get vpn ipsec tunnel summary", "diag vpn ike gateway list",
             "show vpn ipsec phase1-interface", "get router info routing-table all"]


@st.composite
def valid_command(draw: Any) -> Dict[str, Any]:
    vdom = draw(optional(names))
    return drop_none(dict(commands=draw(st.lists(st.sampled_from(READ_ONLY), min_size=1, max_size=3)), vdom=vdom,
                          scope=draw(st.sampled_from(["vdom"] if vdom else ["vdom", "global"])),
                          parse=draw(optional(st.booleans())), include_keys=draw(optional(st.booleans())),
                          check_errors=draw(optional(st.booleans())), allow_changes=draw(optional(st.booleans()))))


@st.composite
def valid_tunnel(draw: Any) -> Dict[str, Any]:
    state = draw(st.sampled_from(["up", "down", "flushed"]))
    return drop_none(dict(name=draw(names), state=state, phase2=draw(optional(names)) if state != "flushed" else None,
                          vdom=draw(optional(names)), wait=draw(optional(st.integers(min_value=0, max_value=600)))))


@st.composite
def valid_ike_gateway_clear(draw: Any) -> Dict[str, Any]:
    if draw(st.booleans()):
        return drop_none(dict(name=draw(names), vdom=draw(optional(names)), wait=draw(optional(st.integers(0, 600))),
                              all_gateways=draw(st.sampled_from([None, False])),
                              confirm_all_vdoms=draw(optional(st.booleans()))))
    return drop_none(dict(all_gateways=True, confirm_all_vdoms=True, vdom=draw(optional(names)), wait=draw(st.sampled_from([None, 0]))))


@st.composite
def valid_phase1_interface(draw: Any) -> Dict[str, Any]:
    args = dict(name=draw(names), vdom=draw(optional(names)), renegotiate=draw(optional(st.booleans())),
                wait=draw(optional(st.integers(0, 600))))
    for setting in SETTINGS:
        args[setting.option] = draw(optional(st.sampled_from(list(setting.choices))))
    return drop_none(args)


@st.composite
def ike_filters(draw: Any) -> Dict[str, Any]:
    filters = drop_none(dict(
        name=draw(optional(names)), rem_addr4=draw(optional(st.lists(ipv4, min_size=1, max_size=2))),
        loc_addr4=draw(optional(st.lists(ipv4, min_size=1, max_size=2))), rem_addr6=draw(optional(st.lists(ipv6, min_size=1, max_size=2))),
        dst_port=draw(optional(ports)), interface=draw(optional(names)), vd=draw(optional(st.integers(-1, 255)))))
    if filters:
        filters["negate"] = draw(st.lists(st.sampled_from(sorted(filters)), max_size=2, unique=True))
    return filters


FINDINGS = ["phase1_proposal_mismatch", "psk_mismatch", "established", "negotiation_failure", "any"]


@st.composite
def valid_ike_debug(draw: Any) -> Dict[str, Any]:
    trigger = draw(st.sampled_from([None, "none", "up", "flush", "clear"]))
    return drop_none(dict(
        tunnel=draw(names) if trigger not in (None, "none") else draw(optional(names)), trigger=trigger, vdom=draw(optional(names)),
        categories=draw(optional(st.one_of(st.just(["all"]), st.lists(st.sampled_from(sorted(IKE_CATEGORIES)), min_size=1, max_size=3)))),
        filters=draw(optional(ike_filters())), timestamps=draw(optional(st.booleans())), duration=draw(optional(st.integers(1, 3600))),
        until=draw(optional(st.lists(st.sampled_from(FINDINGS), max_size=2))), until_regex=draw(st.sampled_from([None, "established", r"SA \d+"])),
        max_lines=draw(optional(st.integers(1, 100000))), include_keys=draw(optional(st.booleans()))))


@st.composite
def flow_filters(draw: Any) -> Dict[str, Any]:
    filters = drop_none(dict(addr=draw(optional(ipv4)), saddr=draw(optional(ipv4)), daddr=draw(optional(ipv4)),
                             proto=draw(optional(st.integers(0, 255))), port=draw(optional(st.integers(0, 65535))),
                             sport=draw(optional(st.integers(0, 65535))), dport=draw(optional(st.integers(0, 65535)))))
    if filters:
        filters["negate"] = draw(st.lists(st.sampled_from(sorted(filters)), max_size=2, unique=True))
    return filters


@st.composite
def valid_debug_flow(draw: Any) -> Dict[str, Any]:
    probe = drop_none(dict(destination=draw(ipv4), source=draw(optional(ipv4)), count=draw(optional(st.integers(1, 100)))))
    return drop_none(dict(vdom=draw(optional(names)), filters=draw(optional(flow_filters())), count=draw(optional(st.integers(1, 10000))),
                          duration=draw(optional(st.integers(1, 600))), function_name=draw(optional(st.booleans())),
                          timestamps=draw(optional(st.booleans())), probe=probe if draw(st.booleans()) else None))


@st.composite
def valid_sniffer(draw: Any) -> Dict[str, Any]:
    raw = draw(st.booleans())
    return drop_none(dict(
        interface=draw(optional(st.one_of(st.just("any"), st.from_regex(r"[A-Za-z0-9_.:-]{1,35}", fullmatch=True)))),
        remote_gateway=None if raw else draw(optional(st.one_of(ipv4, ipv6))),
        filter=draw(st.sampled_from(["none", "udp port 500", "host 10.0.0.1 and esp", ""])) if raw else None,
        protocols=draw(optional(st.lists(st.sampled_from(["ike", "nat_t", "esp"]), min_size=1, max_size=3))),
        verbosity=draw(optional(st.integers(1, 6))), count=draw(optional(st.integers(0, 10000))),
        duration=draw(optional(st.integers(1, 600))), timestamps=draw(optional(st.sampled_from(["absolute", "local", "relative"]))),
        max_packets=draw(optional(st.integers(1, 100000))), vdom=draw(optional(names))))


VALID = {
    "vpn_facts": valid_vpn_facts(), "command": valid_command(), "tunnel": valid_tunnel(),
    "ike_gateway_clear": valid_ike_gateway_clear(), "phase1_interface": valid_phase1_interface(),
    "ike_debug": valid_ike_debug(), "debug_flow": valid_debug_flow(), "sniffer": valid_sniffer(),
}


def test_every_module_is_fuzzed() -> None:
    from pathlib import Path

    modules_dir = Path(importlib.import_module("ansible_collections.fortidiag.ipsec.plugins.modules").__path__[0])
    # report_files writes files on the controller and never talks to a device: its parameters are
    # fuzzed in tests/unit/plugins/module_utils/test_report_files.py.
    local = {"report_files"}
    assert {p.stem for p in modules_dir.glob("*.py") if p.stem != "__init__"} - local == set(MODULES) == set(VALID)


@FUZZ
@given(data=st.data(), name=st.sampled_from(MODULES), check_mode=st.booleans())
def test_valid_parameters_reach_the_device(data: Any, name: str, check_mode: bool) -> None:
    args = data.draw(VALID[name])
    kind, msg = run(name, args, check_mode)
    # Check mode may answer without the device (all_gateways, changing commands): not a rejection either.
    assert kind in ("device", "exited"), "valid %s arguments rejected: %s (%s)" % (name, msg, args)


# -- bad types, derived from the argument specs ------------------------------------------------
def _paths(spec: Dict[str, Any], prefix: Tuple[str, ...] = ()) -> List[Tuple[Tuple[str, ...], Dict[str, Any]]]:
    found = []
    for option, entry in spec.items():
        found.append((prefix + (option,), entry))
        if entry.get("options"):
            found += _paths(entry["options"], prefix + (option,))
    return found


PATHS = [(name, path, entry) for name in MODULES for path, entry in _paths(SPECS[name]["argument_spec"])]


def bad_values(entry: Dict[str, Any]) -> st.SearchStrategy:
    kind = entry.get("type", "str")
    choices = entry.get("choices")
    strategies = []
    if kind == "int":
        strategies.append(st.sampled_from(["abc", "", "1.5", "ten", [1], {"a": 1}, 1.5]))
    elif kind == "bool":
        strategies.append(st.sampled_from(["maybe", "2", "", [True], {"a": 1}, 2, 0.5]))
    elif kind == "list":
        strategies.append(st.sampled_from([{"a": 1}]))
    elif kind == "dict":
        strategies.append(st.sampled_from([[1], [], 5, True, 1.5, "abc", "not a dict"]))
    if choices:
        bogus = ["bogus", "ALL", "up "] if kind != "list" else [["bogus"], ["ike", "bogus"]]
        strategies.append(st.sampled_from(bogus).filter(lambda v: v not in choices))
    return st.one_of(strategies) if strategies else st.nothing()


FUZZABLE = [(name, path, entry) for name, path, entry in PATHS if not bad_values(entry).is_empty]


def put(args: Dict[str, Any], path: Tuple[str, ...], value: Any) -> Dict[str, Any]:
    args = dict(args)
    if len(path) == 1:
        args[path[0]] = value
    else:
        parent = args.get(path[0])
        args[path[0]] = put(parent if isinstance(parent, dict) else _required_of(path[0], args), path[1:], value)
    return args


def _required_of(option: str, args: Dict[str, Any]) -> Dict[str, Any]:
    # A dict option's required suboptions (probe.destination) so that only the fuzzed one is wrong.
    return {"destination": "10.0.0.1"} if option == "probe" else {}


@settings(FUZZ, max_examples=120)
@given(data=st.data(), target=st.sampled_from(FUZZABLE))
def test_bad_types_are_rejected_naming_the_parameter(data: Any, target: Tuple[str, Tuple[str, ...], Dict[str, Any]]) -> None:
    name, path, entry = target
    args = put(data.draw(VALID[name]), path, data.draw(bad_values(entry)))
    assert_rejected(run(name, args), path[-1])


@FUZZ
@given(data=st.data(), name=st.sampled_from(MODULES), extra=st.from_regex(r"[a-z_]{3,12}", fullmatch=True))
def test_unknown_parameters_are_rejected(data: Any, name: str, extra: str) -> None:
    assume(extra not in SPECS[name]["argument_spec"] and not extra.startswith("_"))
    assert_rejected(run(name, dict(data.draw(VALID[name]), **{extra: "x"})), extra)


@pytest.mark.parametrize("name", MODULES)
def test_missing_required_parameters_are_named(name: str) -> None:
    required = [option for option, entry in SPECS[name]["argument_spec"].items() if entry.get("required")]
    base = {"command": {"commands": ["get system status"]}, "tunnel": {"name": "t", "state": "up"},
            "phase1_interface": {"name": "t"}}.get(name, {})
    for option in required:
        assert_rejected(run(name, {k: v for k, v in base.items() if k != option}), option)


@FUZZ
@given(data=st.data(), target=st.sampled_from(PATHS))
def test_explicit_null_never_crashes(data: Any, target: Tuple[str, Tuple[str, ...], Dict[str, Any]]) -> None:
    # `option: null` (or `{{ omit }}` forgotten): a clear rejection naming it, or accepted like unset.
    name, path, entry = target
    kind, msg = run(name, put(data.draw(VALID[name]), path, None))
    if kind == "failed":
        assert msg and "\n" not in msg and path[-1] in msg, msg


# -- bad combinations and values: each module's own checks ----------------------------------------
def _set(**changes: Any) -> Any:
    """A mutation of valid arguments: None removes the option; dict values merge into a dict option."""
    def apply(args: Dict[str, Any]) -> Dict[str, Any]:
        args = dict(args)
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            elif isinstance(value, dict) and key in ("filters", "probe"):
                args[key] = dict(args.get(key) or ({"destination": "10.0.0.1"} if key == "probe" else {}), **value)
            else:
                args[key] = value
        return args
    return apply


not_ips = st.sampled_from(["not-an-ip", "10.0.0", "10.0.0.256", "", " ", "host 10.0.0.1", "10.0.0.1/24", "::g",
                           "10.0.0.1\nexecute reboot", "10.0.0.1\x00"])


def out_of(low: int, high: int) -> st.SearchStrategy:
    return st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1))


def negate_unset(option: str) -> Tuple[Any, Tuple[str, ...]]:
    """negate of an option that is not set (null: not set; bogus names are unknown suboptions)."""
    unset = {} if option in ("bogus", "x\ny") else {option: None}
    return _set(filters=dict({"negate": [option]}, **unset)), ("negate",)


# module -> strategies of (mutation, names one of which the message must contain)
BAD: Dict[str, List[st.SearchStrategy]] = {
    "vpn_facts": [
        st.builds(lambda s: (_set(gather_subset=[s]), ("gather_subset",)),
                  st.text(min_size=1, max_size=10).filter(lambda s: s.lstrip("!") not in SUBSET_CHOICES)),
        st.just((_set(set_facts=True, result_format="json"), ("result_format", "set_facts"))),
    ],
    "command": [
        st.just((_set(commands=[]), ("commands",))),
        st.builds(lambda v: (_set(vdom=v, scope="global"), ("vdom", "scope")), names),
        st.builds(lambda c: (_set(commands=["get system status", c], allow_changes=False), ("allow_changes",)),
                  st.sampled_from(["execute reboot", "diagnose vpn tunnel flush x", "config system global"])),
        st.builds(lambda c: (_set(commands=[c]), ("command",)),
                  st.sampled_from(["", "get system status\nexecute reboot", "get system status\r", "get system ?", "\x00"])),
    ],
    "tunnel": [
        st.builds(lambda w: (_set(wait=w), ("wait",)), st.integers(max_value=-1)),
        st.builds(lambda n: (_set(state="flushed", phase2=n), ("phase2",)), names),
    ],
    "ike_gateway_clear": [
        st.builds(lambda n: (_set(name=n, all_gateways=True, confirm_all_vdoms=True), ("name", "all_gateways")), names),
        st.just((_set(name=None, all_gateways=False), ("name",))),
        st.just((_set(name=None, all_gateways=True, confirm_all_vdoms=False), ("confirm_all_vdoms",))),
        st.builds(lambda w: (_set(wait=w), ("wait",)), st.integers(max_value=-1)),
        st.builds(lambda w: (_set(name=None, all_gateways=True, confirm_all_vdoms=True, wait=w), ("wait",)), st.integers(min_value=1)),
    ],
    "phase1_interface": [
        st.builds(lambda w: (_set(wait=w), ("wait",)), st.integers(max_value=-1)),
    ],
    "ike_debug": [
        st.builds(lambda d: (_set(duration=d), ("duration",)), out_of(1, 3600)),
        st.builds(lambda m: (_set(max_lines=m), ("max_lines",)), out_of(1, 100000)),
        st.builds(lambda u: (_set(until=["established", u]), ("until",)), st.text(min_size=1, max_size=12).filter(lambda u: u not in FINDINGS + [
            "phase2_proposal_mismatch", "peer_id_mismatch", "selector_mismatch", "no_matching_gateway", "peer_unreachable",
            "dpd_timeout", "nat_detected"])),
        st.builds(lambda r: (_set(until_regex=r), ("until_regex",)), st.sampled_from(["(", "[a-", "*x", "(?P<1>x)", "a{2,1}"])),
        st.builds(lambda c: (_set(categories=["errors", c]), ("categories",)), st.sampled_from(["bogus", "keyz", "1", "payloads", "errors\nconfig"])),
        st.builds(lambda t: (_set(trigger=t, tunnel=None), ("tunnel",)), st.sampled_from(["up", "flush", "clear"])),
        st.builds(lambda o, v: (_set(filters={o: [v]}), (o,)), st.sampled_from(["rem_addr4", "loc_addr4", "mdst_addr4"]),
                  st.one_of(not_ips, ipv6)),
        st.builds(lambda o, v: (_set(filters={o: [v]}), (o,)), st.sampled_from(["rem_addr6", "loc_addr6", "mdst_addr6"]),
                  st.one_of(not_ips, ipv4)),
        st.builds(lambda v: (_set(filters={"rem_addr4": v}), ("rem_addr4",)), st.lists(ipv4, min_size=3, max_size=4)),
        st.builds(lambda p: (_set(filters={"dst_port": p}), ("dst_port",)), out_of(1, 65535)),
        st.builds(negate_unset, st.sampled_from(["bogus", "dst_port", "vd", "interface", "x\ny"])),
        st.just((_set(filters={"mdst_addr4": ["10.0.0.1"], "mdst_addr6": ["2001:db8::1"]}), ("mdst_addr",))),
    ],
    "debug_flow": [
        st.builds(lambda d: (_set(duration=d), ("duration",)), out_of(1, 600)),
        st.builds(lambda c: (_set(count=c), ("count",)), out_of(1, 10000)),
        st.builds(lambda o, v: (_set(filters={o: v}), (o,)), st.sampled_from(["addr", "saddr", "daddr"]), st.one_of(not_ips.filter(bool), ipv6)),
        st.builds(lambda v: (_set(filters={"proto": v}), ("proto",)), out_of(0, 255)),
        st.builds(lambda o, v: (_set(filters={o: v}), (o,)), st.sampled_from(["port", "sport", "dport"]), out_of(0, 65535)),
        st.builds(negate_unset, st.sampled_from(["bogus", "proto", "daddr", "x\ny"])),
        st.builds(lambda v: (_set(probe={"destination": v}), ("probe.destination",)), st.one_of(not_ips, ipv6)),
        st.builds(lambda v: (_set(probe={"source": v}), ("probe.source",)), st.one_of(not_ips.filter(bool), ipv6)),
        st.builds(lambda c: (_set(probe={"count": c}), ("probe.count",)), out_of(1, 100)),
    ],
    "sniffer": [
        st.builds(lambda g: (_set(filter="none", remote_gateway=g), ("filter", "remote_gateway")), ipv4),
        st.builds(lambda d: (_set(duration=d), ("duration",)), out_of(1, 600)),
        st.builds(lambda m: (_set(max_packets=m), ("max_packets",)), out_of(1, 100000)),
        st.builds(lambda i: (_set(interface=i), ("interface",)), st.sampled_from(["", "port 1", "port1'", "a" * 36, "wan\n1", "x;y"])),
        st.builds(lambda v: (_set(verbosity=v), ("verbosity",)), out_of(1, 6)),
        st.builds(lambda c: (_set(count=c), ("count",)), st.integers(max_value=-1)),
        st.builds(lambda f: (_set(filter=f, remote_gateway=None), ("filter",)), st.sampled_from(["host 'x'", "udp\nport 500", "'"])),
        st.builds(lambda g: (_set(remote_gateway=g, filter=None), ("remote_gateway",)), not_ips.filter(bool)),
    ],
}


# A name goes into a CLI line: a control character would end the line (or rewrite it).
bad_names = st.one_of(
    st.sampled_from(["a\nb", "to-hq\nexecute factoryreset", "x\r", "\x00", "a\tb", "a\u2028b", "\x1b[2K", "  "]),
    st.tuples(names, st.characters(min_codepoint=0, max_codepoint=31), names).map("".join))
NAME_OPTIONS = {
    "vpn_facts": ["tunnels", "vdom"], "command": ["vdom"], "tunnel": ["name", "phase2", "vdom"],
    "ike_gateway_clear": ["name", "vdom"], "phase1_interface": ["name", "vdom"],
    "ike_debug": ["tunnel", "vdom", "filters.name", "filters.interface"], "debug_flow": ["vdom"], "sniffer": ["vdom"],
}


def _name_mutation(option: str, value: str) -> Tuple[Any, Tuple[str, ...]]:
    if option.startswith("filters."):
        return _set(filters={option.split(".")[1]: value}), (option,)
    return _set(**{option: value}), (option,)


def _name_strategy(module: str, options: List[str]) -> st.SearchStrategy:
    # vpn_facts takes lists of names: the bad name hides behind a good one.
    if module == "vpn_facts":
        return st.builds(lambda o, v: (_set(**{o: ["ok", v]}), (o,)), st.sampled_from(options), bad_names)
    return st.builds(_name_mutation, st.sampled_from(options), bad_names)


for _module, _options in NAME_OPTIONS.items():
    BAD[_module].append(_name_strategy(_module, _options))
BAD["tunnel"].append(st.just((_set(name=""), ("name",))))
BAD["phase1_interface"].append(st.just((_set(name=""), ("name",))))


def test_every_module_has_bad_combinations() -> None:
    assert set(BAD) == set(MODULES)


@settings(FUZZ, max_examples=150)
@given(data=st.data(), name=st.sampled_from(MODULES))
def test_bad_values_and_combinations_fail_before_the_device(data: Any, name: str) -> None:
    mutate, expected = data.draw(st.one_of(BAD[name]))
    args = mutate(data.draw(VALID[name]))
    assert_rejected(run(name, args), *expected)


# -- vpn_facts runs as an action plugin: same checks there -----------------------------------------
def run_action(args: Dict[str, Any]) -> Tuple[str, Optional[str]]:
    from types import SimpleNamespace

    from ansible.errors import AnsibleActionFail

    from ansible_collections.fortidiag.ipsec.plugins.action.vpn_facts import ActionModule

    task = SimpleNamespace(args=dict(args), async_val=0, check_mode=False, action="fortidiag.ipsec.vpn_facts")
    connection = SimpleNamespace(socket_path="/nonexistent/fortidiag-fuzz.sock", _shell=SimpleNamespace(tmpdir="/tmp"))
    action = ActionModule(task, connection, None, None, None)  # type: ignore[arg-type]
    action._load_name = "fortidiag.ipsec.vpn_facts"  # set by the plugin loader in a real run
    with mock.patch.object(client_mod, "Connection", _NoDevice):
        try:
            action.run(task_vars={})
        except AnsibleActionFail as exc:
            return "failed", exc.message
        except DeviceTouched:
            return "device", None
    return "exited", None


ACTION_PATHS = [(path, entry) for name, path, entry in FUZZABLE if name == "vpn_facts"]


@FUZZ
@given(data=st.data())
def test_vpn_facts_action_checks_like_the_module(data: Any) -> None:
    args = data.draw(VALID["vpn_facts"])
    choice = data.draw(st.sampled_from(["valid", "type", "combination"]))
    if choice == "valid":
        assert run_action(args) == ("device", None)
        return
    if choice == "type":
        path, entry = data.draw(st.sampled_from(ACTION_PATHS))
        args, expected = put(args, path, data.draw(bad_values(entry))), (path[-1],)
    else:
        mutate, expected = data.draw(st.one_of(BAD["vpn_facts"]))
        args = mutate(args)
    assert_rejected(run_action(args), *expected)
    assert_rejected(run("vpn_facts", args), *expected)
