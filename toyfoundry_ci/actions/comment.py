"""The one PR comment, found by a hidden marker and edited in place, never posted twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from github.Repository import Repository

MARKER = "<!-- toyfoundry:pr-report -->"

CommentAction = Literal["created", "updated", "unchanged"]


def with_marker(body: str) -> str:
    return f"{MARKER}\n{body.rstrip()}\n"


def upsert_comment(repo: Repository, number: int, body: str) -> CommentAction:
    """Create the report comment on PR ``number``, or edit the one already there.

    Every page of comments is read (PyGithub follows the ``Link`` headers), so an old
    report below the first page is still found and edited rather than duplicated.
    """
    text = with_marker(body)
    issue = repo.get_issue(number)
    for comment in issue.get_comments():
        if comment.body and comment.body.startswith(MARKER):
            if comment.body == text:
                return "unchanged"
            comment.edit(text)
            return "updated"
    issue.create_comment(text)
    return "created"
