"""`order_stages` finds every order's stage in one pass: what `stage_of` says of each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.foundry.cadence import Stage, order_stages, stage_of


def _one_by_one(layout: Layout, promoted: set[str]) -> dict[str, Stage]:
    return {oid: stage_of(layout, oid, promoted=promoted) for oid in layout.order_ids()}


def test_every_stage_is_found_as_stage_of_finds_it(factory: Path) -> None:
    layout = Layout(factory)
    first, second, third = layout.order_ids()
    for oid in ("ALFA-2026-0801", "ALFA-2026-0802", "ALFA-2026-0803"):
        shutil.copy2(layout.order_file(first), layout.order_file(oid))
    layout.outbox_acks.mkdir(parents=True, exist_ok=True)
    layout.outbox_reports.mkdir(parents=True, exist_ok=True)
    layout.quilt_raw.mkdir(parents=True, exist_ok=True)
    shutil.copy2(layout.ack_file(first), layout.outbox_ack_file("ALFA-2026-0801"))  # forged
    shutil.copy2(layout.report_file(first), layout.outbox_report_file("ALFA-2026-0802"))
    layout.quilt_raw_file(second).write_text("{}")  # paraded, drafts not purged yet
    (layout.outbox_acks / "README.md").write_text("not a draft")
    entry = layout.ledger_entry_file(third)
    entry.write_text(entry.read_text().replace('"pending"', '"sealed"'))
    for promoted in (set(), {third}):
        stages = order_stages(layout, promoted=promoted)
        assert stages == _one_by_one(layout, promoted)
    assert set(stages.values()) == {
        Stage.NEW, Stage.FORGED, Stage.DRILLED, Stage.PARADED, Stage.PURGED, Stage.PROMOTED
    }  # fmt: skip
    # A second run answers from the digest cache: the same.
    assert order_stages(layout, promoted={third}) == stages


@pytest.mark.parametrize("content", ['{"kind": "ledger-entry"}', "{not json"])
def test_an_unusable_entry_is_refused_as_stage_of_refuses_it(factory: Path, content: str) -> None:
    layout = Layout(factory)
    oid = layout.order_ids()[1]
    layout.ledger_entry_file(oid).write_text(content)
    with pytest.raises(ToyfoundryError) as one:
        _one_by_one(layout, set())
    for _ in range(2):  # read, then from the digest cache
        with pytest.raises(ToyfoundryError) as bulk:
            order_stages(layout)
        assert type(bulk.value) is type(one.value)
        assert (bulk.value.message, bulk.value.hint) == (one.value.message, one.value.hint)
