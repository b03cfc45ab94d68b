"""One error boundary: an error the user can act on exits 1 with its hint, a usage error 2,
a bug 3 with one line saying so (its traceback only with ``-v``), Ctrl-C 130."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

# A command whose work has a bug in it, run through the boundary as the CLI runs every command.
BUGGY = """
import sys
from toyfoundry_ci._boundary import run
from toyfoundry_ci.base.errors import Interrupted

def work():
    raise {raised}

sys.exit(run(work, sys.argv[1:]))
"""


def run_buggy(
    raised: str, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BUGGY.format(raised=raised), *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_a_bug_is_one_line_naming_the_command_to_rerun_and_exits_3() -> None:
    result = run_buggy(
        'RuntimeError("the quilt is inside out\\nsecond line")', "drill", "--shard", "1/2"
    )

    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: unexpected RuntimeError: the quilt is inside out -- this is a bug in toyfoundry"
        f" {_version()}; run `toyfoundry -v drill --shard 1/2` and report its output with the"
        " traceback"
    ]


def test_a_bug_in_a_run_over_many_files_names_a_short_command() -> None:
    files = [f"exchange/orders/ALFA-2026-{n:04d}.json" for n in range(1, 400)]
    result = run_buggy("RuntimeError('boom')", "validate", *files)

    assert result.returncode == 3
    assert (
        "run `toyfoundry -v validate exchange/orders/ALFA-2026-0001.json"
        " exchange/orders/ALFA-2026-0002.json …` and report" in result.stderr
    )
    assert len(result.stderr) < 300


def test_a_bug_shows_its_traceback_with_verbose() -> None:
    result = run_buggy('RuntimeError("the quilt is inside out")', "-v", "drill")

    assert result.returncode == 3
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert ", in work\n" in result.stderr  # the frame that raised
    assert "\nRuntimeError: the quilt is inside out\n" in result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        "run `toyfoundry -v drill` and report its output with the traceback"
    )


def test_a_usage_error_exits_2_without_a_traceback(tmp_path: Path) -> None:
    unknown_option = run_cli("forge", "--no-such-option", cwd=tmp_path)
    unknown_command = run_cli("froge", cwd=tmp_path)
    # A factory, so that only the options are wrong.
    (tmp_path / "exchange" / "orders").mkdir(parents=True)
    contradiction = run_cli("readiness", "--record", "--no-log", cwd=tmp_path)

    assert unknown_option.returncode == 2
    assert "No such option '--no-such-option'" in unknown_option.stderr
    assert unknown_command.returncode == 2
    assert "Did you mean 'forge'?" in unknown_command.stderr
    assert contradiction.returncode == 2
    assert "--record and --no-log contradict each other" in contradiction.stderr
    for result in (unknown_option, unknown_command, contradiction):
        assert "Traceback" not in result.stderr


def test_an_error_the_user_can_act_on_exits_1_with_its_hint(tmp_path: Path) -> None:
    """Through the click CLI and through the hook's fast path alike."""
    cli = run_cli("status", cwd=tmp_path)
    fast = run_cli("ledger", "index", "exchange/ledger/entries/ALFA-2026-0001.json", cwd=tmp_path)

    for result in (cli, fast):
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith("error: not inside a factory (no exchange/orders/ or")
        assert lines[1] == "  hint: cd into one or run toyfoundry init"
        assert "Traceback" not in result.stderr
    verbose = run_cli("-v", "status", cwd=tmp_path)
    assert verbose.returncode == 1
    assert "Traceback (most recent call last):" in verbose.stderr


def test_ctrl_c_exits_130_saying_what_finished() -> None:
    """Long work carries its summary (``cli.progress``); other work gets the general words."""
    bare = run_buggy("KeyboardInterrupt", "status")
    summary = run_buggy('Interrupted("interrupted: drill stopped; 2 orders finished")', "drill")

    assert bare.returncode == summary.returncode == 130
    assert bare.stderr.startswith("interrupted: stopped before it finished; every file is written")
    assert summary.stderr == "interrupted: drill stopped; 2 orders finished\n"
    assert "Traceback" not in bare.stderr + summary.stderr


def _version() -> str:
    from toyfoundry_ci import __version__

    return __version__


def test_a_reader_that_stops_reading_is_no_bug(tmp_path: Path) -> None:
    """``toyfoundry validate … | head -1``: the closed pipe ends the run quietly, exit 1."""
    orders = tmp_path / "exchange" / "orders"
    orders.mkdir(parents=True)
    for n in range(1, 4):
        (orders / f"ALFA-2026-{n:04d}.json").write_text("{}\n", encoding="utf-8")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line is written
    proc = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "validate", *map(str, sorted(orders.iterdir()))],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(write)

    assert proc.returncode == 1
    assert proc.stderr == ""
