"""What follows the reader's language, besides the sign-up's own texts (test_localised_sign_up):
codes that never change, CLDR names, order, money, dates and percentages, agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.i18n import formats
from services.i18n.locales import SUPPORTED, babel_code
from services.money import Money
from tests.conftest import GraphQLClient, http_client
from tests.flows import PROGRESS, bearer, sign_up

SEND_CODE = """mutation($input: SendRegistrationCodeInput!) {
  sendRegistrationCode(input: $input) { errors { field code message } } }"""
SET_LOCALE = """mutation($input: SetLocaleInput!) { setLocale(input: $input) {
  errors { code } } }"""
AGREEMENT = """query($key: String!, $version: String!) { agreement(key: $key, version: $version) {
  title content contentLocale } }"""


async def _in(gql: GraphQLClient, locale: str, document: str, variables=None) -> dict:
    return (await gql(document, variables, **{"accept-language": locale}))["data"]


async def test_a_refusal_keeps_its_code_and_field_in_every_language(gql) -> None:
    answers = {
        locale: (await _in(gql, locale, SEND_CODE, {"input": {"email": "nobody"}}))[
            "sendRegistrationCode"
        ]["errors"]
        for locale in ("en", "de", "tr", "ja", "zh-Hans", "es", "fr", "ar")
    }
    assert {(e[0]["field"], e[0]["code"]) for e in answers.values()} == {("email", "INVALID_EMAIL")}
    messages = {locale: errors[0]["message"] for locale, errors in answers.items()}
    assert len(set(messages.values())) == len(messages)  # a sentence of each language
    assert messages["en"] == "Enter an email address like name@example.com."
    assert messages["ja"] == "name@example.com のような形式でメールアドレスを入力してください。"
    assert messages["tr"] == "ad@example.com biçiminde bir e-posta adresi girin."


async def test_regions_are_named_and_ordered_in_the_readers_language(gql) -> None:
    german = [r["name"] for r in (await _in(gql, "de", "{ regions { name } }"))["regions"]]
    # Ö sorts with the Os (code-point order would put it after Z).
    assert german[german.index("Norwegen") : german.index("Peru") + 1] == [
        "Norwegen",
        "Oman",
        "Österreich",
        "Peru",
    ]
    french = [r["name"] for r in (await _in(gql, "fr", "{ regions { name } }"))["regions"]]
    assert french.index("Égypte") < french.index("Émirats arabes unis") < french.index("Espagne")
    english = [r["name"] for r in (await _in(gql, "en", "{ regions { name } }"))["regions"]]
    assert english[:2] == ["Argentina", "Australia"]


async def test_money_is_written_by_cldr(gql) -> None:
    query = "{ regions { code verificationDeposit { amount currency formatted } } }"

    async def deposits(locale: str) -> dict[str, dict[str, str]]:
        regions = (await _in(gql, locale, query))["regions"]
        return {r["code"]: r["verificationDeposit"] for r in regions}

    german, japanese, english = await deposits("de"), await deposits("ja"), await deposits("en")
    assert german["DE"]["formatted"] == f"{german['DE']['amount'].replace('.', ',')}\xa0€"
    assert japanese["JP"]["formatted"] == f"￥{japanese['JP']['amount']}"  # no minor digits
    assert english["KW"]["formatted"] == f"KWD\xa0{english['KW']['amount']}"  # three of them
    assert german["DE"]["amount"] == english["DE"]["amount"]  # the amount itself never changes


@pytest.mark.parametrize(
    ("locale", "money", "percent", "day", "period"),
    [
        ("en", "€1,234.56", "8.1%", "December 3, 2026", "Nov 1\u2009–\u200930, 2026"),
        ("de", "1.234,56\xa0€", "8,1\xa0%", "3. Dezember 2026", "1.–30. Nov. 2026"),
        ("fr", "1\u202f234,56\xa0€", "8,1\xa0%", "3 décembre 2026", "1–30 nov. 2026"),
        ("tr", "€1.234,56", "%8,1", "3 Aralık 2026", "1–30 Kas 2026"),
        ("ja", "€1,234.56", "8.1%", "2026年12月3日", "2026年11月1日～30日"),
        (
            "ar",
            "\u200f1,234.56\xa0€",
            "8.1%",
            "3 ديسمبر 2026",
            "1–30 نوفمبر 2026",
        ),
    ],
)
def test_numbers_dates_and_percentages(locale, money, percent, day, period) -> None:
    assert formats.money(Money.of("1234.56", "EUR"), locale) == money
    assert formats.percent(Decimal("8.1"), locale) == percent
    assert formats.long_date(date(2026, 12, 3), locale) == day
    assert formats.date_range(date(2026, 11, 1), date(2026, 11, 30), locale) == period


def test_yen_in_japanese_has_no_minor_digits() -> None:
    # CLDR writes the yen full-width in Japanese text.
    assert formats.money(Money.of("154", "JPY"), "ja") == "￥154"
    assert formats.money(Money.of("154", "JPY"), "zh-Hans") == "JP¥154"


@pytest.mark.parametrize(
    ("locale", "written"),
    [
        ("en", "KWD\xa00.307"),
        ("ja", "KWD\xa00.307"),
        ("de", "0,307\xa0KWD"),
        ("tr", "KWD\xa00,307"),
    ],
)
def test_a_letter_symbol_keeps_a_space_from_the_digits(locale, written) -> None:
    """CLDR's currencySpacing (Babel leaves it out): KWD 0.307, but €0.31 and ￥154."""
    assert formats.money(Money.of("0.307", "KWD"), locale) == written


