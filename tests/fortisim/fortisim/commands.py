"""Command-line parsing: tokens, pipes (``| grep``), the keyword tree and CLI errors.

Keywords match by unique prefix as on FortiOS (``diag vpn tun list``). Which
commands exist depends on the context (top level, ``config global``, a VDOM, a
config table); the shell passes a predicate that hides unavailable leaves, so an
unavailable command fails exactly like a mistyped one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional, Union


class CliError(Exception):
    """A failed command; ``lines`` is what the device prints instead of output."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = list(lines)


def parse_error(token: str) -> CliError:
    return CliError(f"command parse error before '{token}'", "Command fail. Return code -61")


def value_error(token: str) -> CliError:
    return CliError(f"value parse error before '{token}'", "Command fail. Return code -651")


UNKNOWN_ACTION = "Unknown action 0"


@dataclass(frozen=True)
class Leaf:
    """A command. ``scope``: any | vdom (needs a VDOM context) | global | top (multi-VDOM top level).

    ``arg``, when set, is passed to the handler before the arguments (one handler
    serving several keywords, e.g. each ``execute ping-options`` setting).
    """

    handler: str
    scope: str = "any"
    arg: Optional[str] = None


Tree = dict[str, Union["Tree", Leaf]]


def _ping_options() -> Tree:
    tree: Tree = {name: Leaf("ping_option", "vdom", name)
                  for name in ("repeat-count", "data-size", "timeout", "interval", "ttl", "tos",
                               "df-bit", "source")}
    tree["view-settings"] = Leaf("ping_view", "vdom")
    tree["reset"] = Leaf("ping_reset", "vdom")
    return tree


# Commands reachable outside config tables. Later features add leaves here.
MAIN_TREE: Tree = {
    "get": {
        "system": {"status": Leaf("system_status"), "console": Leaf("console_get", "global")},
        "vpn": {"ipsec": {
            "tunnel": {"summary": Leaf("tunnel_summary", "vdom"), "details": Leaf("tunnel_details", "vdom"),
                       "name": Leaf("tunnel_name", "vdom")},
            "stats": {"tunnel": Leaf("stats_tunnel", "vdom")},
        }},
        # The older spelling (6.0 CLI reference) and the old monitor table.
        "ipsec": {"tunnel": {"list": Leaf("ipsec_tunnel_list", "vdom"), "summary": Leaf("tunnel_summary", "vdom"),
                             "details": Leaf("tunnel_details", "vdom"), "name": Leaf("tunnel_name", "vdom")}},
    },
    "show": {
        "system": {"console": Leaf("console_show", "global")},
        "vpn": {"ipsec": {"phase1-interface": Leaf("phase1_show", "vdom", "show"),
                          "phase2-interface": Leaf("phase2_show", "vdom", "show")}},
        "full-configuration": {
            "system": {"console": Leaf("console_show_full", "global")},
            "vpn": {"ipsec": {"phase1-interface": Leaf("phase1_show", "vdom", "full"),
                              "phase2-interface": Leaf("phase2_show", "vdom", "full")}},
        },
    },
    "diagnose": {
        "vpn": {
            "tunnel": {"list": Leaf("tunnel_list", "vdom"), "dialup-list": Leaf("dialup_list", "vdom"),
                       "up": Leaf("tunnel_op", "vdom", "up"), "down": Leaf("tunnel_op", "vdom", "down"),
                       "flush": Leaf("tunnel_flush", "vdom")},
            # clear and flush: same effect here (the difference is undocumented).
            "ike": {"gateway": {"list": Leaf("gateway_list", "vdom"), "clear": Leaf("gateway_clear", "vdom"),
                                "flush": Leaf("gateway_clear", "vdom")}},
            "ipsec": {"status": Leaf("ipsec_status", "vdom")},
        },
    },
    "execute": {"ping": Leaf("ping", "vdom"), "ping-options": _ping_options()},
    "config": {
        "system": {"console": Leaf("config_console", "global")},
        "vpn": {"ipsec": {"phase1-interface": Leaf("config_phase1", "vdom")}},
        "global": Leaf("config_global", "top"),
        "vdom": Leaf("config_vdom", "top"),
    },
    "end": Leaf("end"),
    "exit": Leaf("exit"),
}

