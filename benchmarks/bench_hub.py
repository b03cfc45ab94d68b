"""Hub exchange cost: 500 orders (1,000 files: acks and reports) to each hub, and a no-op push.

Run from the repository root: ``python benchmarks/bench_hub.py [--orders 500]``.

- GitHub hub (loopback GitHub API server from tests/): API requests for the whole push; the
  alternative a user would write first, one contents-API PUT per file, costs one request per
  file (1,000 here). Target: <= 9 (one reads the default branch), constant in the number of
  files. When GitHub truncates the tree listing, a no-op push lists the hub folders one by one.
- git hub (local bare repository): commits added by the push (target: exactly one), and the
  wall time beside the alternative, a clone + copy + ``git add`` + commit + push.
- Wall time of pull and push of 500 orders on the folder and git hubs.
- A no-op push (everything already on the hub) on 500 orders. Target: <= 0.5 s (folder hub).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.exchange_kit import issued, put_directives, sealed_factory  # noqa: E402
from tests.github_server import GitHubServer  # noqa: E402
from toyfoundry_ci.base.layout import Layout  # noqa: E402
from toyfoundry_ci.exchange.pull import pull  # noqa: E402
from toyfoundry_ci.exchange.push import push  # noqa: E402
from toyfoundry_ci.hub.config import open_hub  # noqa: E402


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def bare_repo(path: Path, n: int = 0) -> Path:
    """A bare hub on main holding High Command's directives 1..n."""
    work = path.with_suffix(".work")
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("hub\n")
    for name, data in issued(1, n).items():
        (work / name).parent.mkdir(exist_ok=True)
        (work / name).write_bytes(data)
    git(work, "add", "-A")
    git(work, "-c", "user.name=hc", "-c", "user.email=hc@x", "commit", "-qm", "init")
    git(path.parent, "clone", "-q", "--bare", str(work), str(path))
    return path


def bench_folder(tmp: Path, n: int) -> None:
    layout, ids = sealed_factory(tmp / "folder-factory", n)
    reader = Layout(tmp / "folder-reader")
    put_directives(reader.default_hub, ids)
    result, t_pull = timed(lambda: pull(reader, open_hub(reader, ".toyfoundry/hub")))
    assert len(result.new) == n
    hub = str(tmp / "folder-hub")
    put_directives(Path(hub), ids)
    sent, t_push = timed(lambda: push(layout, open_hub(layout, hub), "factory"))
    assert len(sent.sent) == n
    noop, t_noop = timed(lambda: push(layout, open_hub(layout, hub), "factory"))
    assert noop.result == "nothing-new"
    print(f"folder hub: pull {n} orders {t_pull:.2f} s; push {n} orders {t_push:.2f} s")
    print(f"folder hub: no-op push on {n} orders {t_noop:.3f} s (target <= 0.5 s)")


def bench_git(tmp: Path, n: int) -> None:
    bare = bare_repo(tmp / "hub.git", n)
    layout, _ids = sealed_factory(tmp / "git-factory", n)
    before = int(git(bare, "rev-list", "--count", "main"))
    sent, t_push = timed(lambda: push(layout, open_hub(layout, str(bare)), "factory"))
    commits = int(git(bare, "rev-list", "--count", "main")) - before
    noop, t_noop = timed(lambda: push(layout, open_hub(layout, str(bare)), "factory"))
    reader = Layout(tmp / "git-reader")
    reader.root.mkdir()
    result, t_pull = timed(lambda: pull(reader, open_hub(reader, str(bare))))
    assert len(sent.sent) == n and noop.result == "nothing-new" and len(result.new) == n
    print(f"git hub: push {n} orders {t_push:.2f} s, {commits} commit(s) (target: exactly 1)")
    print(f"git hub: pull {n} orders {t_pull:.2f} s; no-op push {t_noop:.3f} s")
    # The alternative: a working clone, copy the files, git add, commit, push.
    alt_bare = bare_repo(tmp / "alt.git")

    def naive() -> None:
        clone = tmp / "alt-clone"
        git(tmp, "clone", "-q", str(alt_bare), str(clone))
        for folder in ("orders", "acknowledgements", "reports"):
            shutil.copytree(layout.root / "exchange" / folder, clone / folder, dirs_exist_ok=True)
        git(clone, "add", "-A")
        git(clone, "-c", "user.name=f", "-c", "user.email=f@x", "commit", "-qm", "push")
        git(clone, "push", "-q", "origin", "main")

    _, t_alt = timed(naive)
    print(f"git hub: naive clone+add+commit+push {t_alt:.2f} s (ratio {t_alt / t_push:.2f}x)")


def bench_github(tmp: Path, n: int) -> None:
    with GitHubServer() as server:
        server.add_repo("high-command/hub", files={"README.md": b"hub\n", **issued(1, n)})
        os.environ["TOYFOUNDRY_GITHUB_API_URL"] = server.url
        os.environ["TOYFOUNDRY_HUB_TOKEN"] = server.token
        layout, _ids = sealed_factory(tmp / "gh-factory", n)
        sent, t_push = timed(
            lambda: push(layout, open_hub(layout, "github://high-command/hub"), "f")
        )
        requests = server.count()
        files = 2 * len(sent.sent)  # ack and report: the directive is the hub's own
        print(
            f"GitHub hub: push {n} orders ({files} files) = {requests} API requests "
            f"(target <= 9; contents API per file: {files}), {t_push:.2f} s on loopback"
        )
        # GitHub cuts a recursive listing at 100,000 entries: here at 600, to walk the folders.
        server.tree_limit, before = 600, server.count()
        noop = push(layout, open_hub(layout, "github://high-command/hub"), "f")
        assert noop.result == "nothing-new"
        print(
            f"GitHub hub: no-op push on {n} orders, tree listing truncated ="
            f" {server.count() - before} API requests (one per hub folder after the cut one)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    n = parser.parse_args().orders
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        bench_github(tmp, n)
        bench_git(tmp, n)
        bench_folder(tmp, n)


if __name__ == "__main__":
    main()
