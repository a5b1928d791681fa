"""Every message the builders make fits Slack's limits, shows the figures, and escapes what it quotes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import slack_ids
from bot.blocks.events import JOB_EVENTS_PER_PAGE, build_job_events, build_latest_events
from bot.blocks.limits import SlackLimitError, check_message, displayed_texts
from bot.blocks.replies import build_bad_job_id, build_error, build_help, build_refusal
from bot.blocks.usage import build_usage
from bot.figures import Freshness
from bot.katalo.cache import Fetched
from bot.katalo.errors import KataloRateLimited, KataloUnauthorized, KataloUnavailable
from bot.katalo.models import BillingEvent, UsageSummary
from tests.conftest import read_fixture

NOW = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
FRESH = Freshness(complete=True, synced_at=NOW, complete_through=NOW - timedelta(minutes=3))
BEHIND = Freshness(
    complete=False,
    synced_at=NOW - timedelta(hours=2),
    complete_through=NOW - timedelta(hours=2),
    error=KataloUnavailable(),
)


def summary(name: str = "usage_summary_www.json", **changes) -> Fetched[UsageSummary]:
    body = read_fixture(name)
    body.update(changes)
    return Fetched(UsageSummary.model_validate(body), fetched_at=NOW)


def event(i: int, job: str = "job_A", **changes) -> BillingEvent:
    base = {
        "event_id": f"evt_{i:04d}",
        "job_id": job,
        "usage_type": "generation",
        "billable": True,
        "unit_price_usd": Decimal("0.40"),
        "amount_usd": Decimal("0.40"),
        "config_fingerprint": "cfg_aa",
        "created_at": NOW - timedelta(minutes=i),
    }
    return BillingEvent.model_validate({**base, **changes})


def texts(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_usage_shows_plan_standing_jobs_and_as_of():
    """The usage message has the bar, the four plan figures, job totals, rate limits and the time."""
    message = build_usage(summary(), now=NOW, tz=BERLIN)
    check_message(message)
    shown = texts(message)
    assert "62.4%" in shown and "█" in shown
    for figure in ("5,000", "3,120", "1,880", "2,104", "2,031", "96.5%", "8,124", "412", "187"):
        assert figure in shown
    assert "7 days left" in shown
    assert "As of 15:02 CET" in shown
    assert "reads per minute: 120" in shown
    assert message["text"].startswith("Katalo usage: 62.4% of plan used (3,120 of 5,000)")


def test_usage_buttons_refresh_and_share():
    """A private usage reply offers Refresh and Share; a shared copy has no buttons and names the sharer."""
    private = build_usage(summary(), now=NOW, tz=UTC)
    action_ids = [e["action_id"] for b in private["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == [slack_ids.REFRESH_USAGE, slack_ids.SHARE_TO_CHANNEL]
    shared = build_usage(summary(), now=NOW, tz=UTC, shared_by="U0ALICE")
    check_message(shared)
    assert all(b["type"] != "actions" for b in shared["blocks"])
    assert "Shared by <@U0ALICE>" in texts(shared)


def test_usage_with_access_off_and_overage():
    """Access off and consumption past the plan are both said plainly."""
    message = build_usage(summary("usage_summary_docs.json"), now=NOW, tz=UTC)
    check_message(message)
    shown = texts(message)
    assert "API access is off" in shown and "suspended" in shown
    assert "110.0%" in shown and "over plan" in shown
    assert "250.5" in shown  # overage, derived


def test_stale_usage_says_so_with_the_time_of_the_figures():
    """Figures served from the last good copy are marked stale with their time and the reason."""
    stale = Fetched(
        summary().value, fetched_at=NOW - timedelta(minutes=20), stale=True, error=KataloUnavailable()
    )
    shown = texts(build_usage(stale, now=NOW, tz=UTC))
    assert "*Stale*: last known figures, from 13:42 UTC" in shown
    assert "could not be reached" in shown


def test_job_events_list_each_event_and_the_total():
    """A job's events show type, amount, unit price, billable, fingerprint and time, and the exact total."""
    events = [
        event(3),
        event(2, usage_type="regeneration", amount_usd=Decimal("0.20"), unit_price_usd=Decimal("0.20")),
        event(1, usage_type="cache_hit", billable=False, amount_usd=Decimal(0), unit_price_usd=Decimal(0)),
    ]
    message = build_job_events("job_A", events, freshness=FRESH, tz=UTC)
    check_message(message)
    shown = texts(message)
    assert "*Total: $0.60* over 3 events (2 billable, 1 not billed)" in shown
    assert "*regeneration* · *$0.20* at $0.20 each · billable" in shown
    assert "not billed" in shown and "`cfg_aa`" in shown and "2026-11-24 13:59 UTC" in shown
    assert message["text"] == "Job job_A cost $0.60 over 3 events."