# ``diagnose debug flow`` (fortisim/flow.py) and ``diagnose sniffer packet`` (fortisim/sniffer.py),
# added beside whatever else lives under ``diagnose debug``.
_DIAGNOSE = MAIN_TREE["diagnose"]
assert isinstance(_DIAGNOSE, dict)
_DEBUG = _DIAGNOSE.setdefault("debug", {})
assert isinstance(_DEBUG, dict)
_DEBUG["flow"] = {"filter": Leaf("flow_filter"), "show": Leaf("flow_show"), "trace": Leaf("flow_trace")}
_DIAGNOSE["sniffer"] = {"packet": Leaf("sniffer")}

# The debug switches and the IKE log filter (fortisim/ikedebug.py). ``diagnose debug`` works in
# any context; the log filter, like the other ``diagnose vpn`` commands, in a VDOM. Both
# spellings of the filter exist in the tree; the handler refuses the one the version lacks.
_DEBUG.update({
    "enable": Leaf("debug_console", "any", "enable"),
    "disable": Leaf("debug_console", "any", "disable"),
    "reset": Leaf("debug_reset"),
    "console": {"timestamp": {"enable": Leaf("debug_timestamp", "any", "enable"),
                              "disable": Leaf("debug_timestamp", "any", "disable")}},
    "duration": Leaf("debug_duration"),
    "info": Leaf("debug_info"),
    "application": Leaf("debug_application"),
})
_IKE = _DIAGNOSE["vpn"]["ike"]  # type: ignore[index]
assert isinstance(_IKE, dict)
_IKE["log-filter"] = Leaf("ike_log_filter", "vdom", "log-filter")
_IKE["log"] = {"filter": Leaf("ike_log_filter", "vdom", "log filter")}

# Policies and routes (fortisim/netcfg.py).
_GET = MAIN_TREE["get"]
assert isinstance(_GET, dict)
_GET["router"] = {"info": {"routing-table": {"all": Leaf("routing_table", "vdom"),
                                             "details": Leaf("routing_details", "vdom")}}}
_SHOW = MAIN_TREE["show"]
assert isinstance(_SHOW, dict)
_SHOW["firewall"] = {"policy": Leaf("policy_show", "vdom")}
_DIAGNOSE["firewall"] = {"iprope": {"lookup": Leaf("iprope_lookup", "vdom")}}

# Inside ``config vdom`` (prompt ``(vdom)``): pick a VDOM.
VDOM_SELECT_TREE: Tree = {"edit": Leaf("edit_vdom"), "end": Leaf("end"), "exit": Leaf("exit")}

# Inside a config table such as ``config system console``.
TABLE_TREE: Tree = {
    "set": Leaf("table_set"),
    "unset": Leaf("table_unset"),
    "get": Leaf("table_get"),
    "show": Leaf("table_show"),
    "next": Leaf("table_next"),
    "end": Leaf("table_end"),
    "abort": Leaf("table_abort"),
    "exit": Leaf("exit"),
}

# ``config vpn ipsec phase1-interface`` (prompt ``(phase1-interface)``): pick an entry.
PHASE1_TABLE_TREE: Tree = {
    "edit": Leaf("p1_edit"),
    "get": Leaf("p1_table_get"),
    "show": Leaf("p1_table_show"),
    "end": Leaf("p1_leave"),
    "abort": Leaf("p1_leave"),
    "exit": Leaf("exit"),
}

# Inside ``edit NAME`` of the phase1 table (prompt ``(NAME)``).
PHASE1_EDIT_TREE: Tree = {
    "set": Leaf("p1_set"),
    "unset": Leaf("p1_unset"),
    "get": Leaf("p1_get"),
    "show": Leaf("p1_show"),
    "next": Leaf("p1_next"),
    "end": Leaf("p1_end"),
    "abort": Leaf("p1_abort"),
    "exit": Leaf("exit"),
}


