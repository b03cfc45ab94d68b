"""The one Markdown escaper: what it makes of hostile text, rendered by a CommonMark parser."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.markdown import (
    COMMENT_LIMIT,
    cell,
    checked_id,
    code,
    fenced,
    fit,
    fit_bytes,
    table,
)

RENDER = MarkdownIt("commonmark").enable("table").render


@pytest.mark.parametrize(
    "value",
    ["plain", "`", "a `b` c", "``x``", "` lead", "trail `", "<details>@x ![i](j)", "# h", ""],
)
def test_a_code_span_holds_exactly_the_value_whatever_backticks_it_has(value: str) -> None:
    (inner,) = re.findall(r"<code>(.*?)</code>", RENDER(f"x {code(value)} y"), re.DOTALL)
    assert html.unescape(inner).strip() == value.strip()


def test_a_cell_stays_in_its_column_and_line_breaks_do_not_start_blocks() -> None:
    rendered = RENDER(table(["a", "b"], [[cell("x | y\n# h\n```"), "z"]]))
    (row,) = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>", rendered, re.DOTALL)
    assert row == ("<code>x | y # h ```</code>", "z") and "<h1>" not in rendered


def test_an_invalid_id_is_described_never_shown() -> None:
    assert checked_id("ALFA-2026-0001", is_order_id) == "`ALFA-2026-0001`"
    assert checked_id("@x <img>", is_order_id) == "(an invalid ID of 8 characters)"


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    block = fenced('{"a": "````\\n# not a heading"}\n````\n# h', "json")
    assert "<h1>" not in RENDER(block) and block.startswith("`````json\n")


def test_long_tables_are_cut_with_a_count() -> None:
    shown = table(["order"], [[f"`{n}`"] for n in range(250)], limit=200)
    assert shown.count("\n| `") == 200 and shown.endswith("… and 50 more rows not shown")


def test_texts_are_cut_at_a_line_to_githubs_limits() -> None:
    long = "\n".join(f"| `ALFA-2026-{n:04d}` | paired |" for n in range(5000))
    cut = fit(long, COMMENT_LIMIT, "the step summary has it all")
    assert len(cut) <= COMMENT_LIMIT and cut.endswith("the step summary has it all\n")
    assert cut.split("\n\n…")[0].endswith("| paired |")  # whole lines only
    wide = "é" * 700_000  # two bytes each
    assert len(fit_bytes(wide, 1024 * 1024, "see the log").encode()) <= 1024 * 1024
    assert fit("short", COMMENT_LIMIT, "x") == "short"
