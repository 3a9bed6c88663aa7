"""Which language a request, an account and a message get: Accept-Language negotiation,
`locales`, `RegisterInput.locale`, `setLocale`, and background work in the account's own."""

from __future__ import annotations

import pytest

from services.i18n.locales import Languages, parse_accept_language
from tests.conftest import GraphQLClient, http_client, latest_code, outbox
from tests.flows import (
    ERRORS,
    PASSWORD,
    REGISTER,
    answer_bank,
    attempt_until,
    bearer,
    bind,
    codes_of,
    ready_for_card,
    send_code,
    sign_up,
    tokenize,
)

OFFERED = Languages.configured(pseudo=False)
WITH_PSEUDO = Languages.configured(pseudo=True)

LOCALES = "{ locales { code name direction } }"
SET_LOCALE = f"""mutation($input: SetLocaleInput!) {{
  setLocale(input: $input) {{ account {{ id locale region {{ name }} }} {ERRORS} }} }}"""
ME_LOCALE = "{ me { id locale region { name } } }"
REGION_NAMES = "{ regions { code name } }"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # Nothing asked, or nothing that fits: English.
        (None, "en"),
        ("", "en"),
        ("pt-BR", "en"),
        ("sr-Latn-RS, pt;q=0.8", "en"),
        # Exact tags, any case.
        ("de", "de"),
        ("DE", "de"),
        ("tr", "tr"),
        ("ja", "ja"),
        ("ar", "ar"),
        ("zh-hans", "zh-Hans"),
        # Region variants widen to their language (and script).
        ("de-AT", "de"),
        ("de-CH, en;q=0.5", "de"),
        ("es-419", "es"),
        ("fr-CA", "fr"),
        ("en-GB", "en"),
        ("ar-EG", "ar"),
        ("ja-JP", "ja"),
        ("tr-TR", "tr"),
        # Chinese: Simplified by script or by the region's likely script.
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        # Traditional Chinese readers get Simplified only when they list nothing that fits.
        ("zh-TW", "zh-Hans"),
        ("zh-Hant-HK", "zh-Hans"),
        ("zh-TW, en;q=0.5", "en"),
        ("zh-HK, ja;q=0.3", "ja"),
        # q-values decide, whatever the order; ties keep the header's order.
        ("fr;q=0.5, de;q=0.9", "de"),
        ("es;q=0.8, fr;q=0.8", "es"),
        ("pt-BR, pt;q=0.9, es;q=0.8, en;q=0.7", "es"),
        ("de;q=1.000, fr", "de"),
        ("de;q=0, fr;q=0.1", "fr"),
        ("de;q=0.000", "en"),
        # Wildcards: the first offered language nothing refuses.
        ("*", "en"),
        ("en;q=0, *", "de"),
        ("en;q=0, de;q=0, *;q=0.1", "tr"),
        ("*;q=0", "en"),
        ("pt, *;q=0.1", "en"),
        # Garbage is left out, not guessed at; what is well formed still counts.
        ("!!!, ;;;, de", "de"),
        ("de;q=abc", "en"),
        ("de;q=1.5, ja;q=0.5", "ja"),
        ("de;q=0.5, fr;q=0.50001", "de"),
        ("de;q=-1, ar", "ar"),
        ("i-klingon, tr", "tr"),
        ("x-private, ja", "ja"),
        ("de-", "en"),
        ("de--AT, fr", "fr"),
        ("en_US", "en"),  # not a BCP 47 tag
        ("\x00de, ar", "ar"),
        ("d" * 9 + ", es", "es"),
        # Only the head of an overlong header is read.
        ("x" * 5000 + ", de", "en"),
        (",".join(["pt"] * 100) + ", de", "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert OFFERED.negotiate(header) == expected


def test_the_pseudo_locale_is_offered_only_where_enabled() -> None:
    assert OFFERED.negotiate("en-XA") == "en"
    assert WITH_PSEUDO.negotiate("en-XA") == "en-XA"
    assert WITH_PSEUDO.negotiate("en-US") == "en"
    assert OFFERED.find("en-XA") is None
    assert WITH_PSEUDO.find("EN_xa") == "en-XA"


def test_a_header_is_ordered_by_quality() -> None:
    ranges = parse_accept_language("fr;q=0.3, de, *;q=0.1, ja;q=0.3")
    assert [(r.tag, r.quality) for r in ranges] == [
        ("de", 1.0),
        ("fr", 0.3),
        ("ja", 0.3),
        ("*", 0.1),
    ]


async def test_locales_lists_every_language_by_its_own_name(gql) -> None:
    locales = (await gql(LOCALES))["data"]["locales"]
    assert locales == [
        {"code": "en", "name": "English", "direction": "LTR"},
        {"code": "de", "name": "Deutsch", "direction": "LTR"},
        {"code": "tr", "name": "Türkçe", "direction": "LTR"},
        {"code": "ja", "name": "日本語", "direction": "LTR"},
        {"code": "zh-Hans", "name": "中文 (简体)", "direction": "LTR"},
        {"code": "es", "name": "Español", "direction": "LTR"},
        {"code": "fr", "name": "Français", "direction": "LTR"},
        {"code": "ar", "name": "العربية", "direction": "RTL"},
    ]


async def test_the_pseudo_locale_is_listed_where_enabled(app_factory) -> None:
    async with app_factory(pseudo_locale=True) as app:
        gql = GraphQLClient(http_client(app))
        codes = [locale["code"] for locale in (await gql(LOCALES))["data"]["locales"]]
    assert codes[-1] == "en-XA"


async def test_signed_out_a_request_follows_accept_language(gql) -> None:
    async def names(header: str) -> dict[str, str]:
        body = await gql(REGION_NAMES, **{"accept-language": header})
        return {region["code"]: region["name"] for region in body["data"]["regions"]}

    assert (await names("de-AT,de;q=0.9"))["DE"] == "Deutschland"
    assert (await names("ja"))["DE"] == "ドイツ"
    assert (await names("ar-SA"))["DE"] == "ألمانيا"
    assert (await names("pt-BR"))["DE"] == "Germany"


async def test_signed_out_unauthenticated_is_in_the_requests_language(gql) -> None:
    """A top-level UNAUTHENTICATED error's message follows Accept-Language; its code does not."""

    async def refusal(header: str) -> dict:
        body = await gql("{ historicalCards { edges { cursor } } }", **{"accept-language": header})
        [error] = body["errors"]
        return {"code": error["extensions"]["code"], "message": error["message"]}

    assert await refusal("en") == {"code": "UNAUTHENTICATED", "message": "Sign in to see this."}
    assert await refusal("de-DE") == {
        "code": "UNAUTHENTICATED",
        "message": "Melden Sie sich an, um dies zu sehen.",
    }
    assert (await refusal("ar"))["message"] == "سجّل الدخول لعرض هذا."
    assert (await refusal("pt-BR"))["message"] == "Sign in to see this."


async def _registration(gql: GraphQLClient, app, email: str, region: str, **more: str) -> dict:
    """The variables of a `register` with a fresh code."""
    await send_code(gql, email)
    code = await latest_code(app, email)
    form = {"regionCode": region, "email": email, "emailCode": code, "password": PASSWORD}
    return {"input": {**form, **more}}


async def test_register_keeps_the_chosen_locale(gql, app) -> None:
    # Any case: kept as the offered code.
    variables = await _registration(gql, app, "lena.vogel@example.com", "AT", locale="DE")
    body = await gql(REGISTER, variables, **{"accept-language": "fr"})
    assert body["data"]["register"]["errors"] == []
    gql.headers = bearer(body["data"]["register"]["session"]["token"])
    me = (await gql(ME_LOCALE, **{"accept-language": "fr"}))["data"]["me"]
    assert me["locale"] == "de"
    assert me["region"]["name"] == "Österreich"  # the account's language, not the request's


async def test_register_without_a_locale_takes_accept_languages(gql, app) -> None:
    variables = await _registration(gql, app, "yui.sato@example.com", "JP")
    body = await gql(REGISTER, variables, **{"accept-language": "ja-JP,ja;q=0.9,en;q=0.8"})
    gql.headers = bearer(body["data"]["register"]["session"]["token"])
    assert (await gql(ME_LOCALE))["data"]["me"]["locale"] == "ja"


async def test_register_refuses_a_language_not_offered(gql, app) -> None:
    variables = await _registration(gql, app, "pedro.alves@example.com", "ES", locale="pt-BR")
    payload = (await gql(REGISTER, variables))["data"]["register"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("locale", "INVALID_INPUT")]
    assert payload["session"] is None
    # The code's try was not spent on a form refused for its language.
    variables["input"]["locale"] = "es"
    assert (await gql(REGISTER, variables))["data"]["register"]["errors"] == []


async def test_set_locale_changes_the_accounts_language(gql, app) -> None:
    gql.headers = bearer(await sign_up(gql, app, "amira.nasser@example.com", region="EG"))
    payload = (await gql(SET_LOCALE, {"input": {"locale": "ar"}}))["data"]["setLocale"]
    assert payload["errors"] == []
    assert payload["account"]["locale"] == "ar"
    assert payload["account"]["region"]["name"] == "مصر"  # the answer is in the new language

    # From then on every request of the account speaks it, whatever Accept-Language says.
    me = (await gql(ME_LOCALE, **{"accept-language": "de"}))["data"]["me"]
    assert (me["locale"], me["region"]["name"]) == ("ar", "مصر")


async def test_set_locale_refuses_unknown_languages_and_needs_a_session(gql, app) -> None:
    signed_out = await gql(SET_LOCALE, {"input": {"locale": "de"}})
    assert signed_out["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    gql.headers = bearer(await sign_up(gql, app, "kemal.yilmaz@example.com", region="TR"))
    for wrong in ("", "klingon", "zh-Hant", "en-XA", "de-DE"):
        payload = (await gql(SET_LOCALE, {"input": {"locale": wrong}}))["data"]["setLocale"]
        assert codes_of(payload) == ["INVALID_INPUT"], wrong
        assert payload["errors"][0]["field"] == "locale"
    assert (await gql(ME_LOCALE))["data"]["me"]["locale"] == "en"


async def test_sign_in_answers_in_the_accounts_language(gql, app) -> None:
    email = "claire.martin@example.com"
    gql.headers = bearer(await sign_up(gql, app, email, region="DE"))
    await gql(SET_LOCALE, {"input": {"locale": "fr"}})
    gql.headers = {}
    login = f"""mutation($input: LoginInput!) {{ login(input: $input) {{
      account {{ region {{ name }} }} {ERRORS} }} }}"""
    variables = {"input": {"email": email, "password": PASSWORD}}
    payload = (await gql(login, variables, **{"accept-language": "ja"}))["data"]["login"]
    assert payload["account"]["region"]["name"] == "Allemagne"  # the account's French


async def test_a_registration_code_goes_out_in_the_requests_language(gql, app) -> None:
    email = "hans.berger@example.com"
    await gql(
        """mutation($input: SendRegistrationCodeInput!) {
          sendRegistrationCode(input: $input) { errors { code } } }""",
        {"input": {"email": email}},
        **{"accept-language": "de-CH"},
    )
    [message] = await outbox(app)
    assert message["subject"] == "Ihr Bestätigungscode für Onramp Cloud"


async def test_an_account_exists_notice_goes_out_in_the_owners_language(app_factory) -> None:
    email = "mei.chen@example.com"
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, email, region="SG"))
        await gql(SET_LOCALE, {"input": {"locale": "zh-Hans"}})
        gql.headers = {}
        await gql(
            """mutation($input: SendRegistrationCodeInput!) {
              sendRegistrationCode(input: $input) { errors { code } } }""",
            {"input": {"email": email}},
            **{"accept-language": "es"},
        )
        newest = (await outbox(app))[0]
    assert newest["kind"] == "account-exists"
    assert newest["subject"] == "您已有 Onramp Cloud 账号"


