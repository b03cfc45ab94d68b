"""``ledger verify``: prove the ledger and its evidence were not altered.

Checks, each failure naming file and field: every artifact validates under its pivot; every
evidence digest in an entry matches its file; pairing holds; the index equals a fresh rebuild;
against a base revision no entry was removed or changed except pending -> sealed; every order
a receipt or a push record names has a sealed entry; every signed seal verifies against the
allowed signers, and unsigned local seals are refused where the policy requires signatures.

Against a base revision, the sign-off policy and the allowed signers are the base's (a change
cannot lower its own bar): an added entry must be pending, and each pending -> sealed change
must be a seal this factory's method makes and that re-verifies here. A github seal needs the
GitHub API for that (``github_check``, which the CLI builds when ``GITHUB_TOKEN`` and the
repository are there); without it the seal is reported as not checked, and fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.git import Git, not_an_option
from toyfoundry_ci.base.kinds import kind_for_path
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, ParseError, parse_artifact, read_artifact
from toyfoundry_ci.base.records import raw_runs, record_folder
from toyfoundry_ci.ledger import index as ledger_index
from toyfoundry_ci.ledger import pairing
from toyfoundry_ci.ledger.digest_cache import DigestCache, Wants
from toyfoundry_ci.ledger.lag import index_state
from toyfoundry_ci.ledger.policy import SignoffPolicy, signoff_policy
from toyfoundry_ci.ledger.scope import Scope
from toyfoundry_ci.ledger.seals import method_problem, signature_problem
from toyfoundry_ci.ledger.store import read_entry

BASE_HINT = "give a commit or branch: `toyfoundry ledger verify --base main`"

# Re-verifies a github seal through the GitHub API: (entry path, the seal as committed) ->
# why it does not count, or None when it does.
GitHubCheck = Callable[[str, dict[str, Any]], str | None]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: the file, the JSON path (or ``$``) and what to know."""

    file: str
    where: str
    message: str


def verify(
    layout: Layout,
    base: str | None = None,
    *,
    full: bool = False,
    cold: bool = False,
    github_check: GitHubCheck | None = None,
    notes: list[str] | None = None,
    policy_at: str | None = None,
    scope: Scope | None = None,
) -> list[Problem]:
    """Every problem in the ledger; an empty list means verified.

    ``scope`` (with ``base``): only what the change touched since ``base`` is read, the
    base's committed state trusted (``ledger.scope``); the index is checked whole, by its
    splice.

    ``notes`` receives what is sound but worth saying: how far behind the index is.

    ``full`` re-hashes every file (no stat is trusted); ``cold`` also ignores every cached
    verdict and re-validates every file. The sign-off policy is read from ``base``, else HEAD.
    """
    problems: list[Problem] = []
    if base is not None:
        not_an_option(base, "--base", BASE_HINT)
    policy = signoff_policy(layout, policy_at or base or "HEAD")
    with DigestCache(layout, full=full, cold=cold) as cache, gc_paused():
        # One read per file serves every check below; many files are read in parallel.
        scanned = _scan(layout, cache, scope)
        entries = _entries(layout.rel(layout.ledger_entries), scanned, problems)
        problems += _check_validity(layout, cache, scanned, entries)
        problems += _check_evidence(cache, scanned, entries)
        problems += _check_pairing(layout, cache, None if scope is None else _names(scanned))
        problems += _check_index(layout, cache, notes, base or "HEAD")
        problems += _check_seals(layout, entries, policy)
        if base is not None:
            problems += check_against_base(layout, base, policy, github_check)
            # What the change itself did to the policy: against the merge base, not the tip.
            before = policy if policy_at is None else signoff_policy(layout, base)
            problems += lowered_policy(layout, before)
        problems += _check_receipts(layout, entries, scope)
        cache.save()
    return list(dict.fromkeys(problems))  # a refused file is refused by more than one check


Scanned = dict[str, list[tuple[str, str, dict[str, Any]]]]


