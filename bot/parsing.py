"""From what a user typed to what they want: pure functions, no Slack and no I/O.

/katalo usage | events | events job_01J... | help
@Katalo usage | @Katalo what did job_01J... cost? | @Katalo how much have we used?
/katalo spend ... and spend questions in mentions: bot.spend_parsing
/katalo chart [PERIOD]
/katalo export [PERIOD]
/katalo reconcile
/katalo alerts ... and /katalo budget ... (and the same asked in mentions): bot.alert_parsing
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alert_parsing import AlertsIntent, BudgetIntent, in_mention, parse_alerts, parse_budget
from bot.periods import PeriodSpec, read_period
from bot.spend_parsing import SpendIntent, parse_spend, spend_in_mention

JOB_ID = re.compile(r"job_[A-Za-z0-9]{1,64}")
_JOB_ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_])job_[A-Za-z0-9]{1,64}(?![A-Za-z0-9_])")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_USAGE_WORDS = {
    "usage", "use", "used", "using", "plan", "remaining", "left", "quota", "consumption", "consumed",
    "overage", "limit", "allowance", "standing", "much", "balance",
}  # fmt: skip
_EVENTS_WORDS = {"events", "event", "ledger", "latest", "recent", "billing", "charges", "history"}
_HELP_WORDS = {"help", "commands", "hi", "hello", "hey"}


@dataclass(frozen=True)
class UsageIntent:
    """Where the plan stands (the question; bot.katalo.models.Usage is the answer's figures)."""


@dataclass(frozen=True)
class JobEvents:
    """Every ledger event of one job, and what it cost."""

    job_id: str


@dataclass(frozen=True)
class LatestEvents:
    """The newest ledger events."""


@dataclass(frozen=True)
class BadJobId:
    """Something was given where a job id belongs, and it is not one."""

    given: str


@dataclass(frozen=True)
class Help:
    """Help; `unrecognised` is what was typed when it was not understood."""

    unrecognised: str | None = None


@dataclass(frozen=True)
class DigestOn:
    """Subscribe this channel to the daily digest; None keeps the default time or zone."""

    at: time | None = None
    zone: str | None = None


@dataclass(frozen=True)
class DigestOff:
    pass


@dataclass(frozen=True)
class DigestStatus:
    pass


@dataclass(frozen=True)
class DigestPreview:
    pass


@dataclass(frozen=True)
class BadDigest:
    """`/katalo digest ...` that could not be understood; `problem` says what was wrong."""

    problem: str


@dataclass(frozen=True)
class ChartIntent:
    """`/katalo chart [PERIOD]`: the daily spend chart, posted in the channel (None: the billing period).

    `unreadable` holds what was typed when it names no period (the answer says so).
    """

    period: PeriodSpec | None = None
    unreadable: str | None = None


@dataclass(frozen=True)
class ExportIntent:
    """`/katalo export [PERIOD]`: the period's ledger events as a CSV in a DM (None: the billing period).

    `unreadable` holds what was typed when it names no period (the answer says so).
    """

    period: PeriodSpec | None = None
    unreadable: str | None = None


@dataclass(frozen=True)
class ReconcileIntent:
    """`/katalo reconcile`: the mirror against Katalo for the current billing period."""


DigestIntent = DigestOn | DigestOff | DigestStatus | DigestPreview | BadDigest
Intent = (
    UsageIntent
    | JobEvents
    | LatestEvents
    | BadJobId
    | Help
    | DigestIntent
    | SpendIntent
    | ChartIntent
    | ExportIntent
    | ReconcileIntent
    | AlertsIntent
    | BudgetIntent
)

_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_ZONE = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+){0,2}")


def parse_hh_mm(text: str) -> time | None:
    """A 24-hour `HH:MM` (or `H:MM`) as a time; None for anything else. DIGEST_TIME and `digest on`."""
    match = _HH_MM.fullmatch(text)
    return time(int(match[1]), int(match[2])) if match else None


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA time zone of this name; None for a name that is not one. DIGEST_TIMEZONE and `digest on`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, such as `America`
        return None