async def test_background_work_writes_in_the_accounts_language(app_factory) -> None:
    """The card-bound email is written when the gateway's webhook arrives, after a bank page
    answered from a browser that asks for Japanese: it is in the account's German."""
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, "jonas.keller@example.com")
        await gql(SET_LOCALE, {"input": {"locale": "de"}})
        token = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
        started = (await bind(gql, token, "k1"))["attempt"]
        browser = http_client(app)
        browser.headers["accept-language"] = "ja"
        await answer_bank(GraphQLClient(browser), started["nextAction"]["redirectUrl"], "approve")
        await attempt_until(gql, started["id"], lambda a: a["status"] == "SUCCEEDED")
        emails = {m["kind"]: m for m in await outbox(app)}
    assert (
        emails["card-bound"]["subject"]
        == "Ihre Karte ist in Ihrem Konto bei Onramp Cloud hinterlegt"
    )


async def test_the_frontend_gets_its_own_words_in_each_language(app_factory) -> None:
    async with app_factory(pseudo_locale=True) as app, http_client(app) as client:
        german = (await client.get("/i18n/de.json")).json()
        arabic = (await client.get("/i18n/AR.json")).json()
        english = (await client.get("/i18n/en.json")).json()
        pseudo = (await client.get("/i18n/en-XA.json")).json()
        unknown = await client.get("/i18n/pt.json")
    assert german["Sign in"] == "Anmelden"
    assert arabic["Sign in"] == "تسجيل الدخول"
    assert set(german) == set(arabic) == set(pseudo)  # every word the page has, translated
    assert "There is no such bill." not in german  # the API's sentences stay with the API
    assert english == {}  # the page's words are English already
    assert pseudo["Sign in"].startswith("⟦")
    assert unknown.status_code == 404
