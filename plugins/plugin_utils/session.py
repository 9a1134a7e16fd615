# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One FortiOS SSH CLI session on top of netmiko, used by the persistent connection.

netmiko opens the transport, logs in, accepts a post-login disclaimer and finds the prompt.
Everything after that is ours: netmiko's fortinet driver would run three probe commands
and may write `config system console` / `set output standard` on every login (a
configuration change on a production firewall). By default we answer `--More--` in band
instead, so a login never writes configuration.
"""
from __future__ import annotations

import re
import select
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.fortidiag.ipsec.plugins.module_utils.fortios_cli import (
    MORE_RE,
    FortiOSCLIError,
    arms_debug,
    clean_output,
    console_debug_change,
    context_transition,
    debug_cleanup_commands,
    enables_timestamps,
    find_cli_error,
    hostname_from_prompt,
    is_debug_command,
    prompt_contexts,
    prompt_regex,
)
from ansible_collections.fortidiag.ipsec.plugins.module_utils.parsers.system_status import (
    parse_system_status,
)

# netmiko and paramiko are imported on first login, not at import: Ansible loads this
# connection plugin in every task's worker process, and only the persistent connection process
# ever logs in (importing netmiko cost each worker about 0.4 s of CPU, per task and host).
_DRIVER: Any = None


def _driver() -> Any:
    """netmiko's fortinet driver with its probe commands and console writes removed."""
    global _DRIVER  # pylint: disable=global-statement
    if _DRIVER is not None:
        return _DRIVER
    # paramiko imports invoke only to run the `Match exec` lines of an ssh_config file, which this
    # session never reads; importing it cost each persistent connection process about 0.1 s of CPU.
    blocked = "invoke" not in sys.modules
    if blocked:
        sys.modules["invoke"] = None  # type: ignore[assignment]  # makes `import invoke` fail fast
    try:
        from netmiko.fortinet.fortinet_ssh import FortinetSSH  # pylint: disable=import-outside-toplevel
    except ImportError as exc:  # pragma: no cover - reported as a clear error at connect
        raise SessionError("netmiko is not installed: %s" % exc)
    finally:
        if blocked and sys.modules.get("invoke", 0) is None:
            del sys.modules["invoke"]

    class _FortiDiagSSH(FortinetSSH):  # type: ignore[misc,valid-type]
        def session_preparation(self) -> None:
            data = self._test_channel_read(pattern=r"to accept|[#$]")
            if "to accept" in data:
                # `set post-login-banner enable`: the admin must press `a` to accept.
                self.write_channel("a\r")
                self._test_channel_read(pattern=self.prompt_pattern)
            self.set_base_prompt()
            self._vdoms = False
            self._os_version = ""
            self._original_output_mode = "standard"
            self._output_mode = "standard"

        def cleanup(self, command: str = "exit") -> None:
            # netmiko's cleanup would write `set output more`; our session restores itself.
            try:
                self.write_channel(command + self.RETURN)
            except Exception:  # the transport may already be gone
                pass

    _DRIVER = _FortiDiagSSH
    return _DRIVER


# paramiko 5 dropped SHA-1 key exchange; netmiko's fortinet driver restricts the client to
# its four legacy algorithms, leaving only group-exchange-sha256. FortiOS 7.x also offers
# curve25519/ECDH, so we disable only what is weak instead of restricting to the old set.
WEAK_KEX = ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"]
Context = Tuple[str, ...]
# After `diagnose debug disable`, lines already on their way still arrive: read until the
# channel has been quiet this long (at most QUIESCE_MAX seconds) before the next command.
QUIESCE_IDLE = 0.3
QUIESCE_MAX = 5.0


class SessionError(Exception):
    """A one-line, user-facing session failure."""


class SessionTimeout(SessionError):
    """The device did not return to a prompt in time."""


@dataclass
class SessionParams:
    host: str
    port: int = 22
    username: str = ""
    password: Optional[str] = field(default=None, repr=False)  # never in a repr, a log or a traceback
    private_key_file: Optional[str] = None
    host_key_checking: bool = True
    known_hosts_file: Optional[str] = None
    ssh_timeout: int = 15
    command_timeout: int = 30
    console_paging: str = "in_band"
    label: str = ""


