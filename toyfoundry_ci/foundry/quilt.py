"""The quilt: a run's telemetry per station x time bucket, and its exports.

Four metrics per cell: throughput (units a station finished), WIP (time-averaged units
queued or in service), utilisation (busy share of the station's capacity) and defects. The
exports are a CSV and a JSON of the grid, an SVG heatmap a person reads at a glance, and a
manifest with each file's sha256, which the report and the ledger cite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toyfoundry_ci.foundry.simulate import RunTrace

METRICS: tuple[str, ...] = ("throughput", "wip", "utilisation", "defects")
MAX_BUCKETS = 120  # columns of the heatmap; buckets widen in whole hours to stay under it


@dataclass(frozen=True)
class Quilt:
    stations: tuple[str, ...]
    bucket_minutes: float
    buckets: int
    # metric -> one row per station -> one value per bucket
    grid: dict[str, list[list[float]]]


def bucket_size(makespan: float) -> float:
    """Whole hours, as few as keep the quilt within MAX_BUCKETS columns."""
    hours = max(1, math.ceil(makespan / 60 / MAX_BUCKETS))
    return 60.0 * hours


def weave(trace: RunTrace) -> Quilt:
    """Fold a run's trace into the station x bucket grid."""
    size = bucket_size(trace.makespan)
    count = max(1, math.ceil(trace.makespan / size))
    grid: dict[str, list[list[float]]] = {m: [] for m in METRICS}
    for station in trace.stations:
        grid["throughput"].append(_counts(station.done, size, count))
        grid["defects"].append(_counts(station.defects, size, count))
        busy = _spread(station.busy, size, count)
        stay = _spread(station.stay, size, count)
        grid["utilisation"].append([round(b / (size * station.capacity), 4) for b in busy])
        grid["wip"].append([round(s / size, 3) for s in stay])
    return Quilt(tuple(s.name for s in trace.stations), size, count, grid)


def _counts(moments: list[float], size: float, count: int) -> list[float]:
    acc = [0.0] * count
    last = count - 1
    for t in moments:
        acc[min(int(t // size), last)] += 1
    return acc


def _spread(pairs: list[float], size: float, count: int) -> list[float]:
    """Sum the overlap of each (start, end) interval with each bucket."""
    acc = [0.0] * count
    last = count - 1
    it = iter(pairs)
    for a, b in zip(it, it, strict=True):
        i = min(int(a // size), last)
        j = min(int(b // size), last)
        if i == j:
            acc[i] += b - a
            continue
        acc[i] += (i + 1) * size - a
        for k in range(i + 1, j):
            acc[k] += size
        acc[j] += b - j * size
    return acc


def to_csv(quilt: Quilt) -> bytes:
    rows = ["station,bucket,start_minute," + ",".join(METRICS)]
    for s, name in enumerate(quilt.stations):
        for b in range(quilt.buckets):
            values = ",".join(_num(quilt.grid[m][s][b]) for m in METRICS)
            rows.append(f"{name},{b},{_num(b * quilt.bucket_minutes)},{values}")
    return ("\n".join(rows) + "\n").encode()


def to_json(quilt: Quilt, order_id: str, seed: int) -> dict[str, object]:
    return {
        "order_id": order_id,
        "seed": seed,
        "bucket_minutes": quilt.bucket_minutes,
        "buckets": quilt.buckets,
        "stations": list(quilt.stations),
        "metrics": {m: quilt.grid[m] for m in METRICS},
    }


def _num(value: float) -> str:
    """Numbers as CSV text: integers without a fraction, others as Python prints them."""
    return str(int(value)) if float(value).is_integer() else repr(value)
