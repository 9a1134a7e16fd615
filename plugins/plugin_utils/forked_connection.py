# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start this collection's persistent connection process by forking the worker, not by exec.

ansible-core starts a persistent connection (and, on every later task, looks it up) by running
``ansible_connection_cli_stub.py`` in a fresh Python interpreter, which imports ansible again:
about half a CPU-second per host and task, more than everything else a fleet run does per host.
The worker that asks already has all of that imported, so here the worker does what the stub
does (same lock, same socket path, same ``ConnectionProcess`` class, same double fork and
detach, same messages and errors) without the exec. The connection process is still
ansible-core's: a ``ConnectionProcess`` serving JSON-RPC on the same control socket, reused by
every task and closed by the strategy at the end of the play.

Only connections of this collection take this path; anything else goes to ansible-core's own
``start_connection``. ``install()`` is called by the ``fortidiag.ipsec.fleet`` strategy in the
controller before any worker forks, and checks that ansible-core still has the pieces it uses.
"""
from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import json
import os
import pickle
import signal
import sys
import traceback
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

# The connection names this path serves (as ansible_connection spells them).
CONNECTIONS = frozenset(("fortidiag.ipsec.fortios",))

_ORIGINAL: Optional[Callable[..., str]] = None


def _stub() -> Any:
    from ansible.cli.scripts import ansible_connection_cli_stub

    return ansible_connection_cli_stub


def install() -> bool:
    """Route this collection's connections through start_connection below; False when not possible."""
    global _ORIGINAL  # pylint: disable=global-statement
    try:
        from ansible.executor import task_executor

        from ansible.plugins.loader import connection_loader

        current = task_executor.start_connection
        # What _start() and _fork() use of ansible-core; all of it exists in 2.19 (the pinned version).
        getattr(_stub(), "ConnectionProcess")
        getattr(connection_loader.get("ssh", class_only=True), "_create_control_path")
    except (ImportError, AttributeError):
        return False  # another ansible-core: keep its own way
    if current is start_connection:
        return True
    _ORIGINAL = current
    task_executor.start_connection = start_connection
    return True


def start_connection(play_context: Any, options: Dict[str, Any], task_uuid: str) -> str:
    """ansible-core's start_connection, for the connections in CONNECTIONS without a new interpreter."""
    if play_context.connection not in CONNECTIONS and _ORIGINAL is not None:
        return _ORIGINAL(play_context, options, task_uuid)

    from ansible.errors import AnsibleError
    from ansible.utils.display import Display

    display = Display()
    result = _start(play_context, options, task_uuid)
    for level, message in result.get("messages", []):
        if level == "log":
            display.display(message, log_only=True)
        elif level in ("debug", "v", "vv", "vvv", "vvvv", "vvvvv", "vvvvvv"):
            getattr(display, level)(message, host=play_context.remote_addr)
        elif hasattr(display, level):
            getattr(display, level)(message)
        else:
            display.vvvv(message, host=play_context.remote_addr)
    if "error" in result:
        if display.verbosity > 2 and result.get("exception"):
            display.display("The full traceback is:\n" + result["exception"])
        raise AnsibleError(result["error"])
    return result["socket_path"]


