"""Settings: every environment variable the bot reads, validated once at start-up.

`load_settings(environ)` is the only place that looks at the environment. A missing or malformed value
raises `ConfigError` whose message is one line naming the variable and what it expects; the CLI prints
that line and exits with status 2. Secret values are `SecretStr`, so they never show in a repr, and no
message here ever quotes one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.parsing import parse_hh_mm, zone_named

DEFAULT_DATABASE_URL = "sqlite:///katalo-bot.db"

# What each variable expects, in the words of the one-line error a user sees.
EXPECTS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "a Slack bot token starting with xoxb-",
    "SLACK_SIGNING_SECRET": "the app's signing secret (Basic Information → App Credentials)",
    "SLACK_APP_TOKEN": "a Slack app-level token starting with xapp- (Socket Mode)",
    "SLACK_API_URL": "an http(s) URL ending in /api/, e.g. https://slack.com/api/",
    "KATALO_API_KEY": "a Katalo API key like kat_live_<publicKeyId>.<secret>",
    "KATALO_API_URL": "an http(s) base URL, e.g. https://app.katalo.ai",
    "KATALO_CACHE_TTL": "a whole number of seconds from 0 to 3600",
    "KATALO_REQUESTS_PER_MINUTE": "a whole number of requests per minute, at least 1",
    "DATABASE_URL": "a sqlite:/// or postgresql:// URL",
    "PORT": "a TCP port number from 1 to 65535",
    "DIGEST_CHANNEL": "a Slack channel id such as C0123456789",
    "DIGEST_TIME": "a local time as HH:MM, e.g. 09:00",
    "DIGEST_TIMEZONE": "an IANA time zone such as Europe/Berlin or UTC",
    "REPORT_TIMEZONE": "an IANA time zone such as Europe/Berlin or UTC",
    "ALLOWED_USER_IDS": "comma-separated Slack user ids such as U0123456789",
    "ALLOWED_CHANNEL_IDS": "comma-separated Slack channel ids such as C0123456789",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "ALERT_THRESHOLDS": "comma-separated percentages of the plan from 1 to 1000, e.g. 80,100",
    "BUDGET_ALERT_THRESHOLDS": "comma-separated percentages of a budget from 1 to 1000, e.g. 50,80,100",
    "SPIKE_K": "a number of median absolute deviations, 0 or more, e.g. 3",
    "SPIKE_PERCENT": "a percentage of the usual day, 0 or more, e.g. 40",
    "SPIKE_FLOOR_USD": "an amount in dollars, 0 or more, e.g. 10",
}
SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "KATALO_API_KEY")

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_KATALO_KEY = re.compile(r"^kat_[A-Za-z0-9]+_[A-Za-z0-9_-]+\.\S+$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line fit to print as it is."""


