"""One CLI session on a simulated FortiGate: prompt, contexts, echo, paging, errors.

The shell knows nothing about SSH: it reads characters through an async
``read`` callable and writes text through ``write``, so tests can drive it
directly and ``server.py`` only wires it to an asyncssh channel.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Optional

from fortisim import render
from fortisim.clock import Clock
from fortisim.commands import (
    MAIN_TREE,
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
from fortisim.model import Admin, Device
from fortisim.ping import INT_OPTIONS, PingOptions, parse_target, ping
from fortisim.stats import StatsBook

PAGE_LINES = 22
MORE = "--More-- "
# Erasing the pager prompt is a carriage return, blanks over it, and another CR.
ERASE_MORE = "\r" + " " * len(MORE) + "\r"
CONSOLE_CHOICES = {"output": ("standard", "more")}
CONSOLE_DEFAULTS = {"output": "more"}


@dataclass
class Context:
    """Where the session is. ``kind``: top | global | vdoms | vdom | console."""

    kind: str
    label: Optional[str] = None  # shown in the prompt's parentheses
    vdom: Optional[str] = None
    parent: Optional["Context"] = None
    pending: dict[str, str] = field(default_factory=dict)  # uncommitted table edits


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
        if admin.vdom_scoped:
            # A VDOM admin lands in its VDOM and can never leave it.
            self.ctx = Context("vdom", admin.vdom, admin.vdom)
        else:
            self.ctx = Context("top")

    # -- prompt and contexts -------------------------------------------------
    @property
    def prompt(self) -> str:
        label = f" ({self.ctx.label})" if self.ctx.label else ""
        return f"{self.device.hostname}{label} # "

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
        if self.ctx.kind == "vdoms":
            return VDOM_SELECT_TREE
        return MAIN_TREE

    # -- running -------------------------------------------------------------
    def execute(self, line: str) -> list[str]:
        """Run one command line; return its output lines (errors included)."""
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
        try:
            if self.device.disclaimer:
                await self._accept_disclaimer()
            while not self.closed:
                self._write(self.prompt)
                line = (await self._readline()).strip()
                if not line:
                    continue
                self.stats.bump(self.device.hostname, "commands")
                lines = self.execute(line)
                await self._latency()
                await self._emit(lines)
        except EOFError:
            pass

    async def run_exec(self, command: str) -> None:
        """``ssh host 'cmd'``: no prompt, no echo, no pager."""
        for line in command.splitlines():
            line = line.strip()
            if not line or self.closed:
                continue
            self.stats.bump(self.device.hostname, "commands")
            lines = self.execute(line)
            await self._latency()
            self._write("".join(f"{text}\n" for text in lines))

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

    async def _emit(self, lines: list[str]) -> None:
        if self.device.console_output != "more" or len(lines) <= PAGE_LINES:
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
        return render.tunnel_summary(self.device, self._vdom())

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

    # -- handlers: execute ping ----------------------------------------------------
    def _do_ping(self, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise parse_error(args[1] if args else "ping")
        target = parse_target(args[0])
        if target is None:
            return ["Unable to resolve hostname."]
        lines, self._extra_sleep = ping(self.device, self._vdom(), self.ping_options, target)
        return lines

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
