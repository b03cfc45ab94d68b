"""Pydantic models of every artifact kind: the single source of truth for the schemas."""

from __future__ import annotations

from pydantic import BaseModel

from toyfoundry_ci.models.catalogue import Blueprint, Recipe
from toyfoundry_ci.models.common import PIVOT, AckRef, Digest, FileRef, OrderRef
from toyfoundry_ci.models.exchange import Acknowledgement, Order, Report
from toyfoundry_ci.models.hub import Notification, Receipt
from toyfoundry_ci.models.ledger import LedgerEntry, LedgerIndex
from toyfoundry_ci.models.logs import ExchangeLog, ReadinessLog
from toyfoundry_ci.models.telemetry import TelemetryExport

ARTIFACT_MODELS: dict[str, type[BaseModel]] = {
    "order": Order,
    "acknowledgement": Acknowledgement,
    "report": Report,
    "blueprint": Blueprint,
    "recipe": Recipe,
    "telemetry-export": TelemetryExport,
    "ledger-entry": LedgerEntry,
    "ledger-index": LedgerIndex,
    "notification": Notification,
    "receipt": Receipt,
    "readiness-log": ReadinessLog,
    "exchange-log": ExchangeLog,
}

__all__ = [
    "ARTIFACT_MODELS",
    "PIVOT",
    "AckRef",
    "Acknowledgement",
    "Blueprint",
    "Digest",
    "ExchangeLog",
    "FileRef",
    "LedgerEntry",
    "LedgerIndex",
    "Notification",
    "Order",
    "OrderRef",
    "ReadinessLog",
    "Receipt",
    "Recipe",
    "Report",
    "TelemetryExport",
]
