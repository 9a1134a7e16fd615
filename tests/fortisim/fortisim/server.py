"""asyncssh glue: one listener per simulated device, password auth, a Shell per session."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Optional

import asyncssh

from fortisim import sessionfaults
from fortisim.clock import Clock
from fortisim.model import Admin, Device
from fortisim.shell import Shell
from fortisim.stats import StatsBook

# What FortiOS 7.x offers by default (strong-crypto off): modern curves first, and
# the group-exchange / group14 families that older clients (and netmiko's fortinet
# driver, which restricts itself to those) still need.
KEX_ALGS = [
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group-exchange-sha1",
]
# Real boxes announce a short random-looking software version, not a product name.
SERVER_VERSION = "Kq7LmXw2"


@dataclass
class Sessions:
    """Live connections, so a shutdown can close them instead of waiting on clients."""

    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)

    def close_all(self) -> None:
        for conn in list(self.connections):
            conn.close()


class DeviceSSHServer(asyncssh.SSHServer):
    def __init__(self, device: Device, stats: StatsBook, sessions: Sessions) -> None:
        self.device = device
        self.stats = stats
        self.sessions = sessions
        self.conn: Optional[asyncssh.SSHServerConnection] = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.sessions.connections.add(conn)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.conn is not None:
            self.sessions.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True  # always require authentication

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        admin = self.device.authenticate(username, password)
        if admin is not None and sessionfaults.take_login(self.device, "auth_failure"):
            admin = None  # an auth_failure fault: the right password is refused (RADIUS down...)
        if admin is None:
            self.stats.bump(self.device.hostname, "failed_logins")
            return False
        assert self.conn is not None
        self.conn.set_extra_info(fortisim_admin=admin)
        return True

    def auth_completed(self) -> None:
        self.stats.bump(self.device.hostname, "logins")


async def _read(process: asyncssh.SSHServerProcess) -> str:
    while True:
        try:
            return await process.stdin.read(4096)
        except (asyncssh.TerminalSizeChanged, asyncssh.SignalReceived):
            continue
        except asyncssh.BreakReceived:
            return "\x03"


def _write(process: asyncssh.SSHServerProcess, text: str) -> None:
    if not process.is_closing():
        process.stdout.write(text)


def _session_handler(device: Device, stats: StatsBook,
                     clock: Clock) -> Callable[[asyncssh.SSHServerProcess], Awaitable[None]]:
    async def handle(process: asyncssh.SSHServerProcess) -> None:
        admin: Admin = process.get_extra_info("fortisim_admin")
        shell = Shell(device, admin, stats, clock, lambda: _read(process), lambda text: _write(process, text))
        try:
            if process.command:
                await shell.run_exec(process.command)
            else:
                await shell.run()
        except sessionfaults.SessionDropped:
            # A drop fault: the link dies mid-output, no SSH disconnect, no exit status.
            process.channel.get_connection().abort()
            return
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            pass
        finally:
            if not process.is_closing():
                process.exit(0)

    return handle


async def start_device(device: Device, host: str, port: int, host_key: asyncssh.SSHKey,
                       stats: StatsBook, clock: Clock, sessions: Sessions) -> asyncssh.SSHAcceptor:
    if sessionfaults.has(device, "host_key_change"):
        # The box was replaced or reinstalled: it presents a key that known_hosts does not have.
        host_key = asyncssh.generate_private_key("ssh-ed25519")
    return await asyncssh.create_server(
        lambda: DeviceSSHServer(device, stats, sessions),
        host,
        port,
        server_host_keys=[host_key],
        process_factory=_session_handler(device, stats, clock),
        # The shell echoes and edits lines itself, like the real CLI.
        line_editor=False,
        kex_algs=KEX_ALGS,
        server_version=SERVER_VERSION,
        encoding="utf-8",
        # Raw non-UTF-8 bytes either way: a garbage fault writes them as surrogates, and a
        # client's stray bytes never kill the session.
        errors="surrogateescape",
        login_timeout=30,
        keepalive_interval=0,
        reuse_address=True,
    )


async def stop_all(acceptors: list[asyncssh.SSHAcceptor], sessions: Sessions) -> None:
    for acceptor in acceptors:
        acceptor.close()
    sessions.close_all()
    await asyncio.gather(*(a.wait_closed() for a in acceptors), return_exceptions=True)
