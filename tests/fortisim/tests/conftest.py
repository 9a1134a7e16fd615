"""pytest setup for the simulator's own tests; shared helpers live in sim_helpers.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("fortisim") is None:
    # Not installed (`pip install -e tests/fortisim`): use the checkout's copy.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
