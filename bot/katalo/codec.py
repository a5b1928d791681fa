"""How a cached value becomes text for the cache shared by processes (bot/katalo/shared_cache.py), and back.

A codec must read back exactly what it wrote: the same Decimal digits, the same instants and offsets.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Codec(Protocol[T]):
    """How a cached value is written to the shared cache as text, and read back exactly."""

    def dump(self, value: T) -> str: ...

    def load(self, text: str) -> T: ...


class ModelCodec(Generic[M]):
    """A pydantic model as its JSON: Decimal as its exact digits, datetimes with their offset.

    By alias, because fields read under an alias (`overage`, `remaining`) only read back under it.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def dump(self, value: M) -> str:
        return value.model_dump_json(by_alias=True)

    def load(self, text: str) -> M:
        return self.model.model_validate_json(text)
