"""Hostile bytes in every text input: refused as INVALID_INPUT naming the field, the same on
SQLite and PostgreSQL, and nothing changes. Every script's letters are welcome."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from models.cards import ServiceTicket
from models.staff import AuditEntry, StaffRole
from resolvers.schema import schema
from resolvers.staff.schema import staff_schema
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client
from tests.flows import bearer, ready_for_card, sign_up
from tests.staff_flows import START, signed_in_member

HOSTILE = {
    "NUL": "a\x00b",
    "C0": "a\x1bb",
    "DEL": "a\x7fb",
    "C1": "a\x85b",
    "lone surrogate": "a\ud800b",
    "right-to-left override": "a\u202eb",
    "first strong isolate": "a\u2068b",
}


def _one_of(kind: GraphQLInputObjectType) -> bool:
    definition = schema.get_type_by_name(kind.name) or staff_schema.get_type_by_name(kind.name)
    return bool(getattr(definition, "is_one_of", False))


def _samples(kind: GraphQLInputType) -> list[Any]:
    """Well-formed values of the type (one per branch of a @oneOf input), "text" in every
    text field."""
    if isinstance(kind, GraphQLNonNull):
        return _samples(kind.of_type)
    if isinstance(kind, GraphQLList):
        return [[item] for item in _samples(kind.of_type)]
    if isinstance(kind, GraphQLEnumType):
        return [next(iter(kind.values))]
    if isinstance(kind, GraphQLInputObjectType):
        fields = {name: _samples(field.type) for name, field in kind.fields.items()}
        if _one_of(kind):
            return [{name: value} for name, values in fields.items() for value in values]
        return [{name: values[0] for name, values in fields.items()}]
    assert isinstance(kind, GraphQLScalarType)
    return [{"Boolean": True, "Int": 1, "Float": 1.0}.get(kind.name, "text")]


def _text_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _text_paths(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _text_paths(v, f"{path}.{i}")]
    return [path] if value == "text" else []


def _with(value: Any, path: list[str], replacement: str) -> Any:
    if not path:
        return replacement
    head, *rest = path
    if isinstance(value, list):
        copy = list(value)
        copy[int(head)] = _with(copy[int(head)], rest, replacement)
        return copy
    return {**value, head: _with(value[head], rest, replacement)}


def _cases(served: Any = schema) -> list[tuple[str, str, str]]:
    mutation = served._schema.mutation_type
    assert mutation is not None
    cases = []
    for name, field in mutation.fields.items():
        if "input" in field.args:
            for sample in _samples(field.args["input"].type):
                for path in _text_paths(sample):
                    cases.append((name, path, field.args["input"].type.of_type.name))
    return cases


CASES = _cases()


def test_every_mutation_with_text_is_covered() -> None:
    covered = {name for name, _, _ in CASES}
    assert {"register", "login", "completeAccountDetails", "submitServiceTicket", "bindCard"} <= (
        covered
    )


@pytest.mark.parametrize(("mutation", "path", "input_type"), CASES)
async def test_every_text_field_refuses_hostile_characters(
    app, gql: GraphQLClient, mutation: str, path: str, input_type: str
) -> None:
    await _refuses_hostile_text(gql, "/graphql", schema, mutation, path, input_type)


STAFF_CASES = _cases(staff_schema)


def test_every_staff_mutation_with_text_is_covered() -> None:
    covered = {name for name, _, _ in STAFF_CASES}
    assert {"signIn", "replyToTicket", "flagArrears", "recordUsage", "createStaffMember"} <= (
        covered
    )


@pytest.mark.parametrize(("mutation", "path", "input_type"), STAFF_CASES)
async def test_every_staff_text_field_refuses_hostile_characters(
    app_factory, mutation: str, path: str, input_type: str
) -> None:
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False) as app:
        # An admin may run every staff mutation: the role check comes before the text check.
        _, admin = await signed_in_member(app, clock, "admin@onramp.example", StaffRole.ADMIN)
        await _refuses_hostile_text(
            admin, "/staff/graphql", staff_schema, mutation, path, input_type
        )
        # Enrolment, password, sign-in: the refused calls changed nothing.
        assert await AuditEntry.all().count() == 3


async def _refuses_hostile_text(
    gql: GraphQLClient, endpoint: str, served: Any, mutation: str, path: str, input_type: str
) -> None:
    mutations = served._schema.mutation_type
    assert mutations is not None
    field = mutations.fields[mutation]
    valid = next(v for v in _samples(field.args["input"].type) if path in _text_paths(v))
    query = (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
        "{ errors { field code } } }"
    )
    for label, hostile in HOSTILE.items():
        # As JSON escapes (\u0000, \ud800): the way a client sends what UTF-8 cannot carry.
        body_text = json.dumps(
            {"query": query, "variables": {"input": _with(valid, path.split("."), hostile)}}
        )
        response = await gql.http.post(
            endpoint, content=body_text, headers={**gql.headers, "content-type": "application/json"}
        )
        assert response.status_code == 200, (label, response.text)
        body = response.json()
        assert "errors" not in body, (label, body)
        assert {"field": path, "code": "INVALID_INPUT"} in body["data"][mutation]["errors"], label


async def test_a_refused_ticket_changes_nothing_and_a_multiline_one_is_welcome(app, gql) -> None:
    gql.headers = bearer(await sign_up(gql, app, "rtl@example.com"))
    query = """mutation($input: SubmitServiceTicketInput!) {
      submitServiceTicket(input: $input) { ticket { description } errors { field code } } }"""
    refused = await gql(query, {"input": {"subject": "a\u202eb", "description": "x\x00y"}})
    assert refused["data"]["submitServiceTicket"]["errors"] == [
        {"field": "subject", "code": "INVALID_INPUT"},
        {"field": "description", "code": "INVALID_INPUT"},
    ]
    assert not await ServiceTicket.exists()
    tab_in_subject = await gql(query, {"input": {"subject": "a\tb", "description": "ok"}})
    assert tab_in_subject["data"]["submitServiceTicket"]["errors"] == [
        {"field": "subject", "code": "INVALID_INPUT"}
    ]
    saved = await gql(query, {"input": {"subject": "Card", "description": "line one\n\tline two"}})
    assert saved["data"]["submitServiceTicket"]["ticket"]["description"] == "line one\n\tline two"


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ångström-Łukasiewicz",
        "محمد بن سلمان",  # Arabic, right to left without any override
        "मनोज कुमार",  # Devanagari with combining marks
        "می‌خواهم",  # Persian with a zero-width non-joiner
        "श्री",  # conjunct with a virama
        "👩\u200d💻 Kim",  # a zero-width joiner
        "山田 太郎",
    ],
)
async def test_names_in_any_script_are_welcome(app_factory, name: str) -> None:
    async with app_factory() as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await ready_for_card(gql, app, "names@example.com"))
        query = """mutation($input: AccountDetailsInput!) { completeAccountDetails(input: $input) {
          account { details { ... on IndividualDetails { fullName } } } errors { field code } } }"""
        body = await gql(query, {"input": {"individual": {"fullName": name}}})
    assert body["data"]["completeAccountDetails"]["errors"] == []
    assert body["data"]["completeAccountDetails"]["account"]["details"]["fullName"] == name
