"""The offline Katalo API: a deterministic ledger served over real HTTP for the demo, tests and benchmarks.

`from bot.sandbox import SandboxLedger, SandboxServer` works, but loads them only when first asked
for: importing the package stays as light as this file.
"""

from __future__ import annotations

import importlib
import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.sandbox.ledger import SandboxLedger
    from bot.sandbox.server import SandboxServer

__all__ = ["SANDBOX_API_KEY", "SandboxLedger", "SandboxServer", "with_sandbox_key"]

# The one key the sandbox accepts. It is not a secret: it opens nothing but the local sandbox.
SANDBOX_API_KEY = "kat_test_sandbox.local-only"


def with_sandbox_key(settings: Settings) -> Settings:
    """The settings, with the sandbox's key when KATALO_API_URL points at this machine and none is set.

    The sandbox is the only Katalo API a local URL can reach, so a bot started against it needs no
    key of its own; the real API never gets this one.
    """
    if settings.katalo_api_key is not None or not _is_local(settings.katalo_api_url):
        return settings
    from pydantic import SecretStr  # here, so importing the package stays as light as this file

    return settings.model_copy(update={"katalo_api_key": SecretStr(SANDBOX_API_KEY)})


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_LAZY = {"SandboxLedger": "bot.sandbox.ledger", "SandboxServer": "bot.sandbox.server"}


def __getattr__(name: str) -> Any:
    """Import SandboxLedger / SandboxServer on first use (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
