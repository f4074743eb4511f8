"""Rules of the project's YAML that a build on one warehouse cannot see."""

from __future__ import annotations

import yaml

from conftest import PROJECT_DIR


def contract_columns():
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            for column in model.get("columns") or []:
                yield model["name"], column


def test_every_not_null_constraint_is_also_a_data_test() -> None:
    """Spark's Parquet tables take no NOT NULL constraint: the data test is what holds it there."""
    untested = [
        (model, column["name"])
        for model, column in contract_columns()
        if any(constraint.get("type") == "not_null" for constraint in column.get("constraints") or [])
        and "not_null"
        not in [test if isinstance(test, str) else next(iter(test)) for test in column.get("data_tests") or []]
    ]
    assert untested == []
