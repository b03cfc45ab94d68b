"""``toyfoundry ci …``: the GitHub Actions entry points, reading the runner's environment."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def ci() -> None:
    """Entry points for GitHub Actions (run inside a job; see action.yml)."""


_handoff_option = click.option(
    "--handoff",
    envvar="TOYFOUNDRY_HANDOFF",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for what `ci pr` hands to `ci pr-publish` (the report); the workflow"
    " carries it between the two jobs as an artifact.",
)


_base_store_option = click.option(
    "--base-store",
    envvar="TOYFOUNDRY_BASE_STORE",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The base's readiness units (`ci base-store` on the default branch; the workflow"
    " downloads them from that run only): readiness checks again only what the change"
    " touched. Absent, or not this run's: every unit is checked.",
)


@ci.command("pr")
@_handoff_option
@_base_store_option
def pr_cmd(handoff: Path | None, base_store: Path | None) -> None:
    """pull_request, read-only: readiness, changed artifacts, pairing, ledger diff."""
    from toyfoundry_ci.actions.pr import run_pr, write_handoff
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output

    root = _root()
    ctx = from_environ()
    outcome = run_pr(ctx, root, base_store)
    click.echo(outcome.annotations)
    append_summary(ctx, outcome.summary)
    if handoff is not None:
        write_handoff(outcome, handoff)
    set_output(ctx, "index", outcome.index)
    click.echo(f"ledger index (readiness): {outcome.index}")
    if not outcome.ok:
        raise SystemExit(1)


@ci.command("pr-publish")
@_handoff_option
def pr_publish_cmd(handoff: Path | None) -> None:
    """pull_request, runs no PR code: keep the one PR comment (it commits nothing)."""
    from toyfoundry_ci.actions.github_api import api_errors, client
    from toyfoundry_ci.actions.publish import READ_ONLY_NOTICE, run_publish
    from toyfoundry_ci.actions.report import annotation
    from toyfoundry_ci.actions.runner import RunnerError, append_summary, from_environ, set_output

    if handoff is None:
        raise RunnerError(
            "no handoff folder named", hint="pass --handoff DIR (or TOYFOUNDRY_HANDOFF)"
        )
    ctx = from_environ()
    with api_errors(ctx):
        outcome = run_publish(ctx, handoff, client(ctx))
    append_summary(ctx, outcome.summary)
    set_output(ctx, "comment", outcome.comment or "")
    if outcome.comment == "read-only":
        click.echo(annotation("notice", READ_ONLY_NOTICE))
    click.echo(f"PR comment: {outcome.comment or 'not posted'}")


@ci.command("gate")
@_base_store_option
def gate_cmd(base_store: Path | None) -> None:
    """pull_request / merge_group, the required check: ledger verify --base, readiness.

    Run it in the checkout of the head with the base branch's code installed; GITHUB_TOKEN
    (read-only) lets it re-verify the github seals the change makes.
    """
    from toyfoundry_ci.actions.gate import gate_range, run_gate
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.ledger.binding import github_check

    layout = Layout(_root())
    ctx = from_environ()
    span = gate_range(ctx)
    outcome = run_gate(
        layout,
        span.base,
        head=span.head,
        github_check=github_check(layout),
        base_store=base_store,
    )
    if outcome.annotations:
        click.echo(outcome.annotations)
    append_summary(ctx, outcome.summary)
    set_output(ctx, "merge-base", outcome.merge_base)
    click.echo(f"gate: {outcome.description}")
    if not outcome.ok:
        raise SystemExit(1)


@ci.command("base-store")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the store into; the workflow uploads it as this run's artifact.",
)
@_base_store_option
def base_store_cmd(out: Path, base_store: Path | None) -> None:
    """push to main: the readiness units of this tree, for the pull requests based on it.

    Run it only where no pull request's code or content can reach: the default branch's
    push workflow, in a checkout at the path the PR jobs use (the store is keyed by it).
    ``--base-store``: an earlier run's store to start from (only what changed since is
    checked again).
    """
    from toyfoundry_ci.actions.base_store import restore_base_store, save_base_store
    from toyfoundry_ci.base.layout import Layout

    layout = Layout(_root())
    restore_base_store(layout, base_store)
    written = save_base_store(layout, out)
    click.echo(f"base store: {written}")


def _root() -> Path:
    from toyfoundry_ci.base.layout import find_factory

    return find_factory()


_hub_option = click.option(
    "--hub",
    envvar="TOYFOUNDRY_HUB",
    default=None,
    help="Hub spec (git URL, github://OWNER/REPO, or a folder outside the checkout), set by the"
    " workflow from the repository variable TOYFOUNDRY_HUB; the repository's own files are never"
    " read for it. Unset: a notice, nothing exchanged.",
)


@ci.command("merge")
@_hub_option
@click.option(
    "--environment",
    envvar="TOYFOUNDRY_ENVIRONMENT",
    default=None,
    help="The GitHub environment that holds the hub token (the job's `environment:`); a warning"
    " when it has no deployment branch policy.",
)
def merge_cmd(hub: str | None, environment: str | None) -> None:
    """push to main: final gate, sign-off from the merged PRs' reviews, push, receipt."""

    from toyfoundry_ci.actions.github_api import api_errors, client
    from toyfoundry_ci.actions.merge import run_merge
    from toyfoundry_ci.actions.runner import append_summary, from_environ, set_output
    from toyfoundry_ci.github.client import HUB, token

    root = _root()
    ctx = from_environ()
    with api_errors(ctx):
        outcome = run_merge(
            ctx,
            root,
            client(ctx),
            hub,
            environment=environment,
            hub_token=token(HUB)[0] is not None,
        )
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
    """schedule / workflow_dispatch: pull, record seals, open or update the one intake PR.

    Its commits start no workflow, so it runs the gate on the head it wrote and posts the
    result as that head's `gate` commit status (the job needs `statuses: write`); a red gate
    shows on the intake PR, the job itself stays green.
    """
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
    if outcome.branch == "no-hub":
        click.echo("intake: no hub configured for CI (repository variable TOYFOUNDRY_HUB)")
    elif outcome.branch == "nothing-to-do":
        click.echo("intake: nothing new from the hub; nothing to do")
    else:
        click.echo(f"intake: branch {outcome.branch}; PR #{outcome.number} {outcome.pull_request}")
        click.echo(f"gate on the intake head: {'green' if outcome.gate_ok else 'red'}")
