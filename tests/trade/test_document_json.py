"""Documents' canonical JSON is written by orjson (``_document_json``); these check it writes the bytes
``canonical_json`` (json.dumps) would, for everything a document's dump can hold."""

from __future__ import annotations

import json
from typing import Any, get_args, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.trade import documents
from api.trade.documents import _document_json, canonical_bytes, canonical_json
from tests.trade.factories import make_declaration, make_invoice, make_po, make_receipt, make_shipment

# what a document's JSON dump is made of: no floats (see below)
leaves = st.one_of(
    st.text(),
    st.integers(min_value=-(2**80), max_value=2**80),  # beyond 64 bits too: orjson refuses, json writes
    st.booleans(),
    st.none(),
)
dumps = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(st.dictionaries(st.text(), dumps, max_size=6))
def test_the_same_bytes_as_json_dumps(data: dict[str, Any]) -> None:
    try:
        expected = canonical_json(data)
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it, either way
        with pytest.raises((UnicodeEncodeError, TypeError)):
            _document_json(data)
        return
    assert _document_json(data) == expected


def test_control_characters_and_non_ascii_are_written_alike() -> None:
    data = {"b": '\x00\x01\x1f\x7f\u2028\u2029é😀"\\/\n\t', "a": [1, True, None, 2**70]}
    assert (
        _document_json(data)
        == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def _may_hold_float(annotation: Any) -> bool:
    if annotation in (float, Any, object, dict) or get_origin(annotation) is dict:
        return True
    return any(_may_hold_float(a) for a in get_args(annotation) if get_origin(annotation) is not None)


def test_no_document_field_may_hold_a_float() -> None:
    """orjson and json write a float's exponent differently (1e16 / 1e+16): no document may hold one."""
    models = [
        m
        for m in vars(documents).values()
        if isinstance(m, type) and issubclass(m, documents._Doc) and m is not documents._Doc
    ]
    assert len(models) >= 10
    for model in models:
        for name, field in model.model_fields.items():
            assert not _may_hold_float(field.annotation), f"{model.__name__}.{name}: {field.annotation}"


def test_documents_canonical_bytes_are_unchanged() -> None:
    po = make_po(10)
    for doc in (po, make_receipt(po), make_shipment(po), make_invoice(po), make_declaration(po)):
        data = doc.model_dump(mode="json")
        assert canonical_bytes(doc) == canonical_json(json.loads(canonical_bytes(doc)))
        assert json.loads(canonical_bytes(doc))["type"] == type(doc).__name__
        assert set(json.loads(canonical_bytes(doc))) <= set(data) | {"type"}


@given(dumps, st.booleans())
def test_read_json_reads_what_json_loads_reads(data: Any, ascii_only: bool) -> None:
    text = json.dumps(data, ensure_ascii=ascii_only)  # lone surrogates too, escaped or not
    expected = json.loads(text)
    read = documents.read_json(text)
    assert read == expected
    assert _types(read) == _types(expected)  # an integer beyond 64 bits stays an integer, not a float


def test_read_json_keeps_integers_beyond_64_bits_exact() -> None:
    for number in (2**63, -(2**63) - 1, 2**64, 2**256 - 1):
        text = json.dumps({"amount": number, "lines": [number]})
        assert documents.read_json(text) == {"amount": number, "lines": [number]}
        assert type(documents.read_json(text)["amount"]) is int


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)