def _start(play_context: Any, options: Dict[str, Any], task_uuid: str) -> Dict[str, Any]:
    """The stub's main(), in this process: find or start the connection process for this host."""
    from ansible import constants as C
    from ansible.module_utils.common.text.converters import to_text
    from ansible.module_utils.connection import Connection, ConnectionError as RpcError
    from ansible.plugins.loader import connection_loader
    from ansible.utils.path import unfrackpath

    stub = _stub()
    messages: List[Tuple[str, str]] = []
    result: Dict[str, Any] = {}
    playbook_pid = to_text(os.getppid())  # what the stub gets on its command line
    # The stub receives both pickled: the same copies here, so nothing is shared with the caller.
    options = pickle.loads(pickle.dumps(options))
    init_data = pickle.dumps(play_context.serialize())

    ssh = connection_loader.get("ssh", class_only=True)
    control = ssh._create_control_path(play_context.remote_addr, play_context.port, play_context.remote_user,
                                       play_context.connection, playbook_pid)
    directory = unfrackpath(C.PERSISTENT_CONTROL_PATH_DIR)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    socket_path = unfrackpath(control % dict(directory=directory))
    lock_path = unfrackpath("%s/.ansible_pc_lock_%s" % os.path.split(socket_path))

    try:
        with _locked(lock_path):
            if not os.path.exists(socket_path):
                messages.append(("vvvv", "local domain socket does not exist, starting it (forked from the worker)"))
                result.update(_fork(stub, init_data, options, socket_path, task_uuid, playbook_pid, messages))
            else:
                messages.append(("vvvv", "found existing local domain socket, using it!"))
                conn = Connection(socket_path)
                try:
                    conn.set_options(direct=options)
                except RpcError as exc:
                    messages.append(("debug", to_text(exc)))
                    raise RpcError("Unable to decode JSON from response set_options. "
                                   "See the debug log for more information.")
                try:
                    conn.update_play_context(to_text(init_data))
                    conn.set_check_prompt(task_uuid)
                except Exception as exc:  # pylint: disable=broad-except
                    # As the stub: only network_cli has these two; "method not found" is fine.
                    if not (isinstance(exc, RpcError) and getattr(exc, "code", None) == -32601):
                        result.update({"error": to_text(exc), "exception": traceback.format_exc()})
    except Exception as exc:  # pylint: disable=broad-except
        result.update({"error": to_text(exc), "exception": traceback.format_exc()})

    if os.path.exists(socket_path):
        try:
            messages.extend(Connection(socket_path).pop_messages())
        except Exception as exc:  # pylint: disable=broad-except
            result.setdefault("error", to_text(exc))
    result["messages"] = messages
    result["socket_path"] = socket_path
    return result


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """The stub's file lock on the socket (the same lock file), released on errors too."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _fork(stub: Any, init_data: bytes, options: Dict[str, Any], socket_path: str, task_uuid: str,
          playbook_pid: str, messages: List[Tuple[str, str]]) -> Dict[str, Any]:
    """Double-fork a detached ConnectionProcess; returns what its start() reported."""
    from ansible.module_utils.service import fork_process

    original_path = os.getcwd()
    read_fd, write_fd = os.pipe()
    pid = fork_process()
    if pid == 0:
        _serve(stub, write_fd, read_fd, init_data, options, socket_path, original_path, task_uuid, playbook_pid)
    os.close(write_fd)
    with os.fdopen(read_fd, "r") as reader:
        data = reader.read()
    try:
        os.waitpid(pid, 0)  # fork_process's first child exits at once: do not leave a zombie
    except ChildProcessError:
        pass
    from ansible.module_utils._internal._json._profiles import _tagless

    try:
        reported = json.loads(data, cls=_tagless.Decoder)
    except ValueError:
        return {"error": "the persistent connection process for %s ended before it reported" % socket_path}
    messages.extend(reported.pop("messages", []))
    return reported


def _serve(stub: Any, write_fd: int, read_fd: int, init_data: bytes, options: Dict[str, Any], socket_path: str,
           original_path: str, task_uuid: str, playbook_pid: str) -> None:
    """The detached connection process: never returns."""
    rc = 1
    try:
        os.close(read_fd)
        # Not a worker any more: display writes for itself (to the log), not through the results queue, and
        # the signals the worker forwarded to its group are the stub's defaults again.
        from ansible.playbook.play_context import PlayContext
        from ansible.utils.display import Display

        Display()._final_q = None
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdout = io.StringIO()  # ConnectionProcess.start() reads what the plugin printed from here
        # Everything inherited from the controller stays shared with it: keep the collector off those pages.
        gc.freeze()
        play_context = PlayContext()
        play_context.deserialize(pickle.loads(init_data))
        process = stub.ConnectionProcess(os.fdopen(write_fd, "w"), play_context, socket_path, original_path,
                                         task_uuid, playbook_pid)
        process.start(options)
        if process.connection is not None and process.sock is not None:
            process.run()
            rc = 0
        else:
            process.shutdown()
    except BaseException:  # pylint: disable=broad-except
        rc = 1
    finally:
        # os._exit: nothing of the worker (atexit, multiprocessing, queues) may run in this process.
        os._exit(rc)  # pylint: disable=protected-access
