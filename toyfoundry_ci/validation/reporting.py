"""The one reporter registry: text, json and github renderings of the same results."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson

from toyfoundry_ci.base.kinds import kind_for_path, max_bytes_for
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_file
from toyfoundry_ci.base.workflow_commands import workflow_command
from toyfoundry_ci.validation.checker import FileResult
from toyfoundry_ci.validation.locate import line_of

Reporter = Callable[[Sequence[FileResult]], str]


def _summary(results: Sequence[FileResult]) -> tuple[int, int]:
    failed = sum(1 for r in results if not r.ok)
    return failed, sum(len(r.problems) for r in results)


def report_text(results: Sequence[FileResult]) -> str:
    lines = [f"{r.path}::{p.where}: {p.message}" for r in results for p in r.problems]
    failed, count = _summary(results)
    if failed:
        lines.append(f"{plural(count, 'error')} in {failed} of {plural(len(results), 'file')}")
    else:
        lines.append(f"ok: {plural(len(results), 'artifact')} valid")
    return "\n".join(lines)


def report_json(results: Sequence[FileResult]) -> str:
    failed, _ = _summary(results)
    doc = {
        "status": "fail" if failed else "ok",
        "files": len(results),
        "failed_files": failed,
        "errors": [
            {
                "file": r.path,
                "kind": r.kind,
                "pivot": r.pivot,
                "path": p.where,
                "line": _line(r.path, p),
                "message": p.message,
            }
            for r in results
            for p in r.problems
        ],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()


def report_github(results: Sequence[FileResult]) -> str:
    """Workflow commands: one ``::error`` annotation per problem, on its line."""
    lines = []
    for r in results:
        for p in r.problems:
            lines.append(
                workflow_command(
                    "error",
                    f"{p.where}: {p.message}",
                    file=r.path,
                    line=_line(r.path, p),
                    title=f"toyfoundry validate {p.where}",
                )
            )
    failed, count = _summary(results)
    lines.append(
        f"{plural(count, 'error')} in {failed} of {plural(len(results), 'file')}"
        if failed
        else f"ok: {plural(len(results), 'artifact')} valid"
    )
    return "\n".join(lines)


def _line(path: str, problem: object) -> int:
    parts = list(getattr(problem, "parts", ()))
    if not parts:
        return 1
    try:
        text = read_file(path, max_bytes_for(kind_for_path(path))).decode()
    except (UnreadableError, UnicodeDecodeError):
        return 1
    return line_of(text, parts)


REPORTERS: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
    "github": report_github,
}
