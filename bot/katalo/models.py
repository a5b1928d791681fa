"""Typed, frozen views of Katalo's usage summary and billing ledger.

Lenient at the edge, as `katalo-api.md` decides: unknown keys are ignored, `entitlement` and `access`
both read, the ledger list may sit under `data`, `events` or `items`, money arrives as a number or a
decimal string and becomes `Decimal`, and a timestamp without an offset is UTC. Strict inside: every
model is frozen, money is never a float, and every datetime is timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


def _as_utc_if_naive(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


AwareDatetime = Annotated[datetime, AfterValidator(_as_utc_if_naive)]
Money = Decimal
Units = Decimal

PageOrder = Literal["newest_first", "oldest_first"]
LEDGER_WRAPPER_KEYS = ("data", "events", "items")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Access(_Model):
    """API access and billing entitlement state (`access` on www, `entitlement` on docs)."""

    enabled: bool | None = Field(default=None, validation_alias=AliasChoices("enabled", "api_access_enabled"))
    status: str | None = Field(default=None, validation_alias=AliasChoices("status", "state"))


class BillingPeriod(_Model):
    start_at: AwareDatetime
    end_at: AwareDatetime


class Usage(_Model):
    """Plan capacity in generation units. Only `consumed` is required; the rest can be derived."""

    consumed: Units
    included: Units | None = None
    overage_reported: Units | None = Field(default=None, alias="overage")
    remaining_reported: Units | None = Field(default=None, alias="remaining")

    @property
    def overage(self) -> Units | None:
        if self.overage_reported is not None:
            return self.overage_reported
        return None if self.included is None else max(Decimal(0), self.consumed - self.included)

    @property
    def remaining(self) -> Units | None:
        if self.remaining_reported is not None:
            return self.remaining_reported
        return None if self.included is None else max(Decimal(0), self.included - self.consumed)

    @property
    def fraction_used(self) -> Decimal | None:
        """consumed / included, or None when there is no included capacity to measure against."""
        if not self.included:
            return None
        return self.consumed / self.included


class Jobs(_Model):
    total: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    outputs_returned: int | None = None
    regenerate_count: int | None = None
    cache_hit_count: int | None = None

    @property
    def success_rate(self) -> Decimal | None:
        if self.succeeded is None or not self.total:
            return None
        return Decimal(self.succeeded) / Decimal(self.total)


class UsageSummary(_Model):
    """GET /api/v1/usage/summary for the calling organization."""

    usage: Usage
    access: Access | None = Field(default=None, validation_alias=AliasChoices("access", "entitlement"))
    billing_period: BillingPeriod | None = None
    jobs: Jobs = Jobs()
    # Its inner shape is undocumented: kept as the API sent it, for display only. Numbers in it arrive
    # as Decimal (the transport reads every JSON decimal so), and a shape we did not expect is dropped:
    # a line we only show is never a reason to lose the whole summary.
    rate_limits: dict[str, Any] | None = None

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _display_only(cls, value: object) -> object:
        return value if isinstance(value, dict) else None


class BillingEvent(_Model):
    """One row of the billing ledger."""

    event_id: str = Field(min_length=1)
    job_id: str = Field(min_length=1)
    created_at: AwareDatetime
    usage_type: str | None = None
    billable: bool | None = None
    unit_price_usd: Money | None = None
    amount_usd: Money | None = None
    config_fingerprint: str | None = None
    source_asset_id: str | None = None


class EventsPage(_Model):
    """One page of GET /api/v1/billing/events; `next_cursor` is None on the last page.

    Each record is read on its own: one that is not a valid event goes to `rejected` with the reason
    instead of making the whole page unreadable. `records` holds each event's record as received, in
    step with `events`, so a mirror can keep an odd one verbatim.
    """

    events: tuple[BillingEvent, ...]
    next_cursor: str | None = None
    records: tuple[Any, ...] = Field(default=(), repr=False)
    rejected: tuple[tuple[Any, str], ...] = Field(default=(), repr=False)

    @model_validator(mode="before")
    @classmethod
    def _find_list(cls, body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        for key in LEDGER_WRAPPER_KEYS:
            if isinstance(body.get(key), list):
                return {**_read_records(body[key]), "next_cursor": body.get("next_cursor") or None}
        return body  # no list found: validation reports `events` missing

    @property
    def order(self) -> PageOrder | None:
        """The page's ordering, told from `created_at`; None when one page cannot tell."""
        if not self.events:
            return None
        return order_between(self.events[0].created_at, self.events[-1].created_at)


def _read_records(items: list[Any]) -> dict[str, Any]:
    events: list[BillingEvent] = []
    records: list[Any] = []
    rejected: list[tuple[Any, str]] = []
    for item in items:
        try:
            events.append(BillingEvent.model_validate(item))
            records.append(item)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "record"
            rejected.append((item, f"not a valid event ({where}: {error['msg']})"))
    return {"events": events, "records": records, "rejected": rejected}


def order_between(earlier_served: datetime, later_served: datetime) -> PageOrder | None:
    """The ledger's order from two events' times, the first served before the second; None if equal."""
    if earlier_served == later_served:
        return None
    return "newest_first" if earlier_served > later_served else "oldest_first"
