"""Schemas come from the models, drift is caught, and they ship inside the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, committed, run_cli
from toyfoundry_ci.base.kinds import KINDS, iter_repo_artifacts, kind_for_path
from toyfoundry_ci.models import ARTIFACT_MODELS


def test_every_kind_has_a_model_and_a_schema() -> None:
    assert set(ARTIFACT_MODELS) == set(KINDS)
    registry = json.loads((REPO_ROOT / "schemas" / "pivots.json").read_text(encoding="utf-8"))
    assert set(registry["pivots"][registry["current"]]["kinds"]) == set(KINDS)


def test_checked_in_schemas_match_the_models() -> None:
    proc = run_cli("schemas", "export", "--check", "--dir", str(REPO_ROOT / "schemas"))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip() == "ok: schemas match the models"


def test_drift_is_detected_and_export_repairs_it(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(REPO_ROOT / "schemas", schemas)
    order = schemas / "v1" / "order.schema.json"
    doc = json.loads(order.read_text(encoding="utf-8"))
    doc["properties"]["lines"]["maxItems"] = 9999
    order.write_text(json.dumps(doc), encoding="utf-8")
    check = run_cli("schemas", "export", "--check", "--dir", str(schemas))
    assert check.returncode == 1
    assert f"{order}: differs from the models" in check.stdout
    fix = run_cli("schemas", "export", "--dir", str(schemas))
    assert fix.returncode == 0
    assert fix.stdout.strip() == f"wrote {order}"
    again = run_cli("schemas", "export", "--dir", str(schemas))
    assert again.stdout.strip() == "schemas already match the models; nothing written"


def test_older_pivots_stay_in_the_registry(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(REPO_ROOT / "schemas", schemas)
    registry = schemas / "pivots.json"
    doc = json.loads(registry.read_text(encoding="utf-8"))
    doc["pivots"]["v0"] = {"kinds": {"order": "v0/order.schema.json"}}
    registry.write_text(json.dumps(doc), encoding="utf-8")
    run_cli("schemas", "export", "--dir", str(schemas))
    kept = json.loads(registry.read_text(encoding="utf-8"))
    assert kept["pivots"]["v0"] == {"kinds": {"order": "v0/order.schema.json"}}
    assert kept["current"] == "v1"


def test_sample_artifacts_round_trip_through_the_models() -> None:
    for path in iter_repo_artifacts(committed()):
        kind = kind_for_path(path.relative_to(committed()))
        assert kind is not None
        doc = json.loads(path.read_text(encoding="utf-8"))
        model = ARTIFACT_MODELS[kind].model_validate(doc)
        assert model.model_dump(mode="json", exclude_none=True) == doc, path


@pytest.mark.slow
def test_wheel_validates_outside_the_checkout(tmp_path: Path) -> None:
    """pre-commit installs hook repositories non-editable: the wheel must carry the schemas."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("toyfoundry_ci-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "toyfoundry_ci/schemas/pivots.json" in names
    assert "toyfoundry_ci/schemas/v1/order.schema.json" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere" / "exchange" / "orders"
    elsewhere.mkdir(parents=True)
    shutil.copy2(committed() / "exchange" / "orders" / "ALFA-2026-0001.json", elsewhere)
    probe = (
        "import sys, toyfoundry_ci\n"
        "print(toyfoundry_ci.__file__)\n"
        "from toyfoundry_ci.cli import main\n"
        "main(['validate'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path / "elsewhere",
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first, result = proc.stdout.strip().splitlines()
    assert first.startswith(str(target))
    assert result == "ok: 1 artifact valid"