def _scan(layout: Layout, cache: DigestCache, scope: Scope | None) -> Scanned:
    """Each folder's files with their facts: all of them, or those ``scope`` reaches (read
    again once when they cite orders it did not reach yet)."""
    while True:
        scanned: Scanned = {}
        for folder, wants in (
            (layout.ledger_entries, _ENTRY_WANTS),
            (layout.orders, _EVIDENCE_WANTS),
            (layout.acknowledgements, _EVIDENCE_WANTS),
            (layout.reports, _EVIDENCE_WANTS),
        ):
            rel = layout.rel(folder)
            names = cache.json_names(rel) if scope is None else scope.names(layout, rel)
            scanned[rel] = cache.files(rel, names, wants)
        cited = (
            facts.get(namespace, {}).get("order_id")
            for found in scanned.values()
            for _name, _sha, facts in found
            for namespace in (_ENTRY_FACTS, pairing.NAMESPACE)
            if isinstance(facts.get(namespace), dict)
        )
        if scope is None or not scope.widen(cited):
            return scanned


def _names(scanned: Scanned) -> dict[str, list[str]]:
    return {folder: [name for name, _sha, _facts in found] for folder, found in scanned.items()}


def _entry_facts(_rel: str, value: Any) -> dict[str, Any]:
    if isinstance(value, ParseError):
        return {"error": f"{value.where}: {value.message}"}
    try:
        subjects = [[s["name"], s["digest"]["sha256"]] for s in value["subjects"]]
        seal = value["signoff"]
        return {
            "order_id": value["order_id"],
            "state": seal["state"],
            "method": seal.get("method"),
            "signed": "signature" in seal,
            "s": subjects,
        }
    except (KeyError, TypeError):
        return {"error": "$: not a ledger entry (order_id, subjects or signoff missing)"}


def _validate(rel: str, value: Any) -> list[list[str]]:
    from toyfoundry_ci.validation.checker import check_value, is_clean

    if is_clean(rel, value):
        return []
    return [[p.where, p.message] for p in check_value(rel, value).problems]


_VALID_WANTS: Wants = (("valid", _validate),)
_ENTRY_FACTS = "entry-seal"


def _invalid(rel: str, facts: dict[str, Any]) -> list[Problem]:
    """The validity problems of one file; a refused file (a symlink, a FIFO) has one."""
    found = facts["valid"]
    if isinstance(found, dict):  # digest_cache's refusal: {"error": "WHERE: MESSAGE"}
        where, _, message = found["error"].partition(": ")
        return [Problem(rel, where, message)]
    return [Problem(rel, where, message) for where, message in found]


_ENTRY_WANTS: Wants = (
    (_ENTRY_FACTS, _entry_facts),
    (ledger_index.NAMESPACE, ledger_index.entry_facts),
    *_VALID_WANTS,
)
_EVIDENCE_WANTS: Wants = (*_VALID_WANTS, (pairing.NAMESPACE, pairing.facts))


