"""``get system status`` and the console settings, per release train."""

from __future__ import annotations

from fortisim import seed
from fortisim.clock import Clock
from fortisim.model import Device


def _db(release: str, name: str, major: int) -> str:
    """A made-up signature-database version with a date, stable per release."""
    minor = seed.int_between(0, 99999, "db", release, name)
    day = seed.int_between(1, 28, "day", release, name)
    hour, minute = seed.int_between(0, 23, "h", release, name), seed.int_between(0, 59, "m", release, name)
    return f"{major}.{minor:05d}(2025-02-{day:02d} {hour:02d}:{minute:02d})"


def _ha_mode(device: Device) -> str:
    if device.ha_mode == "standalone":
        return "standalone"
    # 6.x still printed the old role names.
    role = "master" if device.release.train == (6, 4) else "primary"
    return f"{device.ha_mode}, {role}"


def system_status(device: Device, current_vdom: str, clock: Clock) -> list[str]:
    rel = device.release
    r = str(rel)
    lines = [f"Version: {device.model} v{rel},build{rel.build:04d},{rel.build_date} ({rel.branch_label})"]
    if rel.at_least(7, 2):
        lines.append("Security Level: 2")
    if rel.at_least(7, 0):
        lines.append("Firmware Signature: certified")
    lines += [f"Virus-DB: {_db(r, 'av', 92)}", f"Extended DB: {_db(r, 'ext', 92)}"]
    if rel.at_least(7, 2):
        lines.append(f"AV AI/ML Model: {_db(r, 'ml', 3)}")
    lines += [f"IPS-DB: {_db(r, 'ips', 29)}", "IPS-ETDB: 0.00000(2001-01-01 00:00)",
              f"APP-DB: {_db(r, 'app', 29)}"]
    lines.append(f"INDUSTRIAL-DB: {_db(r, 'ot', 29)}" if rel.train == (6, 4) else f"FMWP-DB: {_db(r, 'fmwp', 24)}")
    lines.append(f"IPS Malicious URL Database: {_db(r, 'url', 5)}")
    if rel.at_least(7, 0):
        lines.append(f"IoT-Detect: {_db(r, 'iot', 29)}")
    if rel.at_least(7, 4):
        lines += [f"OT-Detect-DB: {_db(r, 'otd', 29)}", "OT-Patch-DB: 0.00000(2001-01-01 00:00)",
                  f"OT-Threat-DB: {_db(r, 'ott', 6)}", f"IPS-Engine: {_db(r, 'eng', 7)}"]
    vdom_count = len(device.vdoms)
    lines += [
        f"Serial-Number: {device.serial}",
        f"BIOS version: 0500{seed.int_between(10, 99, 'bios', device.model):04d}",
        f"System Part-Number: P{seed.int_between(10000, 29999, 'pn', device.model)}-0{seed.int_between(1, 9, 'pr', device.model)}",
        "Log hard disk: Not available",
        f"Hostname: {device.hostname}",
        "Private Encryption: Disable",
        "Operation Mode: NAT",
        f"Current virtual domain: {current_vdom}",
        "Max number of virtual domains: 10",
        f"Virtual domains status: {vdom_count} in NAT mode, 0 in TP mode",
        f"Virtual domain configuration: {device.vdom_mode}",
        "FIPS-CC mode: disable",
        f"Current HA mode: {_ha_mode(device)}",
        f"Branch point: {rel.build:04d}",
        "Release Version Information: GA",
        "FortiOS x86-64: Yes",
        f"System time: {clock.now().strftime('%a %b %d %H:%M:%S %Y')}",
    ]
    if rel.at_least(7, 4):
        lines.append("Last reboot reason: warm reboot")
    return lines


def console_get(output: str) -> list[str]:
    """7.x ``get system console``: aligned ``key : value`` lines."""
    return [f"{'output':<20}: {output}", f"{'login':<20}: enable", f"{'fortiexplorer':<20}: enable"]


def console_show(output: str, full: bool) -> list[str]:
    """``show [full-configuration] system console``; plain show lists non-defaults only."""
    body = []
    if full:
        body = [f"    set output {output}", "    set login enable", "    set fortiexplorer enable"]
    elif output != "more":  # "more" is the factory default
        body = [f"    set output {output}"]
    return ["config system console", *body, "end"]
