# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the unit tests: the parser fixture registry.

`tests/unit/fixtures/<command_dir>/<case>.txt` is raw CLI output and `<case>.json`
is exactly what the parser for that command returns with include_keys=False.
A test that takes a `fixture_case` argument runs once per case.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple

import pytest

# pytest puts tests/unit on sys.path for this conftest.
from parser_registry import FIXTURES_DIR, PARSER_REGISTRY, parser_for


class FixtureCase(NamedTuple):
    command_dir: str
    name: str
    txt: Path
    expected: Path

    @property
    def text(self) -> str:
        # newline="" keeps lone \r (paging erase) exactly as captured. Cases named *_crlf
        # are stored with \n (ansible-test's line-endings rule) and fed with the \r\n a
        # raw SSH capture has.
        with open(str(self.txt), encoding="utf-8", newline="") as handle:
            text = handle.read()
        return text.replace("\n", "\r\n") if self.name.endswith("_crlf") else text

    def load_expected(self) -> Any:
        with open(str(self.expected), encoding="utf-8") as handle:
            return json.load(handle)

    @property
    def parser(self) -> Callable[..., Dict[str, Any]]:
        return parser_for(self.command_dir)

    @property
    def items_key(self) -> Any:
        return PARSER_REGISTRY[self.command_dir][2]


def fixture_cases() -> List[FixtureCase]:
    cases = []
    for command_dir in sorted(PARSER_REGISTRY):
        directory = FIXTURES_DIR / command_dir
        if not directory.is_dir():
            continue
        for txt in sorted(directory.glob("*.txt")):
            cases.append(FixtureCase(command_dir, txt.stem, txt, txt.with_suffix(".json")))
    return cases


def pytest_generate_tests(metafunc: Any) -> None:
    if "fixture_case" in metafunc.fixturenames:
        cases = fixture_cases()
        metafunc.parametrize("fixture_case", cases, ids=["%s/%s" % (c.command_dir, c.name) for c in cases])


@pytest.fixture(name="all_fixture_cases")
def all_fixture_cases_fixture() -> List[FixtureCase]:
    return fixture_cases()
