"""The offline Katalo API: a deterministic ledger served over real HTTP for the demo, tests and benchmarks.

`from bot.sandbox import SandboxLedger, SandboxServer` works, but loads them only when first asked
for: importing the package stays as light as this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox.ledger import SandboxLedger
    from bot.sandbox.server import SandboxServer

__all__ = ["SANDBOX_API_KEY", "SandboxLedger", "SandboxServer"]

# The one key the sandbox accepts. It is not a secret: it opens nothing but the local sandbox.
SANDBOX_API_KEY = "kat_test_sandbox.local-only"

_LAZY = {"SandboxLedger": "bot.sandbox.ledger", "SandboxServer": "bot.sandbox.server"}


def __getattr__(name: str) -> Any:
    """Import SandboxLedger / SandboxServer on first use (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
