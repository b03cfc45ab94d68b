"""The pivot registry and compiled validators, built once per schema per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.errors import ToyfoundryError

REGISTRY_FILE = "pivots.json"


def schema_root() -> Path:
    """Where the schemas are: inside the installed wheel, else the checkout's ``schemas/``."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / REGISTRY_FILE).is_file():
            return candidate
    raise ToyfoundryError(
        "the schema registry is missing from this installation",
        hint="reinstall toyfoundry-ci, or run `toyfoundry schemas export` in its checkout",
    )


@dataclass(frozen=True)
class Registry:
    """Which pivots exist, which is current, and the schema file of each kind per pivot."""

    root: Path
    current: str
    pivots: dict[str, dict[str, str]]

    def schema_path(self, pivot: str, kind: str) -> Path:
        return self.root / self.pivots[pivot][kind]


@functools.cache
def registry() -> Registry:
    root = schema_root()
    raw = orjson.loads((root / REGISTRY_FILE).read_bytes())
    pivots = {name: dict(info["kinds"]) for name, info in raw["pivots"].items()}
    return Registry(root=root, current=raw["current"], pivots=pivots)


@functools.cache
def load_schema(pivot: str, kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = orjson.loads(registry().schema_path(pivot, kind).read_bytes())
    return schema


@functools.cache
def compiled_validator(pivot: str, kind: str) -> Any:
    """The compiled jsonschema-rs validator for one (pivot, kind); cached for the process."""
    # Imported here: commands that only need the registry (the ledger index) skip its ~20 ms.
    import jsonschema_rs

    # Formats on: "2026-13-40" matches a date's pattern, only the format check refuses it.
    return jsonschema_rs.Draft202012Validator(load_schema(pivot, kind), validate_formats=True)
