"""FortiOS releases: parsing, supported trains and made-up build metadata."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

# Trains the simulator renders. Output differences are keyed on the train only.
SUPPORTED_TRAINS: tuple[tuple[int, int], ...] = ((6, 4), (7, 0), (7, 2), (7, 4), (7, 6))

# Build numbers and dates are invented but grow with the patch level like real
# ones do, so a client can sort or compare them. (base build, base date, step)
_TRAIN_BUILDS: dict[tuple[int, int], tuple[int, _dt.date, int]] = {
    (6, 4): (1575, _dt.date(2020, 3, 30), 35),
    (7, 0): (66, _dt.date(2021, 3, 29), 42),
    (7, 2): (1157, _dt.date(2022, 3, 31), 60),
    (7, 4): (2360, _dt.date(2023, 5, 11), 55),
    (7, 6): (3401, _dt.date(2024, 7, 25), 60),
}
# A few pinned values (the brief's example for 7.2.8).
_PINNED: dict[tuple[int, int, int], tuple[int, str]] = {(7, 2, 8): (1639, "240313")}

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True, order=True)
class Release:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> "Release":
        """Parse ``"7.2.8"``; raise ValueError with a readable reason."""
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a version like '7.2.8'")
        rel = cls(*(int(part) for part in match.groups()))
        if rel.train not in SUPPORTED_TRAINS:
            trains = ", ".join(f"{a}.{b}" for a, b in SUPPORTED_TRAINS)
            raise ValueError(f"{text!r} is not a supported release (major.minor must be one of {trains})")
        return rel

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def train(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def at_least(self, major: int, minor: int) -> bool:
        return self.train >= (major, minor)

    @property
    def group_name(self) -> str:
        """Inventory group, e.g. ``fortios_7_2``."""
        return f"fortios_{self.major}_{self.minor}"

    @property
    def build(self) -> int:
        pinned = _PINNED.get((self.major, self.minor, self.patch))
        if pinned:
            return pinned[0]
        base, step = _TRAIN_BUILDS[self.train][0], _TRAIN_BUILDS[self.train][2]
        return base + step * self.patch

    @property
    def build_date(self) -> str:
        """yymmdd as printed after the build number."""
        pinned = _PINNED.get((self.major, self.minor, self.patch))
        if pinned:
            return pinned[1]
        base_date = _TRAIN_BUILDS[self.train][1]
        return (base_date + _dt.timedelta(days=71 * self.patch)).strftime("%y%m%d")

    @property
    def branch_label(self) -> str:
        """Release label in the Version line: 6.4 prints plain GA; 7.x adds .M/.F."""
        if self.train == (6, 4):
            return "GA"
        return "GA.F" if self.train == (7, 6) else "GA.M"
