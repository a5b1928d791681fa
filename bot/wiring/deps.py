"""What listeners and jobs need, built once by the composition root (root.py) and handed to them.

A plain record: it builds nothing and imports only the types it holds, so the listeners and the
clock can take one without depending on how it was made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.config import Settings
from bot.db.alert_store import AlertStore
from bot.db.receipts import EventReceipts
from bot.digest.commands import DigestCommands
from bot.digest.deliver import DigestPoster
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.services.alerts.runner import AlertRunner
from bot.services.answers import Answers


@dataclass(frozen=True)
class Deps:
    settings: Settings
    client: KataloClient
    mirror: LedgerMirror
    answers: Answers
    receipts: EventReceipts
    slack: WebClient
    poster: DigestPoster
    digests: DigestCommands
    alerts: AlertRunner
    alert_store: AlertStore
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
