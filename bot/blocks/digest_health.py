"""The digest's Health section: what stands between the figures above and the truth, one line each.

API access and the key, a stale summary, a sync behind, records set aside, and the one-line
reconciliation: the usage summary the digest read against the mirror's billing period (`LedgerCheck`),
both counted at the moment the summary was read, compared with the last `/katalo reconcile` the way
that command compares two checks. A mirror not yet complete through that moment gets no verdict.
Plan units and ledger events are never asserted equal beyond that: Katalo does not document how
they relate, so an unexplained *change* in their difference is what asks for `/katalo reconcile`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.blocks._kit import escape
from bot.figures import DigestFigures
from bot.formatting import clock_time, plural, span, units, usd
from bot.katalo.errors import KataloForbidden, KataloUnauthorized

OK, BAD = ":white_check_mark:", ":warning:"
RUN = "run `/katalo reconcile`"


def health_lines(figures: DigestFigures) -> list[str]:
    """The Health section's lines, most urgent first; the reconcile line last."""
    lines = []
    error = figures.summary_error
    if isinstance(error, KataloUnauthorized):
        lines.append(
            ":key: Katalo rejects the bot's API key: figures for the period are missing. Ask an admin."
        )
    elif isinstance(error, KataloForbidden) or (
        figures.summary is not None
        and figures.summary.value.access
        and figures.summary.value.access.enabled is False
    ):
        lines.append(":red_circle: *API access is disabled* for this organization: new jobs will be refused.")
    elif error is not None:
        lines.append(f":warning: {escape(error.user_message)}")
    if figures.summary is not None and figures.summary.stale:
        lines.append(":warning: Period figures are the last known ones (Katalo did not answer).")
    if not figures.freshness.complete:
        reason = (
            figures.freshness.error.user_message if figures.freshness.error else "the sync did not finish"
        )
        lines.append(f":hourglass_flowing_sand: The ledger sync is behind ({escape(reason)}).")
    if figures.set_aside:
        lines.append(_set_aside_line(figures.set_aside))
    reconcile = _reconcile_line(figures)
    if reconcile:
        lines.append(reconcile)
    return lines


def _set_aside_line(count: int) -> str:
    """Records the mirror could not store: their amounts are missing from every figure above."""
    records = "1 ledger record" if count == 1 else f"{count:,} ledger records"
    return (
        f":warning: {records} could not be stored and {'is' if count == 1 else 'are'} left out of these "
        "figures (kept as received in the ledger_set_aside table; `katalo-bot sync` names them): "
        "send the event ids to Katalo support."
    )


def _reconcile_line(figures: DigestFigures) -> str | None:
    """One line: the mirror and Katalo agree, differ as before, or differ anew (with what to do)."""
    check = figures.ledger_check
    if check is None or figures.summary is None:
        return None  # no summary or no billing period: the lines above already say so
    if figures.summary.stale or not figures.freshness.complete:
        return "Reconcile: not checked today, as the figures above are not current (see the lines above)."
    behind = check.mirror_behind
    if behind is not None:  # events made in between would read as a change: no verdict until it catches up
        lag = f"is {span(behind)} behind" if check.mirror_through else "has not yet caught up with"
        return (
            f"Reconcile: not checked, as the mirror {lag} Katalo's figures: "
            "the comparison waits for it to catch up."
        )
    figures_text = (
        f"{plural(check.billable_events, 'billable event')}, {units(check.consumed)} units consumed, "
        f"{usd(check.amount_usd)} this period"
    )
    difference, before = check.difference, check.previous_difference
    if difference == 0:
        return f"{OK} Reconcile: the mirror and Katalo agree ({figures_text})."
    gap = f"differ by {units(abs(difference))} {'unit' if abs(difference) == 1 else 'units'}"
    if before is None:
        first = "with no check this period to compare"
        return f"{BAD} Reconcile: the mirror and Katalo {gap} ({figures_text}), {first}: {RUN}."
    when = _moment(check.previous_at, figures.zone) if check.previous_at else "the last check"
    if difference == before:
        same = f"unchanged since the check of {when}"
        return f"{OK} Reconcile: the mirror and Katalo {gap}, {same} ({figures_text})."
    moved = difference - before
    return (
        f"{BAD} Reconcile: the mirror and Katalo {gap}, {units(abs(moved))} "
        f"{'more' if moved > 0 else 'fewer'} than at the check of {when} ({figures_text}): {RUN}."
    )


def _moment(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%b %-d} {clock_time(moment, zone)} {local.tzname() or ''}".rstrip()
