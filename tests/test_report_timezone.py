"""REPORT_TIMEZONE: the zone of spend periods, defaulting to DIGEST_TIMEZONE, validated like it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings


def test_report_zone_defaults_to_the_digest_zone():
    settings = load_settings({"DIGEST_TIMEZONE": "Europe/Berlin"})
    assert settings.report_zone == ZoneInfo("Europe/Berlin")


def test_report_zone_when_set():
    settings = load_settings({"DIGEST_TIMEZONE": "Europe/Berlin", "REPORT_TIMEZONE": "America/New_York"})
    assert settings.report_zone == ZoneInfo("America/New_York")


@pytest.mark.parametrize("value", ["Mars/Olympus", "America", "../etc"])
def test_a_malformed_report_zone_stops_start_up_with_one_line(value):
    with pytest.raises(ConfigError, match=r"^REPORT_TIMEZONE is malformed: expected an IANA time zone"):
        load_settings({"REPORT_TIMEZONE": value})
