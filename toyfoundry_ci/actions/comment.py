"""The one PR comment, found by a hidden marker and edited in place, never posted twice.

Anyone can write a comment that starts with the marker, so only a comment whose author is the
bot counts as the report: ``github-actions[bot]`` (the workflow token) or the login of the
GitHub App the factory configured (``TOYFOUNDRY_BOT_LOGIN``). The token cannot be asked whose
it is (``GET /user`` answers 403 to both), so the logins are named here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from toyfoundry_ci.base.markdown import COMMENT_LIMIT, fit

if TYPE_CHECKING:
    from github.IssueComment import IssueComment
    from github.Repository import Repository

MARKER = "<!-- toyfoundry:pr-report -->"
ACTIONS_BOT = "github-actions[bot]"

# "read-only": the token may not comment (a fork's or Dependabot's PR); the summary has it all.
CommentAction = Literal["created", "updated", "unchanged", "read-only"]


def with_marker(body: str) -> str:
    text = f"{MARKER}\n{body.rstrip()}\n"
    return fit(text, COMMENT_LIMIT, "the job's step summary has the whole report")


def bot_logins(configured: str | None) -> frozenset[str]:
    """The logins whose comments are the bot's: the Actions bot and the configured App's."""
    return frozenset({ACTIONS_BOT, *([configured] if configured else [])})


def is_bots(comment: IssueComment, bots: Iterable[str]) -> bool:
    author = comment.user
    return author is not None and author.type == "Bot" and author.login in set(bots)


def upsert_comment(repo: Repository, number: int, body: str, bots: frozenset[str]) -> CommentAction:
    """Create the report comment on PR ``number``, or edit the bot's one already there.

    Every page of comments is read (PyGithub follows the ``Link`` headers), so an old
    report below the first page is still found and edited rather than duplicated. A token
    that may not write (403 that is not a rate limit) posts nothing: ``"read-only"``.
    """
    from github import GithubException, RateLimitExceededException

    text = with_marker(body)
    issue = repo.get_issue(number)
    try:
        for comment in issue.get_comments():
            if comment.body and comment.body.startswith(MARKER) and is_bots(comment, bots):
                if comment.body == text:
                    return "unchanged"
                comment.edit(text)
                return "updated"
        issue.create_comment(text)
    except RateLimitExceededException:
        raise
    except GithubException as exc:
        if exc.status == 403:
            return "read-only"
        raise
    return "created"
