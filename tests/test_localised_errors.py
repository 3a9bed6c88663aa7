"""Top-level errors Onramp writes itself, in the reader's language: unexpected errors,
pagination's BAD_USER_INPUT, OPERATION_NAME_REQUIRED and the 400s of bodies it cannot read.

The reader is picked as for every answer: the signed-in account's language, else the best
match of Accept-Language. Codes never change. The staff API, graphql-core's validation
messages and Strawberry's own refusals stay English.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services import regions
from services.i18n.catalogues import pseudo
from services.i18n.text import tr
from tests.conftest import GraphQLClient, http_client
from tests.flows import bearer, sign_up

SET_LOCALE = """mutation($input: SetLocaleInput!) {
  setLocale(input: $input) { errors { code } } }"""
REGIONS = "{ regions { code } }"
SEVERAL = "query First { __typename } query Second { __typename }"
PAGES = {
    "too many": "{ historicalCards(first: 101) { edges { cursor } } }",
    "first and last": "{ historicalCards(first: 1, last: 1) { edges { cursor } } }",
    "a foreign cursor": '{ historicalCards(after: "%%%") { edges { cursor } } }',
}
BAD_BODIES = {
    "not UTF-8": b'{"query": "{ __typename }", "x": "\xe9"}',
    "not an object": b"42",
    "nested too deeply": b"[" * 100_000,
}

ENGLISH = {
    "unexpected": "Unexpected error.",
    "several": "The document holds several operations: name the one to run in operationName.",
    "too many": "`first` must be between 0 and 100.",
    "first and last": "Give either `first` or `last`, not both.",
    "a foreign cursor": "That cursor is not one this connection gave out.",
    "not UTF-8": "The body is not JSON in UTF-8.",
    "not an object": "The body must be a JSON object with `query` (and `variables`).",
    "nested too deeply": "The JSON body is nested too deeply.",
}
GERMAN = {
    "unexpected": "Unerwarteter Fehler.",
    "several": (
        "Das Dokument enthält mehrere Operationen: Geben Sie in operationName an, welche "
        "ausgeführt werden soll."
    ),
    "too many": "`first` muss zwischen 0 und 100 liegen.",
    "first and last": "Geben Sie entweder `first` oder `last` an, nicht beides.",
    "a foreign cursor": "Dieser Cursor stammt nicht aus dieser Verbindung.",
    "not UTF-8": "Der Inhalt ist kein JSON in UTF-8.",
    "not an object": "Der Inhalt muss ein JSON-Objekt mit `query` (und `variables`) sein.",
    "nested too deeply": "Der JSON-Inhalt ist zu tief verschachtelt.",
}
JAPANESE = {
    "unexpected": "予期しないエラーが発生しました。",
    "several": (
        "ドキュメントに複数のオペレーションが含まれています。"
        "実行するものを operationName で指定してください。"
    ),
    "too many": "`first` は 0～100 の範囲で指定してください。",
    "first and last": "`first` と `last` は、どちらか一方だけを指定してください。",
    "a foreign cursor": "このカーソルは、このコネクションが返したものではありません。",
    "not UTF-8": "本文が UTF-8 の JSON ではありません。",
    "not an object": "本文は `query`（と `variables`）を含む JSON オブジェクトにしてください。",
    "nested too deeply": "JSON 本文の入れ子が深すぎます。",
}
CODES = {
    "unexpected": "INTERNAL_SERVER_ERROR",
    "several": "OPERATION_NAME_REQUIRED",
    **dict.fromkeys(PAGES, "BAD_USER_INPUT"),
    **dict.fromkeys(BAD_BODIES, "BAD_REQUEST"),
}


def _broken(locale: str) -> list:
    raise RuntimeError("database password is hunter2")


@pytest.fixture
def broken_regions(monkeypatch) -> None:
    monkeypatch.setattr(regions, "all_regions", _broken)


def _error(response: httpx.Response) -> dict[str, str]:
    [error] = response.json()["errors"]
    return {"code": error["extensions"]["code"], "message": error["message"]}


async def errors_read_by(gql: GraphQLClient, *, signed_in: bool) -> dict[str, dict[str, str]]:
    """Every kind of error, as `gql` (its headers: a language, a session) is answered."""
    seen = {
        "unexpected": _error(await gql.post(REGIONS)),
        "several": _error(await gql.post(SEVERAL)),
    }
    if signed_in:  # historicalCards needs a session before it reads its arguments
        for name, document in PAGES.items():
            seen[name] = _error(await gql.post(document))
    for name, body in BAD_BODIES.items():
        response = await gql.http.post(
            "/graphql",
            content=body,
            headers={**gql.headers, "content-type": "application/json"},
        )
        assert response.status_code == 400
        seen[name] = _error(response)
    return seen


def expected(messages: dict[str, str], *, signed_in: bool) -> dict[str, dict[str, str]]:
    return {
        name: {"code": CODES[name], "message": message}
        for name, message in messages.items()
        if signed_in or name not in PAGES
    }


async def _speaking(gql: GraphQLClient, app: Any, email: str, locale: str) -> dict[str, str]:
    """Signs up an account, sets its language, and returns its credential."""
    headers = bearer(await sign_up(gql, app, email))
    changed = await gql(SET_LOCALE, {"input": {"locale": locale}}, **headers)
    assert changed["data"]["setLocale"]["errors"] == []
    return headers


@pytest.mark.usefixtures("broken_regions")
@pytest.mark.parametrize(
    ("header", "messages"), [("de-DE", GERMAN), ("ja", JAPANESE), ("en", ENGLISH), (None, ENGLISH)]
)
async def test_signed_out_errors_follow_accept_language(
    gql: GraphQLClient, header: str | None, messages: dict[str, str]
) -> None:
    if header:
        gql.headers = {"accept-language": header}
    seen = await errors_read_by(gql, signed_in=False)
    assert seen == expected(messages, signed_in=False)


@pytest.mark.parametrize(
    ("locale", "messages"), [("de", GERMAN), ("ja", JAPANESE), ("en", ENGLISH)]
)
async def test_signed_in_errors_follow_the_accounts_language(
    app, gql: GraphQLClient, monkeypatch, locale: str, messages: dict[str, str]
) -> None:
    account = await _speaking(gql, app, f"reader.{locale}@example.com", locale)
    monkeypatch.setattr(regions, "all_regions", _broken)
    # Whatever the browser asks for, the account's language answers.
    gql.headers = {**account, "accept-language": "fr" if locale == "en" else "en"}
    seen = await errors_read_by(gql, signed_in=True)
    assert seen == expected(messages, signed_in=True)


async def test_the_pseudo_locale_writes_every_one_of_them(app_factory, monkeypatch) -> None:
    """Each error passes through the catalogue: the pseudo-locale shows it."""
    async with app_factory(pseudo_locale=True) as app:
        gql = GraphQLClient(http_client(app))
        account = await _speaking(gql, app, "pseudo.reader@example.com", "en-XA")
        monkeypatch.setattr(regions, "all_regions", _broken)
        gql.headers = account
        seen = await errors_read_by(gql, signed_in=True)
    pseudo_messages = {name: pseudo(message) for name, message in ENGLISH.items()}
    # A placeholder's value (the argument's name) is not the catalogue's, so not accented.
    pseudo_messages["too many"] = tr(
        "`{name}` must be between 0 and {most}.", name="first", most=100
    ).render("en-XA")
    assert seen == expected(pseudo_messages, signed_in=True)


async def test_an_unexpected_error_stays_masked_when_the_language_cannot_be_read(
    app, gql: GraphQLClient, broken_regions, monkeypatch
) -> None:
    """The failure may be the database's own: the session's look-up then fails as well, and
    the error is still masked, in English, rather than replaced by that failure."""
    account = await _speaking(gql, app, "unlucky.reader@example.com", "de")
    sessions = app.state.services.sessions

    async def unreachable(token: str | None) -> None:
        raise ConnectionError("the database at 10.0.0.5 is unreachable")

    monkeypatch.setattr(sessions, "find", unreachable)
    monkeypatch.setattr(sessions, "find_for_reading", unreachable)
    response = await gql.post(REGIONS, **account)
    assert "10.0.0.5" not in response.text
    assert _error(response) == {
        "code": "INTERNAL_SERVER_ERROR",
        "message": ENGLISH["unexpected"],
    }


async def test_strawberrys_own_refusals_and_validation_stay_english(gql: GraphQLClient) -> None:
    """Words Onramp does not write (graphql-core's validation, Strawberry's HTTP refusals)
    are for developers, and stay as their library wrote them."""
    gql.headers = {"accept-language": "de"}
    unknown = await gql("{ regions { nope } }")
    assert unknown["errors"][0]["message"].startswith("Cannot query field 'nope'")
    no_query = await gql.http.post("/graphql", json={}, headers=gql.headers)
    assert no_query.status_code == 400
    assert _error(no_query) == {
        "code": "BAD_REQUEST",
        "message": "No GraphQL query found in the request",
    }


async def test_the_staff_api_answers_them_in_english(client: httpx.AsyncClient) -> None:
    german = {"accept-language": "de"}
    several = await client.post("/staff/graphql", json={"query": SEVERAL}, headers=german)
    assert _error(several) == {
        "code": "OPERATION_NAME_REQUIRED",
        "message": ENGLISH["several"],
    }
    bad = await client.post(
        "/staff/graphql", content=b"42", headers={**german, "content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert _error(bad) == {"code": "BAD_REQUEST", "message": ENGLISH["not an object"]}
