"""When a condition's level is worse than the one its alert shows, and when the mirror can be judged."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.figures import Freshness
from bot.services.alerts.conditions import mirror_behind, worse


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


TOKYO = ZoneInfo("Asia/Tokyo")
MIDNIGHT = datetime(2026, 11, 25, tzinfo=TOKYO)  # Wed Nov 25 00:00 in Tokyo (Tue 15:00 UTC)


@pytest.mark.parametrize(
    ("synced_at", "judged"),
    [
        (MIDNIGHT, True),  # caught up at local midnight: yesterday is whole
        (MIDNIGHT - timedelta(microseconds=1), False),  # a moment before: yesterday's end may be missing
        (None, False),
    ],
)
def test_the_mirror_is_judged_only_once_caught_up_since_local_midnight(synced_at, judged):
    """Pace's last complete day ends at local midnight: a sync before it cannot vouch for that day."""
    freshness = Freshness(complete=True, synced_at=synced_at, complete_through=None)
    reason = mirror_behind(freshness, MIDNIGHT + timedelta(minutes=1), TOKYO)
    assert (reason is None) is judged
    if not judged:
        assert reason == "the ledger mirror has not caught up since yesterday ended"


def test_a_sync_that_did_not_complete_is_never_judged():
    freshness = Freshness(complete=False, synced_at=MIDNIGHT, complete_through=None)
    assert mirror_behind(freshness, MIDNIGHT, TOKYO) == (
        "the ledger mirror could not catch up with Katalo's ledger just now"
    )
