"""One error hierarchy; one boundary (`_boundary.run`) turns it into messages and exit codes."""

from __future__ import annotations


class ToyfoundryError(Exception):
    """A failure the user can act on: a message, optionally a hint, and exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {printable(self.message, keep=chr(10))}"
        if self.hint:
            text += f"\n  hint: {printable(self.hint, keep=chr(10))}"
        return text


def printable(text: str, *, keep: str = "") -> str:
    """``text`` safe to show on a terminal: unprintable characters (except ``keep``) escaped.

    Messages carry untrusted names (hub paths, file names); printed raw, an escape sequence
    could rewrite the operator's terminal and a newline could forge a line of output.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else repr(c)[1:-1] for c in text)


class ArtifactError(ToyfoundryError):
    """An artifact on disk or from the hub is unreadable, malformed or invalid."""


class UnsafeIdError(ToyfoundryError):
    """An identifier would not be safe to use as a file name."""


class RefusedError(ToyfoundryError):
    """A step refuses to run in the current state (not ready, halted, illegal move)."""


class HubError(ToyfoundryError):
    """The hub could not be reached or refused an operation."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, carrying what the interrupted work had finished (for the operator to read)."""

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary
