"""`/katalo reconcile`: the mirror against Katalo for the billing period, in plain sentences.

Each check says whether it agrees, and when it does not, what the user can do about it. Plan units
and ledger events are shown side by side with their difference, never asserted equal: Katalo does not
document how they relate, so it is a *change* in the difference between checks that is flagged.
Both sides are counted at the moment Katalo's summary was read; when the mirror does not reach that
moment, the check says so instead of showing a difference.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import slack_ids
from bot.blocks._kit import (
    Block,
    Message,
    actions,
    button,
    context,
    escape,
    header,
    mention,
    message,
    section,
)
from bot.figures import Reconciliation, Reread
from bot.formatting import clock_time, plural, span, units, usd

RECONCILE_VALUE = {"kind": "reconcile"}  # what Share needs to check again for the channel
SHOWN_IDS = 10  # event ids named per finding; the rest are counted
OK, BAD, WAIT = ":white_check_mark:", ":warning:", ":hourglass_flowing_sand:"


def build_reconcile(found: Reconciliation, *, zone: tzinfo, shared_by: str | None = None) -> Message:
    """The reconciliation as Block Kit: one section per check, then what to do, then the buttons."""
    lines = [
        _figures(found, zone),
        _completeness(found, zone),
        _reread(found.reread, zone),
        _set_aside(found),
    ]
    todo = _what_to_do(found)
    blocks: list[Block] = [header("Katalo reconciliation")]
    blocks += [section(line) for line in lines]
    if todo:
        blocks.append(section("*What you can do*\n" + "\n".join(f"• {item}" for item in todo)))
    shared = f" · Shared by {mention(shared_by)}" if shared_by else ""
    blocks.append(context(f"Checked {_moment(found.as_of, zone)}{shared}."))
    if shared_by is None:
        blocks.append(
            actions(
                slack_ids.ACTIONS_BLOCK,
                button("Share to channel", slack_ids.SHARE_TO_CHANNEL, RECONCILE_VALUE),
            )
        )
    if found.period is not None and not found.caught_up:
        verdict = "The mirror is behind Katalo's figures: not compared yet."
    elif todo:
        verdict = "The mirror and Katalo differ: see what you can do."
    else:
        verdict = "The mirror agrees with Katalo."
    return message(f"Katalo reconciliation: {verdict}", blocks)


def _figures(found: Reconciliation, zone: tzinfo) -> str:
    if found.period is None or found.mirror is None:
        return f"{BAD} Katalo's summary names no billing period: the mirror's figures have none to match."
    start, end = found.period
    totals, difference = found.mirror, found.difference
    head = f"*Billing period {_moment(start, zone)} – {_moment(end, zone)}*\n"
    at = f" at {_moment(found.counted_before, zone)}" if found.counted_before else ""
    if difference is None:
        return head + _behind(found, at)
    pages = (
        f", {plural(found.from_pages, 'billable event')} of them on the pages read again, not yet mirrored"
        if found.from_pages
        else ""
    )
    text = head + (
        f"Katalo reports *{units(found.consumed)}* units consumed{at}; the mirror holds "
        f"*{plural(totals.billable_events, 'billable event')}* created before then ({usd(totals.amount_usd)} "
        f"in {plural(totals.events, 'event')} all told{pages}). Difference: *{units(difference)}*."
    )
    if found.previous_difference is None:
        return text + "\nThe first check this period: the next one says whether the difference changes."
    when = _moment(found.previous_at, zone) if found.previous_at else "the last check"
    if found.difference_changed:
        return text + (
            f"\n{BAD} The difference *changed* since the check of {when}: it was "
            f"{units(found.previous_difference)}, it is {units(difference or 0)}."
        )
    return text + f"\n{OK} The difference is unchanged since the check of {when}."


def _behind(found: Reconciliation, at: str) -> str:
    """Katalo's figure alone: the mirror does not hold every event up to its moment, so no difference."""
    synced = found.synced_at
    behind = (
        f"the mirror's last sync ended {span(found.counted_before - synced)} before Katalo answered"
        if synced is not None and found.counted_before is not None
        else "the mirror has not caught up with the ledger"
    )
    return (
        f"Katalo reports *{units(found.consumed)}* units consumed{at}. {WAIT} Not compared: {behind}, "
        "and the newest pages read again do not reach back to what it holds, so events made in between would "
        "read as a difference."
    )