def parse_command(text: str) -> Intent:
    """`/katalo` text: a keyword, then maybe an argument."""
    words = text.split()
    if not words:
        return Help()
    keyword, args = words[0].lower(), words[1:]
    if keyword in ("help", "?"):
        return Help()
    if keyword == "usage" and not args:
        return UsageIntent()
    if keyword == "digest":
        return parse_digest(args)
    if keyword == "spend":
        return parse_spend(" ".join(args))
    if keyword in ("chart", "charts"):
        period_text = " ".join(args)
        period = read_period(period_text) if args else None
        return ChartIntent(period, unreadable=period_text if args and period is None else None)
    if keyword == "export":
        period_text = " ".join(args)
        period = read_period(period_text) if args else None
        return ExportIntent(period, unreadable=period_text if args and period is None else None)
    if keyword == "reconcile" and not args:
        return ReconcileIntent()
    if keyword in ("alerts", "alert"):
        return parse_alerts(args)
    if keyword in ("budget", "budgets"):
        return parse_budget(args)
    if keyword in ("events", "event", "job", "cost"):
        if not args:
            return LatestEvents() if keyword in ("events", "event") else BadJobId("")
        return (
            JobEvents(args[0]) if len(args) == 1 and JOB_ID.fullmatch(args[0]) else BadJobId(" ".join(args))
        )
    if JOB_ID.fullmatch(words[0]) and not args:
        return JobEvents(words[0])
    return Help(unrecognised=text.strip())


def parse_digest(args: list[str]) -> DigestIntent:
    """`digest on [HH:MM] [Area/City]`, `digest off`, `digest status` (the default), `digest preview`."""
    action = args[0].lower() if args else "status"
    if action in ("off", "stop", "unsubscribe") and len(args) <= 1:
        return DigestOff()
    if action == "status" and len(args) <= 1:
        return DigestStatus()
    if action == "preview" and len(args) <= 1:
        return DigestPreview()
    if action not in ("on", "start", "subscribe"):
        return BadDigest(
            "Use `digest on [HH:MM] [Area/City]`, `digest off`, `digest status` or `digest preview`."
        )
    at, zone = None, None
    for word in args[1:]:
        parsed = parse_hh_mm(word)
        if parsed is not None and at is None:
            at = parsed
        elif _ZONE.fullmatch(word) and zone is None and not word.isdigit():
            zone = word
        else:
            return BadDigest(
                "After `digest on` give a time as HH:MM (24-hour) and an IANA zone such as Europe/Berlin."
            )
    return DigestOn(at, zone)


def parse_mention(text: str) -> Intent:
    """An @mention in plain words: a command, a job id anywhere, or a question about usage or events."""
    plain = _MENTION.sub(" ", text).strip()
    first = plain.split()[0].lower() if plain.split() else ""
    if first == "cost" and "job_" not in plain.lower():  # "cost of upscales last week": spend
        return spend_in_mention(plain) or Help(unrecognised=plain)
    if first in ("usage", "events", "event", "help", "job", "cost", "alerts", "budget"):
        return parse_command(plain)
    job_ids = _JOB_ID_IN_TEXT.findall(plain)
    if job_ids:
        return JobEvents(job_ids[0])
    words = set(re.findall(r"[a-z]+", plain.lower()))
    if "job_" in plain.lower():
        return BadJobId(plain)
    if (settings := in_mention(re.findall(r"[a-z]+", plain.lower()))) is not None:
        return settings  # before spend and usage: "how much of the budget is left" is the budget
    if (spend := spend_in_mention(plain)) is not None:
        return spend
    if words & _USAGE_WORDS:
        return UsageIntent()
    if words & _EVENTS_WORDS:
        return LatestEvents()
    if not plain or plain == "?" or words & _HELP_WORDS:
        return Help()
    return Help(unrecognised=plain)
