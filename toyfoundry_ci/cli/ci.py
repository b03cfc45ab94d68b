"""``toyfoundry ci …``: the GitHub Actions entry points, reading the runner's environment."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def ci() -> None:
    """Entry points for GitHub Actions (run inside a job; see action.yml)."""


@ci.command("pr")
def pr_cmd() -> None:
    """pull_request: readiness, changed artifacts, pairing, ledger diff, index upkeep."""
    from toyfoundry_ci.actions.github_api import client
    from toyfoundry_ci.actions.pr import run_pr
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output

    ctx = from_environ()
    outcome = run_pr(ctx, Path.cwd(), client(ctx) if ctx.token else None)
    click.echo(outcome.annotations)
    append_summary(ctx, outcome.summary)
    set_output(ctx, "index", outcome.index)
    set_output(ctx, "index-commit", outcome.commit or "")
    click.echo(f"ledger index: {outcome.index}; PR comment: {outcome.comment or 'not posted'}")
    if not outcome.ok:
        raise SystemExit(1)
