# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure FortiOS CLI output parsers: text in, dict out, no I/O, never raise."""
