"""Signed local sign-off, and a tree that cannot seal itself: real ssh-keygen, real git.

The policy and the allowed signers are read from a commit: ``ledger verify --base`` reads the
base's, so each attack below is a change that tries to lower its own bar and fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.conftest import git, run_cli
from tests.ledger_helpers import parade_entry, sign_off_locally
from toyfoundry_ci.base.canonical import dumps, sha256_file
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

ORDER = "ALFA-2026-0001"
ENTRY = f"exchange/ledger/entries/{ORDER}.json"
SIGNERS = ".toyfoundry/allowed_signers"


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


def ssh_key(folder: Path, name: str, passphrase: str = "") -> Path:
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def allowed_line(principal: str, key: Path) -> str:
    kind, blob, *_ = key.with_suffix(".pub").read_text().split()
    return f"{principal} {kind} {blob}\n"


def local_factory(factory: Path, key: Path, *, extra: str = "") -> str:
    """A local-sign-off factory trusting ``key`` as ql@factory, one paraded entry; the commit."""
    (factory / SIGNERS).parent.mkdir(parents=True, exist_ok=True)
    (factory / SIGNERS).write_text(allowed_line("ql@factory", key))
    git(factory, "add", SIGNERS)
    sign_off_locally(factory, extra=extra)
    return parade(factory)


def parade(factory: Path, *order_ids: str) -> str:
    layout = Layout(factory)
    for order_id in order_ids or (ORDER,):
        parade_entry(layout, order_id)
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Parade")
    return git(factory, "rev-parse", "HEAD").strip()


def signoff(factory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("signoff", ORDER, "--reviewer", "Quality Lead", *args, cwd=factory)


def commit_all(factory: Path, message: str) -> None:
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", message)


def verify_base(factory: Path, base: str) -> list[dict[str, str]]:
    proc = run_cli("ledger", "verify", "--base", base, "--format", "json", cwd=factory)
    problems: list[dict[str, str]] = json.loads(proc.stdout)["problems"]
    assert proc.returncode == (1 if problems else 0), proc.stderr
    return problems


def entry(factory: Path) -> dict[str, object]:
    value: dict[str, object] = orjson.loads((factory / ENTRY).read_bytes())
    return value


def test_a_signed_seal_names_its_signer_and_verifies_against_the_base(
    factory: Path, tmp_path: Path
) -> None:
    key = ssh_key(tmp_path, "ql")
    base = local_factory(factory, key)
    proc = signoff(factory, "--key", str(key))
    assert proc.returncode == 0, proc.stderr
    assert f"{ORDER}: sealed by Quality Lead (local, signed by ql@factory)" in proc.stdout
    seal = entry(factory)["signoff"]
    assert isinstance(seal, dict)
    assert seal["signature"]["principal"] == "ql@factory"
    assert seal["signature"]["signature"].startswith("-----BEGIN SSH SIGNATURE-----")
    assert seal["commit"] == base
    commit_all(factory, "Sign off")
    assert verify_base(factory, base) == []
    assert run_cli("validate", ENTRY, cwd=factory).returncode == 0


def test_git_signing_key_signs_as_git_does_for_ssh(factory: Path, tmp_path: Path) -> None:
    key = ssh_key(tmp_path, "ql")
    local_factory(factory, key)
    git(factory, "config", "gpg.format", "ssh")
    git(factory, "config", "user.signingkey", str(key))
    proc = signoff(factory)
    assert proc.returncode == 0, proc.stderr
    assert "signed by ql@factory" in proc.stdout


def test_without_a_key_the_seal_says_it_is_unsigned(factory: Path, tmp_path: Path) -> None:
    base = local_factory(factory, ssh_key(tmp_path, "ql"))
    proc = signoff(factory)
    assert proc.returncode == 0, proc.stderr
    assert "(local, unsigned: no signing key (--key, or git config user.signingkey))" in (
        proc.stdout
    )
    commit_all(factory, "Sign off")
    assert verify_base(factory, base) == []


def test_a_key_the_allowed_signers_do_not_list_is_refused(factory: Path, tmp_path: Path) -> None:
    local_factory(factory, ssh_key(tmp_path, "ql"))
    before = (factory / ENTRY).read_bytes()
    proc = signoff(factory, "--key", str(ssh_key(tmp_path, "mallory")))
    assert proc.returncode == 1
    assert f"is not in the allowed-signers file {SIGNERS} at HEAD" in proc.stderr
    assert (factory / ENTRY).read_bytes() == before


def test_a_key_with_a_passphrase_and_no_terminal_gets_a_hint(factory: Path, tmp_path: Path) -> None:
    key = ssh_key(tmp_path, "locked", passphrase="secret words")  # noqa: S106 - a test key
    local_factory(factory, key)
    proc = subprocess.run(  # a new session: no controlling terminal, as on a runner
        [sys.executable, "-m", "toyfoundry_ci", "signoff", ORDER, "--reviewer", "QL",
         "--key", str(key)],
        cwd=factory, capture_output=True, text=True, start_new_session=True,
        stdin=subprocess.DEVNULL, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "needs a passphrase, and there is no terminal to ask for it" in proc.stderr
    assert "ssh-agent" in proc.stderr
    assert "--key PATH" in proc.stderr
    assert entry(factory)["signoff"] == {"state": "pending"}


def test_a_signature_over_other_digests_does_not_verify(factory: Path, tmp_path: Path) -> None:
    key = ssh_key(tmp_path, "ql")
    local_factory(factory, key)
    assert signoff(factory, "--key", str(key)).returncode == 0
    commit_all(factory, "Sign off")
    signed = git(factory, "rev-parse", "HEAD").strip()
    # The evidence changes after signing, and the entry is made to cite the new bytes.
    report = factory / f"exchange/reports/RPT-{ORDER}.json"
    report.write_text(report.read_text().replace('"verdict": "fulfilled"', '"verdict": "short"'))
    value = entry(factory)
    subjects = value["subjects"]
    assert isinstance(subjects, list)
    subjects[2]["digest"]["sha256"] = sha256_file(report)
    (factory / ENTRY).write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    problems = verify_base(factory, signed)
    where = {(p["file"], p["path"]) for p in problems}
    assert (ENTRY, "$.signoff.signature") in where
    assert any("the signature of ql@factory does not verify" in p["message"] for p in problems)


def test_required_signatures_refuse_unsigned_seals_in_signoff_verify_and_push(
    factory: Path, tmp_path: Path
) -> None:
    local_factory(factory, ssh_key(tmp_path, "ql"), extra="signoff.require_signature = true\n")
    refused = signoff(factory)
    assert refused.returncode == 1
    assert "signoff.require_signature = true at HEAD, and no signing key is set" in refused.stderr
    # An unsigned local seal written by hand: verify fails and push holds it back, named.
    value = entry(factory)
    value["signoff"] = {"state": "sealed", "method": "local", "reviewer": "Quality Lead",
                        "at": "2026-11-24T09:00:00Z"}  # fmt: skip
    (factory / ENTRY).write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    commit_all(factory, "Seal by hand")
    verified = run_cli("ledger", "verify", cwd=factory)
    assert verified.returncode == 1
    assert f"{ENTRY}::$.signoff.signature: its local seal is unsigned" in verified.stdout
    issued = factory / ".toyfoundry/hub/orders"
    issued.mkdir(parents=True)
    shutil.copy2(factory / f"exchange/orders/{ORDER}.json", issued)
    pushed = run_cli("push", "--dry-run", cwd=factory)
    assert pushed.returncode == 1
    assert f"held {ORDER}: its local seal is unsigned" in pushed.stdout
    assert not (factory / ".toyfoundry/hub/receipts").exists()


def test_attack_a_change_that_switches_to_local_sign_off_and_seals_itself(
    factory: Path,
) -> None:
    base = parade(factory)  # no setting: the factory signs off on GitHub
    refused = signoff(factory)
    assert refused.returncode == 1
    assert 'signs off on GitHub (signoff.method = "github" by default at HEAD)' in refused.stderr
    sign_off_locally(factory)  # the change lowers the bar, then seals with any name
    assert signoff(factory).returncode == 0
    commit_all(factory, "Seal")
    problems = verify_base(factory, base)
    # The seal is refused, and so is the change of method itself: it lowers the bar.
    assert [(p["file"], p["path"]) for p in problems] == [
        (ENTRY, "$.signoff.method"),
        ("pyproject.toml", "signoff.method"),
    ]
    assert (
        f'this factory signs off by github (signoff.method = "github" by default at {base})'
        in (problems[0]["message"])
    )


def test_attack_a_hand_written_github_seal_is_not_believed(factory: Path) -> None:
    base = parade(factory)
    value = entry(factory)
    value["signoff"] = {"state": "sealed", "method": "github", "reviewer": "octocat",
                        "at": "2026-11-24T09:00:00Z", "commit": base, "pull_request": 7,
                        "review_id": 80}  # fmt: skip
    (factory / ENTRY).write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    commit_all(factory, "Seal")
    problems = verify_base(factory, base)
    assert [(p["file"], p["path"]) for p in problems] == [(ENTRY, "$.signoff")]
    assert (
        "its github seal (pull request #7, review 80) was not checked" in (problems[0]["message"])
    )


@pytest.mark.parametrize("method", ["github", "local", "demo"])
def test_attack_an_entry_added_already_sealed(factory: Path, method: str) -> None:
    base = git(factory, "rev-parse", "HEAD").strip()
    parade(factory)
    value = entry(factory)
    value["signoff"] = {"state": "sealed", "method": method, "reviewer": "octocat",
                        "at": "2026-11-24T09:00:00Z"}  # fmt: skip
    (factory / ENTRY).write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    commit_all(factory, "Parade sealed")
    problems = verify_base(factory, base)
    assert [(p["file"], p["path"]) for p in problems] == [(ENTRY, "$.signoff.state")]
    assert "was added sealed" in problems[0]["message"]


def test_attack_a_demo_seal_never_counts(factory: Path) -> None:
    sign_off_locally(factory)
    base = parade(factory)
    value = entry(factory)
    value["signoff"] = {"state": "sealed", "method": "demo", "reviewer": "Demo Reviewer",
                        "at": "2026-11-24T09:00:00Z"}  # fmt: skip
    (factory / ENTRY).write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    problems = verify_base(factory, base)
    assert [(p["path"], p["message"].split(";")[0]) for p in problems] == [
        ("$.signoff.method", "a demo seal is not a review")
    ]


def test_attack_a_change_that_lowers_require_signature(factory: Path, tmp_path: Path) -> None:
    required = "signoff.require_signature = true\n"
    base = local_factory(factory, ssh_key(tmp_path, "ql"), extra=required)
    sign_off_locally(factory, extra="signoff.require_signature = false\n")
    assert signoff(factory).returncode == 0  # HEAD's policy lets it through ...
    commit_all(factory, "Seal unsigned")
    problems = verify_base(factory, base)  # ... the base's does not
    assert [(p["file"], p["path"]) for p in problems] == [
        (ENTRY, "$.signoff.signature"),
        ("pyproject.toml", "signoff.require_signature"),
    ]
    assert f"signoff.require_signature = true at {base}" in problems[0]["message"]


def test_attack_a_change_that_adds_its_own_signer(factory: Path, tmp_path: Path) -> None:
    base = local_factory(factory, ssh_key(tmp_path, "ql"))
    mallory = ssh_key(tmp_path, "mallory")
    with (factory / SIGNERS).open("a") as signers:
        signers.write(allowed_line("mallory@elsewhere", mallory))
    commit_all(factory, "Trust me")
    proc = signoff(factory, "--key", str(mallory))
    assert proc.returncode == 0, proc.stderr  # HEAD's signers list the key ...
    assert "signed by mallory@elsewhere" in proc.stdout
    commit_all(factory, "Seal")
    problems = verify_base(factory, base)  # ... the base's do not
    assert [(p["file"], p["path"]) for p in problems] == [
        (ENTRY, "$.signoff.signature"),
        (".toyfoundry/allowed_signers", "$"),
    ]
    assert "the signature of mallory@elsewhere does not verify" in problems[0]["message"]
    assert f"allowed signers: {SIGNERS} at {base}" in problems[0]["message"]


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ('signoff.method = "gitlab"', "signoff.method = 'gitlab' is neither"),
        ('signoff.require_signature = "yes"', "signoff.require_signature = 'yes' is not"),
        ('signoff.allowed_signers = "../keys"', "signoff.allowed_signers = '../keys' is not"),
    ],
)
def test_a_bad_policy_setting_is_named_with_its_file(
    factory: Path, setting: str, named: str
) -> None:
    (factory / "pyproject.toml").write_text(f"[tool.toyfoundry]\n{setting}\n")
    commit_all(factory, "Policy")
    proc = run_cli("ledger", "verify", cwd=factory)
    assert proc.returncode == 1
    assert f"error: pyproject.toml at HEAD: {named}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_method_set_in_the_config_file_is_the_committed_one(factory: Path) -> None:
    parade(factory)
    config = factory / ".toyfoundry/config.toml"
    config.write_text('signoff.method = "github"\n')
    commit_all(factory, "Sign off on GitHub")
    config.write_text('signoff.method = "local"\n')  # not committed: does not count
    refused = signoff(factory)
    assert refused.returncode == 1
    assert 'signoff.method = "github" in .toyfoundry/config.toml at HEAD' in refused.stderr
