"""Check artifact files: load strictly, find kind and pivot, validate, collect problems.

Loading, checking and reporting are separate pieces: ``check_file`` returns data, the
reporters in ``reporting`` render it, and nothing here prints.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from toyfoundry_ci.base.kinds import KINDS, kind_for_path, max_bytes_for
from toyfoundry_ci.base.loader import ParseError, json_path, read_artifact
from toyfoundry_ci.validation.schemas import compiled_validator, registry

# An invalid value is shown only when it is a short plain word; any other is described.
_SHOWN = re.compile(r"[A-Za-z0-9._-]{1,40}")

# Below this many files one process is quicker than starting workers.
PARALLEL_THRESHOLD = 2000
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file: where (a JSON path) and what."""

    where: str
    message: str
    parts: tuple[str | int, ...] = ()


@dataclass(slots=True)
class FileResult:
    path: str
    kind: str | None = None
    pivot: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_value(path: str, value: Any, expected_kind: str | None = None) -> FileResult:
    """Validate an already-loaded artifact value as if it were the file at ``path``."""
    result = FileResult(path=path)
    if isinstance(value, ParseError):
        result.problems.append(Problem(value.where, value.message))
        return result
    if type(value) is not dict:
        result.problems.append(Problem("$", "an artifact must be a JSON object"))
        return result
    folder_kind = expected_kind or kind_for_path(path)
    own_kind = value.get("kind")
    kind = _resolve_kind(result, folder_kind, own_kind)
    pivot = value.get("pivot")
    reg = registry()
    if not isinstance(pivot, str) or pivot not in reg.pivots:
        known = ", ".join(sorted(reg.pivots))
        result.problems.append(
            Problem(
                "$.pivot",
                f"unknown pivot {_value(pivot)}; known pivots: {known} (current: {reg.current})",
                ("pivot",),
            )
        )
        return result
    result.pivot = pivot
    if kind is None:
        return result
    result.kind = kind
    if kind not in reg.pivots[pivot]:
        result.problems.append(
            Problem("$.kind", f"pivot {pivot} has no kind {_value(kind)}", ("kind",))
        )
        return result
    validator = compiled_validator(pivot, kind)
    if not validator.is_valid(value):
        for err in validator.iter_errors(value):
            parts = tuple(err.instance_path)
            message = _without_instance(err.message, err.instance)
            result.problems.append(Problem(json_path(parts), message, parts))
    return result


def is_clean(path: str, value: Any) -> bool:
    """Whether ``check_value`` would find nothing wrong, without building its result.

    Most files are clean; a large run asks this first and builds the full result (with
    its messages) only for the rest.
    """
    if type(value) is not dict:
        return False
    kind, pivot = value.get("kind"), value.get("pivot")
    if kind not in KINDS or kind_for_path(path) not in (None, kind) or type(pivot) is not str:
        return False
    kinds = registry().pivots.get(pivot)
    return kinds is not None and kind in kinds and compiled_validator(pivot, kind).is_valid(value)


def _resolve_kind(result: FileResult, folder_kind: str | None, own_kind: object) -> str | None:
    if own_kind not in KINDS:
        hint = f"; this folder holds {folder_kind!r} artifacts" if folder_kind else ""
        result.problems.append(
            Problem("$.kind", f"missing or unknown kind {_value(own_kind)}{hint}", ("kind",))
        )
        return folder_kind
    if folder_kind is not None and own_kind != folder_kind:
        result.problems.append(
            Problem(
                "$.kind",
                f"kind {_value(own_kind)} does not belong in a folder of {folder_kind!r} artifacts;"
                " move the file or fix its kind",
                ("kind",),
            )
        )
        return None
    return str(own_kind)


def _value(value: object) -> str:
    """An invalid value as a message shows it: a plain short word quoted, anything else
    described by its type and length (it may hold Markdown, HTML or line breaks)."""
    if isinstance(value, str) and _SHOWN.fullmatch(value):
        return repr(value)
    if isinstance(value, str):
        return f"(a string of {len(value)} characters)"
    if isinstance(value, list):
        return f"(an array of {len(value)} items)"
    if isinstance(value, dict):
        return f"(an object with {len(value)} members)"
    return repr(value)  # a number, a boolean or null: nothing in it to hide


def _without_instance(message: str, instance: object) -> str:
    """The validator's message with the instance it starts with replaced by :func:`_value`."""
    if _value(instance) == repr(instance):
        return message  # shown as it is: the validator's own quoting stays
    for shown in (
        json.dumps(instance, ensure_ascii=False, separators=(",", ":")),
        json.dumps(instance, ensure_ascii=False),
    ):
        if message.startswith(shown):
            return _value(instance) + message[len(shown) :]
    return message


def check_file(path: str) -> FileResult:
    """Load and validate one artifact file."""
    return check_value(path, read_artifact(path, max_bytes=max_bytes_for(kind_for_path(path))))


def _check_chunk(paths: Sequence[str]) -> list[FileResult]:
    return [check_file(p) for p in paths]


# What a worker sends back per file: kind, pivot and problems as plain tuples. Pickling
# tuples of strings costs a fraction of pickling slotted dataclasses, and at 20,000 files
# that difference is most of what parallel workers gain.
_Packed = tuple[str | None, str | None, tuple[tuple[str, str, tuple[str | int, ...]], ...]]


def _check_chunk_packed(paths: Sequence[str]) -> list[_Packed]:
    return [
        (r.kind, r.pivot, tuple((p.where, p.message, p.parts) for p in r.problems))
        for r in map(check_file, paths)
    ]


def _unpack(path: str, packed: _Packed) -> FileResult:
    kind, pivot, problems = packed
    return FileResult(path, kind, pivot, [Problem(*p) for p in problems])


def check_files(paths: Iterable[str], *, jobs: int | None = None) -> list[FileResult]:
    """Validate many files; large batches are spread over worker processes."""
    paths = list(paths)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(paths) < PARALLEL_THRESHOLD:
        return _check_chunk(paths)
    # Imported here: multiprocessing costs ~20 ms, a third of a small hook run.
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        packed = [r for chunk in pool.map(_check_chunk_packed, chunks) for r in chunk]
    return [_unpack(path, r) for path, r in zip(paths, packed, strict=True)]
