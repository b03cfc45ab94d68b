"""The factory's settings: ``[tool.toyfoundry]`` in pyproject.toml, then .toyfoundry/config.toml.

One reader for both files, wherever their bytes come from: the work tree (the hub, the factory's
name) or a commit (the sign-off policy, read from the base so a change cannot lower its own bar).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from toyfoundry_ci.base.errors import ArtifactError

# (file, the keys of its table), the first file's value of a key wins.
SETTINGS_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pyproject.toml", ("tool", "toyfoundry")),
    (".toyfoundry/config.toml", ()),
)


def setting_tables(
    read: Callable[[str], bytes | None], where: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """Each settings file's toyfoundry table as ``(file, table)``, in precedence order.

    ``read`` returns a file's bytes by its path in the repository, or None when it is not
    there; ``where`` (e.g. ``" at main"``) is added to the file's name in errors.
    """
    tables = []
    for rel, keys in SETTINGS_FILES:
        data = read(rel)
        if data is None:
            continue
        try:
            value: Any = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ArtifactError(
                f"{rel}{where}: cannot be read as TOML: {exc}",
                hint=f"fix the TOML syntax of {rel} and commit it",
            ) from exc
        for key in keys:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        tables.append((rel, value if isinstance(value, dict) else {}))
    return tables


def first_setting(tables: list[tuple[str, dict[str, Any]]], *keys: str) -> tuple[str, Any]:
    """``(file, value)`` of the dotted setting ``keys`` in the first table that has it."""
    for rel, table in tables:
        value: Any = table
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return rel, value
    return "", None
