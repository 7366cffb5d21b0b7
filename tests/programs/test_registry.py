"""The feature registry is the one list of areas: schema, tables and exit criteria follow it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from strawberry.types.base import get_object_definition

from backend import features
from backend.api.schema import Mutation, Query
from backend.db.base import Base
from backend.programs import criteria
from backend.programs.models import StepKey

BACKEND = Path(features.__file__).parent


def test_every_criteria_module_is_a_registered_feature() -> None:
    found = {
        f"backend.{path.parent.name}.criteria"
        for path in BACKEND.glob("*/criteria.py")
        if path.parent.name != "programs"
    }
    assert found == {f.criteria.__name__ for f in features.FEATURES if f.criteria}


def test_every_area_with_tables_is_a_registered_feature() -> None:
    found = {
        f"backend.{path.parent.name}.models"
        for path in BACKEND.glob("*/models.py")
        if path.parent.name != "db"
    }
    registered = {feature.models.__name__ for feature in features.FEATURES}
    assert found <= registered
    assert {table.name for table in Base.metadata.sorted_tables} >= {"findings", "programs"}


def test_schema_holds_every_features_fields() -> None:
    def names(part: type) -> set[str]:
        return {field.name for field in get_object_definition(part, strict=True).fields}

    for feature in features.FEATURES:
        if feature.query is not None:
            assert names(feature.query) <= names(Query), feature.name
        if feature.mutation is not None:
            assert names(feature.mutation) <= names(Mutation), feature.name
    assert "node" in names(Query)


def test_steps_are_judged_in_feature_order() -> None:
    keys = [item.key for item in criteria.criteria_of(StepKey.IMPLEMENTATION)]
    assert keys == [
        "plan-actions-finished",
        "required-documents-approved",
        "operation-period-elapsed",
        "records-produced",
    ]


def test_a_process_without_the_registry_cannot_judge_a_step() -> None:
    """A worker that forgot the features would otherwise find every step met."""
    script = (
        "from backend.programs.criteria import criteria_of\n"
        "from backend.programs.models import StepKey\n"
        "criteria_of(StepKey.TRAINING)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert ran.returncode == 1
    assert "CriteriaNotLoadedError" in ran.stderr


async def _never(_db: object, programs: criteria.Programs) -> criteria.Verdicts:
    return {program.id: criteria.Verdict(met=False, reason="never") for program in programs}


def _item(key: str) -> criteria.Criterion:
    return criteria.Criterion(StepKey.TRAINING, key, "A test criterion.", _never)


def test_registry_refuses_duplicates_late_arrivals_and_strangers() -> None:
    registry = criteria.Registry()
    registry.add(_item("one"))
    with pytest.raises(ValueError, match="already registered"):
        registry.add(_item("one"))
    with pytest.raises(ValueError, match="unregistered"):
        registry.seal(["backend.training.criteria"])
    registry.seal([__name__])
    assert [item.key for item in registry.of(StepKey.TRAINING)] == ["one"]
    with pytest.raises(ValueError, match="after the registry was sealed"):
        registry.add(_item("two"))


def test_a_step_holds_at_most_the_costed_number_of_criteria() -> None:
    registry = criteria.Registry()
    for number in range(criteria.MAX_CRITERIA):
        registry.add(_item(f"c{number}"))
    with pytest.raises(ValueError, match="exit criteria"):
        registry.add(_item("one-too-many"))
