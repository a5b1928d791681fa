"""When a condition's level is worse than the one its alert shows (an update in place)."""

from __future__ import annotations

import pytest

from bot.services.alerts.conditions import worse


@pytest.mark.parametrize(
    ("kind", "new", "old", "expected"),
    [
        ("plan", "100", "80", True),
        ("plan", "80", "80", False),
        ("budget", "80", "50", True),
        ("budget", "50", "80", False),
        ("pace", "2026-11-26", "2026-11-28", True),  # 2 days earlier: said again
        ("pace", "2026-11-27", "2026-11-28", False),  # 1 day earlier: not
        ("pace", "2026-11-29", "2026-11-28", False),  # later: better, not worse
        ("spike", "2026-11-25", "2026-11-23", True),  # a clearly higher day later in the episode
        ("spike", "2026-11-23", "2026-11-23", False),
        ("access", "off", "off", False),
    ],
)
def test_worse_levels(kind, new, old, expected):
    assert worse(kind, new, old) is expected
