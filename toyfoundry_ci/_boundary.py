"""The one place where a command's outcome becomes its output on stderr and its exit code.

| outcome | shown | exit |
|---|---|---|
| ``ToyfoundryError`` | its message and hint | its ``exit_code`` (1) |
| a usage error (click) | click's usage text | 2 |
| Ctrl-C | what finished (``base.errors.Interrupted``) | 130 |
| anything else | one line: a bug, and the command to re-run with ``-v`` | 3 |

Tracebacks appear only with ``-v``/``--verbose`` (or ``TOYFOUNDRY_VERBOSE=1``). Both the
hook fast path and the click CLI run through :func:`run`; it imports nothing heavy, and click
only when click is already loaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from toyfoundry_ci.base.errors import Interrupted, ToyfoundryError, printable

BUG = 3
INTERRUPTED = 130  # what a shell reports for a command stopped by SIGINT
VERBOSE_FLAGS = ("-v", "--verbose")
_RERUN_WIDTH = 120
_GENERIC_INTERRUPT = (
    "interrupted: stopped before it finished; every file is written whole,"
    " run the command again to finish"
)


def run(work: Callable[[], int | None], argv: Sequence[str]) -> int:
    """Run ``work`` (the command ``toyfoundry ARGV``) and return its exit code."""
    verbose = is_verbose(argv)
    try:
        code = work() or 0
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary, not at exit
        return code
    except SystemExit:
        raise
    except ToyfoundryError as exc:
        _traceback(verbose)
        _say(exc.render())
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except BrokenPipeError:
        # The reader stopped reading (``| head``): nothing to tell it. Exit 1, as click does.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - closed at exit
        return 1
    except Exception as exc:
        usage = _click_outcome(exc)
        if usage is not None:
            return usage
        _traceback(verbose)
        _say(bug_line(exc, argv))
        return BUG


def is_verbose(argv: Sequence[str]) -> bool:
    """Whether tracebacks were asked for: ``-v`` before the command's name, or the variable."""
    if os.environ.get("TOYFOUNDRY_VERBOSE"):
        return True
    for arg in argv:
        if not arg.startswith("-"):
            return False
        if arg in VERBOSE_FLAGS:
            return True
    return False


def bug_line(exc: BaseException, argv: Sequence[str]) -> str:
    """The one line shown for an exception nobody translated: it is a bug, and what to send."""
    import shlex

    from toyfoundry_ci import __version__

    shown, cut = ["toyfoundry", "-v"], ""
    for arg in (a for a in argv if a not in VERBOSE_FLAGS):
        if len(shlex.join([*shown, arg])) > _RERUN_WIDTH:
            cut = " …"  # a long file list: the same arguments as this run
            break
        shown.append(arg)
    rerun = shlex.join(shown) + cut
    first = str(exc).strip().partition("\n")[0]
    what = printable(f"{type(exc).__name__}: {first}")[:200]
    return (
        f"error: unexpected {what} -- this is a bug in toyfoundry {__version__};"
        f" run `{rerun}` and report its output with the traceback"
    )


def _interrupted(exc: KeyboardInterrupt) -> int:
    summary = exc.summary if isinstance(exc, Interrupted) else _GENERIC_INTERRUPT
    _say(summary)
    return INTERRUPTED


def _click_outcome(exc: Exception) -> int | None:
    """Click's own outcomes (usage errors, an aborted prompt); None for any other exception."""
    click = sys.modules.get("click")  # not loaded: the exception cannot be one of click's
    if click is None:
        return None
    if isinstance(exc, click.exceptions.Abort):
        cause = exc.__cause__ or exc.__context__
        return _interrupted(cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt())
    if isinstance(exc, click.ClickException):
        exc.show()
        return int(exc.exit_code)
    return None


def _traceback(verbose: bool) -> None:
    if verbose:
        import traceback  # only for --verbose: keeps start-up light

        traceback.print_exc()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # noqa: T201 - the CLI's one error output
