"""Which hub a CI run talks to, and whether its tokens are fenced in.

In CI the hub comes from the workflow (``--hub`` or ``TOYFOUNDRY_HUB``, set from the repository
variable or a ``workflow_dispatch`` input), never from files in the checkout: a pull request can
change those, and the spec reaches git with the hub token in the environment. A hub folder or
repository inside the checkout is refused for the same reason (a PR can commit one, hooks and
all). A factory whose variable is not set yet gets a notice, not a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.hub.config import HubSettings, local_path, settings

if TYPE_CHECKING:
    from pathlib import Path

    from github import Github

    from toyfoundry_ci.base.layout import Layout

HUB_VARIABLE = "TOYFOUNDRY_HUB"
_SET_IT = (
    f"set the repository variable {HUB_VARIABLE} (Settings → Secrets and variables → Actions →"
    " Variables) to the hub's git URL or github://OWNER/REPO; see RUNBOOK.md"
)


def ci_hub(layout: Layout, hub: str | None) -> HubSettings | None:
    """The hub the workflow named, or ``None`` when it named none (the repository's files are
    never asked)."""
    if not hub or not hub.strip():
        return None
    folder = local_path(layout, hub)
    if folder is not None and _inside(folder, layout.root):
        raise RefusedError(
            f"the hub {hub!r} is inside the checkout: a pull request can put anything there"
            " (a symlink, a repository with hooks), so CI does not use it",
            hint=_SET_IT,
        )
    return settings(layout, hub)


def _inside(folder: Path, root: Path) -> bool:
    """``folder`` is in ``root`` as written, or once a symlink on the way is followed."""
    roots = (root.absolute(), root.resolve())
    return any(f.is_relative_to(r) for f in (folder, folder.resolve()) for r in roots)


def no_hub_notice(what: str) -> str:
    """What a run says instead of failing when the factory has no hub variable yet."""
    return f"no hub configured for CI, so {what}: {_SET_IT}"


def environment_warning(gh: Github, repository: str, environment: str | None) -> str | None:
    """Why the hub token is not fenced to the default branch, or ``None`` when it is.

    GitHub creates a job's missing environment on first use, unprotected: any branch may then
    deploy to it, which is what the branch policy is for.
    """
    from github import GithubException

    if not environment:
        return (
            "the hub token is not in a GitHub environment: put it in one limited to the default"
            " branch and name it with --environment (see RUNBOOK.md)"
        )
    try:
        policy = gh.get_repo(repository).get_environment(environment).deployment_branch_policy
    except GithubException as exc:
        return (
            f"cannot read the branch policy of the environment {environment!r}"
            f" (GitHub answered {exc.status}): give the job the permission actions: read"
        )
    if policy is None:
        return (
            f"the environment {environment!r} has no deployment branch policy, so any branch can"
            " use its hub token: limit it to the default branch (Settings → Environments →"
            f" {environment} → Deployment branches; see RUNBOOK.md)"
        )
    return None
