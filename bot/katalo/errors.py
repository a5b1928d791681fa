"""Every way a call to Katalo can fail, as one exception hierarchy.

    KataloError                  user_message, status, code, retryable
    ├── KataloUnauthorized       401: the key is missing, malformed or revoked
    ├── KataloForbidden          403: API access disabled, or the organization not approved
    ├── KataloNotFound           404: job, asset or page (or cursor) not found
    ├── KataloRejected           400, 409, 422 and other 4xx: the request itself was refused
    ├── KataloRateLimited        429 from Katalo, with retry_after in seconds
    │   └── RequestBudgetExhausted   the bot's own per-minute budget is spent
    ├── KataloServerError        5xx from Katalo
    ├── KataloUnavailable        connect error, timeout or a call's own deadline: Katalo could not be reached
    │   └── KataloOutOfTime      the caller's time ran out first (a question's budget, `sync --max-seconds`)
    │       └── BotBusy          too many questions at once: this one was given no time for Katalo
    └── KataloBadResponse        a body that does not parse, or not in the documented shape

`user_message` is a sentence fit for a Slack user. No text here ever contains the API key: messages
are written by us, never copied from the upstream body, which is kept apart as `detail` for logs.
"""

from __future__ import annotations

import math


class KataloError(Exception):
    """A Katalo call failed; `user_message` says so in words a user understands."""

    message = "Katalo could not answer just now."
    retryable = False

    def __init__(self, status: int | None = None, code: str | None = None, detail: str | None = None) -> None:
        super().__init__(self.user_message)
        self.status = status
        self.code = code
        # Upstream text, for logs only (never for users): trimmed so a huge body cannot flood a log.
        self.detail = detail[:200] if detail else None

    @property
    def user_message(self) -> str:
        """The sentence to show a user."""
        return self.message

    def __str__(self) -> str:
        where = f" (HTTP {self.status}{', ' + self.code if self.code else ''})" if self.status else ""
        return f"{self.user_message}{where}"


class KataloUnauthorized(KataloError):
    message = (
        "Katalo rejected the bot's API key: it is missing, malformed or revoked. Ask an admin to update it."
    )


class KataloForbidden(KataloError):
    message = "Katalo API access is disabled for this organization. An admin can check the account."


class KataloNotFound(KataloError):
    message = "Katalo found nothing at that address for this organization."


class KataloRejected(KataloError):
    message = "Katalo refused the request as malformed. This is a bug in the bot; please report it."


class KataloRateLimited(KataloError):
    retryable = True

    def __init__(
        self,
        retry_after: float | None = None,
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status, code, detail)

    @property
    def user_message(self) -> str:
        if self.retry_after is None:
            return "Katalo is busy with this organization's requests. Try again in a minute."
        return (
            f"Katalo is busy with this organization's requests. Try again in {math.ceil(self.retry_after)} s."
        )


class RequestBudgetExhausted(KataloRateLimited):
    """The bot's own share of the organization's read limit is spent for this minute."""


class KataloServerError(KataloError):
    message = "Katalo had an internal error. Try again in a few minutes."
    retryable = True


class KataloUnavailable(KataloError):
    message = "Katalo could not be reached (no answer in time). Try again in a few minutes."
    retryable = True


class KataloOutOfTime(KataloUnavailable):
    """The task's own deadline (bot/katalo/deadline.py) passed before Katalo had finished answering.

    Retryable like any unavailability, so a stale value may stand in; a ledger sync treats it as
    "stop here for now" rather than as Katalo failing.
    """

    message = "Katalo did not finish answering in time. Try again in a few minutes."


class BotBusy(KataloOutOfTime):
    """Every answer thread was taken (bot/pool.py): this question was not given time to ask Katalo."""

    message = "I'm answering too many questions right now; try again in a few seconds."


class KataloBadResponse(KataloError):
    message = "Katalo sent an answer the bot could not read. Try again later; if it persists, report it."
