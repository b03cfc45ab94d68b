"""A canary token in the environment never reaches a log, the output, a summary or an error.

The loopback GitHub server accepts the canary as its token, so pull, push and shift really
use it; then the server fails (401 with a wrong token, 500 until retries run out) so every
error path runs too. Afterwards no file of the factory, no stdout, no stderr and no hub file
or issue holds the canary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.exchange_kit import issued, sealed_factory
from tests.github_server import Fault, GitHubServer
from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.github.client import HUB as HUB_TARGET
from toyfoundry_ci.github.client import REPOSITORY, Connection, Target

CANARY = "ghp_CANARY0123456789abcdefCANARY"  # a canary, not a credential
HUB = "github://high-command/hub"
FALLBACK = "TOYFOUNDRY_HUB_TOKEN_FALLBACK"


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    with GitHubServer(token=CANARY) as server:  # the canary is the one token it accepts
        server.add_repo("high-command/hub", files=issued(1, 2))
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", server.url)
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_TIMEOUT", "2")
        yield server


def _everything_written(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.mark.slow  # retries run out on purpose
@pytest.mark.parametrize("variable", ["TOYFOUNDRY_HUB_TOKEN", "GITHUB_TOKEN"])
def test_canary_token_is_never_shown_or_written(
    tmp_path: Path, gh: GitHubServer, variable: str
) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 2)
    (layout.root / ".toyfoundry").mkdir(exist_ok=True)
    (layout.root / ".toyfoundry" / "config.toml").write_text(f'hub = "{HUB}"\n')
    # Tracebacks on: they must be clean too. GITHUB_TOKEN reaches a hub only when asked.
    asked = {} if variable == "TOYFOUNDRY_HUB_TOKEN" else {FALLBACK: "github-token"}
    env = {variable: CANARY, "TOYFOUNDRY_VERBOSE": "1", **asked}
    wrong = {variable: CANARY + "-revoked", "TOYFOUNDRY_VERBOSE": "1", **asked}
    runs = [
        run_cli("pull", cwd=layout.root, env=env),
        run_cli("push", "--dry-run", cwd=layout.root, env=env),
        run_cli("push", cwd=layout.root, env=wrong),  # 401, whose message quotes no token
    ]
    gh.faults += [Fault(500, method="GET", path=r"/git/ref/")] * 10
    runs.append(run_cli("push", cwd=layout.root, env=env))  # 500 until the retries run out
    gh.faults.clear()
    runs += [
        run_cli("push", cwd=layout.root, env=env),
        run_cli("shift", cwd=layout.root, env=env),
        run_cli("readiness", cwd=layout.root, env=env),
    ]

    assert [r.returncode for r in runs][:4] == [0, 0, 1, 1], [r.stderr for r in runs]
    assert runs[4].returncode == 0, runs[4].stderr
    assert "401" in runs[2].stderr and "gave up after retries" in runs[3].stderr
    for run in runs:
        assert CANARY not in run.stdout and CANARY not in run.stderr, run.args
    assert CANARY.encode() not in _everything_written(layout.root)
    repo = gh.repos["high-command/hub"]
    assert all(CANARY.encode() not in data for data in gh.files_at(repo, "main").values())
    assert all(CANARY not in f"{i['title']}{i['body']}" for i in repo.issues.values())
    assert all(CANARY not in c["body"] for cs in repo.comments.values() for c in cs)


def test_ci_pr_keeps_the_canary_out_of_summary_comment_and_output(
    factory: Path, tmp_path: Path
) -> None:
    """The runner's token: masked once with ``::add-mask::``, then nowhere, and shell
    syntax in the title, branch names and body of the PR event executes nothing."""
    from tests.test_ci_pr import _checkout_with_pr, _runner_env

    base, head = _checkout_with_pr(factory)
    canary = tmp_path / "pwned"
    with GitHubServer(token=CANARY) as server:
        repo = server.add_repo("Codertocat/Hello-World")
        evil = f"$(touch {canary}) `touch {canary}`; touch {canary}"
        server.add_pull(repo, 2, "Codertocat", head, ["exchange/orders/ALFA-2026-0950.json"],
                        title=evil, head_ref=f"x;touch {canary}")  # fmt: skip
        env = _runner_env(tmp_path, server, base, head)
        event_path = Path(env["GITHUB_EVENT_PATH"])
        event = json.loads(event_path.read_text())
        event["pull_request"].update(title=evil, body=evil)
        event["pull_request"]["head"].update(ref=f"x;touch {canary}", label=evil)
        event_path.write_text(json.dumps(event))

        result = run_cli("ci", "pr", cwd=factory, env={**env, "GITHUB_HEAD_REF": evil})

    assert result.returncode == 1, result.stderr  # the hand-made order is invalid
    masked = [ln for ln in result.stdout.splitlines() if CANARY in ln]
    assert masked == [f"::add-mask::{CANARY}"]
    assert CANARY not in result.stderr
    assert CANARY not in (tmp_path / "summary.md").read_text()
    assert all(CANARY not in c["body"] for c in repo.comments.get(2, []))
    assert CANARY.encode() not in _everything_written(factory)
    assert not canary.exists() and not (factory / "pwned").exists()


@pytest.mark.parametrize("target", [REPOSITORY, HUB_TARGET], ids=["repository", "hub"])
@pytest.mark.parametrize(
    "fault",
    [
        Fault(422, f"Validation Failed: token {CANARY} is not valid here"),
        Fault(403, f"Resource not accessible with {CANARY}"),
        Fault(404, f"No repository for {CANARY}"),
    ],
    ids=["422", "403", "404"],
)
def test_an_api_error_quoting_the_token_is_shown_without_it(
    gh: GitHubServer, target: Target, fault: Fault
) -> None:
    """A server (or a proxy) that echoes the token in its error: the message never does."""
    env = {
        target.token_variable: CANARY,
        target.api_variables[0]: gh.url,
        "TOYFOUNDRY_GITHUB_BACKOFF": "0.01",
    }
    conn = Connection(target, "high-command/hub", env)
    gh.faults.append(fault)

    with pytest.raises(ToyfoundryError) as caught:
        conn.call(lambda: conn.github.get_repo("high-command/hub").default_branch, "hub", "read")

    shown = f"{caught.value.message}\n{caught.value.hint}"
    assert str(fault.status) in shown and "***" in shown
    assert CANARY not in shown


def test_an_api_url_with_credentials_is_shown_without_them(
    tmp_path: Path, gh: GitHubServer
) -> None:
    """User info or a query string in the API URL never reaches a message or the log."""
    layout, _ = sealed_factory(tmp_path / "factory", 1)
    url = gh.url.replace("http://", f"http://x-access-token:{CANARY}@") + f"?access_token={CANARY}"
    env = {"TOYFOUNDRY_GITHUB_API_URL": url, "TOYFOUNDRY_HUB_TOKEN": CANARY + "-revoked"}

    result = run_cli("push", "--hub", HUB, cwd=layout.root, env=env)

    assert result.returncode == 1
    assert "error: github://high-command/hub via http://127.0.0.1:" in result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert CANARY.encode() not in _everything_written(layout.root)
