"""The Katalo API client: HTTP, models, errors, the request budget and the cache. Nothing about Slack."""

from bot.katalo.budget import RequestBudget
from bot.katalo.cache import Fetched, SingleFlightCache
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.models import BillingEvent, EventsPage, UsageSummary
from bot.katalo.transport import RetryPolicy

__all__ = [
    "BillingEvent",
    "EventsPage",
    "Fetched",
    "KataloClient",
    "KataloError",
    "RequestBudget",
    "RetryPolicy",
    "SingleFlightCache",
    "UsageSummary",
]
