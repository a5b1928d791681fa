"""The claims that make every alert post, update and thread reply happen once (table alert_steps).

A step is one thing said in Slack about one alert: "post" (the alert itself), "level:<level>" (the
alert updated in place for a worse level, with one thread reply) or "clear" (the reply saying the
condition cleared). Whoever inserts the row of (channel, alert key, step) first does it; the primary
key decides, across processes and machines. A claim moves posting → done (or failed). As with
digests (bot/digest/store.py): a claim left in `posting` longer than STALE_POSTING belongs to a runner
that died, and another may take it over (looking in the channel first when the step is a post); a
failed one is tried again after RETRY_FAILED_AFTER.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, and_, or_, select, update

from bot.db.claims import insert_if_absent
from bot.db.schema import alert_steps

STALE_POSTING = timedelta(minutes=5)  # longer than a post with Slack's 429 retries can take
RETRY_FAILED_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class StepClaim:
    channel_id: str
    alert_key: str
    step: str
    claim_id: str
    kind: Literal["new", "take_over", "retry"]  # take_over: what the dead runner did may be in Slack
    claimed_before: datetime | None = None  # take_over: when the dead runner claimed it


class AlertSteps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, channel_id: str, alert_key: str, step: str, now: datetime) -> StepClaim | None:
        """Win the right to do this step; None when it is done, being done, or not yet retryable."""
        claim_id = uuid.uuid4().hex
        key = {"channel_id": channel_id, "alert_key": alert_key, "step": step}
        table = alert_steps.c
        with self.engine.begin() as connection:
            if insert_if_absent(
                connection, alert_steps, **key, claim_id=claim_id, state="posting", claimed_at=now
            ):
                return StepClaim(channel_id, alert_key, step, claim_id, "new")
            stale = and_(table.state == "posting", table.claimed_at < now - STALE_POSTING)
            retry = and_(table.state == "failed", table.claimed_at < now - RETRY_FAILED_AFTER)
            mine = and_(table.channel_id == channel_id, table.alert_key == alert_key, table.step == step)
            found = connection.execute(
                select(table.state, table.claimed_at, table.claim_id).where(mine, or_(stale, retry))
            ).first()
            if found is None:
                return None
            taken = connection.execute(
                update(alert_steps)
                .where(mine, table.claim_id == found.claim_id)  # nobody took it over in between
                .values(claim_id=claim_id, state="posting", claimed_at=now, attempts=table.attempts + 1)
            )
        if taken.rowcount != 1:
            return None
        if found.state != "posting":
            return StepClaim(channel_id, alert_key, step, claim_id, "retry")
        return StepClaim(channel_id, alert_key, step, claim_id, "take_over", found.claimed_at)

    def done(self, claim: StepClaim, message_ts: str | None = None) -> None:
        self._finish(claim, state="done", message_ts=message_ts, last_error=None)

    def failed(self, claim: StepClaim, error: str) -> None:
        self._finish(claim, state="failed", last_error=error[:300])

    def release(self, claim: StepClaim) -> None:
        """Give a claim back at once (nothing was said in Slack): the next check does the step."""
        table = alert_steps.c
        with self.engine.begin() as connection:
            connection.execute(
                alert_steps.delete().where(
                    table.channel_id == claim.channel_id,
                    table.alert_key == claim.alert_key,
                    table.step == claim.step,
                    table.claim_id == claim.claim_id,
                )
            )

    def state(self, channel_id: str, alert_key: str, step: str) -> str | None:
        table = alert_steps.c
        with self.engine.connect() as connection:
            return connection.execute(
                select(table.state).where(
                    table.channel_id == channel_id, table.alert_key == alert_key, table.step == step
                )
            ).scalar_one_or_none()

    def _finish(self, claim: StepClaim, **values: object) -> None:
        table = alert_steps.c
        with self.engine.begin() as connection:
            connection.execute(
                update(alert_steps)
                .where(
                    table.channel_id == claim.channel_id,
                    table.alert_key == claim.alert_key,
                    table.step == claim.step,
                    table.claim_id == claim.claim_id,  # a claim taken over since is not ours to finish
                )
                .values(**values)
            )