def _entries(folder: str, scanned: Scanned, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, _sha, all_facts in scanned[folder]:
        rel, facts = f"{folder}/{name}", all_facts[_ENTRY_FACTS]
        if "error" in facts:
            where, _, message = facts["error"].partition(": ")
            problems.append(Problem(rel, where, message))
        elif name != f"{facts['order_id']}.json":
            problems.append(
                Problem(rel, "$.order_id", f"names {facts['order_id']}; rename the file")
            )
        else:
            found[rel] = facts
    return found


def _check_validity(
    layout: Layout, cache: DigestCache, scanned: Scanned, entries: dict[str, dict[str, Any]]
) -> list[Problem]:
    problems = [
        problem
        for folder, found in scanned.items()
        for name, _sha, facts in found
        if facts["valid"]
        for problem in _invalid(f"{folder}/{name}", facts)
    ]
    # Evidence named by entries outside the folders above (quilt exports). The index is
    # checked against a fresh rebuild instead, and validated only when it differs.
    listed = {folder: {name for name, _, _ in found} for folder, found in scanned.items()}
    others: dict[str, set[str]] = {}
    for rel in {name for facts in entries.values() for name, _ in facts["s"]}:
        if not isinstance(rel, str):
            continue
        folder, _, name = rel.rpartition("/")
        if (
            name not in listed.get(folder, ())
            and name.endswith(".json")
            and _SAFE_PATH.fullmatch(rel)
            and kind_for_path(Path(rel)) is not None
        ):
            others.setdefault(folder, set()).add(name)
    for folder, names in others.items():
        for name, _sha, facts in cache.files(folder, sorted(names), _VALID_WANTS):
            rel = f"{folder}/{name}" if folder else name
            problems += _invalid(rel, facts)
    problems.sort(key=lambda p: p.file)
    return problems


# The RelPath rule of the models, checked before an entry's subject name is opened.
_SAFE_PATH = re.compile(r"^\.?[A-Za-z0-9_-][A-Za-z0-9._-]*(/\.?[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


def _check_evidence(
    cache: DigestCache, scanned: Scanned, entries: dict[str, dict[str, Any]]
) -> list[Problem]:
    digests = {folder: {name: sha for name, sha, _ in found} for folder, found in scanned.items()}
    problems = []
    for rel, facts in entries.items():
        for i, (name, recorded) in enumerate(facts["s"]):
            if not isinstance(name, str) or _SAFE_PATH.fullmatch(name) is None:
                problems.append(Problem(rel, f"$.subjects[{i}].name", "not a safe relative path"))
                continue
            folder, _, base = name.rpartition("/")
            actual = digests.get(folder, {}).get(base)
            if actual is None:
                actual = cache.digest(name)
            if actual == recorded:
                continue
            where = f"$.subjects[{i}].digest.sha256"
            if actual is None:
                problems.append(Problem(rel, where, f"{name} is missing; restore it from git"))
            else:
                problems.append(
                    Problem(
                        rel,
                        where,
                        f"{name} has sha256 {actual or '(not a regular file)'}, the entry"
                        f" records {recorded}; the evidence was altered after parade",
                    )
                )
    return problems


def _check_pairing(
    layout: Layout, cache: DigestCache, names: dict[str, list[str]] | None
) -> list[Problem]:
    report = pairing.pair(layout, cache=cache, names=names)
    problems = []
    for o in report.orders:
        for text in o.problems:
            file, _, rest = text.partition("::")
            where, _, message = rest.partition(": ") if rest else ("$", "", text)
            problems.append(Problem(file if rest else (o.order or o.order_id), where, message))
    problems += [
        Problem(o.path, "$.order.order_id", f"{o.reason}: {o.cites}") for o in report.orphans
    ]
    problems += [
        Problem(path, *message.partition(": ")[::2]) for path, message in report.unreadable
    ]
    return problems


def _check_index(
    layout: Layout, cache: DigestCache, notes: list[str] | None, history: str = "HEAD"
) -> list[Problem]:
    rel = layout.rel(layout.ledger_index)
    # No cached level vouches for the root a check compares: it is computed from the leaves.
    state = index_state(layout, cache, history)
    if state.status != "wrong":
        if notes is not None and state.status == "behind":
            notes.append(state.notice)
        return []
    problems = [Problem(rel, where, message) for where, message in state.problems]
    if not state.unreadable and layout.ledger_index.is_file():
        folder, _, name = rel.rpartition("/")
        (found,) = cache.files(folder, [name], _VALID_WANTS)
        problems += _invalid(rel, found[2])
    return problems


def _check_seals(
    layout: Layout, entries: dict[str, dict[str, Any]], policy: SignoffPolicy
) -> list[Problem]:
    """Signed seals must verify; unsigned local ones are refused when signatures are required."""
    wanted = [
        (rel, facts["order_id"])
        for rel, facts in entries.items()
        if facts["state"] == "sealed"
        and (facts["signed"] or (facts["method"] == "local" and policy.require_signature))
    ]

    def problem(rel: str, order_id: str) -> Problem | None:
        try:
            entry = read_entry(layout, order_id)
        except ToyfoundryError:
            return None  # reported by the validity check
        why = signature_problem(entry, policy) if entry is not None else None
        return Problem(rel, "$.signoff.signature", why) if why is not None else None

    if len(wanted) < _PARALLEL_SEALS:
        found = [problem(rel, order_id) for rel, order_id in wanted]
    else:  # each signature is one ssh-keygen run: keep every core busy
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            found = list(pool.map(lambda item: problem(*item), wanted))
    return [p for p in found if p is not None]


_PARALLEL_SEALS = 8


def check_against_base(
    layout: Layout,
    base: str,
    policy: SignoffPolicy | None = None,
    github_check: GitHubCheck | None = None,
    *,
    through_history: bool = False,
) -> list[Problem]:
    """What changed in the entries since ``base`` that the rules do not allow.

    An entry may not be removed; one added must be pending; one changed may only go
    pending -> sealed, by a seal of the factory's method (policy read at ``base``) that
    re-verifies: a github seal through ``github_check``, which needs the GitHub API.

    ``through_history`` checks a range of several merges (``ci merge`` since the last
    receipt): an entry added since ``base`` must be pending in the commit that added it, and
    may since have gone pending -> sealed by the same rules.
    """
    not_an_option(base, "--base", BASE_HINT)
    policy = policy or signoff_policy(layout, base)
    folder = layout.rel(layout.ledger_entries)
    git = Git(layout.root, hint="fetch the base commit (actions/checkout with fetch-depth: 0)")
    out = git.text("diff", "--no-renames", "--name-status", base, "--", folder)
    added_in = _first_added(git, folder) if through_history else {}
    problems = []
    for line in out.splitlines():
        status, _, rel = line.partition("\t")
        if not rel.endswith(".json"):
            continue
        if status == "D":
            problems.append(Problem(rel, "$", f"was removed since {base}; entries are permanent"))
            continue
        new = read_artifact(layout.root / rel)
        since, old = base, None
        if status == "A":
            if rel not in added_in:
                problems += _added_problems(rel, base, new)
                continue
            since = added_in[rel][:12]
            old = parse_artifact(git.blob(f"{added_in[rel]}:{rel}", MAX_BYTES) or b"")
            arrived = _added_problems(rel, since, old)
            if arrived or old == new:
                problems += arrived
                continue
        if old is None:
            old = parse_artifact(git.blob(f"{base}:{rel}", MAX_BYTES) or b"")
        found = _transition_problems(rel, since, old, new)
        if found or not isinstance(new, dict):
            problems += found
        else:
            problems += _new_seal_problems(rel, new["signoff"], policy, github_check)
    return problems


def _first_added(git: Git, folder: str) -> dict[str, str]:
    """Each entry file of HEAD's history and the commit that first added it (one git walk)."""
    out = git.text(
        "log", "--reverse", "--diff-filter=A", "--no-renames", "--format=%x1e%H",
        "--name-only", "HEAD", "--", folder,
    )  # fmt: skip
    found: dict[str, str] = {}
    for block in out.split("\x1e")[1:]:
        commit, *paths = block.split()
        for path in paths:
            found.setdefault(path, commit)
    return found


def lowered_policy(layout: Layout, before: SignoffPolicy) -> list[Problem]:
    """A change that lowers the sign-off bar (``before``: the policy the change is judged
    by) lowers it for every later change, so no pull request's gate lets one through: a
    changed method, signatures no longer required, fewer approvals, or signers added."""
    after = signoff_policy(layout, "HEAD")
    where = after.source or before.source or "pyproject.toml"
    lowered = []
    if after.method != before.method:
        lowered.append(("signoff.method", f'"{before.method}" became "{after.method}"'))
    if before.require_signature and not after.require_signature:
        lowered.append(("signoff.require_signature", "is no longer required"))
    if after.approvals < before.approvals:
        lowered.append(("signoff.approvals", f"{before.approvals} became {after.approvals}"))
    added = set(after.signers.splitlines()) - set(before.signers.splitlines())
    if after.allowed_signers != before.allowed_signers or any(k.strip() for k in added):
        lowered.append(("$", f"{after.allowed_signers}: signers were added or the file moved"))
    return [
        Problem(
            after.allowed_signers if field == "$" else where,
            field,
            f"{what} since {before.revision[:12]}: a change that lowers the sign-off bar is"
            " not merged through a pull request's gate; the factory's admins merge it"
            " past the required check (branch protection's bypass), reviewed by its owners",
        )
        for field, what in lowered
    ]


def _state(value: Any) -> Any:
    """The sign-off state of an entry's value, whatever its shape (None: none readable)."""
    seal = value.get("signoff") if isinstance(value, dict) else None
    return seal.get("state") if isinstance(seal, dict) else None


def _added_problems(rel: str, base: str, new: Any) -> list[Problem]:
    state = _state(new)
    if isinstance(new, ParseError) or state == "pending":
        return []  # an unreadable one is reported by the validity check
    return [
        Problem(
            rel,
            "$.signoff.state",
            f"was added {state} since {base}; an entry arrives pending, and only a review seals"
            " it: seal it after the merge, on the default branch (`toyfoundry signoff ORDER"
            " --reviewer NAME`), or let the pull request's approving review seal it",
        )
    ]


def _new_seal_problems(
    rel: str, seal: dict[str, Any], policy: SignoffPolicy, github_check: GitHubCheck | None
) -> list[Problem]:
    """Why a seal made since the base does not count; signatures are checked for all seals."""
    method = seal.get("method")
    why = method_problem(method if isinstance(method, str) else None, policy)
    if why is not None:
        return [Problem(rel, "$.signoff.method", why)]
    if method != "github":
        return []
    if github_check is None:
        what = f"pull request #{seal.get('pull_request')}, review {seal.get('review_id')}"
        return [
            Problem(
                rel,
                "$.signoff",
                f"its github seal ({what}) was not checked: re-verifying a review needs the"
                " GitHub API, which this run has not got (set GITHUB_TOKEN, and"
                " GITHUB_REPOSITORY or `ledger verify --repo`); the seal does not count unchecked",
            )
        ]
    why = github_check(rel, seal)
    return [Problem(rel, "$.signoff", why)] if why is not None else []


def _transition_problems(rel: str, base: str, old: Any, new: Any) -> list[Problem]:
    if isinstance(new, ParseError):
        return []  # reported by the validity check
    if isinstance(old, ParseError):
        return [
            Problem(
                rel,
                "$",
                f"changed since {base}, where it is unreadable ({old.where}: {old.message});"
                " entries are write-once, so the change cannot be checked",
            )
        ]
    old_state, new_state = _state(old), _state(new)
    if old_state != "pending" or new_state != "sealed" or not isinstance(old, dict):
        return [
            Problem(
                rel,
                "$.signoff",
                f"changed since {base} ({old_state} -> {new_state});"
                " only pending -> sealed is allowed",
            )
        ]
    changed = sorted(
        k for k in old.keys() | new.keys() if k != "signoff" and old.get(k) != new.get(k)
    )
    return [
        Problem(rel, f"$.{key}", f"changed since {base}; only the sign-off may change")
        for key in changed
    ]


def _check_receipts(
    layout: Layout, entries: dict[str, dict[str, Any]], scope: Scope | None = None
) -> list[Problem]:
    """Every order a receipt or a push record names has a sealed entry.

    Scoped, only the log files the change touched are asked after: the orders the others
    name had a sealed entry at the base, which the change may not unseal or remove
    (``check_against_base``). The hub's receipts, machine state no commit carries (a CI
    checkout has none), are read only unscoped.
    """
    state = {facts["order_id"]: facts["state"] for facts in entries.values()}
    log, records = layout.rel(layout.exchange_log), layout.rel(record_folder(layout.exchange_log))
    with_log = scope is None or any(p == log or p.startswith(records + "/") for p in scope.paths)
    problems = []
    pushed = _pushed_orders(layout, with_receipts=scope is None, with_log=with_log)
    for rel, where, order_id in pushed:
        if scope is not None and not scope.touches(rel):
            continue
        if scope is not None and order_id not in state:
            found = _entry_state(layout, order_id)
            if found is not None:
                state[order_id] = found
        if state.get(order_id) != "sealed":
            have = state.get(order_id, "no entry")
            problems.append(
                Problem(rel, where, f"{order_id} was pushed, but its ledger entry is {have}")
            )
    return problems


def _entry_state(layout: Layout, order_id: str) -> Any:
    """The sign-off state of one order's entry, read alone (None: no readable entry)."""
    try:
        path = layout.ledger_entry_file(order_id)
    except ToyfoundryError:  # not an order ID: no entry can be named by it
        return None
    return _state(read_artifact(path))


def _pushed_orders(
    layout: Layout, *, with_receipts: bool = True, with_log: bool = True
) -> list[tuple[str, str, str]]:
    found = []
    receipts = layout.default_hub / "receipts"
    for path in sorted(receipts.glob("*.json")) if with_receipts and receipts.is_dir() else []:
        value = read_artifact(path)
        for i, item in enumerate(_list(value, "items")):
            found.append((layout.rel(path), f"$.items[{i}].order_id", str(item.get("order_id"))))
    for path, r, run in raw_runs(layout.exchange_log) if with_log else ():
        if run.get("direction") == "push" and run.get("result") in ("ok", "partial"):
            for i, item in enumerate(_list(run, "orders")):
                where = f"$.runs[{r}].orders[{i}].order_id"
                found.append((layout.rel(path), where, str(item.get("order_id"))))
    return found


def _list(value: Any, key: str) -> list[dict[str, Any]]:
    items = value.get(key) if isinstance(value, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
