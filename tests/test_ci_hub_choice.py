"""CI takes its hub from the workflow, never from files a pull request can change.

A merged PR that sets ``hub = "git+--upload-pack=<cmd>;:"`` in ``pyproject.toml`` would make
``ci merge`` run ``<cmd>`` with the tokens in its environment if the repository's files chose
the hub; the marker command below writes a file, so its absence proves nothing ran. The hub
comes from ``TOYFOUNDRY_HUB`` (the workflow sets it from the repository variable), a hub inside
the checkout is refused, and a factory without the variable gets a notice and a green job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci_kit import configure_hub, event, head, issuing_hub, merge_pr, push_event, runner_env
from tests.conftest import run_cli
from tests.github_server import GitHubServer, Repo

ORDERS = ["ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"]
REPO = "Codertocat/Hello-World"


def _merged(
    factory: Path, tmp_path: Path, server: GitHubServer, **env_hub: Path | str
) -> tuple[Repo, dict[str, str]]:
    """The sample's orders merged through PR 1, and the push job's environment."""
    repo = server.add_repo(REPO)
    start = head(factory)
    merge = merge_pr(server, repo, factory, 1, ORDERS)
    env = runner_env(
        tmp_path, server, "push", push_event(merge, start), sha=merge, ref="refs/heads/main",
        **env_hub,  # type: ignore[arg-type]
    )  # fmt: skip
    return repo, env


def _hostile_config(factory: Path, tmp_path: Path) -> Path:
    """A PR's ``[tool.toyfoundry] hub`` that runs a command if git is handed it."""
    marker = tmp_path / "marker"
    configure_hub(factory, f"git+--upload-pack=touch {marker};:")
    return marker


def test_a_hub_spec_in_the_repository_never_reaches_git(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    marker = _hostile_config(factory, tmp_path)
    hub = issuing_hub(factory, tmp_path / "hub")
    _, env = _merged(factory, tmp_path, github_server, hub=hub)

    proc = run_cli("ci", "merge", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists(), "the repository's hub spec was run"
    reports = sorted(p.name for p in (hub / "reports").glob("*.json"))
    assert reports == [f"RPT-{o}.json" for o in ORDERS]  # pushed to the workflow's hub


def test_without_the_hub_variable_merge_gives_a_notice_and_a_green_job(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    marker = _hostile_config(factory, tmp_path)
    _, env = _merged(factory, tmp_path, github_server)

    proc = run_cli("ci", "merge", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists()
    assert "::notice title=toyfoundry::no hub configured for CI" in proc.stdout
    assert "repository variable TOYFOUNDRY_HUB" in proc.stdout
    assert "push: no-hub" in proc.stdout
    assert "nothing was pushed" in (tmp_path / "summary.md").read_text()


def test_without_the_hub_variable_intake_gives_a_notice_and_a_green_job(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    marker = _hostile_config(factory, tmp_path)
    repo = github_server.add_repo(REPO)
    dispatch = event("workflow_dispatch.1")  # edited copy: dispatched on this repository
    dispatch["repository"]["full_name"] = REPO
    sha = head(factory)
    env = runner_env(
        tmp_path, github_server, "workflow_dispatch", dispatch, sha=sha, ref="refs/heads/main"
    )

    proc = run_cli("ci", "intake", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists()
    assert "::notice title=toyfoundry::no hub configured for CI" in proc.stdout
    assert "intake: no hub configured for CI" in proc.stdout
    assert not repo.pulls


@pytest.mark.parametrize(
    ("command", "spec"),
    [
        ("merge", ".toyfoundry/hub"),
        ("intake", ".toyfoundry/hub"),
        ("merge", "ABSOLUTE/exchange"),
        ("merge", "git+file://ABSOLUTE"),
        ("merge", "linked/hub"),
    ],
)
def test_a_hub_inside_the_checkout_is_refused(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer, command: str, spec: str
) -> None:
    factory = unentered_factory
    hub = spec.replace("ABSOLUTE", str(factory))
    outside = tmp_path / "outside"
    outside.mkdir()
    (factory / "linked").symlink_to(outside)  # as a PR could commit it
    _, env = _merged(factory, tmp_path, github_server, hub=hub)

    proc = run_cli("ci", command, cwd=factory, env=env)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "is inside the checkout" in proc.stderr
    assert "repository variable TOYFOUNDRY_HUB" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_merge_warns_when_the_hub_token_environment_has_no_branch_policy(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    hub = issuing_hub(factory, tmp_path / "hub")
    repo, env = _merged(factory, tmp_path, github_server, hub=hub)
    github_server.add_environment(repo, "toyfoundry-hub")  # as GitHub creates it: no policy
    env |= {"TOYFOUNDRY_HUB_TOKEN": "hub-token", "TOYFOUNDRY_ENVIRONMENT": "toyfoundry-hub"}

    proc = run_cli("ci", "merge", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    warning = "::warning title=toyfoundry::the environment 'toyfoundry-hub' has no deployment"
    assert warning in proc.stdout
    assert "no deployment branch policy" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ("toyfoundry-hub", None),
        (None, "the hub token is not in a GitHub environment"),
        ("missing", "cannot read the branch policy of the environment 'missing'"),
    ],
)
def test_merge_is_quiet_only_when_the_environment_is_fenced_to_protected_branches(
    unentered_factory: Path,
    tmp_path: Path,
    github_server: GitHubServer,
    environment: str | None,
    said: str | None,
) -> None:
    factory = unentered_factory
    hub = issuing_hub(factory, tmp_path / "hub")
    repo, env = _merged(factory, tmp_path, github_server, hub=hub)
    github_server.add_environment(repo, "toyfoundry-hub", protected_branches=True)
    env |= {"TOYFOUNDRY_HUB_TOKEN": "hub-token"}
    if environment:
        env["TOYFOUNDRY_ENVIRONMENT"] = environment

    proc = run_cli("ci", "merge", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in proc.stdout.splitlines() if line.startswith("::warning")]
    if said is None:
        assert not warnings, warnings
    else:
        assert any(said in line for line in warnings), proc.stdout
