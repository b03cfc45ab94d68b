"""Building a model from a parsed artifact, pydantic's refusal translated where it arises."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.loader import json_path

M = TypeVar("M", bound=BaseModel)


def build(model: type[M], value: Any, where: str, *, hint: str) -> M:
    """``model`` from ``value``; a refusal is an ArtifactError naming ``where`` and the field.

    The message is pydantic's for the first failing field, never the offending value (it
    may be untrusted, or huge); ``hint`` says what to do.
    """
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        first = errors[0]
        place = json_path([p for p in first["loc"] if isinstance(p, str | int)])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ArtifactError(f"{where}::{place}: {first['msg'].lower()}{more}", hint=hint) from None
