"""Drill speed: a 10,000-unit order, a 20-order lot of 500 units, and growth with units.

Run from the repository root: ``python benchmarks/bench_drill.py``. Each figure times the
whole ``drill`` stage (simulation, quilt, exports, report) in a scratch factory. The
alternative a user would write first, one SimPy process per unit requesting each station as a
``simpy.Resource``, is timed on the same 10,000 units for the ratio (simulation only).
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toyfoundry_ci.base.canonical import dumps  # noqa: E402
from toyfoundry_ci.base.layout import Layout  # noqa: E402
from toyfoundry_ci.foundry.drill import drill  # noqa: E402
from toyfoundry_ci.foundry.forge import forge  # noqa: E402
from toyfoundry_ci.foundry.simulate import LineJob, ProductionLine, sampler, simulate  # noqa: E402
from toyfoundry_ci.models.catalogue import Recipe  # noqa: E402

SKU = "TOY-ROBOT-01"  # robot-line: 5 stations


def scratch_factory(orders: dict[str, int]) -> Layout:
    root = Path(tempfile.mkdtemp(prefix="bench-drill-"))
    shutil.copytree(ROOT / "planning" / "toyfoundry", root / "planning" / "toyfoundry")
    for order_id, qty in orders.items():
        order = {
            "kind": "order",
            "pivot": "v1",
            "order_id": order_id,
            "issued_at": "2026-11-20T08:00:00Z",
            "due_date": "2027-12-31",
            "lines": [{"line": 1, "sku": SKU, "qty": qty}],
        }
        path = root / "exchange" / "orders" / f"{order_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps(order))
    layout = Layout(root)
    forge(layout, list(orders))
    return layout


def time_drill(orders: dict[str, int]) -> float:
    layout = scratch_factory(orders)
    start = time.perf_counter()
    result = drill(layout, list(orders))
    elapsed = time.perf_counter() - start
    assert len(result.done) == len(orders), result.to_json()
    shutil.rmtree(layout.root)
    return elapsed


def per_unit_processes(recipe: Recipe, units: int, seed: int) -> float:
    """The textbook model: a process per unit, a Resource per station."""
    env = simpy.Environment()
    rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
    stations = [
        (simpy.Resource(env, s.capacity), sampler(s.cycle_time, rng), s) for s in recipe.stations
    ]

    def unit() -> simpy.events.ProcessGenerator:
        for resource, draw, station in stations:
            while True:
                with resource.request() as req:
                    yield req
                    yield env.timeout(draw())
                if rng.random() >= station.defect_rate or rng.random() < station.rework_rate:
                    break

    for _ in range(units):
        env.process(unit())
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def main() -> None:
    recipe = Recipe.model_validate(
        orjson.loads((ROOT / "planning/toyfoundry/recipes/robot-line.json").read_bytes())
    )
    big = time_drill({"ALFA-2026-9001": 10_000})
    print(f"drill, 1 order x 10,000 units, 5 stations: {big:.2f} s (target <= 2 s)")
    lot = time_drill({f"ALFA-2026-{9100 + i}": 500 for i in range(20)})
    print(f"drill, 20-order lot x 500 units:          {lot:.2f} s (target <= 10 s)")
    print("growth with units (1 order, whole drill stage):")
    for units in (1_000, 2_000, 5_000, 10_000, 20_000):
        elapsed = time_drill({"ALFA-2026-9200": units})
        print(f"  {units:>6} units: {elapsed:6.2f} s  ({elapsed / units * 1e6:5.1f} us/unit)")
    start = time.perf_counter()
    simulate([ProductionLine(recipe, (LineJob(1, SKU, 10_000),))], 7)
    ours = time.perf_counter() - start
    naive = per_unit_processes(recipe, 10_000, 7)
    print(
        f"simulation only, 10,000 units: station servers {ours:.2f} s,"
        f" process per unit {naive:.2f} s (ratio {naive / ours:.1f}x)"
    )


if __name__ == "__main__":
    main()
