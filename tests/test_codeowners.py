"""CODEOWNERS read as GitHub documents it: the examples of GitHub's own page, last match wins."""

from __future__ import annotations

import pytest

from toyfoundry_ci.ledger.codeowners import owners_of, parse

EXAMPLE = """\
# Each line is a file pattern followed by one or more owners.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
!negated @nobody
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@global-owner1", "@global-owner2")),
        ("src/app.js", ("@js-owner",)),
        ("main.go", ("docs@example.com",)),
        ("build/logs/today.txt", ("@octocat",)),  # ``**/logs`` comes later and wins
        ("docs/getting-started.md", ("@doctocat",)),  # ``/docs/`` comes later and wins
        ("deeply/nested/logs/x.txt", ("@octocat",)),
        ("apps/web/index.html", ("@octocat",)),
        ("apps/github/x.txt", ()),  # the later rule without owners leaves it unowned
        ("negated", ("@global-owner1", "@global-owner2")),  # ``!`` is not supported
    ],
)
def test_the_last_matching_rule_names_the_owners(path: str, owners: tuple[str, ...]) -> None:
    assert owners_of(parse(EXAMPLE), path)[1] == owners


def test_a_wildcard_name_stays_in_its_folder_and_a_folder_rule_is_anchored_as_written() -> None:
    rules = parse("docs/* @docs\nexchange/ @quality\n/outbox/ @forge\n")
    assert owners_of(rules, "docs/a.md")[1] == ("@docs",)
    assert owners_of(rules, "docs/build-app/troubleshooting.md")[1] == ()
    assert owners_of(rules, "exchange/reports/RPT-ALFA-2026-0001.json")[1] == ("@quality",)
    assert owners_of(rules, "nested/exchange/x.json")[1] == ("@quality",)
    assert owners_of(rules, "nested/outbox/x.json")[1] == ()
    rule, _ = owners_of(rules, "outbox/acks/x.json")
    assert rule is not None and rule.line == 3
