"""The catalogue: blueprints (what a toy is made of) and recipes (how it is built)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from toyfoundry_ci.models.common import Artifact, Pivot, ShortText, Sku, Slug

Positive = Annotated[float, Field(gt=0, le=100_000)]
Rate = Annotated[float, Field(ge=0, le=1)]


class Part(Artifact):
    part: Slug
    qty: Annotated[int, Field(ge=1, le=1000)]


class Blueprint(Artifact):
    """A toy: its SKU, its parts, and the recipe that builds it."""

    kind: Literal["blueprint"] = "blueprint"
    pivot: Pivot = "v1"
    sku: Sku
    name: ShortText
    parts: Annotated[list[Part], Field(min_length=1, max_length=100)]
    recipe: Slug


class CycleTime(Artifact):
    """Minutes per unit at a station, drawn from a distribution."""

    distribution: Literal["constant", "uniform", "triangular", "exponential", "lognormal"]
    mean: Positive
    low: Positive | None = None
    high: Positive | None = None
    sigma: Annotated[float, Field(ge=0, le=10)] | None = None


class Station(Artifact):
    station: Slug
    capacity: Annotated[int, Field(ge=1, le=1000)]
    cycle_time: CycleTime
    defect_rate: Rate
    rework_rate: Rate = Field(
        default=0.0, description="Share of defective units sent back for rework, not scrapped."
    )


class Recipe(Artifact):
    """How a toy is built: the stations in order, their capacity and variability."""

    kind: Literal["recipe"] = "recipe"
    pivot: Pivot = "v1"
    recipe_id: Slug
    name: ShortText
    stations: Annotated[list[Station], Field(min_length=1, max_length=50)]
    shift_minutes: Annotated[int, Field(ge=60, le=1440)] = 480