def _available(node: Union[Tree, Leaf], allowed: Callable[[Leaf], bool]) -> bool:
    if isinstance(node, Leaf):
        return allowed(node)
    return any(_available(child, allowed) for child in node.values())


def resolve(tree: Tree, tokens: list[str], allowed: Callable[[Leaf], bool]) -> tuple[Leaf, list[str]]:
    """Walk ``tokens`` down ``tree``; return the leaf and its remaining arguments."""
    node: Union[Tree, Leaf] = tree
    depth = 0
    while isinstance(node, dict):
        if depth >= len(tokens):
            raise parse_error(tokens[-1])  # incomplete command
        token = tokens[depth]
        if token in node and (depth == 0 or _available(node[token], allowed)):
            key = token
        else:
            # Top-level words always exist (so "diagnose ..." at the wrong level is a
            # parse error, not an unknown action); deeper ones only where available.
            matches = [k for k in node if k.startswith(token) and (depth == 0 or _available(node[k], allowed))]
            if len(matches) != 1:
                if depth == 0:
                    raise CliError(UNKNOWN_ACTION)
                raise parse_error(token)
            key = matches[0]
        node = node[key]
        depth += 1
    if not allowed(node):
        raise parse_error(tokens[depth - 1])
    return node, tokens[depth:]


def tokenize(text: str) -> list[str]:
    """Split on blanks; double or single quotes group words; backslash escapes one char."""
    tokens: list[str] = []
    current: list[str] = []
    quote = ""
    started = False
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, ""))
            started = True
        elif quote:
            if ch == quote:
                quote = ""
            else:
                current.append(ch)
        elif ch in "\"'":
            quote, started = ch, True
        elif ch.isspace():
            if started:
                tokens.append("".join(current))
                current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        tokens.append("".join(current))
    return tokens


def split_pipes(text: str) -> list[str]:
    """``cmd | grep x | grep y`` -> ["cmd ", " grep x ", " grep y"], ignoring quoted bars."""
    parts, current, quote = [], [], ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "|":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def grep(lines: list[str], args: list[str]) -> list[str]:
    """``grep [-i] [-v] [-c] [-f] [-A N] [-B N] [-C N] [-e] PATTERN``: case-sensitive by default."""
    flags = 0
    invert = count = False
    before = after = 0
    pattern = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-e" and pattern is None and i + 1 < len(args):
            pattern = args[i + 1]
            i += 2
            continue
        if arg in ("-A", "-B", "-C"):
            if i + 1 >= len(args) or not args[i + 1].isdigit():
                raise parse_error(arg)
            n = int(args[i + 1])
            before = n if arg in ("-B", "-C") else before
            after = n if arg in ("-A", "-C") else after
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1 and pattern is None and set(arg[1:]) <= set("ivcf"):
            flags |= re.IGNORECASE if "i" in arg else 0
            invert |= "v" in arg
            count |= "c" in arg
        elif pattern is None:
            pattern = arg
        else:
            raise parse_error(arg)
        i += 1
    if pattern is None:
        raise parse_error("grep")
    try:
        regex = re.compile(pattern, flags)
    except re.error:
        regex = re.compile(re.escape(pattern), flags)
    hits = [i for i, line in enumerate(lines) if bool(regex.search(line)) != invert]
    if count:
        return [str(len(hits))]
    keep: set[int] = set()
    for i in hits:
        keep.update(range(max(0, i - before), min(len(lines), i + after + 1)))
    return [lines[i] for i in sorted(keep)]


def apply_pipe(lines: list[str], stage: str) -> list[str]:
    tokens = tokenize(stage)
    if not tokens or tokens[0] != "grep":
        raise parse_error(tokens[0] if tokens else "|")
    return grep(lines, tokens[1:])
