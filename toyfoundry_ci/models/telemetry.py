"""The telemetry export manifest: which quilt files a run exported, with their checksums."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from toyfoundry_ci.models.common import Artifact, Digest, OrderId, Pivot, RelPath, Slug, Timestamp


class ExportFile(Artifact):
    path: RelPath
    format: Literal["csv", "json", "svg"]
    digest: Digest
    bytes: Annotated[int, Field(ge=0)]


class TelemetryExport(Artifact):
    kind: Literal["telemetry-export"] = "telemetry-export"
    pivot: Pivot = "v1"
    order_id: OrderId
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    bucket_minutes: Annotated[float, Field(gt=0)]
    buckets: Annotated[int, Field(ge=1, le=100_000)]
    stations: Annotated[list[Slug], Field(min_length=1, max_length=50)]
    metrics: Annotated[
        list[Literal["throughput", "wip", "utilisation", "defects"]], Field(min_length=1)
    ]
    files: Annotated[list[ExportFile], Field(min_length=1, max_length=20)]
    generated_at: Timestamp
