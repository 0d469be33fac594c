"""Every required case of issue 10, part 6 names at least one proof, and every proof still exists."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import pytest

from tests.security.cases import CASES


def _parameter_ids(function: object) -> set[str]:
    ids: set[str] = set()
    for mark in getattr(function, "pytestmark", []):
        if mark.name == "parametrize":
            values: Iterable[object] = mark.args[1]
            ids.update(str(value) for value in values)
    return ids


def _missing(node: str) -> str | None:
    """Why ``node`` (``path::test`` or ``path::test[id]``) names no test, or None when it does."""
    path, _, name = node.partition("::")
    name, _, parameter = name.partition("[")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    function = getattr(module, name, None)
    if not callable(function) or not name.startswith("test_"):
        return f"{path} has no test {name}"
    if parameter and parameter.removesuffix("]") not in _parameter_ids(function):
        return f"{path}::{name} has no case [{parameter}"
    return None


@pytest.mark.parametrize("case", CASES)
def test_every_required_case_names_existing_proofs(case: str) -> None:
    proofs = CASES[case]

    assert proofs, f"{case}: no proof"
    assert [problem for problem in map(_missing, proofs) if problem] == []
