"""jsonschema (the reference) and the compiled validator agree on every verdict."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, REPO_ROOT, committed
from toyfoundry_ci.base.kinds import iter_repo_artifacts, kind_for_path
from toyfoundry_ci.models import ARTIFACT_MODELS
from toyfoundry_ci.validation.schemas import compiled_validator, load_schema

# Days and times a calendar cannot hold, each shaped to pass the schema's pattern.
IMPOSSIBLE_DAYS = ("2026-13-40", "2026-02-29", "2026-04-31", "0000-01-01")
IMPOSSIBLE_TIMES = (
    "2026-02-30T10:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-12-31T23:59:60Z",
    "2026-01-01T10:61:00+01:00",
    "0000-01-01T10:00:00Z",
)
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T")


def _impossible_dates(doc: Any) -> Iterator[Any]:
    """``doc`` with one of its days or time stamps made impossible, every way."""
    if isinstance(doc, str):
        if _DAY.match(doc):
            yield from IMPOSSIBLE_DAYS
        elif _TIME.match(doc):
            yield from IMPOSSIBLE_TIMES
    elif isinstance(doc, dict):
        for key, child in doc.items():
            for bad in _impossible_dates(child):
                yield {**doc, key: bad}
    elif isinstance(doc, list):
        for i, child in enumerate(doc):
            for bad in _impossible_dates(child):
                yield [*doc[:i], bad, *doc[i + 1 :]]


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
    yield from _impossible_dates(doc)
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


def _reference(kind: str) -> jsonschema.Draft202012Validator:
    """The reference validator, formats checked (as the compiled one checks them)."""
    return jsonschema.Draft202012Validator(
        load_schema("v1", kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_the_reference_checks_time_stamps() -> None:
    # Without rfc3339-validator installed, jsonschema passes every date-time silently and the
    # parity of impossible time stamps would hold for nothing.
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert not checker.conforms("2026-01-01T24:00:00Z", "date-time")
    assert not checker.conforms("2026-13-40", "date")


def test_no_impossible_day_or_time_passes_either_validator_or_the_models() -> None:
    impossible = [
        (name, kind, doc)
        for name, kind, doc in CORPUS
        if any(v in json.dumps(doc) for v in IMPOSSIBLE_DAYS + IMPOSSIBLE_TIMES)
    ]
    assert len(impossible) > 50
    passed = [
        name for name, kind, doc in impossible if compiled_validator("v1", kind).is_valid(doc)
    ]
    assert passed == []
    # What the schema refuses, the models refuse too: nothing the validator lets through
    # would stop forge or parade with pydantic's words.
    accepted_by_models = []
    for name, kind, doc in impossible:
        try:
            ARTIFACT_MODELS[kind].model_validate(doc)
        except ValueError:
            continue
        accepted_by_models.append(name)
    assert accepted_by_models == []


def test_corpus_is_large_and_mixed() -> None:
    verdicts = [compiled_validator("v1", kind).is_valid(doc) for _, kind, doc in CORPUS]
    assert len(CORPUS) > 1000
    assert sum(verdicts) > 15
    assert len(verdicts) - sum(verdicts) > 900


@pytest.mark.parametrize("kind", sorted({k for _, k, _ in CORPUS}))
def test_same_verdicts_as_reference(kind: str) -> None:
    reference = _reference(kind)
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
        reference = _reference(kind)
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