@dataclass
class DeviceInfo:
    hostname: str = ""
    version: Optional[str] = None
    major_minor: Optional[str] = None
    build: Any = None
    model: Optional[str] = None
    serial: Optional[str] = None
    vdom_mode: Optional[str] = None
    ha_mode: Optional[str] = None
    admin_vdom: Optional[str] = None
    console_output: Optional[str] = None
    console_changed: bool = False
    status: Dict[str, Any] = field(default_factory=dict)  # the whole parsed `get system status`

    def as_dict(self) -> Dict[str, Any]:
        data = dict(self.__dict__)
        data["multi_vdom"] = self.multi_vdom
        return data

    @property
    def multi_vdom(self) -> bool:
        return self.vdom_mode in ("multiple", "split-task", "enable")


class FortiOSSession:
    """A logged-in CLI with context tracking, error detection and debug cleanup."""

    def __init__(self, params: SessionParams, log: Optional[Callable[[str], None]] = None) -> None:
        self.params = params
        self._log = log or (lambda message: None)
        self._net: Any = None
        self._prompt_re: "Optional[re.Pattern[str]]" = None
        self._context: Context = ()
        self._last_prompt = ""
        self._base_depth = 0  # parenthesised contexts in the prompt at the tracked context
        # Debug state. `_debug_dirty` survives a dropped session: the device still has debug
        # armed, so the next login (or close) cleans it up before anything else.
        self._debug_dirty = False
        self._debug_context: Context = ()
        self._console_debug = False  # async output may arrive between commands
        self._timestamps = False
        self._foreground: Optional[str] = None  # a command still running (a sniffer)
        self._pending = ""  # async output read past a prompt, returned by read_for
        self._prompt_anywhere: "Optional[re.Pattern[str]]" = None
        # Monotonic time by which the current RPC must be over (set by the connection plugin from
        # ansible's command timeout): reads give up before ansible-connection's own alarm would.
        self.deadline: Optional[float] = None
        self.info = DeviceInfo()
        self.logins = 0

    # -- lifecycle -------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._net is not None

    def open(self) -> DeviceInfo:
        if self._net is not None:
            return self.info
        self._net = self._login()
        self.logins += 1
        try:
            self._prepare()
            if self._debug_dirty:
                self._cleanup_debug()
        except Exception:
            self._drop()
            raise
        return self.info

    def close(self) -> None:
        """Undo what the session changed, then log out. Never raises."""
        if self._net is None and self._debug_dirty:
            # Dropped mid-capture (timeout, lost link): log in again only to clean up.
            try:
                self.open()
            except Exception as exc:
                self._log("debug cleanup login failed for %s: %s" % (self._label(), exc))
        if self._net is None:
            return
        try:
            if self._debug_dirty:
                self._cleanup_debug()
            if self.info.console_changed:
                self._run_in(("global",) if self.info.multi_vdom else (), [
                    "config system console", "set output more", "end"])
            if self._context:
                self._exec("end")
        except Exception as exc:  # closing must not hide the task result
            self._log("cleanup on close failed for %s: %s" % (self._label(), exc))
        finally:
            try:
                self._net.disconnect()
            except Exception:
                pass
            self._drop()

    # -- RPC operations --------------------------------------------------------------
    def run(self, command: str, vdom: Optional[str] = None, scope: Optional[str] = None,
            check_errors: bool = True, keep_debug: bool = False) -> str:
        """Run one command in a VDOM (or `global`) context and return its clean output.

        A capture left running (its task died or forgot to stop it) is cleaned up before any
        command that is not itself a debug command, unless `keep_debug` (a capture's own
        trigger, e.g. bringing a tunnel up while the IKE debug runs).
        """
        self.open()
        if self._foreground is not None:
            self._stop_foreground()
        if self._debug_dirty and not keep_debug and not is_debug_command(command):
            self._cleanup_debug()
        target = self._target_context(vdom, scope)
        self._enter(target)
        if arms_debug(command):
            if not self._debug_dirty:
                self._debug_context = target
            self._debug_dirty = True
        self._timestamps = self._timestamps or enables_timestamps(command)
        console = console_debug_change(command)
        if console is not None:
            self._console_debug = console
        if not check_errors:
            return self._exec(command)
        try:
            return self._checked(command)
        except FortiOSCLIError:
            self._unwind_config()
            raise

    def start(self, command: str, vdom: Optional[str] = None) -> str:
        """Start a command that keeps printing (a sniffer) without waiting for the prompt.

        read_for() then returns its output; send_control('c') stops it. Any other call stops
        it first, and so does close().
        """
        self._prepare_for(vdom)
        if not arms_debug(command):
            raise SessionError("%s: only debug and sniffer commands can run in the background, not '%s'" % (
                self._label(), command))
        if not self._debug_dirty:
            self._debug_context = self._context
        self._debug_dirty = True
        self._foreground = command
        self._log("fortios start: %s" % command)
        try:
            self._net.remote_conn.send(command + "\n")
        except (OSError, EOFError, socket.error) as exc:
            self._drop()
            raise SessionError("%s: session lost while sending '%s': %s" % (self._label(), command, exc))
        return command

    def _prepare_for(self, vdom: Optional[str]) -> None:
        """Log in and enter the VDOM, stopping whatever still runs in the foreground."""
        self.open()
        if self._foreground is not None:
            self._stop_foreground()
        self._enter(self._target_context(vdom, None))

    def stop_debug(self) -> List[str]:
        """Undo every debug switch now (a capture's `finally`); returns the commands sent."""
        if self._net is None and not self._debug_dirty:
            return []
        self.open()
        if not self._debug_dirty and self._foreground is None:
            return []
        return self._cleanup_debug()

    def read_for(self, seconds: float, max_bytes: int = 1 << 20) -> str:
        """Read whatever the device prints for a while (debug streams, a running sniffer)."""
        self.open()
        chan = self._net.remote_conn
        deadline = time.monotonic() + seconds
        chunks: List[str] = [self._pending] if self._pending else []
        size = len(self._pending)
        self._pending = ""
        while size < max_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _unused_w, _unused_x = select.select([chan], [], [], remaining)
            if not ready:
                break
            data = chan.recv(65536)
            if not data:
                self._drop()
                raise SessionError("%s closed the session while reading" % self._label())
            text = data.decode("utf-8", "replace")
            chunks.append(text)
            size += len(text)
        text = "".join(chunks)
        if self._foreground is not None and self._prompt_re is not None and self._prompt_re.search(text[-256:]):
            command, self._foreground = self._foreground, None  # it ended by itself (a sniffer's packet count)
            error = find_cli_error(text)
            if error:  # or it never started: the device refused it
                raise FortiOSCLIError(command, error, text)
        return text

    def send_control(self, char: str) -> str:
        """Send Ctrl-<char> (e.g. `c` to stop a sniffer) and read back to the prompt."""
        self.open()
        if len(char) != 1 or not char.isalpha():
            raise SessionError("send_control takes one letter, e.g. 'c' for Ctrl-C")
        self._net.remote_conn.send(chr(ord(char.lower()) - 96))
        output = self._read_to_prompt("^" + char.upper())
        if char.lower() == "c":
            self._foreground = None
        return output

    # -- internals -------------------------------------------------------------------
    def _label(self) -> str:
        return self.params.label or "%s:%s" % (self.params.host, self.params.port)

    def _drop(self) -> None:
        self._net = None
        self._context = ()
        self._console_debug = False
        self._foreground = None
        self._pending = ""

    def _login(self) -> Any:
        p = self.params
        kwargs: Dict[str, Any] = dict(
            device_type="fortinet", host=p.host, port=p.port, username=p.username,
            password=p.password or "", conn_timeout=p.ssh_timeout, auth_timeout=p.ssh_timeout,
            banner_timeout=p.ssh_timeout, fast_cli=True, allow_agent=False,
            disabled_algorithms={"kex": WEAK_KEX},
            ssh_strict=p.host_key_checking, system_host_keys=False,
            alt_host_keys=bool(p.known_hosts_file), alt_key_file=p.known_hosts_file or "",
        )
        if p.private_key_file:
            kwargs.update(use_keys=True, key_file=p.private_key_file)
        driver = _driver()
        import paramiko  # pylint: disable=import-outside-toplevel
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException  # pylint: disable=import-outside-toplevel
        try:
            return driver(**kwargs)
        except NetmikoAuthenticationException:
            raise SessionError("%s: authentication failed for user '%s'; check ansible_user and "
                               "ansible_password (or the key file)" % (self._label(), p.username))
        except (NetmikoTimeoutException, paramiko.ssh_exception.SSHException) as exc:
            # netmiko wraps paramiko's reason (e.g. an unknown host key) in a generic message.
            cause = _root_cause(exc)
            text = first_line(cause)
            if not isinstance(cause, paramiko.ssh_exception.SSHException):
                raise SessionError("%s: cannot connect: %s" % (self._label(), text))
            if "does not match" in text:
                # A changed key: a new device, a re-imaged one, or someone in the middle. Appending the new
                # key would not help (the old line still matches first): it has to be replaced, knowingly.
                where = "[%s]:%s" % (p.host, p.port) if int(p.port) != 22 else p.host
                raise SessionError(
                    "%s: host key changed (%s); if the device's key really changed (check its fingerprint on the "
                    "console), replace it: ssh-keygen -R '%s' -f %s, then ssh-keyscan -p %s %s >> %s" % (
                        self._label(), text, where, p.known_hosts_file or "~/.ssh/known_hosts", p.port, p.host,
                        p.known_hosts_file or "~/.ssh/known_hosts"))
            if "known_hosts" in text or "host key" in text.lower():
                raise SessionError(
                    "%s: host key not trusted (%s); add it to %s (ssh-keyscan -p %s %s >> %s) or set "
                    "ansible_host_key_checking=false" % (
                        self._label(), text, p.known_hosts_file or "~/.ssh/known_hosts", p.port,
                        p.host, p.known_hosts_file or "~/.ssh/known_hosts"))
            raise SessionError("%s: SSH failure: %s" % (self._label(), text))
        except (OSError, EOFError, ValueError) as exc:
            raise SessionError("%s: cannot connect: %s" % (self._label(), first_line(exc) or type(exc).__name__))

    def _prepare(self) -> None:
        # netmiko's set_base_prompt already read the prompt: no extra round trip.
        prompt = (self._net.base_prompt or "").strip() + " #"
        hostname = hostname_from_prompt(prompt)
        self._prompt_re = prompt_regex(hostname)
        # With debug on, output may follow the prompt on the same line (`HOST # ike 0: ...`).
        self._prompt_anywhere = re.compile(
            r"(?:^|[\r\n])(?P<prompt>" + re.escape(hostname) + r"(?P<contexts>(?:\s?\([^()\r\n]*\))*)\s?[#$])(?:[ \t]|$)")
        self.info = DeviceInfo(hostname=hostname)
        contexts = _contexts(prompt)
        self._base_depth = len(contexts)
        status = parse_system_status(self._exec("get system status"))
        self.info.status = status
        for key in ("version", "major_minor", "build", "model", "serial", "vdom_mode", "ha_mode"):
            setattr(self.info, key, status.get(key))
        if self.info.multi_vdom and contexts:
            # A VDOM-scoped admin lands inside its VDOM and cannot leave it.
            self.info.admin_vdom = contexts[-1]
        if self.params.console_paging == "configure":
            self._configure_console()

    def _configure_console(self) -> None:
        """Opt-in: set the console to `standard` for this session and restore it on close."""
        if self.info.admin_vdom:
            return  # no global rights: stay with in-band paging
        scope: Context = ("global",) if self.info.multi_vdom else ()
        v6 = (self.info.major_minor or "7").startswith(("5.", "6."))
        query = "show full-configuration system console" if v6 else "get system console"
        output = self._run_in(scope, [query])[0]
        match = re.search(r"(?:set output|output\s*:)\s*(\S+)", output)
        self.info.console_output = match.group(1) if match else None
        if self.info.console_output == "more":
            self._run_in(scope, ["config system console", "set output standard", "end"])
            self.info.console_changed = True

    def _run_in(self, context: Context, commands: List[str]) -> List[str]:
        self._enter(context)
        return [self._checked(command) for command in commands]

    def _checked(self, command: str) -> str:
        """Run a command; a FortiOS CLI error in its output raises FortiOSCLIError."""
        output = self._exec(command)
        error = find_cli_error(output)
        if error:
            raise FortiOSCLIError(command, error, output)
        return output

    def _target_context(self, vdom: Optional[str], scope: Optional[str]) -> Context:
        if scope == "global":
            if self.info.admin_vdom:
                raise SessionError("%s: admin '%s' is scoped to VDOM %s and cannot run global commands" % (
                    self._label(), self.params.username, self.info.admin_vdom))
            return ("global",) if self.info.multi_vdom else ()
        if not self.info.multi_vdom:
            if vdom not in (None, "", "root"):
                raise SessionError("%s: VDOMs are not enabled, cannot use vdom '%s'" % (self._label(), vdom))
            return ()
        if self.info.admin_vdom:
            if vdom not in (None, "", self.info.admin_vdom):
                raise SessionError("%s: admin '%s' is scoped to VDOM %s, not %s" % (
                    self._label(), self.params.username, self.info.admin_vdom, vdom))
            return ()
        return ("vdom", vdom or "root")

    def _enter(self, target: Context) -> None:
        for command in context_transition(self._context, target):
            output = self._exec(command)
            error = find_cli_error(output)
            if error:
                # The CLI may be half-way (e.g. inside `config vdom`): go back to the top.
                self._exec("end")
                self._context = ()
                self._base_depth = len(_contexts(self._last_prompt))
                where = "VDOM %s" % target[1] if len(target) > 1 else "the %s context" % target[0]
                raise SessionError("%s: cannot enter %s (%s: %s)" % (self._label(), where, command, error))
        if self._context != target:
            self._base_depth = len(_contexts(self._last_prompt))
        self._context = target

    def _unwind_config(self) -> None:
        """A command failed inside `config ...` / `edit ...`: abort back to the tracked context.

        `abort` leaves one level and discards what that level had not committed, so a failed
        configuration never half-applies and the next task starts where it expects.
        """
        for _attempt in range(6):
            if len(_contexts(self._last_prompt)) <= self._base_depth:
                return
            self._exec("abort")
        self._log("%s: still in a configuration mode after abort; reconnecting" % self._label())
        self._abandon()

    def _stop_foreground(self) -> None:
        """Ctrl-C a running sniffer and return to the prompt; its last output is kept for read_for."""
        self._net.remote_conn.send("\x03")
        self._pending += self._read_to_prompt("^C")
        self._foreground = None

    def _cleanup_debug(self) -> List[str]:
        """Switch every debug switch off in the context it was armed in. Errors are logged, not raised."""
        if self._foreground is not None:
            self._stop_foreground()
        sent: List[str] = []
        try:
            self._enter(self._debug_context)
        except SessionError as exc:
            self._log("debug cleanup for %s: %s" % (self._label(), exc))
        for command in debug_cleanup_commands(self.info.version, self._timestamps):
            output = self._exec(command)
            sent.append(command)
            if command == "diagnose debug disable":
                self._console_debug = False
                self._quiesce()
            error = find_cli_error(output)
            if error:
                self._log("debug cleanup on %s: '%s' answered %s" % (self._label(), command, error))
        self._debug_dirty = False
        self._timestamps = False
        self._pending = ""
        return sent

    def _quiesce(self) -> None:
        """Drain debug lines still in flight after `diagnose debug disable`."""
        chan = self._net.remote_conn
        deadline = time.monotonic() + QUIESCE_MAX
        while time.monotonic() < deadline:
            ready, _unused_w, _unused_x = select.select([chan], [], [], QUIESCE_IDLE)
            if not ready:
                break
            if not chan.recv(65536):
                self._drop()
                raise SessionError("%s closed the session during debug cleanup" % self._label())
        self._pending = ""

    def _exec(self, command: str) -> str:
        self._log("fortios send: %s" % command)
        try:
            self._net.remote_conn.send(command + "\n")
        except (OSError, EOFError, socket.error) as exc:
            self._drop()
            raise SessionError("%s: session lost while sending '%s': %s" % (self._label(), command, exc))
        return clean_output(self._read_to_prompt(command), command, self._prompt_re)

    def _read_to_prompt(self, command: str) -> str:
        chan = self._net.remote_conn
        timeout = float(self.params.command_timeout)
        deadline = time.monotonic() + timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        buf = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abandon()
                raise SessionTimeout("%s: no prompt within %ss after '%s'" % (self._label(), int(timeout), command))
            ready, _unused_w, _unused_x = select.select([chan], [], [], min(remaining, 1.0))
            if not ready:
                other = self._other_prompt(buf)
                if other is not None:
                    # Waiting longer cannot help: the prompt we wait for no longer exists.
                    self._abandon()
                    raise SessionError("%s: the prompt changed from '%s' to '%s' after '%s' (was the hostname "
                                       "changed?); the session was closed, the next task logs in again" % (
                                           self._label(), self._last_prompt.strip() or self.info.hostname + " #",
                                           other, command))
                continue
            data = chan.recv(65536)
            if not data:
                self._drop()
                raise SessionError("%s: the device closed the session during '%s'" % (self._label(), command))
            scanned = max(0, len(buf) - 512)  # a prompt may straddle two reads
            buf += data.decode("utf-8", "replace")
            tail = buf[-256:]
            if MORE_RE.search(tail):
                chan.send(" ")  # `output more`: ask for the next page
                continue
            if self._console_debug or self._foreground is not None:
                done = self._split_at_prompt(buf, command, scanned)
                if done is not None:
                    return done
                continue
            match = self._prompt_re.search(tail) if self._prompt_re is not None else None
            if match:
                self._last_prompt = match.group("prompt")
                return buf

    def _other_prompt(self, buf: str) -> Optional[str]:
        """The output went quiet on another device's prompt (`NEWNAME # `): the hostname changed."""
        match = _ANY_PROMPT.search(buf[-256:])
        if match is None or match.group("host") == self.info.hostname:
            return None
        return match.group("prompt").strip()

    def _split_at_prompt(self, buf: str, command: str, scanned: int = 0) -> Optional[str]:
        """Debug mode: the prompt may be followed by async output. Return the text up to the
        first prompt after the echoed command and keep the rest for read_for."""
        if self._prompt_anywhere is None:
            return None
        echo = buf.find(command.strip()) if command.strip() else -1
        start = echo + len(command.strip()) if echo >= 0 else 0
        # Only what arrived since the last read is new: scanning the whole buffer on every read
        # made a large output (megabytes of debug) quadratic.
        match = self._prompt_anywhere.search(buf, max(start, scanned))
        if not match:
            return None
        self._last_prompt = match.group("prompt")
        self._pending += buf[match.end("prompt"):]
        return buf[:match.end("prompt")] + " "

    def abandon(self) -> None:
        """The connection plugin saw an RPC die half-way: forget this CLI, the next call logs in again."""
        if self._net is not None:
            self._abandon()

    def _abandon(self) -> None:
        """After a timeout the CLI state is unknown: drop the session, the next call reconnects."""
        try:
            self._net.remote_conn.send("\x03")
            self._net.disconnect()
        except Exception:
            pass
        self._drop()


# Any FortiOS prompt at the very end of the output (hostnames: up to 35 of A-Z a-z 0-9 _ . -).
_ANY_PROMPT = re.compile(r"(?:^|[\r\n])(?P<prompt>(?P<host>[A-Za-z0-9][A-Za-z0-9_.-]{0,34})"
                         r"(?:\s?\([^()\r\n]*\))*\s?[#$]) ?$")


def _contexts(prompt: str) -> List[str]:
    """The prompt's contexts without the HA role (`H (Primary) (root) #` -> ['root'])."""
    return [c for c in prompt_contexts(prompt) if c not in ("Primary", "Secondary", "Master", "Slave")]


def _root_cause(exc: BaseException) -> BaseException:
    seen = []
    while exc not in seen and (exc.__cause__ or exc.__context__):
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def first_line(exc: BaseException) -> str:
    """The first non-blank line of an exception's message (its type name when it has none)."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # paramiko's NoValidConnectionsError reads "[Errno None] Unable to connect to port ...".
    return re.sub(r"^\[Errno None\]\s*", "", lines[0]) if lines else type(exc).__name__
