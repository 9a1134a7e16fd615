"""Lab YAML -> state model, with one-line errors that name the offending key.

The schema is documented in tests/fortisim/README.md. Every mapping is read
through ``_Map`` so unknown keys and wrong types are reported with their full
path (``devices[2](HUB).version: ...``) instead of surfacing later as odd output.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from pathlib import Path
from typing import Any, Iterable, Optional, Union

import yaml

from fortisim import seed
from fortisim.model import (
    DATAPLANE_CAUSES,
    EXTERNAL_FAULTS,
    Admin,
    Device,
    DialupSpec,
    Interface,
    Lab,
    LabEnd,
    Phase1,
    Phase2,
    SessionFault,
    StaticTunnelSpec,
)
from fortisim.negotiate import derive
from fortisim.versions import Release


class LabError(ValueError):
    """A lab file problem; ``str()`` is one line naming the key."""


_MISSING: Any = object()

_ENCRYPTION = ("des", "3des", "aes128", "aes192", "aes256", "aes128gcm", "aes256gcm",
               "chacha20poly1305", "aria128", "aria192", "aria256", "seed")
_AEAD = ("aes128gcm", "aes256gcm", "chacha20poly1305")
_HASHES = ("md5", "sha1", "sha256", "sha384", "sha512")
_DH_GROUPS = (1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 27, 28, 29, 30, 31, 32)
_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,34}$")  # FortiOS allows 35 chars
_NAME_RE = re.compile(r"^[^\s\"']{1,15}$")  # phase1/phase2 names: 15 chars, no spaces/quotes

_PHASE1_KEYS = {"ike_version", "mode", "proposal", "dhgrp", "psksecret", "peerid", "localid",
                "dpd", "nattraversal", "keylife", "net_device", "type", "add_route", "npu_offload"}
_PHASE2_KEYS = {"name", "src_subnet", "dst_subnet", "proposal", "pfs", "dhgrp",
                "keylifeseconds", "auto_negotiate"}
_END_KEYS = {"device", "vdom", "name", "interface", "local_gw", "phase1", "phase2",
             "behind_nat", "nat_port", "policy", "route"}
_EXTERNAL_KEYS = {"external", "state", "fault", "behind_nat", "nat_port"}


class _Map:
    """Typed, path-aware access to one YAML mapping."""

    def __init__(self, data: Any, path: str, allowed: Iterable[str]) -> None:
        if not isinstance(data, dict):
            raise LabError(f"{path}: expected a mapping, got {_kind(data)}")
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                raise LabError(f"{path}.{key}: unknown key (expected one of: {', '.join(sorted(allowed))})")
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is _MISSING:
            raise LabError(f"{self.at(key)}: required key is missing")
        return default

    def str(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise LabError(f"{self.at(key)}: expected a string, got {_kind(value)}")
        return str(value)

    def int(self, key: str, default: Any = _MISSING, low: int = 0, high: int = 10**9) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise LabError(f"{self.at(key)}: expected an integer, got {_kind(value)}")
        if not low <= value <= high:
            raise LabError(f"{self.at(key)}: {value} is out of range {low}-{high}")
        return value

    def choice(self, key: str, choices: Iterable[Any], default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        choices = tuple(choices)
        # YAML reads enable/disable-style flags as booleans when unquoted.
        if isinstance(value, bool) and "enable" in choices:
            value = "enable" if value else "disable"
        if value not in choices:
            raise LabError(f"{self.at(key)}: {value!r} is not one of {', '.join(map(str, choices))}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise LabError(f"{self.at(key)}: expected true or false, got {_kind(value)}")
        return value

    def ip(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        try:
            return ipaddress.IPv4Address(str(value))
        except ValueError:
            raise LabError(f"{self.at(key)}: {value!r} is not an IPv4 address") from None

    def words(self, key: str, default: Any = _MISSING) -> list[Any]:
        """A list, or a FortiOS-style space-separated string, or a single scalar."""
        value = self.raw(key, default)
        if isinstance(value, str):
            value = value.split()
        elif not isinstance(value, list):
            value = [value]
        if not value:
            raise LabError(f"{self.at(key)}: must not be empty")
        return list(value)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


# -- phase 1 / phase 2 --------------------------------------------------------

def _proposals(m: _Map, key: str, default: list[str], phase: int) -> list[str]:
    values = [str(v) for v in m.words(key, default)]
    for prop in values:
        enc, auth = (prop.split("-", 1) + [""])[:2]
        ok_auth = auth in _HASHES or (phase == 1 and auth.removeprefix("prf") in _HASHES)
        if phase == 2:
            ok = (prop in _AEAD) or (enc in _ENCRYPTION + ("null",) and (auth in _HASHES or auth == "null")
                                     and not (enc == "null" and auth == "null"))
        else:
            ok = enc in _ENCRYPTION and ok_auth
        if not ok:
            raise LabError(f"{m.at(key)}: {prop!r} is not a valid phase{phase} proposal (like aes256-sha256)")
    return values


def _dhgroups(m: _Map, key: str, default: list[int]) -> list[int]:
    groups = m.words(key, default)
    out = []
    for group in groups:
        try:
            number = int(group)
        except (TypeError, ValueError):
            number = -1
        if number not in _DH_GROUPS:
            raise LabError(f"{m.at(key)}: {group!r} is not a DH group ({' '.join(map(str, _DH_GROUPS))})")
        out.append(number)
    return out


def _phase1(data: Any, path: str, base: Phase1) -> Phase1:
    m = _Map(data, path, _PHASE1_KEYS)
    p1 = copy.deepcopy(base)
    p1.ike_version = m.choice("ike_version", (1, 2), p1.ike_version)
    p1.mode = m.choice("mode", ("main", "aggressive"), p1.mode)
    p1.proposal = _proposals(m, "proposal", p1.proposal, 1)
    p1.dhgrp = _dhgroups(m, "dhgrp", p1.dhgrp)
    p1.psksecret = m.str("psksecret", p1.psksecret)
    p1.peerid = m.str("peerid", p1.peerid)
    p1.localid = m.str("localid", p1.localid)
    p1.dpd = m.choice("dpd", ("on-idle", "on-demand", "disable"), p1.dpd)
    p1.nattraversal = m.choice("nattraversal", ("enable", "disable", "forced"), p1.nattraversal)
    p1.keylife = m.int("keylife", p1.keylife, 120, 172800)
    p1.net_device = m.choice("net_device", ("enable", "disable"), p1.net_device)
    p1.type = m.choice("type", ("static", "dynamic"), p1.type)
    p1.add_route = m.choice("add_route", ("enable", "disable"), p1.add_route)
    p1.npu_offload = m.choice("npu_offload", ("enable", "disable"), p1.npu_offload)
    return p1


def _subnet(m: _Map, key: str) -> ipaddress.IPv4Network:
    value = m.str(key, "0.0.0.0/0")
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise LabError(f"{m.at(key)}: {value!r} is not an IPv4 subnet like 10.1.0.0/24") from None


def _phase2_list(data: Any, path: str, default_name: str, mirror: bool) -> list[Phase2]:
    """``mirror`` swaps src/dst: shared phase2 lists are written from end a's (or the hub's) side."""
    if not isinstance(data, list) or not data:
        raise LabError(f"{path}: expected a non-empty list of phase2 entries")
    out = []
    for i, entry in enumerate(data):
        m = _Map(entry, f"{path}[{i}]", _PHASE2_KEYS)
        name = m.str("name", default_name if i == 0 else f"{default_name}_{i}")
        if not _NAME_RE.match(name):
            raise LabError(f"{m.at('name')}: {name!r} must be 1-15 characters without spaces or quotes")
        src, dst = _subnet(m, "src_subnet"), _subnet(m, "dst_subnet")
        if mirror:
            src, dst = dst, src
        out.append(Phase2(
            name=name, src_subnet=src, dst_subnet=dst,
            proposal=_proposals(m, "proposal", ["aes256-sha256"], 2),
            pfs=m.choice("pfs", ("enable", "disable"), "enable"),
            dhgrp=_dhgroups(m, "dhgrp", [14]),
            keylifeseconds=m.int("keylifeseconds", 43200, 120, 172800),
            auto_negotiate=m.choice("auto_negotiate", ("enable", "disable"), "disable"),
        ))
    return out


# -- devices ------------------------------------------------------------------

def _derived_serial(model: str, hostname: str) -> str:
    """16 characters like a real serial: model prefix, two letters, eight digits."""
    code = model.split("-", 1)[-1].upper()
    digits = re.match(r"\d+", code)
    prefix = ("FGT" if digits and int(digits.group()) < 100 else "FG") + code
    return prefix[:6].ljust(6, "0") + "TK" + f"{seed.int_between(0, 10**8 - 1, 'serial', hostname):08d}"


def _interfaces(m: _Map, index: int) -> dict[str, Interface]:
    raw = m.raw("interfaces", None)
    if raw is None:
        # One WAN port with an address from 100.64.0.0/10, unique per device.
        ip = ipaddress.IPv4Address("100.64.0.0") + index + 1
        return {"port1": Interface("port1", ip, 10, 3)}
    if not isinstance(raw, dict) or not raw:
        raise LabError(f"{m.at('interfaces')}: expected a mapping of interface name to address")
    out = {}
    for pos, (name, addr) in enumerate(raw.items()):
        try:
            iface = ipaddress.IPv4Interface(str(addr) if "/" in str(addr) else f"{addr}/24")
        except ValueError:
            raise LabError(f"{m.at('interfaces')}.{name}: {addr!r} is not an address like 10.0.0.1/24") from None
        # ifindex: real boxes number ports from a small offset; 3 keeps it plausible.
        out[str(name)] = Interface(str(name), iface.ip, iface.network.prefixlen, pos + 3)
    return out


def _device(data: Any, index: int, defaults: _Map) -> Device:
    m = _Map(data, f"devices[{index}]", {
        "hostname", "model", "version", "serial", "vdom_mode", "vdoms", "console_output",
        "username", "password", "admins", "disclaimer", "latency_ms", "negotiation_ms", "ha_mode",
        "interfaces", "sniffer_period_ms", "session_faults"})
    hostname = m.str("hostname")
    if not _HOSTNAME_RE.match(hostname):
        raise LabError(f"{m.at('hostname')}: {hostname!r} is not a valid hostname (1-35 of A-Z a-z 0-9 _ . -)")
    m.path = f"devices[{index}]({hostname})"
    version = m.raw("version", defaults.raw("version", "7.2.8"))
    if not isinstance(version, str):
        raise LabError(f"{m.at('version')}: write the version as a quoted string like '7.2.8', got {version!r}")
    try:
        release = Release.parse(version)
    except ValueError as exc:
        raise LabError(f"{m.at('version')}: {exc}") from None
    model = m.str("model", defaults.raw("model", "FortiGate-60F"))
    vdom_mode = m.choice("vdom_mode", ("disable", "multiple"), "disable")
    vdoms = [str(v) for v in m.words("vdoms", ["root"])]
    if "root" not in vdoms:
        raise LabError(f"{m.at('vdoms')}: must include root")
    if len(set(vdoms)) != len(vdoms):
        raise LabError(f"{m.at('vdoms')}: duplicate VDOM name")
    if vdom_mode == "disable" and vdoms != ["root"]:
        raise LabError(f"{m.at('vdoms')}: extra VDOMs need vdom_mode: multiple")
    admins = [Admin(m.str("username", defaults.raw("username", "admin")),
                    m.str("password", defaults.raw("password", "fortisim")))]
    for i, entry in enumerate(m.raw("admins", [])):
        am = _Map(entry, f"{m.at('admins')}[{i}]", {"username", "password", "vdom"})
        vdom = am.str("vdom", None)
        if vdom is not None and vdom not in vdoms:
            raise LabError(f"{am.at('vdom')}: {vdom!r} is not one of this device's vdoms")
        if vdom is not None and vdom_mode != "multiple":
            raise LabError(f"{am.at('vdom')}: VDOM-scoped admins need vdom_mode: multiple")
        admins.append(Admin(am.str("username"), am.str("password"), vdom))
    names = [a.username for a in admins]
    if len(set(names)) != len(names):
        raise LabError(f"{m.at('admins')}: duplicate username")
    faults = _session_faults(m)
    disclaimer = m.str("disclaimer", None)
    for fault in faults:
        if fault.kind == "disclaimer":
            disclaimer = fault.text or disclaimer or "This system is for authorised use only."
    return Device(
        hostname=hostname,
        model=model,
        release=release,
        serial=m.str("serial", None) or _derived_serial(model, hostname),
        vdom_mode=vdom_mode,
        vdoms=vdoms,
        console_output=m.choice("console_output", ("standard", "more"),
                                defaults.raw("console_output", "standard")),
        admins=admins,
        disclaimer=disclaimer,
        session_faults=faults,
        latency_ms=m.int("latency_ms", defaults.raw("latency_ms", 0), 0, 60000),
        negotiation_ms=m.int("negotiation_ms", defaults.int("negotiation_ms", 0, 0, 60000), 0, 60000),
        sniffer_period_ms=m.int("sniffer_period_ms", defaults.int("sniffer_period_ms", 1000, 10, 60000), 10, 60000),
        ha_mode=m.choice("ha_mode", ("standalone", "a-p", "a-a"), defaults.raw("ha_mode", "standalone")),
        interfaces=_interfaces(m, index),
    )


# Keys each session fault kind takes beside ``kind`` (see the README, "Session faults").
_FAULT_KEYS: dict[str, set[str]] = {
    "drop": {"command", "times", "after_bytes"},
    "stall": {"command", "times", "after_bytes"},
    "slow": {"command", "times", "delay_ms", "chunk_bytes"},
    "garbage": {"command", "times"},
    "huge": {"command", "times", "size_bytes"},
    "paging": {"command", "times"},
    "prompt_change": {"command", "times", "hostname"},
    "cli_error": {"command", "times", "code"},
    "auth_failure": {"times"},
    "host_key_change": set(),
    "disclaimer": {"text"},
}


def _session_faults(m: _Map) -> list[SessionFault]:
    raw = m.raw("session_faults", [])
    if not isinstance(raw, list):
        raise LabError(f"{m.at('session_faults')}: expected a list of faults like "
                       f"{{kind: drop, command: 'tunnel list'}}, got {_kind(raw)}")
    out = []
    for i, entry in enumerate(raw):
        path = f"{m.at('session_faults')}[{i}]"
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in _FAULT_KEYS:
            if not isinstance(entry, dict):
                raise LabError(f"{path}: expected a mapping, got {_kind(entry)}")
            raise LabError(f"{path}.kind: {kind!r} is not one of {', '.join(_FAULT_KEYS)}")
        fm = _Map(entry, f"{path}({kind})", {"kind"} | _FAULT_KEYS[kind])
        fault = SessionFault(kind=kind, times=fm.int("times", 1, 0, 10**6))
        command = fm.str("command", None)
        if command is not None:
            try:
                re.compile(command)
            except re.error as exc:
                raise LabError(f"{fm.at('command')}: {command!r} is not a valid regular expression: {exc}") from None
        fault.command = command
        fault.after_bytes = fm.int("after_bytes", None, 0, 10**9)
        fault.delay_ms = fm.int("delay_ms", fault.delay_ms, 1, 60000)
        fault.chunk_bytes = fm.int("chunk_bytes", fault.chunk_bytes, 1, 1 << 20)
        fault.size_bytes = fm.int("size_bytes", fault.size_bytes, 1, 100_000_000)
        code = fm.raw("code", fault.code)
        if isinstance(code, bool) or not isinstance(code, int) or code >= 0:
            raise LabError(f"{fm.at('code')}: expected a negative return code like -61, got {code!r}")
        fault.code = code
        hostname = fm.str("hostname", None)
        if hostname is not None and not _HOSTNAME_RE.match(hostname):
            raise LabError(f"{fm.at('hostname')}: {hostname!r} is not a valid hostname (1-35 of A-Z a-z 0-9 _ . -)")
        fault.hostname = hostname
        fault.text = fm.str("text", None)
        out.append(fault)
    return out


# -- tunnel ends --------------------------------------------------------------

class _Ends:
    """Reads tunnel ends against the device table."""

    def __init__(self, devices: dict[str, Device]) -> None:
        self.devices = devices
        self.names: set[tuple[str, str, str]] = set()  # (device, vdom, name) already used

    def read(self, data: Any, path: str, *, name: str, phase1: Phase1, phase2: Optional[list[Any]],
             p2_path: str, mirror: bool, p1_type: str) -> LabEnd:
        if isinstance(data, dict) and "external" in data:
            return self._external(data, path)
        m = _Map(data, path, _END_KEYS)
        host = m.str("device")
        device = self.devices.get(host)
        if device is None:
            raise LabError(f"{m.at('device')}: {host!r} is not a device of this lab")
        vdom = m.str("vdom", "root")
        if vdom not in device.vdoms:
            raise LabError(f"{m.at('vdom')}: {vdom!r} is not a VDOM of {host} ({', '.join(device.vdoms)})")
        end_name = m.str("name", name)
        if not _NAME_RE.match(end_name):
            raise LabError(f"{m.at('name')}: {end_name!r} must be 1-15 characters without spaces or quotes")
        if (host, vdom, end_name) in self.names:
            raise LabError(f"{m.at('name')}: {host}/{vdom} already has a tunnel named {end_name!r}")
        self.names.add((host, vdom, end_name))
        interface = m.str("interface", next(iter(device.interfaces)))
        if interface not in device.interfaces:
            raise LabError(f"{m.at('interface')}: {host} has no interface {interface!r}")
        p1 = _phase1(m.raw("phase1", {}), m.at("phase1"), phase1)
        if p1.type != p1_type:
            hint = " (dial-up hubs go under dialup:)" if p1_type == "static" else ""
            raise LabError(f"{m.at('phase1')}.type: must be {p1_type} here{hint}")
        if m.has("phase2"):
            p2 = _phase2_list(m.raw("phase2"), m.at("phase2"), end_name, mirror=False)
        else:
            p2 = _phase2_list(phase2 or [{}], p2_path, end_name, mirror=mirror)
        return LabEnd(label=path, device=host, vdom=vdom, name=end_name, interface=interface,
                      local_gw=m.ip("local_gw", None), phase1=p1, phase2=p2,
                      behind_nat=m.boolean("behind_nat", False),
                      nat_port=m.int("nat_port", None, 1024, 65535),
                      policy=m.choice("policy", ("ok", "missing", "nat"), "ok"),
                      route=m.choice("route", ("ok", "missing", "wrong_interface"), "ok"))

    @staticmethod
    def _external(data: dict[str, Any], path: str) -> LabEnd:
        m = _Map(data, path, _EXTERNAL_KEYS)
        state = m.choice("state", ("up", "down"), "up")
        fault = m.str("fault", None)
        if fault is not None and fault not in EXTERNAL_FAULTS:
            raise LabError(f"{m.at('fault')}: {fault!r} is not one of {', '.join(EXTERNAL_FAULTS)}")
        if fault is not None and state == "up":
            raise LabError(f"{m.at('fault')}: a fault needs state: down")
        return LabEnd(label=path, external=m.ip("external"), state=state, fault=fault,
                      behind_nat=m.boolean("behind_nat", False),
                      nat_port=m.int("nat_port", None, 1024, 65535))


def _shared(m: _Map) -> tuple[Phase1, Optional[list[Any]]]:
    p1 = _phase1(m.raw("phase1", {}), m.at("phase1"), Phase1())
    p2 = m.raw("phase2", None)
    if p2 is not None and (not isinstance(p2, list) or not p2):
        raise LabError(f"{m.at('phase2')}: expected a non-empty list of phase2 entries")
    return p1, p2


def _expected_cause(m: _Map) -> Optional[str]:
    cause = m.str("expected_cause", None)
    if cause is not None and cause != "none" and cause not in EXTERNAL_FAULTS + DATAPLANE_CAUSES:
        raise LabError(f"{m.at('expected_cause')}: {cause!r} is not none or one of "
                       f"{', '.join(EXTERNAL_FAULTS + DATAPLANE_CAUSES)}")
    return cause


def _path(m: _Map) -> bool:
    pm = _Map(m.raw("path", {}), m.at("path"), {"esp_blocked"})
    return pm.boolean("esp_blocked", False)


def _static_tunnel(data: Any, index: int, ends: _Ends) -> StaticTunnelSpec:
    m = _Map(data, f"tunnels[{index}]", {"name", "phase1", "phase2", "a", "b", "path", "traffic", "expected_cause"})
    name = m.str("name")
    m.path = f"tunnels[{index}]({name})"
    p1, p2 = _shared(m)
    raw_a, raw_b = m.raw("a"), m.raw("b")
    a_ext = isinstance(raw_a, dict) and "external" in raw_a
    b_ext = isinstance(raw_b, dict) and "external" in raw_b
    if a_ext and b_ext:
        raise LabError(f"{m.path}: at least one end must be a lab device")
    common = dict(name=name, phase1=p1, phase2=p2, p2_path=m.at("phase2"), p1_type="static")
    if a_ext:  # keep the lab device as end a; shared phase2 stays written from a's side
        a = ends.read(raw_b, m.at("b"), mirror=True, **common)  # type: ignore[arg-type]
        b = ends.read(raw_a, m.at("a"), mirror=False, **common)  # type: ignore[arg-type]
    else:
        a = ends.read(raw_a, m.at("a"), mirror=False, **common)  # type: ignore[arg-type]
        b = ends.read(raw_b, m.at("b"), mirror=True, **common)  # type: ignore[arg-type]
    return StaticTunnelSpec(name, a, b, _path(m), _expected_cause(m),
                            idle=m.choice("traffic", ("flowing", "idle"), "flowing") == "idle")


def _dialup(data: Any, index: int, ends: _Ends) -> DialupSpec:
    m = _Map(data, f"dialup[{index}]", {"name", "phase1", "phase2", "hub", "spokes", "expected_cause"})
    name = m.str("name")
    m.path = f"dialup[{index}]({name})"
    p1, p2 = _shared(m)
    hub_raw = m.raw("hub")
    if isinstance(hub_raw, dict) and "external" in hub_raw:
        raise LabError(f"{m.at('hub')}: the hub must be a lab device")
    hub_p1 = copy.deepcopy(p1)
    hub_p1.type = "dynamic"
    hub = ends.read(hub_raw, m.at("hub"), name=name, phase1=hub_p1, phase2=p2,
                    p2_path=m.at("phase2"), mirror=False, p1_type="dynamic")
    spokes_raw = m.raw("spokes")
    if not isinstance(spokes_raw, list) or not spokes_raw:
        raise LabError(f"{m.at('spokes')}: expected a non-empty list of spokes")
    spokes = [ends.read(s, f"{m.at('spokes')}[{i}]", name=name, phase1=p1, phase2=p2,
                        p2_path=m.at("phase2"), mirror=True, p1_type="static")
              for i, s in enumerate(spokes_raw)]
    return DialupSpec(name, hub, spokes, _expected_cause(m))


def _list(top: _Map, key: str) -> list[Any]:
    value = top.raw(key, [])
    if not isinstance(value, list):
        raise LabError(f"{key}: expected a list, got {_kind(value)}")
    return value


def parse_lab(data: Any) -> Lab:
    """Build and derive a Lab from already-loaded YAML data."""
    top = _Map(data if data is not None else {}, "", {"description", "defaults", "devices", "tunnels", "dialup"})
    defaults = _Map(top.raw("defaults", {}), "defaults",
                    {"username", "password", "version", "console_output", "latency_ms", "negotiation_ms", "model",
                     "ha_mode", "sniffer_period_ms"})
    devices: dict[str, Device] = {}
    device_list = _list(top, "devices")
    if not device_list:
        raise LabError("devices: the lab needs at least one device")
    for i, entry in enumerate(device_list):
        device = _device(entry, i, defaults)
        if device.hostname in devices:
            raise LabError(f"devices[{i}].hostname: duplicate hostname {device.hostname!r}")
        devices[device.hostname] = device
    ends = _Ends(devices)
    lab = Lab(devices=devices)
    lab.static_tunnels = [_static_tunnel(t, i, ends) for i, t in enumerate(_list(top, "tunnels"))]
    lab.dialups = [_dialup(d, i, ends) for i, d in enumerate(_list(top, "dialup"))]
    return derive(lab)


def load_lab(source: Union[str, Path]) -> Lab:
    """Read a lab file; raise LabError (one line) for any problem with it."""
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabError(f"cannot read the file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise LabError(f"invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_lab(data)
