"""A form's validation errors as the error box shows them: one problem per field, named as the form names
it, behind one ``InvalidDocument`` (422) whose detail is the first problem."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from pydantic import ValidationError

from chain.errors import InvalidDocument

Location = tuple[int | str, ...]


def dotted(loc: Location) -> str:
    """``lines.0.item``: a JSON body's field, as the API names it."""
    return ".".join(str(p) for p in loc)


def invalid_document(exc: ValidationError, name: Callable[[Location], str] = dotted) -> InvalidDocument:
    problems = [{"field": name(tuple(e["loc"])), "code": e["type"], "msg": e["msg"]} for e in exc.errors()]
    first = problems[0]
    return InvalidDocument(
        f"{first['field']}: {first['msg']} ({len(problems)} problem(s) in all)",
        code="invalid_document",
        errors=problems,
    )


def line_field(line_numbers: Sequence[int]) -> Callable[[Location], str]:
    """Names ``lines.<i>.<field>`` as ``line <PO line number> <field>``, others as ``<field>``, spaced."""

    def name(loc: Location) -> str:
        if loc[:1] == ("lines",) and len(loc) >= 3 and isinstance(loc[1], int):
            return f"line {line_numbers[loc[1]]} {str(loc[2]).replace('_', ' ')}"
        return " ".join(str(p) for p in loc).replace("_", " ")

    return name


def quantity_text(quantity: Decimal) -> str:
    """``Decimal("12.50")`` -> ``"12.5"``, as the documents write quantities."""
    return format(quantity.normalize(), "f")
