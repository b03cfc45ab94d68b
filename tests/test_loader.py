"""Strict loading: every error class in tests/examples/invalid/ gives its error line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import EXAMPLES, committed
from toyfoundry_ci.base import loader
from toyfoundry_ci.base.loader import MAX_BYTES, ParseError, parse_artifact, read_artifact
from toyfoundry_ci.validation.checker import check_file
from toyfoundry_ci.validation.reporting import report_text

INVALID = sorted(p for p in (EXAMPLES / "invalid").iterdir() if p.is_dir())


def _artifact_in(case: Path) -> Path:
    (path,) = list(case.rglob("*.json"))
    return path


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_each_invalid_example_reports_its_error_line(case: Path) -> None:
    path = _artifact_in(case)
    expected = (case / "expected.txt").read_text(encoding="utf-8").strip()
    result = check_file(str(path))
    text = report_text([result])
    assert not result.ok
    assert f"{path}{expected}" in text, text


def test_sample_batch_loads() -> None:
    for path in sorted((committed() / "exchange").rglob("*.json")):
        assert not isinstance(read_artifact(path), ParseError), path


def test_symlinked_artifact_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text('{"kind": "order"}', encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert read_artifact(link) == ParseError("$", "is a symbolic link; only regular files are read")


def test_oversized_artifact_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.write(b'{"notes": "')
        fh.seek(50 * 1024 * 1024)
        fh.write(b'"}')
    result = read_artifact(big)
    assert isinstance(result, ParseError)
    assert f"is 52428802 bytes, larger than the {MAX_BYTES}-byte bound" in result.message


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    data = b"[" * 10_000 + b"]" * 10_000
    assert parse_artifact(data) == ParseError("$", "nesting is deeper than 64 levels")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=40,
)


@given(value=json_values, depth=st.integers(0, 8))
def test_the_depth_check_agrees_with_the_full_walk(value: object, depth: int) -> None:
    assert loader._deeper_than(value, depth) == loader._shape(value, depth)[1]


def test_escaped_duplicate_key_is_found() -> None:
    result = parse_artifact(b'{"a": {"kind": 1, "\\u006bind": 2}}')
    assert result == ParseError("$.a", "duplicate key 'kind'; each key may appear once per object")


def test_colons_inside_strings_do_not_count_as_keys() -> None:
    data = b'{"note": "a \\": b", "x": [":", "\\\\"], "y": {"k:": ":"}}'
    assert parse_artifact(data) == {"note": 'a ": b', "x": [":", "\\"], "y": {"k:": ":"}}


def test_directory_and_missing_file(tmp_path: Path) -> None:
    assert read_artifact(tmp_path) == ParseError("$", "is a folder, not a regular file")
    assert read_artifact(tmp_path / "nope.json") == ParseError("$", "no such file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0)
    result = read_artifact(path)
    assert isinstance(result, ParseError)
    assert "is unreadable: Permission denied" in result.message


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"a": 1, "a": 2, "s": "\\u0022:"}', "$"),
        (b'{"a": 1, "a" : 2}', "$"),
        (b'{"x": [{"k": "\\":", "k": 1}]}', "$.x[0]"),
        (b'{"s": "\\":\\":", "t": {"u": 1, "u": 1}}', "$.t"),
    ],
)
def test_duplicates_hidden_behind_escapes_are_found(data: bytes, where: str) -> None:
    result = parse_artifact(data)
    assert isinstance(result, ParseError)
    assert result.where == where
    assert result.message.startswith("duplicate key")


def test_escaped_quotes_before_colons_are_not_keys() -> None:
    assert parse_artifact(b'{"s": "a\\": b\\":", "n": {"m": "\\u0022:"}}') == {
        "s": 'a": b":',
        "n": {"m": '":'},
    }
