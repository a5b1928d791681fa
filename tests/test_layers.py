"""Layers point down: no module in bot/ imports one from a higher layer (design.md, "Layers").

Every import counts, at the top of a module, inside a function or under TYPE_CHECKING: a lazy import
is still a dependency. The order is written once, in LAYERS; a new module must find its place there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A module may import from its own layer and the ones before it, never after. A name
# stands for that module and everything under it; the longest name that matches a module decides.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("pure helpers, no I/O", ("bot", "bot.config", "bot.logs", "bot.formatting", "bot.slack_ids",
                              "bot.parsing", "bot.spend_parsing", "bot.periods", "bot.alert_kinds",
                              "bot.alert_parsing")),
    ("database", ("bot.db",)),
    ("Katalo client and models", ("bot.katalo",)),
    ("plain data for the builders", ("bot.figures",)),
    ("ledger mirror", ("bot.ledger",)),
    ("Block Kit builders, charts", ("bot.blocks", "bot.charts")),
    ("alert rules (pure: figures in, decision out)", ("bot.alerts",)),
    ("services", ("bot.services", "bot.digest")),
    # Deps is the record the composition root fills and listeners and jobs read: it lives with the
    # wiring but sits at their level, so they can name it without importing the root.
    ("listeners and jobs", ("bot.listeners", "bot.digest.clock", "bot.digest.run", "bot.digest.alert_run",
                            "bot.wiring.deps")),
    # The HTTP front (bot.web) and the answer pool serve the app the wiring builds.
    ("wiring", ("bot.wiring", "bot.app", "bot.serve", "bot.web", "bot.answer_pool")),
    ("local features", ("bot.sandbox", "bot.demo")),
    ("the command", ("bot.cli", "bot.__main__")),
]  # fmt: skip

# Builders are pure (plain data in, Block Kit out): besides the layer order, they stay clear of
# every module that stores or fetches, even where the order alone would let them.
PURE = ("bot.blocks", "bot.charts", "bot.figures")
NOT_FOR_PURE = ("bot.db", "bot.ledger", "bot.katalo.client", "bot.katalo.transport", "sqlalchemy", "httpx")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted((ROOT / "bot").rglob("*.py"))}


def _within(name: str, prefix: str) -> bool:
    # "bot" is the package's own __init__, not every module: a new module must be placed by name.
    return name == prefix or (prefix != "bot" and name.startswith(prefix + "."))


def layer_of(name: str) -> int | None:
    """The index in LAYERS of the longest prefix naming this module; None for modules outside bot."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(name, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def imported_modules(source: str, importer: str) -> set[str]:
    """Every module this source imports, wherever the import stands; `from a import b` counts a.b
    when b is a module of bot."""
    found: set[str] = set()
    package = (
        importer if (MODULES.get(importer, Path()).name == "__init__.py") else importer.rpartition(".")[0]
    )
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def violations(importer: str, source: str) -> list[str]:
    """What this module imports against the layering, as sentences."""
    own = layer_of(importer)
    assert own is not None, f"{importer} has no layer: add it to LAYERS in tests/test_layers.py"
    problems = []
    for imported in sorted(imported_modules(source, importer)):
        theirs = layer_of(imported)
        if theirs is not None and theirs > own:
            problems.append(
                f"{importer} ({LAYERS[own][0]}) imports {imported} ({LAYERS[theirs][0]}), a higher layer"
            )
        if any(_within(importer, p) for p in PURE) and any(_within(imported, p) for p in NOT_FOR_PURE):
            problems.append(f"{importer} is pure but imports {imported}, which stores or fetches")
    return problems


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_imports_point_down(name):
    """Each module of bot/ imports only from its own layer or lower ones."""
    assert violations(name, MODULES[name].read_text(encoding="utf-8")) == []


def test_every_module_has_a_layer():
    """A new module (or package) must be placed in LAYERS, so the order stays written in one place."""
    assert [name for name in MODULES if layer_of(name) is None] == []


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("bot.digest.run", "from bot.app import create_app"),
        ("bot.config", "def key():\n    from bot.sandbox import SANDBOX_API_KEY\n"),
        ("bot.blocks.events", "from bot.ledger.mirror import LedgerMirror"),
        ("bot.blocks.digest", "import sqlalchemy"),
        ("bot.listeners.commands", "from bot import wiring\nfrom bot.wiring import root"),
        ("bot.digest.store", "from ..listeners import commands"),
    ],
)
def test_an_upward_import_is_caught(importer, source):
    """The check itself fails on the imports it exists to stop, lazy and relative ones included."""
    assert violations(importer, source) != []
