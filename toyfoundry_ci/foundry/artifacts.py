"""Loading the Foundry Cycle's inputs: strict, schema-checked, errors naming file and place."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.models.parse import build
from toyfoundry_ci.validation.checker import check_value

M = TypeVar("M", bound=BaseModel)


def load(layout: Layout, path: Path, model: type[M], kind: str) -> M:
    """Read ``path`` as an artifact of ``kind``; any problem raises ArtifactError."""
    rel = layout.rel(path) if path.is_relative_to(layout.root) else str(path)
    value = read_artifact(path)
    result = check_value(rel, value, expected_kind=kind)
    hint = f"run `toyfoundry validate {rel}` to see every problem"
    if not result.ok:
        first = result.problems[0]
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        raise ArtifactError(f"{rel}::{first.where}: {first.message}{more}", hint=hint)
    return build(model, value, rel, hint=hint)
