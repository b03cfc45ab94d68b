"""Emitting an artifact by hand: from a template, flags and ``--set`` edits, then validated."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.canonical import dumps, sha256_file
from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError, read_artifact
from toyfoundry_ci.foundry.artifacts import load
from toyfoundry_ci.validation.checker import Problem, check_value

EMIT_KINDS = {"order": "order", "ack": "acknowledgement", "report": "report"}


@dataclass
class Emitted:
    """The payload and, when it is not valid, the schema's problems with it."""

    kind: str
    payload: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_bytes(self) -> bytes:
        return dumps(self.payload)


def emit(
    kind: str,
    *,
    template: Path | None = None,
    sets: Sequence[str] = (),
    order_lines: Sequence[str] = (),
    from_order: Path | None = None,
    layout: Layout | None = None,
    label: str = "-",
) -> Emitted:
    """Build a payload of ``kind`` (order, ack, report) and validate it.

    The base is the template (or, for an ack, the draft forge would write for ``from_order``),
    then ``order_lines`` (``SKU:QTY[:DUE]``) and ``sets`` (``dotted.path=JSON-or-text``).
    """
    payload: dict[str, Any] = {}
    if template is not None:
        payload = _read(template)
    elif kind == "ack" and from_order is not None:
        payload = _ack_for(from_order, layout or Layout(Path.cwd()))
    payload.setdefault("kind", EMIT_KINDS[kind])
    payload.setdefault("pivot", "v1")
    if kind == "order":
        payload.setdefault("issued_at", stamp())
    if order_lines:
        payload["lines"] = [_order_line(i, raw) for i, raw in enumerate(order_lines, 1)]
    for raw in sets:
        _apply(payload, raw)
    result = check_value(label, payload, expected_kind=EMIT_KINDS[kind])
    return Emitted(kind, payload, list(result.problems))


def _read(path: Path) -> dict[str, Any]:
    value = read_artifact(path)
    if isinstance(value, ParseError):
        raise ArtifactError(f"{path}::{value.where}: {value.message}")
    if not isinstance(value, dict):
        raise ArtifactError(f"{path}::$: a template must be a JSON object")
    return value


def _ack_for(order_path: Path, layout: Layout) -> dict[str, Any]:
    from toyfoundry_ci.foundry.catalogue import load_catalogue
    from toyfoundry_ci.foundry.forge import draft_ack
    from toyfoundry_ci.models.exchange import Order

    order = load(layout, order_path.resolve(), Order, "order")
    ack = draft_ack(order, sha256_file(order_path), load_catalogue(layout))
    return ack.to_json()


def _order_line(number: int, raw: str) -> dict[str, Any]:
    parts = raw.split(":")
    if len(parts) not in (2, 3) or not parts[1].isdigit():
        raise ArtifactError(
            f"--line {raw!r}: expected SKU:QTY or SKU:QTY:DUE-DATE",
            hint="for example --line TOY-ROBOT-01:120:2026-12-12",
        )
    line: dict[str, Any] = {"line": number, "sku": parts[0], "qty": int(parts[1])}
    if len(parts) == 3:
        line["due_date"] = parts[2]
    return line


def _apply(payload: dict[str, Any], raw: str) -> None:
    """``a.b.0.c=value``: walk (creating objects), then set; the value is JSON or text."""
    key, sep, text = raw.partition("=")
    if not sep or not key:
        raise ArtifactError(f"--set {raw!r}: expected KEY=VALUE", hint="e.g. --set priority=urgent")
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = text
    node: Any = payload
    steps = key.split(".")
    for step, following in itertools.pairwise(steps):
        node = _child(node, step, raw, following.isdigit())
    last = steps[-1]
    if isinstance(node, list) and last.isdigit() and int(last) <= len(node):
        if int(last) == len(node):
            node.append(value)
        else:
            node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ArtifactError(f"--set {raw!r}: {last!r} does not name a field or list position")


def _child(node: Any, step: str, raw: str, list_next: bool) -> Any:
    if isinstance(node, dict):
        return node.setdefault(step, [] if list_next else {})
    if isinstance(node, list) and step.isdigit() and int(step) <= len(node):
        if int(step) == len(node):
            node.append([] if list_next else {})
        return node[int(step)]
    raise ArtifactError(f"--set {raw!r}: {step!r} does not name a field or list position")
