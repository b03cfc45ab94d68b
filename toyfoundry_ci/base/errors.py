"""One error hierarchy; the CLI turns these into messages and exit codes."""

from __future__ import annotations


class ToyfoundryError(Exception):
    """A failure the user can act on: a message, optionally a hint, and exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ArtifactError(ToyfoundryError):
    """An artifact on disk or from the hub is unreadable, malformed or invalid."""


class UnsafeIdError(ToyfoundryError):
    """An identifier would not be safe to use as a file name."""


class RefusedError(ToyfoundryError):
    """A step refuses to run in the current state (not ready, halted, illegal move)."""


class HubError(ToyfoundryError):
    """The hub could not be reached or refused an operation."""
