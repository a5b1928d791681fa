"""`katalo-bot demo`: the bot's answers, computed on the embedded sandbox, printed as text.

It starts the sandbox Katalo API in this process, reads it through the real client (HTTP, budget,
cache), and prints what the bot tells Slack users: where the plan stands, the latest ledger events and
what one job cost. It ends by showing the cache at work: 50 simultaneous asks, one upstream request.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from decimal import Decimal
from typing import TextIO

from bot.config import Settings
from bot.formatting import clock_time, percent, progress_bar, units, usd
from bot.katalo import BillingEvent, KataloClient, UsageSummary
from bot.katalo.client import SUMMARY_PATH
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.server import SandboxServer

BURST = 50


def run_demo(settings: Settings, *, events: int, seed: int, out: TextIO) -> int:
    ledger = SandboxLedger(seed=seed, events=events)
    with SandboxServer(ledger) as sandbox:
        sandbox_settings = settings.model_copy(update={"katalo_api_url": sandbox.url, "katalo_api_key": None})
        with KataloClient.from_settings(sandbox_settings) as client:
            out.write(f"Sandbox data: a made-up organization served by {sandbox.url}, not real billing.\n\n")
            summary = client.usage_summary()
            out.write(
                render_summary(summary.value) + f"\nAs of {clock_time(summary.fetched_at, UTC)} UTC\n\n"
            )
            page = client.events_page().value.events  # newest first: a job's events sit together on top
            out.write("Latest ledger events:\n" + "".join(_event_line(e) for e in page[:5]) + "\n")
            out.write(render_job(*_job_with_most_events(page)))
            out.write(f"\nTry these job ids: {', '.join(ledger.job_ids(3))}\n")
            out.write(_burst_report(client, sandbox))
    return 0


def render_summary(summary: UsageSummary) -> str:
    usage, jobs = summary.usage, summary.jobs
    lines = []
    if summary.access is not None and summary.access.enabled is not None:
        lines.append(f"API access: {'on' if summary.access.enabled else 'OFF'}")
    if summary.billing_period is not None:
        period = summary.billing_period
        lines.append(f"Billing period: {period.start_at:%b %d} to {period.end_at:%b %d}")
    if usage.included is not None and usage.fraction_used is not None:
        bar = progress_bar(usage.fraction_used)
        lines.append(
            f"Used: {bar} {percent(usage.fraction_used)} ({units(usage.consumed)} of {units(usage.included)})"
        )
        lines.append(f"Remaining: {units(usage.remaining or 0)}   Overage: {units(usage.overage or 0)}")
    else:
        lines.append(f"Consumed: {units(usage.consumed)}")
    if jobs.total is not None:
        rate = f", {percent(jobs.success_rate)} succeeded" if jobs.success_rate is not None else ""
        lines.append(f"Jobs: {jobs.total:,}{rate}; {jobs.failed or 0:,} failed")
    return "\n".join(lines)


def render_job(job_id: str, events: list[BillingEvent]) -> str:
    total = sum((e.amount_usd or Decimal(0) for e in events), Decimal(0))
    header = f"What did {job_id} cost? {usd(total)} over {len(events)} event(s):\n"
    return header + "".join(_event_line(e) for e in events)


def _job_with_most_events(events: tuple[BillingEvent, ...]) -> tuple[str, list[BillingEvent]]:
    """The first job on the page with the most events: the most interesting answer to show."""
    by_job: dict[str, list[BillingEvent]] = {}
    for event in events:
        by_job.setdefault(event.job_id, []).append(event)
    job_id = max(by_job, key=lambda job: len(by_job[job]))  # max keeps the first of equals
    return job_id, sorted(by_job[job_id], key=lambda e: e.created_at)


def _event_line(event: BillingEvent) -> str:
    amount = usd(event.amount_usd) if event.amount_usd is not None else "n/a"
    billed = "" if event.billable is not False else " (not billed)"
    kind = event.usage_type or "?"
    return f"  {event.created_at:%Y-%m-%d %H:%M}  {event.job_id}  {kind:<13} {amount:>8}{billed}\n"


def _burst_report(client: KataloClient, sandbox: SandboxServer) -> str:
    client.cache.clear()
    before = sandbox.request_count(SUMMARY_PATH)
    with ThreadPoolExecutor(BURST) as pool:
        list(pool.map(lambda _: client.usage_summary(), range(BURST)))
    upstream = sandbox.request_count(SUMMARY_PATH) - before
    return f"Cache: {BURST} simultaneous usage questions cost {upstream} request(s) to Katalo.\n"
