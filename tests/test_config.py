"""Settings come from the environment once, with one clear line for each bad value."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.config import EXPECTS, ConfigError, load_settings
from bot.sandbox import SANDBOX_API_KEY, with_sandbox_key

KEY = "kat_live_pk123.SECRETVALUE-abc"
TOKEN = "xoxb-1111-SECRETTOKEN"


def test_defaults_when_nothing_is_set():
    """An empty environment gives the documented defaults."""
    settings = load_settings({})
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.katalo_api_url == "https://app.katalo.ai"
    assert settings.katalo_cache_ttl == 60
    assert settings.katalo_requests_per_minute == 60
    assert settings.database_url == "sqlite:///katalo-bot.db"
    assert settings.port == 3000
    assert settings.digest_channel is None
    assert settings.digest_time == time(9, 0)
    assert settings.digest_timezone == ZoneInfo("UTC")
    assert settings.allowed_user_ids == frozenset()
    assert settings.log_level == "INFO"


def test_every_variable_is_read():
    """Each public variable lands in its setting, parsed to its type."""
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "abc123signing",
            "SLACK_APP_TOKEN": "xapp-1-A-secret",
            "SLACK_API_URL": "http://127.0.0.1:9000/api",
            "KATALO_API_KEY": KEY,
            "KATALO_API_URL": "https://katalo.example/",
            "KATALO_CACHE_TTL": "15",
            "KATALO_REQUESTS_PER_MINUTE": "30",
            "DATABASE_URL": "postgres://u@db:5432/k",
            "PORT": "8080",
            "DIGEST_CHANNEL": "C0123ABCD",
            "DIGEST_TIME": "7:30",
            "DIGEST_TIMEZONE": "Europe/Berlin",
            "ALLOWED_USER_IDS": " U01, W02 ,",
            "ALLOWED_CHANNEL_IDS": "C01,G02",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"
    assert settings.katalo_api_url == "https://katalo.example"
    assert settings.katalo_key() == KEY
    assert (settings.katalo_cache_ttl, settings.katalo_requests_per_minute, settings.port) == (15, 30, 8080)
    assert settings.database_url == "postgresql+psycopg://u@db:5432/k"
    assert settings.digest_time == time(7, 30)
    assert settings.digest_timezone == ZoneInfo("Europe/Berlin")
    assert settings.allowed_user_ids == {"U01", "W02"}
    assert settings.allowed_channel_ids == {"C01", "G02"}
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KATALO_CACHE_TTL", "soon"),
        ("KATALO_CACHE_TTL", "-1"),
        ("KATALO_REQUESTS_PER_MINUTE", "0"),
        ("PORT", "70000"),
        ("DIGEST_TIME", "25:00"),
        ("DIGEST_TIME", "9am"),
        ("DIGEST_TIMEZONE", "Mars/Olympus"),
        ("DIGEST_CHANNEL", "#general"),
        ("ALLOWED_USER_IDS", "U01,bob"),
        ("ALLOWED_CHANNEL_IDS", "general"),
        ("SLACK_API_URL", "slack.com/api"),
        ("KATALO_API_URL", "ftp://katalo"),
        ("LOG_LEVEL", "LOUD"),
        ("BUDGET_ALERT_THRESHOLDS", "0,50"),
        ("BUDGET_ALERT_THRESHOLDS", "half"),
        ("SPIKE_K", "-1"),
        ("SPIKE_PERCENT", "forty"),
        ("SPIKE_FLOOR_USD", "NaN"),
    ],
)
def test_malformed_value_names_the_variable_and_what_it_expects(variable, value):
    """A bad value gives one line: the variable, what it expects, and the value that was given."""
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{variable} is malformed: expected {EXPECTS[variable]}")
    assert repr(value) in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KATALO_API_KEY", "sk_live_NOTKATALO_SECRET"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token-SECRET"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind-SECRET"),
    ],
)
def test_malformed_secret_is_named_but_never_repeated(variable, value):
    """A malformed secret is reported by name only: its value never appears in the message."""
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    assert str(caught.value).startswith(f"{variable} is malformed")
    assert "SECRET" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_alert_settings_default_to_the_backtests_choice_and_read_exact_decimals():
    """k 3, 40%, $10 and 50/80/100 unless set; a set value is read exactly (no float)."""
    default = load_settings({})
    assert (default.spike_k, default.spike_percent, default.spike_floor_usd) == (3, 40, 10)
    assert default.budget_alert_thresholds == (50, 80, 100)
    chosen = load_settings({"SPIKE_FLOOR_USD": "12.30", "BUDGET_ALERT_THRESHOLDS": "90, 75"})
    assert str(chosen.spike_floor_usd) == "12.30"
    assert chosen.budget_alert_thresholds == (75, 90)


def test_blank_values_count_as_unset():
    """`VAR=` in an env file means "use the default", not "invalid"."""
    assert load_settings({"PORT": "  ", "DIGEST_CHANNEL": ""}).port == 3000


def test_secrets_never_show_in_repr():
    """Printing the settings (a debugger, a log line) shows no secret."""
    settings = load_settings(
        {"KATALO_API_KEY": KEY, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "sig-SECRET"}
    )
    text = repr(settings) + str(settings)
    assert "SECRET" not in text
    assert set(settings.secrets()) == {KEY, TOKEN, "sig-SECRET"}


def test_require_names_the_missing_variable():
    """A subcommand that needs a variable stops with its name and what it expects."""
    with pytest.raises(
        ConfigError, match=r"^SLACK_SIGNING_SECRET is not set: expected the app's signing secret"
    ):
        load_settings({}).require("SLACK_SIGNING_SECRET")


def test_real_katalo_needs_a_key():
    """Without a key, the production API cannot be used, and the error says which variable to set."""
    with pytest.raises(ConfigError, match=r"^KATALO_API_KEY is not set"):
        load_settings({}).katalo_key()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765/", "http://[::1]:8765"])
def test_local_katalo_uses_the_sandbox_key(url):
    """Pointed at this machine (the sandbox), the bot needs no key of its own."""
    assert with_sandbox_key(load_settings({"KATALO_API_URL": url})).katalo_key() == SANDBOX_API_KEY


@pytest.mark.parametrize("url", ["https://app.katalo.ai", "http://127.0.0.2.example.com:8765"])
def test_the_sandbox_key_never_goes_elsewhere(url):
    """Only a URL on this machine gets the sandbox's key; the real API still needs KATALO_API_KEY."""
    with pytest.raises(ConfigError, match=r"^KATALO_API_KEY is not set"):
        with_sandbox_key(load_settings({"KATALO_API_URL": url})).katalo_key()


def test_overrides_win_over_the_environment():
    """Entry points can override a setting (the demo points the client at its sandbox)."""
    assert load_settings({"PORT": "8080"}, port=9090).port == 9090


def test_a_zone_folder_is_not_a_zone():
    """DIGEST_TIMEZONE=America (a folder of the zone database) is one clear line, not a traceback."""
    with pytest.raises(ConfigError, match=r"^DIGEST_TIMEZONE is malformed"):
        load_settings({"DIGEST_TIMEZONE": "America"})


def test_a_malformed_database_url_is_named_but_its_password_never_shown():
    """DATABASE_URL may hold a password: a bad one is named, its value not repeated."""
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": "mysql://bot:DBSECRET@db/katalo"})
    assert str(caught.value).startswith(
        "DATABASE_URL is malformed: expected a sqlite:/// or postgresql:// URL"
    )
    assert "DBSECRET" not in str(caught.value)


def test_the_database_password_is_redacted_from_logs():
    settings = load_settings({"DATABASE_URL": "postgres://bot:DBSECRET@db:5432/katalo"})
    assert "DBSECRET" in settings.secrets()
