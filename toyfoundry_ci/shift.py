"""``toyfoundry shift``: the operator loop of one shift (DESIGN §5), on the configured hub.

Warm start (readiness) -> intake (pull) -> forge -> drill -> parade -> purge -> sign-off ->
final gate -> promote (push). Each step is the same function its own command runs, so a
shift that finds nothing new changes nothing and says so. ``demo`` seeds the embedded hub
with a demo Alfa batch when it is empty and signs off what the shift paraded as an explicit
demo reviewer, recorded in the ledger with method ``demo``: no pull request exists there.
The demo runs in a scratch copy of the factory (``exchange/demo.py``), never in the factory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import RefusedError, ToyfoundryError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import repository_lock
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.exchange.demo import (
    DEMO_HUB,
    DEMO_LOT,
    DEMO_REVIEWER,
    demo_factory,
    seed_demo_batch,
)
from toyfoundry_ci.exchange.pull import pull
from toyfoundry_ci.exchange.push import push
from toyfoundry_ci.foundry.cadence import StageResult, signoff_states, stages_kept
from toyfoundry_ci.foundry.drill import drill
from toyfoundry_ci.foundry.forge import forge
from toyfoundry_ci.foundry.parade import parade
from toyfoundry_ci.foundry.purge import purge
from toyfoundry_ci.hub.config import open_hub, settings
from toyfoundry_ci.hub.folder import FolderHub
from toyfoundry_ci.hub.protocol import Hub
from toyfoundry_ci.ledger.seals import seal_check
from toyfoundry_ci.ledger.signoff import seal_demo
from toyfoundry_ci.ledger.store import read_entry
from toyfoundry_ci.readiness import require_not_halted, run_readiness

StepStatus = Literal["done", "nothing", "waiting", "skipped", "refused", "stopped"]
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    status: StepStatus
    detail: str
    count: int = 0


@dataclass(slots=True)
class ShiftResult:
    hub: str
    lot: str
    factory: Layout
    steps: list[Step] = field(default_factory=list)

    @property
    def stopped(self) -> Step | None:
        return next((s for s in self.steps if s.status == "stopped"), None)

    @property
    def nothing_new(self) -> bool:
        return all(s.status in ("nothing", "skipped", "waiting") for s in self.steps)

    @property
    def ok(self) -> bool:
        return not any(s.status in ("stopped", "refused") for s in self.steps)


def run_shift(
    layout: Layout,
    hub: str | None = None,
    *,
    demo: bool = False,
    progress: Progress | None = None,
) -> ShiftResult:
    """Run one shift; every step's outcome lands in the result, a stop ends it early.

    With ``demo`` the shift runs in the scratch demo factory (``result.factory``) instead.
    """
    if demo:
        if hub is not None:
            raise RefusedError(
                "--demo runs on the embedded hub of its scratch factory, not on --hub",
                hint="drop --hub, or drop --demo to run a real shift on that hub",
            )
        layout, hub = demo_factory(layout), DEMO_HUB
    config = settings(layout, hub)
    backend = open_hub(layout, config.spec)
    lot = (DEMO_LOT if demo else "shift-") + now().strftime("%Y%m%dT%H%M%SZ")
    out = ShiftResult(hub=backend.display, lot=lot, factory=layout)
    say = progress or (lambda _step: None)
    with repository_lock(layout.root, purpose="shift"):
        say("warm start")
        if not _gate(layout, out, "warm start"):
            return out
        if demo:
            assert isinstance(backend, FolderHub)  # noqa: S101 - DEMO_HUB is a folder
            seeded = seed_demo_batch(layout, backend)
            if seeded:
                out.steps.append(Step("demo batch", "done", "seeded the embedded hub", len(seeded)))
        say("intake")
        pulled = pull(layout, backend)
        fresh = len(pulled.new) + len(pulled.changed)
        detail = f"{len(pulled.new)} new, {len(pulled.changed)} changed"
        if pulled.quarantined:
            detail += f", {len(pulled.quarantined)} quarantined (see .toyfoundry/quarantine/)"
        out.steps.append(Step("intake (pull)", "done" if fresh else "nothing", detail, fresh))
        stages: list[tuple[str, Callable[[], StageResult]]] = [
            ("forge", lambda: forge(layout)),
            ("drill", lambda: drill(layout)),
            ("parade", lambda: parade(layout, lot=lot)),
            ("purge", lambda: purge(layout)),
        ]
        with stages_kept():  # what no stage changed is not read again by the next
            for name, stage in stages:
                say(name)
                out.steps.append(_stage_step(name, stage()))
            say("sign-off")
            out.steps.append(_sign_off(layout, demo))
        say("final gate")
        worked = [step for step in out.steps[1:] if step.status not in ("nothing", "waiting")]
        quiet = not worked and not pulled.quarantined
        if quiet:
            # Nothing was written but the gate's and the pull's own log records, which their
            # writers validate: the warm start's verdict stands (a gate over every file is
            # the shift's largest cost with nothing new, and one more record of the same).
            out.steps.append(Step("final gate", "nothing", "readiness green, as at the warm start"))
        elif not _gate(layout, out, "final gate"):
            return out
        say("promote")
        # With nothing written since, the pull's listing of the hub, seconds old, is the
        # push's too (a second listing of a large folder hub costs a stat per file).
        listing = pulled.listing if quiet else None
        out.steps.extend(_promote(layout, backend, config.factory, demo=demo, listing=listing))
    return out


def _promote(
    layout: Layout, hub: Hub, factory: str, *, demo: bool, listing: Mapping[str, str] | None
) -> list[Step]:
    # The one seal gate; only the demo's scratch copy accepts its own demo seals.
    seals = seal_check(layout, demo=demo)
    pushed = push(layout, hub, factory, gate=False, seals=seals, listing=listing)
    if pushed.sent:
        detail = f"receipt {pushed.receipt_id}; lot graduated, High Command notified"
        steps = [Step("promote (push)", "done", detail, len(pushed.sent))]
    else:
        already = f"; {len(pushed.already)} already on the hub" if pushed.already else ""
        steps = [Step("promote (push)", "nothing", "nothing sealed to send" + already)]
    if pushed.held:
        order_id, why = pushed.held[0]
        steps.append(Step("promote (push)", "refused", f"{order_id}: {why}", len(pushed.held)))
    return steps


def _stage_step(name: str, result: StageResult) -> Step:
    if result.refused:
        first = result.refused[0]
        return Step(name, "refused", f"{first.order_id}: {first.message}", len(result.refused))
    if result.done:
        return Step(name, "done", plural(len(result.done), "order"), len(result.done))
    return Step(name, "nothing", "nothing to do")


def _sign_off(layout: Layout, demo: bool) -> Step:
    pending = []
    # The sign-off states from the digest cache; only pending entries are read whole.
    for order_id, state in signoff_states(layout).items():
        if isinstance(state, ToyfoundryError):
            raise state
        entry = read_entry(layout, order_id) if state == "pending" else None
        if entry is not None:
            pending.append(entry)
    if not pending:
        return Step("sign-off", "nothing", "no entry awaits sign-off")
    if not demo:
        return Step(
            "sign-off",
            "waiting",
            f"{plural(len(pending), 'order')} {_await(len(pending))} review (`toyfoundry signoff`)",
            len(pending),
        )
    # The demo signs off only what demo shifts paraded, never a real shift's entries.
    ours = [e for e in pending if (e.lot or "").startswith(DEMO_LOT)]
    seal_demo(layout, [e.order_id for e in ours], DEMO_REVIEWER)
    waiting = len(pending) - len(ours)
    if not ours:
        before = f"{plural(waiting, 'order')} from before the demo {_await(waiting)} review"
        return Step("sign-off", "waiting", before)
    others = f"{plural(waiting, 'other')} {_await(waiting)} review"
    detail = f"sealed by the demo reviewer (method demo); {others}"
    return Step("sign-off", "done", detail, len(ours))


def _gate(layout: Layout, out: ShiftResult, name: str) -> bool:
    require_not_halted(layout, "shift")
    result = run_readiness(layout, record=True)  # the runbook's gates: the halt rule counts them
    if result.green:
        out.steps.append(Step(name, "nothing", "readiness green"))
        return True
    # The fixes refer to the problem lines the gate prints; the summary names the checks.
    failed = ", ".join(f"{c.id} ({c.message})" for c in result.failed)
    detail = f"readiness red: {failed}; `toyfoundry readiness` shows what to fix"
    out.steps.append(Step(name, "stopped", detail, len(result.failed)))
    return False


def _await(count: int) -> str:
    return "awaits" if count == 1 else "await"
