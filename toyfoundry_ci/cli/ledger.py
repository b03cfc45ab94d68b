"""``toyfoundry ledger index|verify|merge-driver``, ``toyfoundry pair``, ``signoff``, ``audit``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.kinds import max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.reader import read_present
from toyfoundry_ci.cli.exchange import hub_option
from toyfoundry_ci.cli.options import format_option, root_option

if TYPE_CHECKING:
    from toyfoundry_ci.models.ledger import SignOff


@click.group()
def ledger() -> None:
    """The ledger: one entry per order, its index, its verification."""


@ledger.command("index")
@root_option()
@click.option("--full", is_flag=True, help="Re-hash every entry; trust no file's stat.")
@click.option("--no-cache", "cold", is_flag=True, help="Ignore the digest cache altogether.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the index is stale.")
@click.option(
    "--default-branch-only",
    "default_only",
    is_flag=True,
    help="Write only when HEAD is the default branch, splicing in the entries changed since"
    " the index was last committed; elsewhere leave the index to lag (what the pre-commit"
    " hook runs).",
)
@click.argument("entries", nargs=-1, type=click.Path(path_type=Path))
def index_cmd(
    *, root: str, full: bool, cold: bool, check: bool, default_only: bool, entries: tuple[Path, ...]
) -> None:
    """Rebuild exchange/ledger/index.json from the entries (deterministic, Merkle root).

    Given ENTRIES (entry files, relative to the current folder), only those are re-read and the rest
    of the index on disk is kept: the cost does not grow with the ledger. Without them,
    every entry is checked against the digest cache.
    """
    from toyfoundry_ci.foundry.ledger import catch_up_entries, index_entries, off_default_branch
    from toyfoundry_ci.ledger.index import fresh_index, index_outcome, rebuild_index

    layout = Layout(Path(root))
    if entries and (full or cold or check):
        raise click.UsageError("ENTRIES cannot be combined with --full, --no-cache or --check")
    if default_only and (off := off_default_branch(layout)) is not None:
        click.echo(off)
        return
    if check:
        on_disk = read_present(layout.ledger_index, max_bytes_for("ledger-index"))
        current = on_disk is not None and on_disk == fresh_index(layout, full=full, cold=cold)
        if not current:
            click.echo(f"{layout.rel(layout.ledger_index)}: stale; run `toyfoundry ledger index`")
            raise SystemExit(1)
        click.echo("ok: index is current")
        return
    if entries:
        changed = index_entries(layout, [Path.cwd().resolve() / e for e in entries])
    elif default_only and not (full or cold):
        changed = catch_up_entries(layout)
    else:
        changed = rebuild_index(layout, full=full, cold=cold)
    click.echo(index_outcome(layout, changed))


@ledger.command("verify")
@root_option()
@click.option(
    "--base",
    metavar="REV",
    help="Also prove, under REV's sign-off policy and allowed signers, that entries changed"
    " since REV only by seals that re-verify (github seals through the API, with"
    " GITHUB_TOKEN and GITHUB_REPOSITORY).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Re-hash every file; trust no stat (verdicts of unchanged bytes stand).",
)
@click.option("--no-cache", "cold", is_flag=True, help="Re-hash and re-validate every file.")
@click.option(
    "--changed",
    is_flag=True,
    help="With --base: trust REV's committed state and read only what changed since it (the"
    " files, the entries and evidence of the orders they name), as the PR gate does.",
)
@click.option(
    "--repo",
    help="owner/name on GitHub whose pull requests re-verify github seals made since --base"
    " (default: $GITHUB_REPOSITORY; the token in GITHUB_TOKEN).",
)
@format_option("text", "json", "github")
def verify_cmd(  # noqa: PLR0917 - click passes every option as an argument
    root: str,
    base: str | None,
    full: bool,
    cold: bool,
    changed: bool,
    repo: str | None,
    fmt: str,
) -> None:
    """Prove evidence, pairing, index and entries are intact; exit 1 on any problem."""
    from toyfoundry_ci.ledger.binding import github_check
    from toyfoundry_ci.ledger.render import PROBLEM_RENDERERS
    from toyfoundry_ci.ledger.scope import change_scope
    from toyfoundry_ci.ledger.verify import verify

    if changed and base is None:
        raise click.UsageError("--changed reads what changed since --base REV: give --base")
    layout = Layout(Path(root))
    check = github_check(layout, repo) if base is not None else None
    notes: list[str] = []
    scope = change_scope(layout, base) if changed and base is not None else None
    problems = verify(
        layout, base=base, full=full, cold=cold, notes=notes, github_check=check, scope=scope
    )
    click.echo(PROBLEM_RENDERERS[fmt](problems, notes))
    if problems:
        raise SystemExit(1)


@ledger.command("merge-driver")
@click.argument("ancestor", type=click.Path(path_type=Path))
@click.argument("current", type=click.Path(path_type=Path))
@click.argument("other", type=click.Path(path_type=Path))
def merge_driver_cmd(ancestor: Path, current: Path, other: Path) -> None:
    """git merge driver for index.json (%O %A %B); registered by `toyfoundry hooks install`."""
    from toyfoundry_ci.ledger.merge_driver import merge_driver

    conflicts = merge_driver(Path.cwd(), ancestor, current, other)
    if conflicts:
        raise RefusedError(
            f"ledger index: both sides changed {', '.join(conflicts)}",
            hint="resolve the entries, then run `toyfoundry ledger index`",
        )


@click.command()
@root_option()
@format_option("text", "json", "github", "markdown")
def pair(root: str, fmt: str) -> None:
    """Pair each order with its ack and report; exit 1 on any unpaired evidence."""
    from toyfoundry_ci.ledger.pairing import pair as pair_orders
    from toyfoundry_ci.ledger.render import PAIRING_RENDERERS

    report = pair_orders(Layout(Path(root)))
    click.echo(PAIRING_RENDERERS[fmt](report))
    if not report.ok:
        raise SystemExit(1)


@click.command()
@click.argument("orders", nargs=-1)
@root_option()
@click.option("--reviewer", help="Who reviewed the evidence (local sign-off).")
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SSH key to sign a local sign-off with (default: git config user.signingkey"
    " when gpg.format is ssh).",
)
@click.option("--pull-request", "pr_number", type=int, help="Seal from this PR's reviews.")
@click.option("--repo", help="owner/name on GitHub (default: $GITHUB_REPOSITORY).")
def signoff(  # noqa: PLR0917 - click passes every option as an argument
    orders: tuple[str, ...], root: str, reviewer: str | None, key: Path | None,
    pr_number: int | None, repo: str | None,
) -> None:  # fmt: skip
    """Seal pending ledger entries: locally by --reviewer, or from a GitHub PR's approval.

    A local sign-off is signed with an SSH key (--key) that the allowed-signers file
    committed at HEAD lists; without a key it is recorded unsigned, and says so.
    """
    from toyfoundry_ci.foundry.ledger import sign_off

    if pr_number is None and not (reviewer and orders):
        raise click.UsageError("give ORDER... with --reviewer, or --pull-request N")
    if pr_number is not None and key is not None:
        raise click.UsageError("--key signs a local sign-off; a PR's approval is GitHub's")
    repository = _repo(repo) if pr_number is not None else ""
    results = sign_off(
        Layout(Path(root)), list(orders), reviewer, repo=repository, pr_number=pr_number, key=key
    )
    for r in results:
        if r.sealed:
            click.echo(f"{r.order_id}: sealed by {r.signoff.reviewer} ({_how(r.signoff)})")
        else:
            click.echo(f"{r.order_id}: already sealed by {r.signoff.reviewer}; nothing to do")


def _how(seal: SignOff) -> str:
    if seal.method != "local":
        return str(seal.method)
    if seal.signature is None:
        return "local, unsigned: no signing key (--key, or git config user.signingkey)"
    return f"local, signed by {seal.signature.principal}"


def _repo(repo: str | None) -> str:
    name = repo or os.environ.get("GITHUB_REPOSITORY")
    if not name:
        raise click.UsageError("--repo owner/name is needed (or $GITHUB_REPOSITORY)")
    return name


@click.command()
@click.argument("order_id")
@hub_option()
@root_option()
@format_option("text", "json")
def audit(order_id: str, hub: str | None, root: str, fmt: str) -> None:
    """The history of ORDER_ID: commits, digests, PRs, sign-off; pushes from the hub's receipts."""
    import orjson

    from toyfoundry_ci.ledger.audit import audit as audit_order
    from toyfoundry_ci.ledger.audit import render_text

    trail = audit_order(Layout(Path(root)), order_id, hub)
    if fmt == "json":
        click.echo(orjson.dumps(trail.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render_text(trail))
