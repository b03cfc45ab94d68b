"""GitHub workflow commands (``::error file=…::message``), escaped in one place.

Messages and properties often carry untrusted text (file names from a hub, titles from a pull
request); escaping keeps any of it from ending the command or starting another one. The
runner reads as a command every output line that starts, after white space, with ``::`` (or
``##[``, the older form); inside a job, :func:`guard_streams` makes every printed line that
is not a command this module built into plain text, so a name holding a line break cannot
start one either.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import sys
from typing import TextIO

_COMMAND_START = ("::", "##[")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the runner splits output lines on CR and LF
_ISSUED: set[str] = set()  # every command built here, so the guard lets it through


def escape_data(value: str) -> str:
    """A command's message: no raw ``%``, CR or LF."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A command's property value: as a message, and no raw ``:`` or ``,`` either."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, **properties: str | int) -> str:
    """``::level key=value,…::message`` with every part escaped, properties in the order given."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    command = f"::{level}{' ' + props if props else ''}::{escape_data(message)}"
    _ISSUED.add(command)
    return command


def neutralise(line: str) -> str:
    """``line`` as plain text when the runner would read it as a command not built here.

    A backslash goes before it: the line still reads the same, and starts no command.
    """
    body = line.lstrip()
    if not body.startswith(_COMMAND_START) or line in _ISSUED:
        return line
    return f"{line[: len(line) - len(body)]}\\{body}"


class CommandGuard(io.TextIOBase):
    """A text stream that passes each whole line through :func:`neutralise`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = ""  # the start of a line, held until its end shows what it is
        self._mid_line = False  # the pending line's start was already written (and checked)

    @property
    def encoding(self) -> str:  # type: ignore[override]  # the wrapped stream's, read-only
        return self._stream.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]  # the wrapped stream's
        return self._stream.errors

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self._pending += s
        out = []
        while (brk := _LINE_BREAK.search(self._pending)) is not None:
            line, self._pending = self._pending[: brk.start()], self._pending[brk.end() :]
            out.append(self._checked(line) + brk.group())
        self._stream.write("".join(out))
        return len(s)

    def flush(self) -> None:
        start = self._pending.lstrip()
        if start and not start.startswith((":", "#")):  # cannot become a command: show it
            self._stream.write(self._checked(self._pending))
            self._pending, self._mid_line = "", True
        self._stream.flush()

    def drain(self) -> None:
        """Write what is held (checked as a whole line): the process is ending."""
        if self._pending:
            self._stream.write(self._checked(self._pending))
            self._pending = ""
        self._stream.flush()

    def _checked(self, line: str) -> str:
        if self._mid_line:
            self._mid_line = False
            return line
        return neutralise(line)


def guard_streams() -> None:
    """Inside a GitHub Actions job, route stdout and stderr through a :class:`CommandGuard`."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, CommandGuard):
            continue
        guard = CommandGuard(stream)
        setattr(sys, name, guard)
        atexit.register(guard.drain)