@dataclass(frozen=True)
class Allowlist:
    """Who may see billing data, and where (ALLOWED_USER_IDS, ALLOWED_CHANNEL_IDS); empty allows all."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    def allows_channel(self, channel_id: str | None) -> bool:
        """Whether billing data may be posted in this channel (digests and alerts have no user)."""
        return not self.channels or channel_id in self.channels

    def allows(self, user_id: str | None, channel_id: str | None) -> bool:
        """Whether billing data may be shown to this user in this channel."""
        return (not self.users or user_id in self.users) and self.allows_channel(channel_id)


def _comma_list(value: Any, pattern: re.Pattern[str]) -> frozenset[str]:
    if value is None or isinstance(value, frozenset):
        return value or frozenset()
    items = [item.strip() for item in str(value).split(",") if item.strip()]
    if not all(pattern.match(item) for item in items):
        raise ValueError("malformed id")
    return frozenset(items)


class Settings(BaseModel):
    """The bot's configuration. Field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    slack_bot_token: Annotated[SecretStr | None, Field(alias="SLACK_BOT_TOKEN")] = None
    slack_signing_secret: Annotated[SecretStr | None, Field(alias="SLACK_SIGNING_SECRET")] = None
    slack_app_token: Annotated[SecretStr | None, Field(alias="SLACK_APP_TOKEN")] = None
    slack_api_url: Annotated[str, Field(alias="SLACK_API_URL")] = "https://slack.com/api/"
    katalo_api_key: Annotated[SecretStr | None, Field(alias="KATALO_API_KEY")] = None
    katalo_api_url: Annotated[str, Field(alias="KATALO_API_URL")] = "https://app.katalo.ai"
    katalo_cache_ttl: Annotated[int, Field(alias="KATALO_CACHE_TTL", ge=0, le=3600, strict=False)] = 60
    katalo_requests_per_minute: Annotated[int, Field(alias="KATALO_REQUESTS_PER_MINUTE", ge=1)] = 60
    database_url: Annotated[str, Field(alias="DATABASE_URL")] = DEFAULT_DATABASE_URL
    port: Annotated[int, Field(alias="PORT", ge=1, le=65535)] = 3000
    digest_channel: Annotated[str | None, Field(alias="DIGEST_CHANNEL")] = None
    digest_time: Annotated[time, Field(alias="DIGEST_TIME")] = time(9, 0)
    digest_timezone: Annotated[ZoneInfo, Field(alias="DIGEST_TIMEZONE")] = ZoneInfo("UTC")
    # The zone of spend periods ("last week", "2026-10"); None: the digest's zone (see report_zone).
    report_timezone: Annotated[ZoneInfo | None, Field(alias="REPORT_TIMEZONE")] = None
    allowed_user_ids: Annotated[frozenset[str], Field(alias="ALLOWED_USER_IDS")] = frozenset()
    allowed_channel_ids: Annotated[frozenset[str], Field(alias="ALLOWED_CHANNEL_IDS")] = frozenset()
    log_level: Annotated[str, Field(alias="LOG_LEVEL")] = "INFO"
    alert_thresholds: Annotated[tuple[int, ...], Field(alias="ALERT_THRESHOLDS")] = (80, 100)
    budget_alert_thresholds: Annotated[tuple[int, ...], Field(alias="BUDGET_ALERT_THRESHOLDS")] = (
        50,
        80,
        100,
    )
    # The spike rule's three legs (bot/alerts/spike.py); the defaults are the backtest's choice.
    spike_k: Annotated[Decimal, Field(alias="SPIKE_K")] = Decimal(3)
    spike_percent: Annotated[Decimal, Field(alias="SPIKE_PERCENT")] = Decimal(40)
    spike_floor_usd: Annotated[Decimal, Field(alias="SPIKE_FLOOR_USD")] = Decimal(10)

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("not a bot token")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("not an app token")
        return value

    @field_validator("katalo_api_key")
    @classmethod
    def _katalo_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _KATALO_KEY.match(value.get_secret_value()):
            raise ValueError("not a Katalo key")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url(cls, value: str) -> str:
        _require_http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("katalo_api_url")
    @classmethod
    def _katalo_url(cls, value: str) -> str:
        _require_http_url(value)
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Heroku-style platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        if value.startswith(("sqlite:///", "postgresql+psycopg://")):
            return value
        raise ValueError("unsupported database")

    @field_validator("digest_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL_ID.match(value):
            raise ValueError("not a channel id")
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        if isinstance(value, str):
            at = parse_hh_mm(value)
            if at is None:
                raise ValueError("not HH:MM")
            return at
        return value

    @field_validator("digest_timezone", "report_timezone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> Any:
        if isinstance(value, str):
            zone = zone_named(value)
            if zone is None:
                raise ValueError("unknown zone")
            return zone
        return value

    @field_validator("allowed_user_ids", mode="before")
    @classmethod
    def _users(cls, value: Any) -> frozenset[str]:
        return _comma_list(value, _USER_ID)

    @field_validator("allowed_channel_ids", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> frozenset[str]:
        return _comma_list(value, _CHANNEL_ID)

    @field_validator("alert_thresholds", "budget_alert_thresholds", mode="before")
    @classmethod
    def _thresholds(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        numbers = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
        if not numbers or not all(1 <= n <= 1000 for n in numbers):
            raise ValueError("out of range")
        return numbers

    @field_validator("spike_k", "spike_percent", "spike_floor_usd", mode="before")
    @classmethod
    def _non_negative(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not number.is_finite() or number < 0:
            raise ValueError("negative or not finite")
        return number

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("unknown level")
        return level

    @property
    def report_zone(self) -> ZoneInfo:
        """The zone spend periods are calendar periods in: REPORT_TIMEZONE, else DIGEST_TIMEZONE."""
        return self.report_timezone or self.digest_timezone

    def katalo_key(self) -> str:
        """The key to send to Katalo; ConfigError when none is set."""
        if self.katalo_api_key is None:
            raise ConfigError(f"KATALO_API_KEY is not set: expected {EXPECTS['KATALO_API_KEY']}")
        return self.katalo_api_key.get_secret_value()

    @property
    def allowlist(self) -> Allowlist:
        return Allowlist(self.allowed_user_ids, self.allowed_channel_ids)

    def require(self, *variables: str) -> None:
        """Stop start-up unless each named variable is set (which ones depends on the subcommand).

        Every missing one is named, in one line, so an operator fixes them all in one go.
        """
        missing = [name for name in variables if getattr(self, _FIELD_BY_ALIAS[name]) is None]
        if len(missing) == 1:
            raise ConfigError(f"{missing[0]} is not set: expected {EXPECTS[missing[0]]}")
        if missing:
            names = ", ".join(missing[:-1]) + " and " + missing[-1]
            expected = "; ".join(f"{name}: {EXPECTS[name]}" for name in missing)
            raise ConfigError(f"{names} are not set (expected {expected})")

    def secrets(self) -> tuple[str, ...]:
        """Every secret value configured (the database password too), for the log filter that redacts them."""
        values = (getattr(self, _FIELD_BY_ALIAS[name]) for name in SECRET_VARIABLES)
        found = [value.get_secret_value() for value in values if value is not None]
        password = urlsplit(self.database_url).password
        return (*found, *([password] if password else []))

    @property
    def logging_level(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


_FIELD_BY_ALIAS = {field.alias: name for name, field in Settings.model_fields.items()}


def _require_http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Read and validate the settings from `environ`; `overrides` (field names) win over it."""
    # A blank value (`PORT=` in an env file) means "use the default", not "invalid".
    known: dict[str, Any] = {name: environ[name] for name in EXPECTS if environ.get(name, "").strip()}
    known.update({Settings.model_fields[key].alias or key: value for key, value in overrides.items()})
    try:
        return Settings.model_validate(known)
    except ValidationError as exc:
        variable = str(exc.errors()[0]["loc"][0])
        # Never repeat a secret (a database URL may hold a password); other values are echoed because
        # seeing the typo helps.
        hidden = (*SECRET_VARIABLES, "DATABASE_URL")
        shown = "" if variable in hidden else f" (got {str(known.get(variable))[:80]!r})"
        raise ConfigError(f"{variable} is malformed: expected {EXPECTS[variable]}{shown}") from None