def _completeness(found: Reconciliation, zone: tzinfo) -> str:
    through = _moment(found.complete_through, zone) if found.complete_through else None
    synced = _moment(found.synced_at, zone) if found.synced_at else None
    text = (
        f"The mirror is complete through {through}" if through else "The mirror holds no complete stretch yet"
    )
    text += f" (last synced {synced})." if synced else " (never fully synced)."
    if found.last_error:
        return f"{BAD} {text} The last sync failed: {escape(found.last_error)}"
    return f"{OK} {text} The last sync ended without an error."


def _reread(reread: Reread, zone: tzinfo) -> str:
    if reread.events == 0:
        return "Katalo's ledger served no events to re-read."
    assert reread.oldest is not None and reread.newest is not None
    dates = f"{_moment(reread.oldest, zone)} – {_moment(reread.newest, zone)}"
    span = f"the newest {plural(reread.events, 'event')} Katalo serves ({dates})"
    later = ""
    if reread.not_yet_mirrored:
        later = (
            f" {plural(reread.not_yet_mirrored, 'newer event')} not yet mirrored: the next sync stores them."
        )
    if reread.agrees:
        return f"{OK} Read again, {span} match the mirror.{later}"
    parts = [f"{BAD} Read again, {span} do not all match the mirror:"]
    if reread.missing:
        parts.append(f"• Missing from the mirror: {_ids(reread.missing)}")
    if reread.changed:
        changed = [f"`{c.event_id}` ({', '.join(c.fields)})" for c in reread.changed[:SHOWN_IDS]]
        parts.append(f"• Changed at Katalo since stored: {', '.join(changed)}{_more(len(reread.changed))}")
    if reread.extra:
        parts.append(f"• In the mirror, not served by Katalo: {_ids(reread.extra)}")
    return "\n".join(parts) + later


def _set_aside(found: Reconciliation) -> str:
    if not found.set_aside:
        return f"{OK} No ledger records were set aside."
    return f"{BAD} Set aside: {plural(found.set_aside, 'ledger record')} could not be stored."


def _what_to_do(found: Reconciliation) -> list[str]:
    todo = []
    if found.period is not None and not found.caught_up:
        todo.append(
            "Let the mirror catch up (`katalo-bot sync`, or the clock's sync every five minutes), "
            "then run `/katalo reconcile` again."
        )
    if found.difference_changed:
        todo.append(
            "The plan units and the ledger no longer move together: compare `/katalo usage` with "
            "`/katalo export` for the period, and ask Katalo support how units are counted if it persists."
        )
    if found.last_error:
        todo.append("Run `katalo-bot sync` to retry the sync; its summary line names the cause.")
    reread = found.reread
    if reread.missing or reread.extra:
        todo.append(
            "Send the event ids above to Katalo support, with the mirror's `/katalo export` of the period."
        )
    if reread.changed:
        todo.append(
            "Katalo changed events after they were stored, and the mirror keeps what it first read: "
            "ask Katalo support which is right."
        )
    if found.set_aside:
        todo.append(
            "`katalo-bot sync` names the records set aside (table `ledger_set_aside`): "
            "send their event ids to Katalo support."
        )
    return todo


def _ids(ids: tuple[str, ...]) -> str:
    return ", ".join(f"`{escape(i)}`" for i in ids[:SHOWN_IDS]) + _more(len(ids))


def _more(count: int) -> str:
    return f" and {count - SHOWN_IDS:,} more" if count > SHOWN_IDS else ""


def _moment(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%b %-d} {clock_time(moment, zone)} {local.tzname() or ''}".rstrip()
