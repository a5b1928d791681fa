"""What the listeners need, built once by the entry point and handed to `register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.config import Settings
from bot.db.receipts import EventReceipts
from bot.digest.commands import DigestCommands
from bot.services.answers import Answers


@dataclass(frozen=True)
class Deps:
    settings: Settings
    answers: Answers
    receipts: EventReceipts
    slack: WebClient
    digests: DigestCommands
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def allowed(self, user_id: str | None, channel_id: str | None) -> bool:
        """Whether billing data may be shown to this user in this channel (empty allowlist = everyone)."""
        users, channels = self.settings.allowed_user_ids, self.settings.allowed_channel_ids
        return (not users or user_id in users) and (not channels or channel_id in channels)
