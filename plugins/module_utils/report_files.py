# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a report's text files into one directory: atomically, idempotently, check mode aware.

Shared by the report_files action plugin (on the controller, no module process) and the module.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from typing import Any, Dict, List, Optional

ARGUMENT_SPEC: Dict[str, Any] = {
    "path": {"type": "path", "required": True},
    "files": {"type": "dict", "required": True},
    "mode": {"type": "str", "default": "0640"},
    "dir_mode": {"type": "str", "default": "0750"},
}
# Diffs show text files up to this size; bigger ones only say that they change.
DIFF_MAX = 64 * 1024
_MODE_RE = re.compile(r"^0?[0-7]{3}$")
_BAD_NAME_RE = re.compile(r"[\x00-\x1f\x7f/\\]")


class ReportFilesError(Exception):
    """A bad parameter or a write that failed: the message says what to fix."""


def check_params(params: Dict[str, Any]) -> Dict[str, Any]:
    """The parameters, validated and normalised: modes as ints, contents as text."""
    path = params.get("path")
    if not isinstance(path, str) or not path.strip():
        raise ReportFilesError("path: give the directory to write the report files into")
    files = params.get("files")
    if not isinstance(files, dict) or not files:
        raise ReportFilesError("files: give at least one file, as {name: text}")
    checked: Dict[str, str] = {}
    for name, content in files.items():
        if not isinstance(name, str) or not name or name in (".", "..") or _BAD_NAME_RE.search(name):
            raise ReportFilesError("files: %r is not a plain file name (no directories, no control characters)"
                                   % (name,))
        if not isinstance(content, str):
            raise ReportFilesError("files.%s: must be text, got %s (render it with a filter such as to_nice_json)"
                                   % (name, type(content).__name__))
        checked[name] = content
    modes = {}
    for option in ("mode", "dir_mode"):
        value = params.get(option) if params.get(option) is not None else ARGUMENT_SPEC[option]["default"]
        if not isinstance(value, str) or not _MODE_RE.match(value):
            raise ReportFilesError("%s: %r is not an octal mode such as '0640'" % (option, value))
        modes[option] = int(value, 8)
    return {"path": os.path.abspath(os.path.expanduser(path)), "files": checked, **modes}


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write(params: Dict[str, Any], check_mode: bool = False, diff: bool = False) -> Dict[str, Any]:
    """Create the directory and write each file whose content or mode differs. Raises ReportFilesError."""
    checked = check_params(params)
    directory: str = checked["path"]
    result: Dict[str, Any] = {"changed": False, "path": directory, "files": [], "written": []}
    diffs: List[Dict[str, str]] = []
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ReportFilesError("path: %s exists and is not a directory" % directory)
    if not os.path.isdir(directory):
        result["changed"] = True
        if not check_mode:
            try:
                os.makedirs(directory, mode=checked["dir_mode"], exist_ok=True)
            except OSError as exc:
                raise ReportFilesError("path: cannot create %s: %s" % (directory, exc.strerror or exc))
    for name, content in checked["files"].items():
        target = os.path.join(directory, name)
        result["files"].append(target)
        data = content.encode("utf-8", "surrogateescape")
        before = _read(target) if os.path.isdir(directory) else None
        same_mode = before is not None and stat.S_IMODE(os.stat(target).st_mode) == checked["mode"]
        if before == data and same_mode:
            continue
        result["changed"] = True
        result["written"].append(target)
        if diff:
            diffs.append(_diff(target, before, data))
        if check_mode:
            continue
        _atomic_write(directory, target, data, checked["mode"])
    if diff:
        result["diff"] = diffs
    return result


def _diff(target: str, before: Optional[bytes], after: bytes) -> Dict[str, str]:
    def text(data: Optional[bytes]) -> str:
        if data is None:
            return ""
        if len(data) > DIFF_MAX:
            return "(%d bytes, not shown)\n" % len(data)
        return data.decode("utf-8", "replace")

    return {"before_header": target if before is not None else "%s (absent)" % target, "after_header": target,
            "before": text(before), "after": text(after)}


def _atomic_write(directory: str, target: str, data: bytes, mode: int) -> None:
    """A reader never sees half a file: write a temporary file beside it, then rename."""
    fd, temporary = -1, ""
    try:
        fd, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), dir=directory)
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temporary, target)
        temporary = ""
    except OSError as exc:
        raise ReportFilesError("cannot write %s: %s" % (target, exc.strerror or exc))
    finally:
        if fd >= 0:
            os.close(fd)
        if temporary:
            try:
                os.unlink(temporary)
            except OSError:
                pass
