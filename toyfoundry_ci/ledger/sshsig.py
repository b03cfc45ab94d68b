"""Signed local sign-off with git's SSH signing: ``ssh-keygen -Y sign`` and ``-Y verify``.

The signed bytes are a canonical statement rebuilt from the seal: factory, order ID, the
subjects' digests, the commit the evidence is at and the reviewer. ``ssh-keygen`` reads a key
file directly (no agent needed); a ``.pub`` key signs through the agent, as git does.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.errors import RefusedError, ToyfoundryError

NAMESPACE = "toyfoundry-signoff"


def statement(
    factory: str, order_id: str, subjects: Iterable[tuple[str, str]], commit: str, reviewer: str
) -> bytes:
    """The canonical bytes a seal's signature covers; ``subjects`` are (name, sha256)."""
    return dumps(
        {
            "namespace": NAMESPACE,
            "factory": factory,
            "order_id": order_id,
            "commit": commit,
            "reviewer": reviewer,
            "subjects": [{"name": n, "sha256": d} for n, d in sorted(subjects)],
        }
    )


def sign(message: bytes, key: Path) -> str:
    """The armored SSH signature of ``message`` by ``key``."""
    if not key.is_file():
        raise ToyfoundryError(
            f"signing key {key} does not exist",
            hint="pass --key PATH to a private SSH key, or set git config user.signingkey",
        )
    if key.suffix != ".pub" and _needs_passphrase(key) and not _has_terminal():
        raise RefusedError(
            f"signing key {key} needs a passphrase, and there is no terminal to ask for it",
            hint="load the key into ssh-agent and pass its .pub file as --key, or sign with"
            " a key without passphrase: --key PATH",
        )
    proc = _ssh_keygen("-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE, stdin=message)
    if proc.returncode != 0 or b"BEGIN SSH SIGNATURE" not in proc.stdout:
        raise RefusedError(
            f"ssh-keygen could not sign with {key}: {_words(proc)}",
            hint="check the key with `ssh-keygen -y -f KEY`, or pass another one with --key",
        )
    return proc.stdout.decode("ascii")


def principal_of(signature: str, signers: bytes) -> str | None:
    """The principal the allowed-signers file gives the signature's key, or None."""
    with tempfile.TemporaryDirectory(prefix="toyfoundry-sig-") as tmp:
        allowed, sig = _files(Path(tmp), signature, signers)
        proc = _ssh_keygen("-Y", "find-principals", "-f", allowed, "-s", sig)
    if proc.returncode != 0:
        return None
    found = proc.stdout.decode("utf-8", "replace").split()
    return found[0] if found else None


def check(message: bytes, signature: str, principal: str, signers: bytes) -> str | None:
    """Why the signature does not prove ``principal`` signed ``message``; None when it does."""
    if not signers.strip():
        return "no allowed signers are committed, so no signature can be checked"
    with tempfile.TemporaryDirectory(prefix="toyfoundry-sig-") as tmp:
        allowed, sig = _files(Path(tmp), signature, signers)
        proc = _ssh_keygen(
            "-Y", "verify", "-f", allowed, "-I", principal, "-n", NAMESPACE, "-s", sig,
            stdin=message,
        )  # fmt: skip
    if proc.returncode == 0:
        return None
    return f"the signature of {principal} does not verify ({_words(proc)})"


def _files(tmp: Path, signature: str, signers: bytes) -> tuple[str, str]:
    allowed, sig = tmp / "allowed_signers", tmp / "seal.sig"
    allowed.write_bytes(signers)
    sig.write_text(signature, encoding="ascii")
    return str(allowed), str(sig)


def _needs_passphrase(key: Path) -> bool:
    return _ssh_keygen("-y", "-P", "", "-f", str(key)).returncode != 0


def _has_terminal() -> bool:
    try:
        with open("/dev/tty", "rb"):  # noqa: PTH123 - probing the controlling terminal
            return True
    except OSError:
        return False


def _ssh_keygen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["ssh-keygen", *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            check=False,
            env={**os.environ, "SSH_ASKPASS_REQUIRE": "never"},
        )
    except OSError as exc:
        raise ToyfoundryError(
            f"ssh-keygen cannot run: {exc}",
            hint="install OpenSSH's ssh-keygen (Debian and Ubuntu: openssh-client)",
        ) from exc


def _words(proc: subprocess.CompletedProcess[bytes]) -> str:
    text = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1] if text else f"exit {proc.returncode}"
