"""Generate the current pivot's JSON Schemas from the models, and detect drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.reader import read_present
from toyfoundry_ci.models import ARTIFACT_MODELS, PIVOT

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REGISTRY_FILE = "pivots.json"


def schema_for(kind: str) -> dict[str, Any]:
    """The draft 2020-12 schema of one kind, as the models define it."""
    schema = ARTIFACT_MODELS[kind].model_json_schema(mode="validation")
    # kind and pivot have defaults for convenience in code, but every file must state them.
    required = set(schema.get("required", []))
    schema["required"] = sorted(required | {"kind", "pivot"})
    return {"$schema": DRAFT, "$id": f"urn:toyfoundry:schema:{PIVOT}:{kind}", **schema}


def rendered(root: Path) -> dict[Path, bytes]:
    """Every file the current pivot's export consists of, with its bytes."""
    files: dict[Path, bytes] = {}
    kinds: dict[str, str] = {}
    for kind in ARTIFACT_MODELS:
        rel = f"{PIVOT}/{kind}.schema.json"
        kinds[kind] = rel
        files[root / rel] = dumps(schema_for(kind))
    registry_path = root / REGISTRY_FILE
    registry = _existing_registry(registry_path)
    registry["current"] = PIVOT
    registry.setdefault("pivots", {})[PIVOT] = {"kinds": kinds}
    files[registry_path] = dumps(registry)
    return files


def _existing_registry(path: Path) -> dict[str, Any]:
    """Older pivots stay in the registry as they are: only the current one is regenerated."""
    raw = read_present(path, None)
    try:
        data: dict[str, Any] = orjson.loads(raw) if raw is not None else {"pivots": {}}
    except orjson.JSONDecodeError:
        return {"pivots": {}}
    return data


def drift(root: Path) -> list[Path]:
    """Files whose content differs from what the models generate."""
    return [path for path, data in rendered(root).items() if _read(path) != data]


def export(root: Path) -> list[Path]:
    """Write the schemas; return the files that changed."""
    return [path for path, data in rendered(root).items() if write_bytes_atomic(path, data)]


def _read(path: Path) -> bytes | None:
    return read_present(path, None)
