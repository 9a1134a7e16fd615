"""report_files: atomic, idempotent writes of report text files; check and diff mode; bad input in one line."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report_files import (
    ReportFilesError, check_params, write)

FILES = {"report.json": '{\n  "hosts": {}\n}\n', "report.md": "# VPN report\n\nnä: ok\n"}


def params(path: Path, **extra: Any) -> Dict[str, Any]:
    return dict({"path": str(path), "files": dict(FILES), "mode": "0640", "dir_mode": "0750"}, **extra)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_the_directory_and_writes_every_file_with_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    result = write(params(target))
    assert result["changed"] is True
    assert result["files"] == [str(target / "report.json"), str(target / "report.md")] == result["written"]
    assert (target / "report.md").read_text(encoding="utf-8") == FILES["report.md"]
    assert (target / "report.json").read_text() == FILES["report.json"]
    assert mode_of(target / "report.md") == 0o640
    assert mode_of(target) == 0o750 & ~_umask()
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # no temporary file left


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_second_run_changes_nothing_and_a_changed_file_or_mode_is_rewritten_alone(tmp_path: Path) -> None:
    write(params(tmp_path))
    again = write(params(tmp_path))
    assert again["changed"] is False and again["written"] == []
    os.chmod(tmp_path / "report.md", 0o644)
    changed = dict(FILES, **{"report.json": "{}\n"})
    result = write(params(tmp_path, files=changed))
    assert result["written"] == [str(tmp_path / "report.json"), str(tmp_path / "report.md")]
    assert mode_of(tmp_path / "report.md") == 0o640 and (tmp_path / "report.json").read_text() == "{}\n"


def test_check_mode_writes_nothing_and_diff_shows_old_and_new(tmp_path: Path) -> None:
    target = tmp_path / "new"
    result = write(params(target), check_mode=True, diff=True)
    assert result["changed"] is True and not target.exists()
    assert [d["before_header"] for d in result["diff"]] == ["%s (absent)" % (target / n) for n in FILES]
    assert result["diff"][1]["after"] == FILES["report.md"]
    write(params(tmp_path))
    result = write(params(tmp_path, files=dict(FILES, **{"report.md": "# new\n"})), check_mode=True, diff=True)
    assert result["diff"] == [{"before_header": str(tmp_path / "report.md"), "after_header": str(tmp_path / "report.md"),
                               "before": FILES["report.md"], "after": "# new\n"}]
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == FILES["report.md"]


def test_big_files_are_named_in_the_diff_not_shown(tmp_path: Path) -> None:
    big = "x" * (70 * 1024)
    result = write(params(tmp_path, files={"report.html": big}), diff=True)
    assert result["diff"][0]["after"] == "(%d bytes, not shown)\n" % len(big)
    assert (tmp_path / "report.html").stat().st_size == len(big)


@pytest.mark.parametrize("bad, needle", [
    ({"path": ""}, "path:"),
    ({"files": {}}, "files:"),
    ({"files": {"../escape.json": "x"}}, "not a plain file name"),
    ({"files": {"sub/dir.json": "x"}}, "not a plain file name"),
    ({"files": {"bad\nname": "x"}}, "not a plain file name"),
    ({"files": {"report.json": {"hosts": {}}}}, "files.report.json: must be text, got dict"),
    ({"mode": "640x"}, "mode:"),
    ({"mode": "0999"}, "mode:"),
    ({"dir_mode": "rwx"}, "dir_mode:"),
])
def test_bad_input_is_one_line_that_names_the_option(tmp_path: Path, bad: Dict[str, Any], needle: str) -> None:
    with pytest.raises(ReportFilesError) as info:
        write(dict(params(tmp_path / "never"), **bad))
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "never").exists()


def test_a_file_where_the_directory_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ReportFilesError, match="exists and is not a directory"):
        write(params(tmp_path / "taken"))


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.one_of(st.text(max_size=12), st.integers(), st.none()), content=st.one_of(st.text(max_size=20),
       st.integers(), st.lists(st.text(max_size=3), max_size=2), st.none()),
       mode=st.one_of(st.text(max_size=5), st.integers(0, 0o7777), st.none()))
def test_any_parameters_are_accepted_or_refused_in_one_line(name: Any, content: Any, mode: Any) -> None:
    try:
        checked = check_params({"path": "/nonexistent/x", "files": {name: content}, "mode": mode})
    except ReportFilesError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(name, str) and "/" not in name and name not in ("", ".", "..")
    assert isinstance(content, str) and checked["mode"] in range(0o1000)


def test_the_action_plugin_writes_on_the_controller_with_check_mode(tmp_path: Path) -> None:
    from ansible.errors import AnsibleActionFail

    from ansible_collections.fortidiag.ipsec.plugins.action.report_files import ActionModule

    def action(args: Dict[str, Any], check_mode: bool = False) -> Dict[str, Any]:
        task = SimpleNamespace(args=args, async_val=0, check_mode=check_mode, diff=False,
                               action="fortidiag.ipsec.report_files")
        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/tmp"))
        plugin = ActionModule(task, connection, None, None, None)  # type: ignore[arg-type]
        plugin._load_name = "fortidiag.ipsec.report_files"
        return plugin.run(task_vars={})

    assert action({"path": str(tmp_path / "r"), "files": {"a.md": "x"}}, check_mode=True)["changed"] is True
    assert not (tmp_path / "r").exists()
    result = action({"path": str(tmp_path / "r"), "files": {"a.md": "x"}})
    assert result["changed"] is True and (tmp_path / "r" / "a.md").read_text() == "x"
    assert mode_of(tmp_path / "r" / "a.md") == 0o640  # the spec's default
    with pytest.raises(AnsibleActionFail, match="files"):
        action({"path": str(tmp_path / "r")})
    with pytest.raises(AnsibleActionFail, match="not a plain file name"):
        action({"path": str(tmp_path / "r"), "files": {"../x": "y"}})
