"""The Drill's discrete-event simulation: an order's units flowing through recipe stations.

Built on SimPy. Each station is a queue (a ``simpy.Store``) served by as many server
processes as the station has capacity; units are plain integers handed from queue to queue,
so the cost per unit and station is one get, one timeout and one put, not a process per unit.
Release is CONWIP: a fixed number of units is on the floor per production line, and a unit
leaving (good or scrapped) lets the next one in. A defective unit is reworked (back into the
same station's queue) or scrapped; a scrapped unit is replaced by a new start, so the run ends
with every committed unit good.

All randomness comes from one ``random.Random`` seeded by the caller, drawn in event order,
so the same plan and seed give the same trace, bit for bit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import simpy

from toyfoundry_ci.models.catalogue import CycleTime, Recipe

# Units on the floor per line, per unit of total station capacity.
WIP_PER_CAPACITY = 2


@dataclass(frozen=True)
class LineJob:
    """Units of one order line to build on one recipe."""

    line: int
    sku: str
    qty: int


@dataclass(frozen=True)
class ProductionLine:
    """One recipe's stations and the order lines built on them, in order."""

    recipe: Recipe
    jobs: tuple[LineJob, ...]


@dataclass
class StationTrace:
    """What happened at one station: service intervals, queue stays, defects."""

    name: str
    capacity: int
    # Flat lists of (start, end) pairs, kept flat because they are long.
    busy: list[float] = field(default_factory=list)
    stay: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)
    defects: list[float] = field(default_factory=list)


@dataclass
class LineOutcome:
    line: int
    sku: str
    qty: int
    started: int = 0
    good: int = 0
    defective: int = 0
    scrapped: int = 0
    finished_at: float = 0.0


@dataclass
class RunTrace:
    """The result of one simulated run."""

    stations: list[StationTrace]
    lines: list[LineOutcome]
    makespan: float


def sampler(ct: CycleTime, rng: random.Random) -> Callable[[], float]:
    """A function drawing cycle times (minutes) from the station's distribution."""
    mean = ct.mean
    low = ct.low if ct.low is not None else mean * 0.5
    high = ct.high if ct.high is not None else mean * 1.5
    if ct.distribution == "constant":
        return lambda: mean
    if ct.distribution == "uniform":
        return lambda: rng.uniform(low, high)
    if ct.distribution == "triangular":
        mode = min(max(3 * mean - low - high, low), high)
        return lambda: rng.triangular(low, high, mode)
    if ct.distribution == "exponential":
        rate = 1.0 / mean
        return lambda: rng.expovariate(rate)
    sigma = ct.sigma if ct.sigma is not None else 0.25
    mu = math.log(mean) - sigma * sigma / 2
    return lambda: rng.lognormvariate(mu, sigma)


def simulate(lines: list[ProductionLine], seed: int) -> RunTrace:
    """Run the production of every line to completion; lines run side by side."""
    env = simpy.Environment()
    # Not for secrets: a seeded generator is what makes a run reproducible.
    rng = random.Random(seed)  # noqa: S311
    floor = [_Floor(env, rng, production) for production in lines]
    env.run()
    outcomes = [o for f in floor for o in f.outcomes]
    makespan = max((o.finished_at for o in outcomes), default=0.0)
    return RunTrace([t for f in floor for t in f.traces], outcomes, makespan)


class _Floor:
    """One production line on the shop floor: station queues, servers, CONWIP release."""

    def __init__(
        self, env: simpy.Environment, rng: random.Random, production: ProductionLine
    ) -> None:
        self.env = env
        self.rng = rng
        self.recipe = recipe = production.recipe
        self.queues = [simpy.Store(env) for _ in recipe.stations]
        self.traces = [
            StationTrace(f"{recipe.recipe_id}-{s.station}", s.capacity) for s in recipe.stations
        ]
        self.outcomes = [LineOutcome(j.line, j.sku, j.qty) for j in production.jobs]
        self.pending = [j.qty for j in production.jobs]
        self.owner: list[int] = []  # unit -> index of its job
        self.arrival: list[float] = []  # unit -> when it joined its current queue
        self.cursor = 0  # the job new units are started for
        for index, station in enumerate(recipe.stations):
            for _ in range(station.capacity):
                env.process(self.server(index))
        for _ in range(WIP_PER_CAPACITY * sum(s.capacity for s in recipe.stations)):
            if not self.start_unit():
                break

    def start_unit(self) -> bool:
        """Put the next unit on the floor; False when every unit has been started."""
        job = self.cursor
        while job < len(self.pending) and self.pending[job] == 0:
            job += 1
        self.cursor = job
        if job == len(self.pending):
            return False
        self.pending[job] -= 1
        self.owner.append(job)
        self.arrival.append(self.env.now)
        self.outcomes[job].started += 1
        self.queues[0].put(len(self.owner) - 1)
        return True

    def server(self, index: int) -> Generator[simpy.events.Event, int, None]:
        """One unit of a station's capacity: take a unit, work it, pass it on."""
        station = self.recipe.stations[index]
        trace, queue = self.traces[index], self.queues[index]
        nxt = self.queues[index + 1] if index + 1 < len(self.queues) else None
        draw = sampler(station.cycle_time, self.rng)
        defect_rate, rework_rate = station.defect_rate, station.rework_rate
        env, rng, arrival = self.env, self.rng, self.arrival
        while True:
            unit = yield queue.get()
            start = env.now
            yield env.timeout(draw())
            end = env.now
            trace.busy += (start, end)
            trace.stay += (arrival[unit], end)
            arrival[unit] = end
            if defect_rate and rng.random() < defect_rate:
                trace.defects.append(end)
                self.defective(unit, queue, rework=bool(rework_rate) and rng.random() < rework_rate)
                continue
            trace.done.append(end)
            if nxt is not None:
                nxt.put(unit)
                continue
            outcome = self.outcomes[self.owner[unit]]
            outcome.good += 1
            outcome.finished_at = end
            self.start_unit()

    def defective(self, unit: int, queue: simpy.Store, *, rework: bool) -> None:
        """Rework sends the unit back into the queue; scrap starts a replacement unit."""
        job = self.owner[unit]
        self.outcomes[job].defective += 1
        if rework:
            queue.put(unit)
            return
        self.outcomes[job].scrapped += 1
        self.pending[job] += 1
        self.cursor = min(self.cursor, job)
        self.start_unit()