def test_job_with_many_events_pages_within_limits():
    """A job with 95 events pages 20 at a time, each page within Slack's limits, with working buttons."""
    events = [event(i) for i in range(95)]
    pages = [build_job_events("job_A", events, freshness=FRESH, tz=UTC, page=p) for p in range(5)]
    for page in pages:
        check_message(page)
    first = pages[0]["blocks"][-1]["elements"]
    assert [e["text"]["text"] for e in first] == ["Later ▶", "Share to channel"]
    assert json.loads(first[0]["value"]) == {"kind": "job", "job_id": "job_A", "page": 1}
    assert "showing 81–95" in texts(pages[4])
    assert sum(texts(p).count("evt_") for p in pages) == 95
    assert JOB_EVENTS_PER_PAGE == 20


def test_unknown_job_says_how_current_the_mirror_is():
    """No events: a clear sentence, and whether the mirror was complete when asked."""
    complete = texts(build_job_events("job_NOPE", [], freshness=FRESH, tz=UTC))
    assert "No ledger events for job `job_NOPE`" in complete
    assert "complete through Nov 24 13:59 UTC" in complete
    behind = build_job_events("job_NOPE", [], freshness=BEHIND, tz=UTC)
    check_message(behind)
    assert "could not catch up" in texts(behind) and "could not be reached" in texts(behind)


def test_latest_events_buttons_move_by_position():
    """Older and Newer carry the edge events' positions; the first page has no Newer button."""
    events = [event(i, job=f"job_{i}") for i in range(15)]
    message = build_latest_events(events, freshness=FRESH, tz=UTC, at_newest=True, has_older=True)
    check_message(message)
    buttons = {e["action_id"]: json.loads(e["value"]) for e in message["blocks"][-1]["elements"]}
    assert slack_ids.EVENTS_NEWER not in buttons
    assert buttons[slack_ids.EVENTS_OLDER]["before"] == [
        events[-1].created_at.isoformat(),
        events[-1].event_id,
    ]


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (KataloUnauthorized(status=401), "Ask an admin"),
        (KataloRateLimited(retry_after=17, status=429), "Try again in 17 s"),
        (KataloUnavailable(), "could not be reached"),
    ],
)
def test_errors_are_sentences(error, words):
    """Each Katalo failure becomes its sentence."""
    message = build_error(error)
    check_message(message)
    assert words in message["text"]


def test_help_refusal_and_bad_job_id_fit():
    """Help, a refusal and the malformed-id reply are valid messages that say what to do."""
    for message in (
        build_help(),
        build_help("sing"),
        build_refusal(),
        build_bad_job_id("12345"),
        build_bad_job_id(""),
    ):
        check_message(message)
    assert "job_01J" in texts(build_bad_job_id("12345"))


def test_limit_checker_catches_what_slack_sdk_misses():
    """51 blocks, a 2,001-character field, a mrkdwn header and a channel ping are each refused."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    cases = [
        {"text": "t", "blocks": [section] * 51},
        {"text": "t", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]},
        {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
        {"text": "hey <!channel>", "blocks": [section]},
        {"text": "", "blocks": [section]},
        {"text": "t", "blocks": [{"type": "nonsense"}]},
    ]
    for case in cases:
        with pytest.raises(SlackLimitError):
            check_message(case)


hostile = st.one_of(
    st.text(max_size=5000),
    st.sampled_from(
        ["<!channel>", "<!here>", "<@U123>", "<https://evil|click>", "&lt;", "a&b<c>d", "`", "*_~"]
    ),
)


@settings(max_examples=60, deadline=None)
@given(text=hostile)
def test_anything_from_users_or_the_api_is_escaped_and_fits(text):
    """Hostile text in any field a message quotes never pings anyone and never breaks a limit."""
    quoted = text or "x"
    messages = [
        build_bad_job_id(quoted),
        build_help(quoted),
        build_job_events(
            "job_A", [event(1, usage_type=quoted, config_fingerprint=quoted)], freshness=FRESH, tz=UTC
        ),
        build_latest_events(
            [event(1, job=quoted, event_id=quoted)], freshness=FRESH, tz=UTC, at_newest=True, has_older=False
        ),
        build_usage(
            summary(rate_limits={quoted[:100]: quoted}, access={"enabled": True, "status": quoted}),
            now=NOW,
            tz=UTC,
        ),
    ]
    for message in messages:
        check_message(message)
        shown = "\n".join(displayed_texts(message))
        assert "<!" not in shown and "<@U123>" not in shown and "<https://evil" not in shown


def test_help_fallback_text_is_escaped_like_every_other_text():
    """The notification text of help shows `<job_id>` escaped; raw angle brackets are Slack markup."""
    fallback = build_help()["text"]
    assert "/katalo events &lt;job_id&gt;" in fallback
    assert "<" not in fallback and ">" not in fallback
