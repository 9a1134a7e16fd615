# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fortidiag maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that build the fleet report from host variables and render it as Markdown and HTML."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.fortidiag.ipsec.plugins.module_utils.report import fleet_report, report_html, report_markdown


def _fleet_report(hosts: Sequence[str], hostvars: Mapping[str, Any], generated: str = "") -> Dict[str, Any]:
    if isinstance(hosts, str) or not isinstance(hosts, Sequence):
        raise AnsibleFilterError("fleet_report expects a list of host names, e.g. ansible_play_hosts_all")
    return fleet_report(list(hosts), hostvars, generated)


def _check_report(report: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(report, Mapping) or not isinstance(report.get("hosts"), Mapping):
        raise AnsibleFilterError("%s expects the dict made by fortidiag.ipsec.fleet_report" % name)
    return report


def _report_markdown(report: Mapping[str, Any]) -> str:
    return report_markdown(_check_report(report, "report_markdown"))


def _report_html(report: Mapping[str, Any]) -> str:
    return report_html(_check_report(report, "report_html"))


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {"fleet_report": _fleet_report, "report_markdown": _report_markdown, "report_html": _report_html}
