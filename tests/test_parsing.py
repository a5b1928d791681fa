"""What users type becomes the right question; anything else becomes help, never an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import (
    BadJobId,
    Help,
    Intent,
    JobEvents,
    LatestEvents,
    UsageIntent,
    parse_command,
    parse_mention,
)

JOB = "job_01JD3XK5C8WZ8N4QKQ2Y8ZB7RT"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("usage", UsageIntent()),
        ("  USAGE ", UsageIntent()),
        ("events", LatestEvents()),
        (f"events {JOB}", JobEvents(JOB)),
        (f"cost {JOB}", JobEvents(JOB)),
        (JOB, JobEvents(JOB)),
        ("", Help()),
        ("help", Help()),
        ("events 12345", BadJobId("12345")),
        ("events <!channel>", BadJobId("<!channel>")),
        (f"events {JOB} extra", BadJobId(f"{JOB} extra")),
        ("events job_", BadJobId("job_")),
        ("job", BadJobId("")),
        ("usage now please", Help(unrecognised="usage now please")),
        ("delete everything", Help(unrecognised="delete everything")),
    ],
)
def test_command_text(text, intent):
    """Each /katalo form maps to its intent; malformed job ids and unknown words are told apart."""
    assert parse_command(text) == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("<@UBOT> usage", UsageIntent()),
        ("<@UBOT|katalo> how much have we used?", UsageIntent()),
        ("<@UBOT> are we about to go over our plan?", UsageIntent()),
        (f"<@UBOT> what did {JOB} cost?", JobEvents(JOB)),
        (f"<@UBOT> events {JOB}", JobEvents(JOB)),
        (f"hey <@UBOT>, {JOB}?", JobEvents(JOB)),
        ("<@UBOT> what happened in the ledger?", LatestEvents()),
        ("<@UBOT>", Help()),
        ("<@UBOT> hello", Help()),
        ("<@UBOT> what did job_ cost?", BadJobId("what did job_ cost?")),
        ("<@UBOT> sing a song", Help(unrecognised="sing a song")),
    ],
)
def test_mention_text(text, intent):
    """Mentions accept commands, a job id anywhere, and plain questions about usage or events."""
    assert parse_mention(text) == intent


@given(st.text())
def test_any_command_text_parses_to_an_intent(text):
    """Arbitrary Unicode, control characters and huge strings never raise."""
    assert isinstance(parse_command(text), Intent)
    assert isinstance(parse_mention(text), Intent)


@given(st.text())
def test_a_parsed_job_id_is_always_well_formed(text):
    """Whatever was typed, a JobEvents intent carries a job id of the documented shape only."""
    for intent in (parse_command(text), parse_mention(text)):
        if isinstance(intent, JobEvents):
            assert intent.job_id.startswith("job_")
            assert intent.job_id[4:].isascii() and intent.job_id[4:].isalnum()
