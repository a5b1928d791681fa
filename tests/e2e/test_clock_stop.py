"""`katalo-bot clock` stopped by a deploy (SIGTERM) while it posts a digest: the post is finished and
its claim marked (nothing left in `posting` for another clock to take over), then it exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime

from bot.db.engine import make_engine
from bot.digest.store import DigestStore
from bot.katalo.client import EVENTS_PATH
from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.processes import environment
from tests.fakes import Gate
from tests.stand_ins.slack import SlackDouble

CHANNEL = "C0DIGEST01"


def test_clock_stopped_mid_post_finishes_the_digest_and_leaves_no_claim_dangling(
    tmp_path, start_sandbox, database_url
):
    """Before: after the digest the stopping clock went on to alerts and a ledger sync (up to 50 s,
    past the platform's SIGKILL at 30 s, which would cut the sync short)."""
    katalo, gate = start_sandbox(), Gate()
    database = database_url  # SQLite and PostgreSQL: the claim must be settled in either
    with SlackDouble(token=BOT_TOKEN, sleep=gate.sleep) as slack:
        slack.inject("chat.postMessage", delay=1.0)  # not slept: held on the gate until opened
        env = environment(
            slack, katalo.url, database, DIGEST_CHANNEL=CHANNEL, DIGEST_TIME="00:00", DIGEST_TIMEZONE="UTC"
        )
        with (tmp_path / "clock.log").open("wb") as output:
            clock = subprocess.Popen(
                [sys.executable, "-m", "bot", "clock"], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            gate.wait_held(1, timeout=30)  # the digest's chat.postMessage is in flight, its claim held
            today = datetime.now(UTC).date()
            composing = katalo.request_count(EVENTS_PATH)  # the digest's own reads, before its claim
            clock.send_signal(signal.SIGTERM)
            gate.open()
            assert clock.wait(timeout=30) == 0, (tmp_path / "clock.log").read_text()[-2000:]
        finally:
            if clock.poll() is None:
                clock.kill()
                clock.wait()
        [posted] = slack.messages(CHANNEL)
    assert posted["metadata"]["event_payload"]["date"] == today.isoformat()
    engine = make_engine(database)
    try:
        assert DigestStore(engine).state_of(CHANNEL, today) == "posted"  # not left in `posting`
    finally:
        engine.dispose()
    assert katalo.request_count(EVENTS_PATH) == composing  # no ledger sync started after the signal
    assert "Traceback" not in (tmp_path / "clock.log").read_text()
