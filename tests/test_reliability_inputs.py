"""The bad-input catalogue through every entry point a user hits: a clear error, nothing written.

``toyfoundry validate`` (the pre-commit hook), ``toyfoundry readiness --staged`` (the
readiness hook) and ``toyfoundry pull`` from a hub holding the bad directive each refuse the
same bytes, name the file and the place, and leave the mirror exactly as it was.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, logged_runs, run_cli
from tests.exchange_kit import directive, empty_factory, put_directives
from tests.github_server import GitHubServer
from tests.reliability_kit import BAD_ID, BIG, BadInput, catalogue, snapshot, temp_files
from toyfoundry_ci.base.errors import printable

CASES = catalogue(big=True)


@pytest.mark.parametrize("bad", CASES, ids=[c.name for c in CASES])
def test_validate_refuses_each_bad_input(tmp_path: Path, bad: BadInput) -> None:
    path = tmp_path / "exchange" / "orders" / f"{BAD_ID}.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(bad.data)
    before = snapshot(tmp_path)

    result = run_cli("validate", str(path), cwd=tmp_path)

    assert result.returncode == 1, result.stdout
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith(f"{path}::"))
    assert bad.says in line
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before and temp_files(tmp_path) == []


def test_validate_refuses_a_symlinked_artifact(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.json"
    real.write_bytes(directive(BAD_ID))
    link = tmp_path / "exchange" / "orders" / f"{BAD_ID}.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)

    result = run_cli("validate", str(link), cwd=tmp_path)

    assert result.returncode == 1
    assert f"{link}::$: is a symbolic link; only regular files are read" in result.stdout


def _hub_holding_the_catalogue(hub: Path) -> dict[str, BadInput]:
    """One directive per bad input, each under its own well-formed order ID."""
    by_name: dict[str, BadInput] = {}
    for n, bad in enumerate(catalogue(), start=101):
        name = f"ALFA-2027-{n:04d}"
        (hub / "orders").mkdir(parents=True, exist_ok=True)
        (hub / "orders" / f"{name}.json").write_bytes(bad.data)
        by_name[f"orders/{name}.json"] = bad
    # Names that must never become paths, holding otherwise valid directives.
    for name in ("ALFA-2027-0199\n", "\u0410LFA-2027-0199", "ALFA-2027-0199\x1b", "..", "-"):
        (hub / "orders" / f"{name}.json").write_bytes(directive("ALFA-2027-0199"))
        by_name[f"orders/{name}.json"] = BadInput(repr(name), b"", "is not an order ID")
    return by_name


def test_pull_quarantines_each_bad_directive_and_leaves_the_mirror(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001"])
    assert run_cli("pull", cwd=layout.root).returncode == 0
    expected = _hub_holding_the_catalogue(layout.default_hub)
    mirror = snapshot(layout.orders)

    result = run_cli("pull", cwd=layout.root)

    assert result.returncode == 1
    lines = [ln for ln in result.stdout.splitlines() if "quarantined: " in ln]
    assert len(lines) == len(expected)  # one line each: no name forged an extra line
    assert "\x1b" not in result.stdout  # nor reached the terminal as an escape sequence
    for hub_path, bad in expected.items():
        line = next((ln for ln in lines if f"quarantined: {printable(hub_path)}: " in ln), None)
        assert line is not None, f"{bad.name}: not reported in {lines}"
        assert bad.says in line, f"{bad.name}: {line}"
    assert snapshot(layout.orders) == mirror
    assert temp_files(layout.root) == []
    last = logged_runs(layout.root, "exchange_all")[-1]
    assert last["result"] == "partial" and last["orders"] == []


def test_pull_quarantines_an_oversized_directive_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001"])
    (layout.default_hub / "orders" / "ALFA-2027-0002.json").write_bytes(
        directive("ALFA-2027-0002", notes="x" * BIG)
    )

    result = run_cli("pull", cwd=layout.root)

    assert result.returncode == 1
    assert "ALFA-2027-0002.json" in result.stderr + result.stdout
    assert "5242880-byte bound" in result.stderr + result.stdout
    assert not layout.order_file("ALFA-2027-0002").exists()
    assert layout.order_file("ALFA-2027-0001").is_file()  # one bad file stops nothing else
    report = json.loads((layout.root / ".toyfoundry/quarantine/report.json").read_bytes())
    (entry,) = report["quarantined"].values()
    assert entry["hub_path"] == "orders/ALFA-2027-0002.json"
    assert "5242880-byte bound" in entry["reason"]
    (kept,) = (layout.root / ".toyfoundry/quarantine/orders").iterdir()
    # Refused on its stated size: not a byte of it read, the note of why kept instead.
    assert kept.read_bytes().startswith(b"refused: is ") and kept.stat().st_size < 100
    assert temp_files(layout.root) == []


def test_github_hub_paths_outside_the_layout_are_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_server: GitHubServer
) -> None:
    layout = empty_factory(tmp_path / "factory")
    github_server.add_repo(
        "high-command/hub",
        files={
            "orders/ALFA-2027-0001.json": directive("ALFA-2027-0001"),
            "orders/../../escaped.json": directive("ALFA-2027-0002"),
            "orders/nested/ALFA-2027-0003.json": directive("ALFA-2027-0003"),
            "/orders/ALFA-2027-0004.json": directive("ALFA-2027-0004"),
            "orders/ALFA-2027-0005.json/x": directive("ALFA-2027-0005"),
        },
    )
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)

    result = run_cli("pull", "--hub", "github://high-command/hub", cwd=layout.root)

    # A folder named like a directive is refused as a folder hub's is: quarantined, exit 1.
    assert result.returncode == 1, result.stderr
    assert (
        "quarantined: orders/ALFA-2027-0005.json: the hub's file is a folder, not a regular file"
    ) in result.stdout
    assert "not taken: orders/nested" in result.stdout
    assert sorted(p.name for p in layout.orders.iterdir()) == ["ALFA-2027-0001.json"]
    assert not (tmp_path / "escaped.json").exists() and not (layout.root / "escaped.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["factory"]


def test_readiness_hook_refuses_each_staged_bad_input(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "factory")
    cases = catalogue(big=True)
    for n, bad in enumerate(cases, start=101):
        path = repo / "exchange" / "orders" / f"ALFA-2027-{n:04d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bad.data)
    git(repo, "add", "-A")
    before = snapshot(repo)

    result = run_cli("readiness", "--staged", "--no-log", cwd=repo)

    assert result.returncode == 1
    out = result.stdout + result.stderr
    for n, bad in enumerate(cases, start=101):
        line = next(
            (ln for ln in out.splitlines() if f"exchange/orders/ALFA-2027-{n:04d}.json::" in ln),
            None,
        )
        assert line is not None, f"{bad.name} not reported:\n{out}"
        assert bad.says in line, f"{bad.name}: {line}"
    assert snapshot(repo) == before and temp_files(repo) == []


def test_event_data_with_shell_metacharacters_is_only_data(tmp_path: Path) -> None:
    """Branch names, commit messages and a PR event full of shell syntax run nothing."""
    canary = tmp_path / "pwned"
    evil = f"$(touch {canary})`touch {canary}`;touch {canary}"
    repo = init_repo(tmp_path / "factory")
    shutil.copytree(Path(__file__).parent.parent / "exchange", repo / "exchange")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"Add evidence {evil}")
    git(repo, "checkout", "-q", "-b", "feature/$(touch${IFS}pwned)")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "title": evil,
                    "head": {"ref": "x;touch pwned", "label": evil},
                    "body": evil,
                },
            }
        )
    )
    env = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_HEAD_REF": f"main;touch {canary}",
        "GITHUB_BASE_REF": f"$(touch {canary})",
        "GITHUB_REF_NAME": evil,
    }

    runs = [
        run_cli("readiness", "--no-log", cwd=repo, env=env),
        run_cli("readiness", "--staged", "--no-log", cwd=repo, env=env),
        run_cli("validate", cwd=repo, env=env),
        run_cli("pull", cwd=repo, env=env),
    ]

    assert all("Traceback" not in r.stderr for r in runs), [r.stderr for r in runs]
    assert not canary.exists() and not (repo / "pwned").exists()
