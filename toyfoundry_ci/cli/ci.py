"""``toyfoundry ci …``: the GitHub Actions entry points, reading the runner's environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path


@click.group()
def ci() -> None:
    """Entry points for GitHub Actions (run inside a job; see action.yml)."""


@ci.command("pr")
def pr_cmd() -> None:
    """pull_request: readiness, changed artifacts, pairing, ledger diff, index upkeep."""
    from toyfoundry_ci.actions.github_api import api_errors, client
    from toyfoundry_ci.actions.pr import READ_ONLY_NOTICE, post_comment, run_pr
    from toyfoundry_ci.actions.report import annotation
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output

    root = _root()
    ctx = from_environ()
    gh = client(ctx) if ctx.token else None
    with api_errors(ctx):
        outcome = run_pr(ctx, root, gh)
    click.echo(outcome.annotations)
    append_summary(ctx, outcome.summary)  # first: a read-only token cannot comment
    set_output(ctx, "index", outcome.index)
    set_output(ctx, "index-commit", outcome.commit or "")
    if gh is not None:
        with api_errors(ctx):
            post_comment(ctx, gh, outcome)
    if outcome.comment == "read-only":
        click.echo(annotation("notice", READ_ONLY_NOTICE))
    click.echo(f"ledger index: {outcome.index}; PR comment: {outcome.comment or 'not posted'}")
    if not outcome.ok:
        raise SystemExit(1)


def _root() -> Path:
    from toyfoundry_ci.base.layout import find_factory

    return find_factory()


_hub_option = click.option(
    "--hub",
    envvar="TOYFOUNDRY_HUB",
    default=None,
    help="Hub spec (folder, git URL, github://OWNER/REPO); default: the repository's config.",
)


@ci.command("merge")
@_hub_option
def merge_cmd(hub: str | None) -> None:
    """push to main: final gate, sign-off from the merged PRs' reviews, push, receipt."""
    from toyfoundry_ci.actions.github_api import api_errors, client
    from toyfoundry_ci.actions.merge import run_merge
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output

    root = _root()
    ctx = from_environ()
    with api_errors(ctx):
        outcome = run_merge(ctx, root, client(ctx), hub)
    if outcome.annotations:
        click.echo(outcome.annotations)
    append_summary(ctx, outcome.summary)
    set_output(ctx, "result", outcome.result)
    set_output(ctx, "receipt-id", outcome.receipt_id or "")
    click.echo(
        f"push: {outcome.result}"
        + (f"; receipt {outcome.receipt_id}" if outcome.receipt_id else "")
    )
    if not outcome.ok:
        raise SystemExit(1)


@ci.command("intake")
@_hub_option
def intake_cmd(hub: str | None) -> None:
    """schedule / workflow_dispatch: pull, record seals, open or update the one intake PR."""
    from toyfoundry_ci.actions.github_api import api_errors, client
    from toyfoundry_ci.actions.intake import run_intake
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output

    root = _root()
    ctx = from_environ()
    with api_errors(ctx):
        outcome = run_intake(ctx, root, client(ctx), hub)
    if outcome.annotations:
        click.echo(outcome.annotations)
    append_summary(ctx, outcome.summary)
    set_output(ctx, "pull-request", str(outcome.number or ""))
    set_output(ctx, "branch", outcome.branch)
    if outcome.branch == "nothing-to-do":
        click.echo("intake: nothing new from the hub; nothing to do")
    else:
        click.echo(f"intake: branch {outcome.branch}; PR #{outcome.number} {outcome.pull_request}")