async def test_agreement_titles_and_untranslated_texts(gql) -> None:
    variables = {"key": "privacy-statement", "version": "2026.1"}
    english = (await _in(gql, "en", AGREEMENT, variables))["agreement"]
    turkish = (await _in(gql, "tr", AGREEMENT, variables))["agreement"]

    assert english["title"] == "Privacy Statement"
    assert english["contentLocale"] == "en"
    assert turkish["title"] == "Gizlilik Bildirimi"
    assert turkish["contentLocale"] == "en"  # not translated: the English text, which governs
    note, _, rest = turkish["content"].partition("\n\n")
    assert note == (
        "> Bu sözleşme henüz Türkçe olarak sunulmuyor. Sizin için geçerli olan, aşağıdaki "
        "İngilizce metindir."
    )
    assert rest == english["content"]


async def test_a_translated_agreement_is_served_in_its_language(gql) -> None:
    variables = {"key": "payment-service-terms", "version": "2026.1"}
    english = (await _in(gql, "en", AGREEMENT, variables))["agreement"]
    german = (await _in(gql, "de-AT", AGREEMENT, variables))["agreement"]

    assert german["title"] == "Zahlungsbedingungen"
    assert german["contentLocale"] == "de"
    assert german["content"].startswith("# Zahlungsbedingungen\n")
    assert "Prüfbetrag" in german["content"]
    assert german["content"] != english["content"]


async def test_the_blocked_reason_follows_the_account(app_factory) -> None:
    async with app_factory() as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, "ayse.demir@example.com", region="TR"))
        await gql(SET_LOCALE, {"input": {"locale": "tr"}})
        steps = (await gql(PROGRESS))["data"]["onboarding"]["steps"]
    reasons = {step["blockedReason"] for step in steps if step["status"] == "BLOCKED"}
    assert reasons == {
        "Türkiye bölgesinde kayıtlı bir HUAWEI ID ile bulut hizmetleri etkinleştirilemez. Bu "
        "hizmetleri kullanmak için bir HUAWEI CLOUD hesabı oluşturun; bunun için aynı e-posta "
        "adresini kullanabilirsiniz."
    }


def test_every_agreement_translation_is_of_a_known_version_and_language() -> None:
    """A translation names its English file and a supported language, and keeps its
    sections (a sign that it follows the version it claims to translate)."""
    folder = Path(__file__).parent.parent / "services" / "data" / "agreements"
    translations = [path for path in folder.glob("*.md") if path.stem.count(".") == 2]
    assert translations
    for path in translations:
        english_name, locale = path.stem.rsplit(".", 1)
        english = folder / f"{english_name}.md"
        assert english.is_file(), path.name
        assert locale in {babel_code(code) for code in SUPPORTED if code != "en"}, path.name

        def sections(text: str) -> list[str]:
            return [line.split(".")[0] for line in text.splitlines() if line.startswith("#")]

        assert len(sections(path.read_text("utf-8"))) == len(
            sections(english.read_text("utf-8"))
        ), path.name
