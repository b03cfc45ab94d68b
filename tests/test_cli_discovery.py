"""The factory is found as git finds a repository: from any subfolder, and nowhere else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, git, init_repo, run_cli

NOT_A_FACTORY = "not inside a factory (no exchange/orders/ or .toyfoundry/config.toml found from"
HINT = "hint: cd into one or run toyfoundry init"

# Every command that acts on a factory, with the arguments it needs to get that far.
FACTORY_COMMANDS = [
    ("status",),
    ("forge",),
    ("drill",),
    ("parade",),
    ("purge",),
    ("pull",),
    ("push",),
    ("push", "--dry-run"),
    ("promote",),
    ("shift",),
    ("shift", "--demo"),
    ("readiness",),
    ("readiness", "--no-log"),
    ("validate",),
    ("pair",),
    ("audit", "ALFA-2026-0001"),
    ("signoff", "ALFA-2026-0001", "--reviewer", "someone"),
    ("ledger", "index"),
    ("ledger", "index", "exchange/ledger/entries/ALFA-2026-0001.json"),
    ("ledger", "verify"),
    ("hooks", "install"),
    ("emit", "ack", "--from-order", "order.json"),
    ("ci", "pr"),
]


def _tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize("args", FACTORY_COMMANDS, ids=" ".join)
def test_outside_any_factory_every_command_says_so_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # A git repository that is not a factory: the case where stray files did the most harm.
    outside = init_repo(tmp_path / "elsewhere" / "deep")
    (outside / "notes.txt").write_text("not a factory\n", encoding="utf-8")
    before = _tree(tmp_path)
    env = {"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": str(outside / "event.json")}

    proc = run_cli(*args, cwd=outside, env=env)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{NOT_A_FACTORY} {outside.resolve()} upwards)" in proc.stderr
    assert HINT in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _tree(tmp_path) == before


def test_from_a_subfolder_commands_act_on_the_factory_root(factory: Path) -> None:
    deep = factory / "planning" / "storyboard"
    at_root = run_cli("status", cwd=factory)
    inside = run_cli("status", cwd=deep)
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout == at_root.stdout
    assert "ALFA-2026-0001" in inside.stdout

    verified = run_cli("ledger", "verify", cwd=deep)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.strip() == "ok: ledger verified"

    gates = [run_cli("readiness", "--no-log", "--format", "json", cwd=c) for c in (deep, factory)]
    checks = [[(c["id"], c["status"]) for c in json.loads(g.stdout)["checks"]] for g in gates]
    assert checks[0] == checks[1]
    assert ("ledger-index", "pass") in checks[0]  # the root's ledger, not an empty one

    checked = run_cli("validate", cwd=deep)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout == run_cli("validate", cwd=factory).stdout
    assert not (deep / ".toyfoundry").exists()
    assert not (deep / "logs").exists()
    assert git(factory, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_index_hook_path_finds_the_root_from_a_subfolder(factory: Path) -> None:
    entries = factory / "exchange" / "ledger" / "entries"
    proc = run_cli("ledger", "index", "ALFA-2026-0001.json", cwd=entries)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "index already current; nothing written"


def test_root_option_wins_and_must_name_a_factory(factory: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    named = run_cli("status", "--root", str(factory), cwd=elsewhere)
    assert named.returncode == 0, named.stderr
    assert "ALFA-2026-0001" in named.stdout

    wrong = run_cli("status", "--root", str(elsewhere), cwd=factory)
    assert wrong.returncode == 1
    assert f"--root {elsewhere}: not a factory (no exchange/orders/ or .toyfoundry/config.toml" in (
        wrong.stderr
    )
    assert list(elsewhere.iterdir()) == []


def test_what_needs_no_factory_works_anywhere(tmp_path: Path) -> None:
    bad = next((EXAMPLES / "invalid").rglob("*.json"))
    checked = run_cli("validate", str(bad), cwd=tmp_path)
    assert checked.returncode == 1
    assert f"{bad}::" in checked.stdout
    assert run_cli("validate", "--format", "json", str(bad), cwd=tmp_path).returncode == 1
    assert run_cli("--version", cwd=tmp_path).returncode == 0
    assert run_cli("status", "--help", cwd=tmp_path).returncode == 0
    emitted = run_cli(
        "emit", "order", "--order-id", "ALFA-2026-0401", "--due-date", "2026-12-01",
        "--line", "TOY-ROBOT-01:5", "--set", "issued_at=2026-11-01T08:00:00Z", cwd=tmp_path,
    )  # fmt: skip
    assert emitted.returncode == 0, emitted.stderr
    exported = run_cli("schemas", "export", "--dir", "schemas", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["schemas"]


def test_a_python_package_named_exchange_is_not_a_factory(factory: Path) -> None:
    """A source folder with an ``exchange`` subpackage (as this repository has) is no root."""
    package = factory / "tool" / "exchange"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    top = run_cli("status", "--format", "json", cwd=factory)
    inside = run_cli("status", "--format", "json", cwd=factory / "tool")
    assert inside.returncode == 0 and inside.stdout == top.stdout
    assert not (factory / "tool" / ".toyfoundry").exists()


def test_the_search_stops_at_the_repository_it_starts_in(factory: Path) -> None:
    """A repository nested in a factory's folder is not part of that factory, as with git."""
    nested = init_repo(factory / "vendor" / "other")
    proc = run_cli("pull", cwd=nested)
    assert proc.returncode == 1 and NOT_A_FACTORY in proc.stderr
    assert sorted(p.name for p in nested.iterdir()) == [".git"]
