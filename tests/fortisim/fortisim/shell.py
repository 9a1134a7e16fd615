"""One CLI session on a simulated FortiGate: prompt, contexts, echo, paging, errors.

The shell knows nothing about SSH: it reads characters through an async
``read`` callable and writes text through ``write``, so tests can drive it
directly and ``server.py`` only wires it to an asyncssh channel.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Optional

from fortisim import flow, ikedebug, netcfg, ops, render, sessionfaults, sniffer
from fortisim.clock import Clock
from fortisim.commands import (
    MAIN_TREE,
    PHASE1_EDIT_TREE,
    PHASE1_TABLE_TREE,
    TABLE_TREE,
    VDOM_SELECT_TREE,
    CliError,
    Leaf,
    Tree,
    apply_pipe,
    parse_error,
    resolve,
    split_pipes,
    tokenize,
    value_error,
)
from fortisim.debug import SessionDebug
from fortisim.model import Admin, Device, TunnelView
from fortisim.ping import INT_OPTIONS, PingOptions, parse_target, ping
from fortisim.render.config import PHASE1_KEYS, config_views
from fortisim.stats import StatsBook

PAGE_LINES = 22
MORE = "--More-- "
# Erasing the pager prompt is a carriage return, blanks over it, and another CR.
ERASE_MORE = "\r" + " " * len(MORE) + "\r"
CONSOLE_CHOICES = {"output": ("standard", "more")}
CONSOLE_DEFAULTS = {"output": "more"}
# The only phase1 setting the simulator lets a session change, and its default.
NPU_CHOICES = ("enable", "disable")
NPU_DEFAULT = "enable"
# What FortiOS answers when an entry is committed without its mandatory interface.
MISSING_INTERFACE = ("Attribute 'interface' MUST be set.", "Command fail. Return code -56")


@dataclass
class Context:
    """Where the session is. ``kind``: top | global | vdoms | vdom | console | phase1 | phase1_edit."""

    kind: str
    label: Optional[str] = None  # shown in the prompt's parentheses
    vdom: Optional[str] = None
    parent: Optional["Context"] = None
    pending: dict[str, str] = field(default_factory=dict)  # uncommitted table edits
    entry: Optional[str] = None  # phase1_edit: the edited entry's name
    new: bool = False  # phase1_edit: the entry does not exist (yet)


class _Input:
    """Character reader that folds CR LF into one end-of-line."""

    def __init__(self, read: Callable[[], Awaitable[str]]) -> None:
        self._read = read
        self._buffer = ""
        self._after_cr = False
        self.skip_newline = False

    def pending(self) -> bool:
        return bool(self._buffer)

    async def char(self) -> str:
        while True:
            if not self._buffer:
                data = await self._read()
                if not data:
                    raise EOFError
                self._buffer = data
                # Fold CR LF only when both arrive together: a lone LF sent later
                # (netmiko's "find the prompt" newline) is a real Enter.
                self._after_cr = False
            ch, self._buffer = self._buffer[0], self._buffer[1:]
            if ch == "\n" and self._after_cr:
                self._after_cr = False
                continue
            self._after_cr = ch == "\r"
            if self.skip_newline:
                self.skip_newline = False
                if ch in "\r\n":
                    continue
            return ch


class Shell:
    def __init__(self, device: Device, admin: Admin, stats: StatsBook, clock: Clock,
                 read: Callable[[], Awaitable[str]], write: Callable[[str], None]) -> None:
        self.device = device
        self.admin = admin
        self.stats = stats
        self.clock = clock
        self._input = _Input(read)
        self._write = write
        self.closed = False
        self.ping_options = PingOptions()  # session-scoped, like on FortiOS
        self._extra_sleep = 0.0  # simulated time a command takes beyond latency_ms (ping)
        self.debug = SessionDebug()  # this session's debug switches (console output, a running sniffer)
        self._foreground: Optional[Callable[[], Awaitable[None]]] = None  # a command still printing (sniffer)
        self._interactive = False  # run() (prompt, echo) rather than run_exec()
        self.ike = ikedebug.SessionIke(self)  # IKE debug lines for this session's console
        if admin.vdom_scoped:
            # A VDOM admin lands in its VDOM and can never leave it.
            self.ctx = Context("vdom", admin.vdom, admin.vdom)
        else:
            self.ctx = Context("top")

    # -- prompt and contexts -------------------------------------------------
    @property
    def prompt(self) -> str:
        label = f" ({self.ctx.label})" if self.ctx.label else ""
        return f"{self.device.prompt_name or self.device.hostname}{label} # "

    def _root(self) -> Context:
        ctx = self.ctx
        while ctx.parent is not None:
            ctx = ctx.parent
        return ctx

    def _in(self, kind: str) -> Optional[Context]:
        ctx: Optional[Context] = self.ctx
        while ctx is not None:
            if ctx.kind == kind:
                return ctx
            ctx = ctx.parent
        return None

    def current_vdom(self) -> Optional[str]:
        """The VDOM that VDOM-level commands act on, or None outside any VDOM."""
        if not self.device.multi_vdom:
            return "root"
        vdom_ctx = self._in("vdom")
        return vdom_ctx.vdom if vdom_ctx else None

    def _allowed(self, leaf: Leaf) -> bool:
        multi = self.device.multi_vdom
        if leaf.scope == "vdom":
            return self.current_vdom() is not None
        if leaf.scope == "global":
            return not self.admin.vdom_scoped and (not multi or self._in("global") is not None)
        if leaf.scope == "top":
            return multi and self.ctx.kind == "top" and not self.admin.vdom_scoped
        return True

    def _tree(self) -> Tree:
        if self.ctx.kind == "console":
            return TABLE_TREE
        if self.ctx.kind == "phase1":
            return PHASE1_TABLE_TREE
        if self.ctx.kind == "phase1_edit":
            return PHASE1_EDIT_TREE
        if self.ctx.kind == "vdoms":
            return VDOM_SELECT_TREE
        return MAIN_TREE

    # -- running -------------------------------------------------------------
    def execute(self, line: str) -> list[str]:
        """Run one command line; return its output lines (errors included)."""
        # Negotiations started by any session of this device (or its peers) complete first.
        ops.settle(self.device, self.clock.seconds())
        stages = split_pipes(line)
        tokens = tokenize(stages[0])
        try:
            if not tokens:
                raise parse_error("|")
            leaf, args = resolve(self._tree(), tokens, self._allowed)
            handler = getattr(self, f"_do_{leaf.handler}")
            lines = handler(args) if leaf.arg is None else handler(leaf.arg, args)
            for stage in stages[1:]:
                lines = apply_pipe(lines, stage)
        except CliError as err:
            return err.lines
        return lines

    async def run(self) -> None:
        """Interactive session until ``exit`` or end of input."""
        self._interactive = True
        try:
            if self.device.disclaimer:
                await self._accept_disclaimer()
            while not self.closed:
                self.ike.flush()  # asynchronous debug output goes between commands, never inside one
                self._write(self.prompt)
                self.ike.busy = False
                line = (await self._readline()).strip()
                self.ike.busy = True
                if not line:
                    continue
                self.stats.bump(self.device.hostname, "commands")
                self.stats.log_command(self.device.hostname, line)
                fault = sessionfaults.take(self.device, line)
                if fault is not None and fault.kind == "cli_error":
                    lines = sessionfaults.cli_error_lines(fault, line)  # refused: it never ran
                else:
                    lines = self.execute(line)
                await self._latency()
                if fault is None or fault.kind == "cli_error":
                    await self._emit(lines)
                else:
                    if fault.kind in ("drop", "stall"):
                        self._foreground = None  # the session ends before a sniffer could start
                    await sessionfaults.emit(fault, self.device, lines, self._write, self._emit, self._input.char)
                await self._run_foreground()
        except EOFError:
            pass
        finally:
            self.ike.close()  # console flag gone; device-wide debug stays armed

    async def run_exec(self, command: str) -> None:
        """``ssh host 'cmd'``: no prompt, no echo, no pager."""
        try:
            for line in command.splitlines():
                line = line.strip()
                if not line or self.closed:
                    continue
                self.stats.bump(self.device.hostname, "commands")
                self.stats.log_command(self.device.hostname, line)
                lines = self.execute(line)
                await self._latency()
                self._write("".join(f"{text}\n" for text in lines))
                await self._run_foreground()
                self.ike.flush()
        finally:
            self.ike.close()

    def write_raw(self, text: str) -> None:
        """Output that is not a command's (asynchronous debug lines)."""
        self._write(text)

    async def _latency(self) -> None:
        delay = self.device.latency_ms / 1000 + self._extra_sleep
        self._extra_sleep = 0.0
        if delay:
            await asyncio.sleep(delay)

    async def _accept_disclaimer(self) -> None:
        text = self.device.disclaimer or ""
        self._write("\r\n".join(text.rstrip("\n").splitlines()) + "\r\n\r\n(Press 'a' to accept):")
        while (await self._input.char()) not in "aA":
            pass
        self._write("\r\n")
        self._input.skip_newline = True  # clients often send "a" followed by Enter

    async def _readline(self) -> str:
        """Read one line, echoing it as a terminal would."""
        buf: list[str] = []
        echo: list[str] = []
        while True:
            ch = await self._input.char()
            if ch in "\r\n":
                self._write("".join(echo) + "\r\n")
                return "".join(buf)
            if ch in "\x7f\x08":
                if buf:
                    buf.pop()
                    echo.append("\b \b")
            elif ch == "\x03":  # Ctrl-C drops the line
                self._write("".join(echo) + "^C\r\n")
                return ""
            elif ch >= " ":
                buf.append(ch)
                echo.append(ch)
            # Batch the echo of everything that arrived together into one write.
            if echo and not self._input.pending():
                self._write("".join(echo))
                echo = []

    async def _emit(self, lines: list[str], paged: bool = False) -> None:
        if (self.device.console_output != "more" and not paged) or len(lines) <= PAGE_LINES:
            self._write("".join(f"{text}\r\n" for text in lines))
            return
        shown = 0
        step = PAGE_LINES
        while shown < len(lines):
            chunk = lines[shown:shown + step]
            self._write("".join(f"{text}\r\n" for text in chunk))
            shown += len(chunk)
            if shown >= len(lines):
                return
            self._write(MORE)
            while True:
                key = await self._input.char()
                if key in " \r\nqQ\x03":
                    break
            self._write(ERASE_MORE)
            if key in "qQ\x03":
                return
            step = PAGE_LINES if key == " " else 1

    # -- handlers: output commands ---------------------------------------------
    @staticmethod
    def _no_args(args: list[str]) -> None:
        if args:
            raise parse_error(args[0])

    def _vdom(self) -> str:
        vdom = self.current_vdom()
        assert vdom is not None  # guaranteed by the "vdom" scope check
        return vdom

    @staticmethod
    def _name_arg(args: list[str]) -> Optional[str]:
        """``[name X]`` as taken by the list commands."""
        if not args:
            return None
        if args[0] != "name":
            raise parse_error(args[0])
        if len(args) != 2:
            raise parse_error(args[-1] if len(args) > 2 else "name")
        return args[1]

    def _do_system_status(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.system_status(self.device, self.current_vdom() or "root", self.clock)

    def _do_console_get(self, args: list[str]) -> list[str]:
        self._no_args(args)
        if not self.device.release.at_least(7, 0):
            raise parse_error("console")  # 6.x answers the settings only through show
        return render.console_get(self.device.console_output)

    def _do_console_show(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.console_show(self.device.console_output, full=False)

    def _do_console_show_full(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.console_show(self.device.console_output, full=True)

    def _do_tunnel_list(self, args: list[str]) -> list[str]:
        return render.tunnel_list(self.device, self._vdom(), self.clock, self._name_arg(args))

    def _do_dialup_list(self, args: list[str]) -> list[str]:
        if len(args) > 1:
            raise parse_error(args[1])
        return render.dialup_list(self.device, self._vdom(), self.clock, args[0] if args else None)

    def _do_gateway_list(self, args: list[str]) -> list[str]:
        return render.gateway_list(self.device, self._vdom(), self.clock, self._name_arg(args))

    def _do_tunnel_summary(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.tunnel_summary(self.device, self._vdom(), self.clock)

    def _do_tunnel_details(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.tunnel_details(self.device, self._vdom(), self.clock)

    def _do_tunnel_name(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else "name")
        return render.tunnel_details(self.device, self._vdom(), self.clock, args[0])

    def _do_ipsec_tunnel_list(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.ipsec_tunnel_list(self.device, self._vdom(), self.clock)

    def _do_stats_tunnel(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.stats_tunnel(self.device, self._vdom())

    def _do_ipsec_status(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.ipsec_status(self.device, self.clock)

    def _do_phase1_show(self, mode: str, args: list[str]) -> list[str]:
        if len(args) > 1:
            raise parse_error(args[1])
        return render.phase1_show(self.device, self._vdom(), mode == "full", args[0] if args else None)

    def _do_phase2_show(self, mode: str, args: list[str]) -> list[str]:
        if len(args) > 1:
            raise parse_error(args[1])
        return render.phase2_show(self.device, self._vdom(), mode == "full", args[0] if args else None)

    # -- handlers: tunnel operations (silent on success) -----------------------------
    def _operated(self, changed: bool) -> list[str]:
        self.stats.bump(self.device.hostname, "tunnel_ops")  # no-ops count too
        if changed and self.device.negotiation_ms:
            # Rewrite the stats once the new SAs have appeared.
            self.stats.touch_later(self.device.negotiation_ms / 1000 + 0.05)
        return []

    def _do_tunnel_op(self, verb: str, args: list[str]) -> list[str]:
        """``diagnose vpn tunnel up|down <phase2> [<phase1> [<serial>]]``."""
        if not args:
            raise parse_error(verb)
        if len(args) > 3:
            raise parse_error(args[3])
        serial = None
        if len(args) == 3:
            if not args[2].isdigit():
                raise value_error(args[2])
            serial = int(args[2])
        phase1 = args[1] if len(args) > 1 else None
        if verb == "up":
            changed = ops.tunnel_up(self.device, self._vdom(), args[0], phase1, serial, self.clock.seconds())
        else:
            changed = ops.tunnel_down(self.device, self._vdom(), args[0], phase1, serial)
        return self._operated(changed)

    def _do_tunnel_flush(self, args: list[str]) -> list[str]:
        return self._operated(ops.tunnel_flush(self.device, self._vdom(), args, self.clock.seconds()))

    def _do_gateway_clear(self, args: list[str]) -> list[str]:
        name = self._name_arg(args)
        return self._operated(ops.gateway_clear(self.device, self._vdom(), name, self.clock.seconds()))

    # -- handlers: policies and routes (fortisim/netcfg.py) --------------------------
    def _do_policy_show(self, args: list[str]) -> list[str]:
        if len(args) > 1:
            raise parse_error(args[1])
        if args and not args[0].isdigit():
            raise value_error(args[0])
        return netcfg.show_policy(self.device, self._vdom(), args)

    def _do_routing_table(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return netcfg.routing_table(self.device, self._vdom())

    def _do_routing_details(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else "details")
        lines = netcfg.routing_details(self.device, self._vdom(), args[0])
        if lines is None:
            raise value_error(args[0])
        return lines

    def _do_iprope_lookup(self, args: list[str]) -> list[str]:
        bad, lines = netcfg.iprope_lookup(self.device, self._vdom(), args)
        if bad is not None:
            if bad >= len(args):
                raise parse_error("lookup" if not args else args[-1])
            raise value_error(args[bad])
        return lines

    # -- handlers: execute ping ----------------------------------------------------
    def _do_ping(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else "ping")
        target = parse_target(args[0])
        if target is None:
            return ["Unable to resolve hostname."]
        lines, self._extra_sleep = ping(self.device, self._vdom(), self.ping_options, target)
        return self._with_flow_trace(lines, target)

    def _do_ping_option(self, option: str, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else option)
        value = args[0]
        if option == "source":
            if value != "auto" and parse_target(value) is None:
                raise value_error(value)
            self.ping_options.source = value if value == "auto" else str(parse_target(value))
        elif option == "df-bit":
            if value not in ("yes", "no"):
                raise value_error(value)
            self.ping_options.df_bit = value
        else:
            attr, low, high = INT_OPTIONS[option]
            if not value.isdigit() or not low <= int(value) <= high:
                raise value_error(value)
            setattr(self.ping_options, attr, int(value))
        return []

    def _do_ping_view(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return self.ping_options.view_settings()

    def _do_ping_reset(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ping_options = PingOptions()
        return []

    # -- handlers: diagnose debug flow, diagnose sniffer packet (fortisim/flow.py, sniffer.py) --
    def _with_flow_trace(self, lines: list[str], target: ipaddress.IPv4Address) -> list[str]:
        """The ping's echo requests traced (device-wide counter), shown when console output is on."""
        ctx = flow.TraceContext(self.device, self.device.debug, self.debug.timestamps, self.clock.now)
        traces = flow.ping_traces(ctx, self._vdom(), self.ping_options.source, target, self.ping_options.repeat_count)
        if traces:
            self.stats.touch()
        return flow.interleave(lines, traces) if self.debug.console else lines

    def _do_flow_filter(self, args: list[str]) -> list[str]:
        lines = flow.filter_command(self.device, self.device.debug, args)
        self.stats.touch()
        return lines

    def _do_flow_show(self, args: list[str]) -> list[str]:
        return flow.show_command(self.device.debug, args)

    def _do_flow_trace(self, args: list[str]) -> list[str]:
        lines = flow.trace_command(self.device.debug, args)
        self.stats.touch()
        return lines

    def _do_sniffer(self, args: list[str]) -> list[str]:
        spec = sniffer.parse_command(self.device, args, "diagnose sniffer packet " + " ".join(args))
        self._foreground = lambda: self._sniff(spec)
        return sniffer.header(self.device, spec)

    async def _sniff(self, spec: sniffer.SnifferSpec) -> None:
        self.debug.sniffer = spec.command
        self.stats.touch()
        io = sniffer.SnifferIO(self._write, self._input.char, self.clock.now, self.clock.seconds)
        try:
            _printed, reason = await sniffer.run(self.device, spec, io)
            if reason == "eof":
                self.closed = True
        finally:
            self.debug.sniffer = None
            self.stats.touch()

    async def _run_foreground(self) -> None:
        job, self._foreground = self._foreground, None
        if job is not None:
            await job()

    # -- handlers: diagnose debug, IKE log filter (fortisim/ikedebug.py) -----------------
    def _do_debug_console(self, state: str, args: list[str]) -> list[str]:
        """``diagnose debug enable|disable``: this session's console output (silent)."""
        self._no_args(args)
        self.debug.console = state == "enable"
        if self.debug.console:
            self.ike.console_on(self._interactive)
        else:
            self.ike.console_off()
        self.stats.touch()
        return []

    def _do_debug_timestamp(self, state: str, args: list[str]) -> list[str]:
        self._no_args(args)
        self.debug.timestamps = state == "enable"
        return []

    def _do_debug_reset(self, args: list[str]) -> list[str]:
        """Stops every debug application; filters and the flow trace stay (cleared on their own)."""
        self._no_args(args)
        self.device.debug.apps.clear()
        self.stats.touch()
        return []

    def _do_debug_duration(self, args: list[str]) -> list[str]:
        return ikedebug.duration_command(self.device.debug, args)

    def _do_debug_info(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return ikedebug.info_lines(self.device, self.debug, self.device.release.at_least(7, 4))

    def _do_debug_application(self, args: list[str]) -> list[str]:
        lines = ikedebug.application_command(self.device.debug, args)
        if self.debug.console and self.device.debug.apps.get("ike"):
            self.ike.console_on(self._interactive)
        self.stats.touch()
        return lines

    def _do_ike_log_filter(self, family: str, args: list[str]) -> list[str]:
        """``log-filter`` up to 7.2, ``log filter`` from 7.4: the other spelling does not exist."""
        new_style = self.device.release.at_least(7, 4)
        if family == "log-filter" and new_style:
            raise parse_error("log-filter")
        if family == "log filter" and not new_style:
            raise parse_error("filter")
        lines = ikedebug.filter_command(self.device, new_style, args)
        self.stats.touch()
        return lines

    # -- handlers: contexts ------------------------------------------------------
    def _do_config_global(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = Context("global", "global", parent=self.ctx)
        return []

    def _do_config_vdom(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = Context("vdoms", "vdom", parent=self.ctx)
        return []

    def _do_edit_vdom(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else "edit")
        if args[0] not in self.device.vdoms:
            # A real box would create the VDOM; the simulator's VDOMs are fixed.
            raise CliError("entry not found in datasource", f"value parse error before '{args[0]}'",
                           "Command fail. Return code -3")
        self.ctx = Context("vdom", args[0], args[0], parent=self.ctx)
        return []

    def _do_end(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = self._root()
        return []

    def _do_exit(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.closed = True
        return []

    def _do_config_console(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = Context("console", "console", parent=self.ctx)
        return []

    # -- handlers: inside config system console ---------------------------------
    def _console_values(self) -> dict[str, str]:
        return {"output": self.device.console_output, **self.ctx.pending}

    def _do_table_set(self, args: list[str]) -> list[str]:
        if not args or args[0] not in CONSOLE_CHOICES:
            raise parse_error(args[0] if args else "set")
        if len(args) != 2:
            raise parse_error(args[2] if len(args) > 2 else args[0])
        if args[1] not in CONSOLE_CHOICES[args[0]]:
            raise value_error(args[1])
        self.ctx.pending[args[0]] = args[1]
        return []

    def _do_table_unset(self, args: list[str]) -> list[str]:
        if len(args) != 1 or args[0] not in CONSOLE_DEFAULTS:
            raise parse_error(args[0] if args else "unset")
        self.ctx.pending[args[0]] = CONSOLE_DEFAULTS[args[0]]
        return []

    def _do_table_get(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return render.console_get(self._console_values()["output"])

    def _do_table_show(self, args: list[str]) -> list[str]:
        full = args == ["full-configuration"]
        if args and not full:
            raise parse_error(args[0])
        return render.console_show(self._console_values()["output"], full=full)

    def _commit(self) -> None:
        # Only a real change is a config write (what FortiManager would see as
        # out-of-sync); re-setting the current value writes nothing.
        new = self.ctx.pending.get("output", self.device.console_output)
        self.ctx.pending.clear()
        if new != self.device.console_output:
            self.device.console_output = new
            self.stats.bump(self.device.hostname, "config_writes")

    def _do_table_next(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self._commit()
        return []

    def _do_table_end(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self._commit()
        self.ctx = self.ctx.parent or self._root()
        return []

    def _do_table_abort(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = self.ctx.parent or self._root()
        return []

    # -- handlers: config vpn ipsec phase1-interface ------------------------------
    def _do_config_phase1(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = Context("phase1", "phase1-interface", parent=self.ctx)
        return []

    def _phase1_view(self, name: Optional[str]) -> Optional[TunnelView]:
        return next((v for v in config_views(self.device, self._vdom()) if v.name == name), None)

    def _do_p1_table_show(self, args: list[str]) -> list[str]:
        full = args == ["full-configuration"]
        if args and not full:
            raise parse_error(args[0])
        return render.phase1_show(self.device, self._vdom(), full)

    def _do_p1_table_get(self, args: list[str]) -> list[str]:
        self._no_args(args)
        return [f"== [ {view.name} ]" for view in config_views(self.device, self._vdom())]

    def _do_p1_leave(self, args: list[str]) -> list[str]:
        """``end`` or ``abort`` at the table level: nothing is pending there."""
        self._no_args(args)
        self.ctx = self.ctx.parent or self._root()
        return []

    def _do_p1_edit(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else "edit")
        name = args[0]
        if not 1 <= len(name) <= 15:  # phase1-interface names are at most 15 characters
            raise value_error(name)
        # An unknown name opens a new entry, as on FortiOS; it cannot be committed (see _p1_commit).
        self.ctx = Context("phase1_edit", name, parent=self.ctx, entry=name,
                           new=self._phase1_view(name) is None)
        return []

    def _npu_key(self, key: str) -> bool:
        """True for npu-offload, False for another phase1 key; an unknown key, or npu-offload
        on a VM (no NPU, no setting), is a parse error."""
        if key == "npu-offload" and self.device.is_vm:
            raise parse_error(key)
        if key not in PHASE1_KEYS:
            raise parse_error(key)
        return key == "npu-offload"

    def _do_p1_set(self, args: list[str]) -> list[str]:
        if not args:
            raise parse_error("set")
        if not self._npu_key(args[0]):
            # Only npu-offload is modelled; other settings would change the negotiation.
            raise value_error(args[1] if len(args) > 1 else args[0])
        if len(args) != 2:
            raise parse_error(args[2] if len(args) > 2 else args[0])
        if args[1] not in NPU_CHOICES:
            raise value_error(args[1])
        self.ctx.pending[args[0]] = args[1]
        return []

    def _do_p1_unset(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if len(args) > 1 else "unset")
        if not self._npu_key(args[0]):
            raise value_error(args[0])
        self.ctx.pending[args[0]] = NPU_DEFAULT
        return []

    def _do_p1_get(self, args: list[str]) -> list[str]:
        self._no_args(args)
        entry = self.ctx.entry or ""
        return render.phase1_get(self.device, self._phase1_view(entry), entry, self.ctx.pending.get("npu-offload"))

    def _do_p1_show(self, args: list[str]) -> list[str]:
        full = args == ["full-configuration"]
        if args and not full:
            raise parse_error(args[0])
        entry = self.ctx.entry or ""
        return render.phase1_entry(self.device, self._phase1_view(entry), entry, full,
                                   self.ctx.pending.get("npu-offload"))

    def _p1_commit(self) -> None:
        if self.ctx.new:
            raise CliError(*MISSING_INTERFACE)  # the session stays in the edit, pending values kept
        value = self.ctx.pending.pop("npu-offload", None)
        self.ctx.pending.clear()
        view = self._phase1_view(self.ctx.entry)
        # As for the console: only a real change is a config write. A dial-up parent's
        # setting is shared with its instances; SAs already up keep their npu_flag.
        if view is not None and value is not None and value != view.phase1.npu_offload:
            view.phase1.npu_offload = value
            self.stats.bump(self.device.hostname, "config_writes")

    def _do_p1_next(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self._p1_commit()
        self.ctx = self.ctx.parent or self._root()
        return []

    def _do_p1_end(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self._p1_commit()
        table = self.ctx.parent
        self.ctx = (table.parent if table else None) or self._root()
        return []

    def _do_p1_abort(self, args: list[str]) -> list[str]:
        self._no_args(args)
        self.ctx = self.ctx.parent or self._root()  # back to the table, the edit discarded
        return []
