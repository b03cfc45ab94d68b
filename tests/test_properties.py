"""Property-based tests of the base layer: canonical JSON, path safety, strict loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toyfoundry_ci.base.canonical import dumps, dumps_compact, sha256_json
from toyfoundry_ci.base.errors import UnsafeIdError
from toyfoundry_ci.base.ids import safe_child
from toyfoundry_ci.base.loader import ParseError, parse_artifact
from toyfoundry_ci.validation.checker import check_value

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False, width=64),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_round_trips(value: Any) -> None:
    assert json.loads(dumps(value)) == value
    assert json.loads(dumps_compact(value)) == value


@given(st.dictionaries(st.text(max_size=6), json_scalars, max_size=6), st.randoms())
def test_canonical_bytes_ignore_insertion_order(doc: dict[str, Any], rnd: Any) -> None:
    items = list(doc.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    assert dumps(shuffled) == dumps(doc)
    assert sha256_json(shuffled) == sha256_json(doc)


@given(st.text(max_size=40))
def test_safe_child_never_leaves_its_root(name: str) -> None:
    root = Path("/srv/factory/exchange/orders")
    try:
        child = safe_child(root, name, ".json")
    except UnsafeIdError:
        return
    assert child.parent == root
    assert child.resolve().parent == root.resolve()
    assert "/" not in name and "\x00" not in name and ".." not in name


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a/b",
        "/etc/passwd",
        ".hidden",
        "ALFA\x00",
        "ALFA\n2026",
        "\uff21\uff2c\uff26\uff21-2026-0001",  # full-width look-alike letters
        "..",
        ".",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeIdError):
        safe_child(Path("/root"), name)


@given(json_values)
def test_loader_accepts_what_canonical_json_writes(value: Any) -> None:
    assert parse_artifact(dumps(value)) == value


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_loader_and_checker_never_raise_on_arbitrary_bytes(data: bytes) -> None:
    """A fuzz target: any bytes give a value or a ParseError, and checking gives a result."""
    value = parse_artifact(data)
    result = check_value("exchange/orders/fuzz.json", value)
    assert isinstance(value, ParseError) or not isinstance(value, BaseException)
    assert all(p.where and p.message for p in result.problems)


@settings(max_examples=200)
@given(json_values)
def test_checker_never_raises_on_arbitrary_json(value: Any) -> None:
    result = check_value("exchange/orders/fuzz.json", value)
    assert not result.ok or isinstance(value, dict)
