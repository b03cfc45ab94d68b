"""Nothing a hub, a hub spec or a committed file says makes git run code or read without bound.

Each case plants a harmless marker command (``touch``) where git would run it, and checks that
the marker never appears while the operation itself still works or is refused with a message.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, make_factory, run_cli
from tests.exchange_kit import directive, empty_factory
from tests.test_exchange_git import bare_hub
from toyfoundry_ci.base.git import Git

MiB = 1024 * 1024


def committed_factory(root: Path, files: dict[str, str]) -> Path:
    """An empty factory, a git repository whose first commit holds ``files``."""
    init_repo(root)
    empty_factory(root)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A", "--force")
    git(root, "commit", "-q", "--allow-empty", "-m", "factory")
    return root


def plant(git_dir: Path, marker: Path, url: str) -> None:
    """Make ``git_dir`` a cache clone that runs ``touch MARKER-*`` in every way it could."""
    if not (git_dir / "HEAD").exists():
        git_dir.parent.mkdir(parents=True, exist_ok=True)
        git(git_dir.parent, "init", "-q", "--bare", str(git_dir))
    hook = git_dir / "hooks" / "reference-transaction"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}-hook\n")
    hook.chmod(0o755)
    with (git_dir / "config").open("a") as config:
        config.write(
            f"[core]\n\tfsmonitor = touch {marker}-fsmonitor\n"
            f'[remote "{url}"]\n\tuploadpack = touch {marker}-uploadpack;:\n'
        )


def ran(marker: Path) -> list[str]:
    return sorted(p.name for p in marker.parent.glob(f"{marker.name}*"))


def test_a_hub_spec_that_reads_as_a_git_option_is_refused_before_git_runs(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    spec = f"git+--upload-pack=touch {marker};:"
    root = committed_factory(
        tmp_path / "factory", {"pyproject.toml": f"[tool.toyfoundry]\nhub = {json.dumps(spec)}\n"}
    )

    result = run_cli("pull", cwd=root)

    assert result.returncode == 1
    assert "hub URL '--upload-pack=" in result.stderr
    assert "starts with '-', which git would take as an option; refused" in result.stderr
    assert "Traceback" not in result.stderr
    assert ran(marker) == []


def test_a_hub_branch_that_reads_as_an_option_is_refused(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, ["ALFA-2027-0001"])
    root = committed_factory(tmp_path / "factory", {})

    result = run_cli("pull", "--hub", f"{bare}#-x", cwd=root)

    assert result.returncode == 1
    assert "hub branch '-x' starts with '-'" in result.stderr


def test_a_base_revision_that_reads_as_an_option_is_refused(tmp_path: Path) -> None:
    root = make_factory(tmp_path / "factory")
    written = tmp_path / "written-by-git-diff"

    result = run_cli("ledger", "verify", f"--base=--output={written}", cwd=root)

    assert result.returncode == 1
    assert "--base '--output=" in result.stderr
    assert "hint: give a commit or branch" in result.stderr
    assert not written.exists()


def test_a_cache_clone_committed_in_the_work_tree_runs_nothing(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, ["ALFA-2027-0001"])
    url = str(bare.resolve())
    key = hashlib.sha256(f"{url}#HEAD".encode()).hexdigest()[:16]
    marker = tmp_path / "ran"
    root = init_repo(tmp_path / "factory")
    plant(root / ".toyfoundry" / "cache" / f"hub-git-{key}.git", marker, url)
    committed_factory(root, {})  # force-added, as a pull request could

    result = run_cli("pull", "--hub", url, cwd=root)

    assert result.returncode == 0, result.stderr
    assert (root / "exchange" / "orders" / "ALFA-2027-0001.json").is_file()
    assert ran(marker) == []
    (cache,) = (root / ".git" / "toyfoundry").glob("hub-git-*.git")
    assert cache.name == f"hub-git-{key}.git"


def test_a_tampered_cache_clone_gets_its_config_reset_and_runs_no_hook(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, ["ALFA-2027-0001"])
    url = str(bare.resolve())
    root = committed_factory(tmp_path / "factory", {})
    assert run_cli("pull", "--hub", url, cwd=root).returncode == 0
    (cache,) = (root / ".git" / "toyfoundry").glob("hub-git-*.git")
    marker = tmp_path / "ran"
    plant(cache, marker, url)
    more = tmp_path / "more"
    git(tmp_path, "clone", "-q", str(bare), str(more))
    (more / "orders" / "ALFA-2027-0002.json").write_bytes(directive("ALFA-2027-0002"))
    git(more, "add", "-A")
    git(more, "commit", "-q", "-m", "High Command: one more")
    git(more, "push", "-q", "origin", "main")

    result = run_cli("pull", "--hub", url, cwd=root)

    assert result.returncode == 0, result.stderr
    assert (root / "exchange" / "orders" / "ALFA-2027-0002.json").is_file()
    assert ran(marker) == []
    assert "fsmonitor" not in (cache / "config").read_text()


def test_the_users_own_insteadof_still_reaches_the_hub(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, ["ALFA-2027-0001"])
    git(tmp_path, "config", "--global", f"url.{bare.resolve()}.insteadOf", "high-command:")
    root = committed_factory(tmp_path / "factory", {})

    result = run_cli("pull", "--hub", "git+high-command:", cwd=root)

    assert result.returncode == 0, result.stderr
    assert (root / "exchange" / "orders" / "ALFA-2027-0001.json").is_file()


def test_a_transport_beyond_file_https_ssh_is_refused(tmp_path: Path) -> None:
    root = committed_factory(tmp_path / "factory", {})

    result = run_cli("pull", "--hub", "git+fd::3", cwd=root)

    assert result.returncode == 1
    assert "transport 'fd' not allowed" in result.stderr


def loose_zero_blob(git_dir: Path, size: int) -> str:
    """Write a blob of ``size`` zero bytes straight into ``git_dir`` (a few KiB on disk)."""
    header = b"blob %d\0" % size
    sha, packer = hashlib.sha1(header, usedforsecurity=False), zlib.compressobj(1)
    chunk, parts = bytes(MiB), [packer.compress(header)]
    for _ in range(size // MiB):
        sha.update(chunk)
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    name = sha.hexdigest()
    target = git_dir / "objects" / name[:2] / name[2:]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(parts))
    return name


def fed(git_dir: Path, stdin: bytes, *args: str) -> str:
    """``git ARGS`` on ``git_dir`` reading ``stdin``: its one line of output."""
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], input=stdin, capture_output=True, check=True
    )
    return proc.stdout.decode().strip()


def inflating_hub(tmp_path: Path, size: int) -> Path:
    """A bare hub whose orders/ holds one good directive and one blob inflating to ``size``."""
    bare = tmp_path / "hub.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    good = fed(bare, directive("ALFA-2027-0001"), "hash-object", "-w", "--stdin")
    big = loose_zero_blob(bare, size)
    listing = f"100644 blob {good}\tALFA-2027-0001.json\n100644 blob {big}\tALFA-2027-0002.json\n"
    orders = fed(bare, listing.encode(), "mktree")
    tree = fed(bare, f"040000 tree {orders}\torders\n".encode(), "mktree")
    commit = git(bare, "commit-tree", tree, "-m", "High Command: directives").strip()
    git(bare, "update-ref", "refs/heads/main", commit)
    return bare


# The peak resident memory of this process image (VmHWM): ru_maxrss would also count the
# pytest worker's memory at the fork that started it.
_MEASURED = (
    "import atexit, re, sys\n"
    "peak = lambda: re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1]\n"
    "atexit.register(lambda: sys.stderr.write('maxrss_kib=%s\\n' % peak()))\n"
    "from toyfoundry_ci.cli import main\n"
    "main(sys.argv[1:])\n"
)


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads /proc/self/status")
def test_a_hub_blob_that_inflates_past_the_bound_is_never_read(tmp_path: Path) -> None:
    size = 200 * MiB
    bare = inflating_hub(tmp_path, size)
    assert sum(p.stat().st_size for p in (bare / "objects").rglob("*") if p.is_file()) < MiB
    root = committed_factory(tmp_path / "factory", {})

    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, "pull", "--hub", str(bare)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "orders/ALFA-2027-0002.json" in result.stdout + result.stderr
    assert "5242880-byte bound" in result.stdout + result.stderr
    assert (root / "exchange" / "orders" / "ALFA-2027-0001.json").is_file()
    rss = int(result.stderr.rpartition("maxrss_kib=")[2].split()[0]) * 1024
    assert rss < 150 * MiB, f"the pull held {rss // MiB} MiB: the blob was read"


def test_the_bounded_reader_gives_sizes_first_and_reads_only_within_the_bound(
    tmp_path: Path,
) -> None:
    bare = inflating_hub(tmp_path, 8 * MiB)
    tree = {
        line.split()[3]: line.split()[2] for line in git(bare, "ls-tree", "-r", "main").splitlines()
    }
    small, big = tree["orders/ALFA-2027-0001.json"], tree["orders/ALFA-2027-0002.json"]

    found = Git(bare, git_dir=True).blobs([small, big, "0" * 40], 5 * MiB)

    assert found.data == {small: directive("ALFA-2027-0001")}
    assert found.too_big == {big: 8 * MiB}


def test_git_outside_a_repository_says_so_in_one_line(tmp_path: Path) -> None:
    root = empty_factory(tmp_path / "factory").root

    result = run_cli("readiness", "--staged", cwd=root)

    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert f"error: {root} is not a git repository: --staged checks what is staged" in said
    assert "usage:" not in said and len(said.strip().splitlines()) == 2  # the error, its hint
