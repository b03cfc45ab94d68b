"""jsonschema (the reference) and the compiled validator agree on every verdict."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, REPO_ROOT, committed
from toyfoundry_ci.base.kinds import iter_repo_artifacts, kind_for_path
from toyfoundry_ci.validation.schemas import compiled_validator, load_schema


def _mutations(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Valid documents bent in the ways people get them wrong."""
    yield doc
    for key in list(doc):
        broken = copy.deepcopy(doc)
        del broken[key]
        yield broken
        for bad in (None, "", -1, 1.5, [], {}, "x" * 3000, True):
            broken = copy.deepcopy(doc)
            broken[key] = bad
            yield broken
    broken = copy.deepcopy(doc)
    broken["unexpected"] = 1
    yield broken
    if isinstance(doc.get("lines"), list) and doc["lines"]:
        for key in list(doc["lines"][0]):
            for bad in (0, -5, "12", None, 10**9):
                broken = copy.deepcopy(doc)
                broken["lines"][0][key] = bad
                yield broken


def _corpus() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in iter_repo_artifacts(committed()):
        kind = kind_for_path(path.relative_to(committed()))
        assert kind is not None
        doc = json.loads(path.read_text(encoding="utf-8"))
        for i, variant in enumerate(_mutations(doc)):
            yield f"{path.name}#{i}", kind, variant
    for path in sorted((EXAMPLES / "invalid").glob("schema-*/**/*.json")):
        yield path.name, "order", json.loads(path.read_text(encoding="utf-8"))


CORPUS = list(_corpus())


def test_corpus_is_large_and_mixed() -> None:
    verdicts = [compiled_validator("v1", kind).is_valid(doc) for _, kind, doc in CORPUS]
    assert len(CORPUS) > 1000
    assert sum(verdicts) > 15
    assert len(verdicts) - sum(verdicts) > 900


@pytest.mark.parametrize("kind", sorted({k for _, k, _ in CORPUS}))
def test_same_verdicts_as_reference(kind: str) -> None:
    reference = jsonschema.Draft202012Validator(load_schema("v1", kind))
    fast = compiled_validator("v1", kind)
    disagreements = [
        name
        for name, k, doc in CORPUS
        if k == kind and reference.is_valid(doc) != fast.is_valid(doc)
    ]
    assert disagreements == []


def test_same_error_locations_as_reference() -> None:
    mismatched = []
    for name, kind, doc in CORPUS:
        reference = jsonschema.Draft202012Validator(load_schema("v1", kind))
        ref_paths = {tuple(e.absolute_path) for e in reference.iter_errors(doc)}
        fast_paths = {
            tuple(e.instance_path) for e in compiled_validator("v1", kind).iter_errors(doc)
        }
        if ref_paths != fast_paths:
            mismatched.append((name, ref_paths, fast_paths))
    assert mismatched == []


def test_schemas_are_valid_draft_2020_12() -> None:
    for path in sorted((REPO_ROOT / "schemas" / "v1").glob("*.schema.json")):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
