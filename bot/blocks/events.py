"""`/katalo events <job_id>` (what a job cost) and `/katalo events` (the latest ledger events)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from bot import slack_ids
from bot.blocks._kit import (
    Block,
    Message,
    actions,
    button,
    code,
    context,
    escape,
    header,
    mention,
    message,
    section,
)
from bot.figures import Freshness
from bot.formatting import clock_time, plural, usd
from bot.katalo.models import BillingEvent

JOB_EVENTS_PER_PAGE = 20  # 20 event blocks + 6 others stays well under Slack's 50
LATEST_PER_PAGE = 15


def build_job_events(
    job_id: str,
    events: list[BillingEvent],
    *,
    freshness: Freshness,
    tz: tzinfo,
    page: int = 0,
    shared_by: str | None = None,
) -> Message:
    """Every ledger event of one job (a page of them when there are many) and the job's total."""
    if not events:
        return _unknown_job(job_id, freshness, tz)
    pages = max(1, -(-len(events) // JOB_EVENTS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = events[page * JOB_EVENTS_PER_PAGE : (page + 1) * JOB_EVENTS_PER_PAGE]
    total = sum((e.amount_usd or Decimal(0) for e in events), Decimal("0.00"))
    billable = sum(1 for e in events if e.billable)
    blocks: list[Block] = [
        header(f"Job {job_id}"),
        section(
            f"*Total: {usd(total)}* over {plural(len(events), 'event')} "
            f"({billable} billable, {len(events) - billable} not billed)"
            + (
                f" · showing {page * JOB_EVENTS_PER_PAGE + 1}–{page * JOB_EVENTS_PER_PAGE + len(shown)}"
                if pages > 1
                else ""
            )
        ),
    ]
    blocks += [section(_event_text(event, tz, with_job=False)) for event in shown]
    blocks.append(context(freshness_line(freshness, tz) + _shared(shared_by)))
    if shared_by is None:
        value = {"kind": "job", "job_id": job_id, "page": page}
        buttons = [button("Share to channel", slack_ids.SHARE_TO_CHANNEL, value)]
        if page > 0:
            buttons.insert(0, button("◀ Earlier", slack_ids.JOB_EVENTS_PAGE, {**value, "page": page - 1}))
        if page < pages - 1:
            buttons.insert(
                len(buttons) - 1, button("Later ▶", slack_ids.JOB_EVENTS_PAGE, {**value, "page": page + 1})
            )
        blocks.append(actions(slack_ids.ACTIONS_BLOCK, *buttons))
    return message(f"Job {job_id} cost {usd(total)} over {plural(len(events), 'event')}.", blocks)


def build_latest_events(
    events: list[BillingEvent],
    *,
    freshness: Freshness,
    tz: tzinfo,
    at_newest: bool,
    has_older: bool,
    shared_by: str | None = None,
) -> Message:
    """A page of the newest ledger events with Older / Newer buttons (positions, not offsets)."""
    if not events:
        text = "The ledger mirror holds no events yet."
        return message(text, [section(f":mag: {text}"), context(freshness_line(freshness, tz))])
    blocks: list[Block] = [header("Latest ledger events" if at_newest else "Ledger events")]
    blocks += [section(_event_text(event, tz, with_job=True)) for event in events]
    blocks.append(context(freshness_line(freshness, tz) + _shared(shared_by)))
    if shared_by is None:
        newest, oldest = events[0], events[-1]
        buttons = []
        if not at_newest:
            buttons.append(
                button("◀ Newer", slack_ids.EVENTS_NEWER, {"kind": "latest", "after": _position(newest)})
            )
        if has_older:
            buttons.append(
                button("Older ▶", slack_ids.EVENTS_OLDER, {"kind": "latest", "before": _position(oldest)})
            )
        page_value = {"kind": "latest", "before": _position(newest), "inclusive": True}
        buttons.append(button("Share to channel", slack_ids.SHARE_TO_CHANNEL, page_value))
        blocks.append(actions(slack_ids.ACTIONS_BLOCK, *buttons))
    first, last = events[-1].created_at, events[0].created_at
    span = (
        f"{clock_time(first, tz)}–{clock_time(last, tz)}"
        if first.date() == last.date()
        else f"{first:%b %-d}–{last:%b %-d}"
    )
    return message(f"{plural(len(events), 'ledger event')} ({span}).", blocks)


def _event_text(event: BillingEvent, tz: tzinfo, *, with_job: bool) -> str:
    amount = usd(event.amount_usd) if event.amount_usd is not None else "amount not given"
    unit = f" at {usd(event.unit_price_usd)} each" if event.unit_price_usd is not None else ""
    billed = {True: "billable", False: "not billed", None: "billing not stated"}[event.billable]
    lines = [f"*{escape(event.usage_type or 'usage')}* · *{amount}*{unit} · {billed}"]
    when = event.created_at.astimezone(tz)
    details = [f"{when:%Y-%m-%d %H:%M} {when.tzname() or ''}".rstrip()]
    if with_job:
        details.append(code(event.job_id))
    if event.config_fingerprint:
        details.append(f"config {code(event.config_fingerprint)}")
    details.append(code(event.event_id))
    lines.append(" · ".join(details))
    return "\n".join(lines)


def _unknown_job(job_id: str, freshness: Freshness, tz: tzinfo) -> Message:
    text = f"No ledger events for job {job_id}."
    explanation = (
        "The mirror is up to date, so Katalo has billed nothing for this job: it may not exist, belong to "
        "another organization, or not have run yet."
        if freshness.complete
        else "The mirror is not fully up to date, so its events may not be here yet: try again in a minute."
    )
    blocks = [section(f":mag: No ledger events for job {code(job_id)}.\n{explanation}")]
    blocks.append(context(freshness_line(freshness, tz)))
    return message(escape(text), blocks)


def freshness_line(freshness: Freshness, tz: tzinfo) -> str:
    synced = f"synced {clock_time(freshness.synced_at, tz)}" if freshness.synced_at else "never fully synced"
    through = freshness.complete_through
    through_text = f"complete through {_moment(through, tz)}" if through else "empty"
    if freshness.complete:
        return f"From the ledger mirror, {through_text} ({synced})."
    reason = freshness.error.user_message if freshness.error else "The ledger sync is still running."
    return (
        f":warning: The ledger mirror could not catch up just now: {reason} It is {through_text} ({synced})."
    )


def _moment(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%b %-d} {clock_time(moment, tz)} {local.tzname() or ''}".rstrip()


def _position(event: BillingEvent) -> list[Any]:
    return [event.created_at.isoformat(), event.event_id]


def _shared(shared_by: str | None) -> str:
    return f" · Shared by {mention(shared_by)}" if shared_by else ""
