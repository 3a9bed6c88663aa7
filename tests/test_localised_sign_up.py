"""The whole sign-up, end to end over HTTP, in one language: every refusal, Result, name,
title, message, email and SMS on the way is read back.

In the pseudo-locale (accented, lengthened English) none of them may hold a plain English
word: a text that escapes the catalogue shows. In German and in Arabic they read as written
for those languages, with money, dates and percentages by CLDR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from models.accounts import Account
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, latest_code, outbox
from tests.flows import (
    ASSOCIATE_MOBILE,
    COMPLETE_DETAILS,
    ENABLE,
    PASSWORD,
    REGISTER,
    REQUEST_RESET,
    SEND_CODE,
    SEND_PHONE_CODE,
    SET_SECURITY_PHONE,
    answer_bank,
    attempt_until,
    bearer,
    bind,
    login_payload,
    normalised_number,
    tokenize,
)

NAMES = """{ regions { code name governingLaw }
  agreements { title content contentLocale } }"""
ME = """{ me { locale region { name governingLaw }
  onboarding { steps { key status blockedReason } }
  messages { title body }
  billing { outstanding { formatted } }
  bills { edges { node { number total { amount formatted } payments { status result } } } } } }"""
HISTORY = "{ historicalCards { edges { node { status failureReason result } } } }"
SUBMIT = """mutation($input: SubmitServiceTicketInput!) { submitServiceTicket(input: $input) {
  ticket { number } errors { field code message } } }"""
PHONES = {"DE": ("01512 3456789", "01701 2345678"), "SA": ("050 123 4567", "055 234 5678")}
# What people typed (never translated) and names that are the same in every language.
KEPT = ("Onramp Cloud", "HUAWEI ID", "HUAWEI CLOUD")


@dataclass
class Seen:
    """Everything a person was shown or sent during one sign-up."""

    said: dict[str, str] = field(default_factory=dict)
    emails: dict[str, dict[str, Any]] = field(default_factory=dict)
    sms: list[dict[str, Any]] = field(default_factory=list)


def _messages(payload: dict[str, Any]) -> list[str]:
    return [error["message"] for error in payload["errors"]]


async def _mutation(gql: GraphQLClient, document: str, name: str, **values: Any) -> Any:
    return (await gql(document, {"input": values}))["data"][name]


async def sign_up_in(app, clock: FrozenClock, locale: str, email: str, region: str) -> Seen:
    """Region to a paid bill, as a person whose browser and account speak `locale`."""
    seen = Seen()
    said = seen.said
    http = http_client(app)
    http.headers["accept-language"] = locale
    gql = GraphQLClient(http)
    mobile, security = PHONES[region]

    # Signed out: names, titles, and the refusals of the registration form.
    reference = (await gql(NAMES))["data"]
    names = {r["code"]: r for r in reference["regions"]}
    said["region name"] = names[region]["name"]
    said["governing law"] = names[region]["governingLaw"]
    said["Türkiye's name"] = names["TR"]["name"]
    for agreement in reference["agreements"]:
        said[f"title {agreement['title']}"] = agreement["title"]
        if agreement["contentLocale"] != locale:
            said["untranslated agreement note"] = agreement["content"].split("\n\n")[0]
    refused = await _mutation(gql, SEND_CODE, "sendRegistrationCode", email="ana.at.nowhere")
    said["invalid email"] = _messages(refused)[0]
    assert (await _mutation(gql, SEND_CODE, "sendRegistrationCode", email=email))["errors"] == []
    code = await latest_code(app, email)
    form = {"regionCode": region, "email": email, "locale": locale}
    weak = await _mutation(gql, REGISTER, "register", **form, emailCode=code, password="ab c")
    said["password policy"] = _messages(weak)[0]
    wrong = await _mutation(
        gql, REGISTER, "register", **form, emailCode="000000", password=PASSWORD
    )
    said["wrong code"] = _messages(wrong)[0]
    registered = await _mutation(
        gql, REGISTER, "register", **form, emailCode=code, password=PASSWORD
    )
    assert registered["errors"] == [], registered
    gql.headers = bearer(registered["session"]["token"])

    # Security phone, cloud services, mobile, details.
    bad_phone = await _mutation(
        gql,
        SEND_PHONE_CODE,
        "sendPhoneCode",
        purpose="SECURITY_PHONE",
        regionCode=region,
        phoneNumber="12",
    )
    said["invalid phone"] = _messages(bad_phone)[0]
    phone = {"regionCode": region, "phoneNumber": security}
    await _mutation(gql, SEND_PHONE_CODE, "sendPhoneCode", purpose="SECURITY_PHONE", **phone)
    sms_code = await latest_code(app, normalised_number(security, region))
    assert (await _mutation(gql, SET_SECURITY_PHONE, "setSecurityPhone", **phone, code=sms_code))[
        "errors"
    ] == []
    early = await _mutation(
        gql,
        SEND_PHONE_CODE,
        "sendPhoneCode",
        purpose="MOBILE_NUMBER",
        regionCode=region,
        phoneNumber=mobile,
    )
    said["mobile before cloud"] = _messages(early)[0]
    unaccepted = await _mutation(gql, ENABLE, "enableCloudServices", acceptedAgreementIds=[])
    said["agreements not accepted"] = _messages(unaccepted)[0]
    ids = [a["id"] for a in (await gql("{ agreements { id } }"))["data"]["agreements"]]
    assert (await _mutation(gql, ENABLE, "enableCloudServices", acceptedAgreementIds=ids))[
        "errors"
    ] == []
    me = (await gql(ME))["data"]["me"]
    [continue_message] = me["messages"]
    said["message title"] = continue_message["title"]
    said["message body"] = continue_message["body"]
    said["outstanding"] = me["billing"]["outstanding"]["formatted"]
    mobile_phone = {"regionCode": region, "phoneNumber": mobile}
    await _mutation(gql, SEND_PHONE_CODE, "sendPhoneCode", purpose="MOBILE_NUMBER", **mobile_phone)
    sms_code = await latest_code(app, normalised_number(mobile, region))
    assert (
        await _mutation(gql, ASSOCIATE_MOBILE, "associateMobile", **mobile_phone, code=sms_code)
    )["errors"] == []
    empty = await _mutation(
        gql, COMPLETE_DETAILS, "completeAccountDetails", individual={"fullName": "  "}
    )
    said["required field"] = _messages(empty)[0]
    details = await _mutation(
        gql, COMPLETE_DETAILS, "completeAccountDetails", individual={"fullName": "Alex Doe"}
    )
    assert details["errors"] == []

    # Cards: a refusal, a declined card, a bound one.
    declined = (await tokenize(gql, "4000 0000 0000 0002")).json()["id"]
    said["terms not accepted"] = _messages(await bind(gql, declined, "k0", accept=False))[0]
    attempt = (await bind(gql, declined, "k1"))["attempt"]
    await answer_bank(gql, attempt["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, attempt["id"], lambda a: a["status"] == "FAILED")
    good = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
    attempt = (await bind(gql, good, "k2"))["attempt"]
    await answer_bank(gql, attempt["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, attempt["id"], lambda a: a["depositStatus"] == "REFUNDED")
    for edge in (await gql(HISTORY))["data"]["historicalCards"]["edges"]:
        said[f"result {edge['node']['status']}"] = edge["node"]["result"]

    # A service ticket, a bill and its payment.
    ticket = await _mutation(gql, SUBMIT, "submitServiceTicket", subject="?", description="!")
    assert ticket["errors"] == []
    account = await Account.get(email=email.casefold())
    billing = app.state.services.billing
    clock.set(datetime(2026, 11, 12, 9, tzinfo=UTC))
    await billing.record_usage(account, "1234.56", "ECS")
    clock.set(datetime(2026, 12, 3, 1, tzinfo=UTC))
    await billing.run(date(2026, 12, 3))
    gql.headers = bearer((await login_payload(gql, email))["session"]["token"])  # weeks later
    [bill] = (await gql(ME))["data"]["me"]["bills"]["edges"]
    said["bill total"] = bill["node"]["total"]["formatted"]
    said["payment result"] = bill["node"]["payments"][0]["result"]

    # Signed out again: a password reset by the security phone.
    gql.headers = {}
    await _mutation(
        gql, REQUEST_RESET, "requestPasswordReset", email=email, channel="SECURITY_PHONE"
    )

    for message in await outbox(app):
        if message["channel"] == "EMAIL" and message["recipient"] == email:
            seen.emails.setdefault(message["kind"], message)
        elif message["channel"] == "SMS":
            seen.sms.append(message)
    return seen


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 10, 20, 12, tzinfo=UTC))


def _app(app_factory, clock: FrozenClock):
    return app_factory(
        clock=clock,
        pseudo_locale=True,
        limit_codes_per_destination="50/minute",
        limit_sms_per_account="100/day",
    )


def _leaks(text: str) -> list[str]:
    """Plain English words in a text: what no catalogue wrote."""
    for kept in KEPT:
        text = text.replace(kept, "")
    text = re.sub(r"https?://\S+|\S+@\S+", "", text)  # links and addresses
    text = re.sub(r"\b[A-Z0-9][A-Z0-9_•*+-]*\b", "", text)  # codes, numbers, brands
    return re.findall(r"[A-Za-z]{2,}", text)


async def test_in_the_pseudo_locale_no_text_escapes_the_catalogue(app_factory, clock) -> None:
    async with _app(app_factory, clock) as app:
        seen = await sign_up_in(app, clock, "en-XA", "pseudo.person@example.com", "DE")

    texts = dict(seen.said)
    for kind, email in seen.emails.items():
        texts[f"email {kind} subject"] = email["subject"]
        texts[f"email {kind} body"] = email["body"]
    for index, sms in enumerate(seen.sms):
        texts[f"sms {index} ({sms['kind']})"] = sms["body"]
    assert {
        "registration-code",
        "complete-account-information",
        "card-bound",
        "service-ticket",
        "bill-issued",
        "bill-paid",
    } <= set(seen.emails)
    assert len(seen.sms) == 3  # security phone, mobile, password reset
    leaks = {where: _leaks(text) for where, text in texts.items() if _leaks(text)}
    assert leaks == {}
    # Every one of them went through the pseudo-locale, not merely around English words.
    plain = {where: text for where, text in texts.items() if "⟦" not in text}
    assert plain == {"outstanding": "€0.00", "bill total": "€1,469.13"}  # numbers have no words


async def test_the_whole_sign_up_in_german(app_factory, clock) -> None:
    async with _app(app_factory, clock) as app:
        seen = await sign_up_in(app, clock, "de", "lena.schmidt@example.com", "DE")
    said, emails = seen.said, seen.emails

    assert said["region name"] == "Deutschland"
    assert said["Türkiye's name"] == "Türkei"
    assert said["governing law"] == "Irisches Recht"
    assert said["title Kundenvertrag"] == "Kundenvertrag"
    assert said["invalid email"] == "Geben Sie eine E-Mail-Adresse wie name@example.com ein."
    assert said["password policy"] == (
        "Verwenden Sie mindestens 8 Zeichen. Verwenden Sie mindestens eine Ziffer. "
        "Verwenden Sie keine Leerzeichen."
    )
    assert said["wrong code"] == (
        "Der Code ist nicht korrekt. Prüfen Sie ihn und versuchen Sie es noch einmal."
    )
    assert said["message title"] == "Vervollständigen Sie Ihre Kontodaten"
    assert said["result FAILED"].startswith("Fehlgeschlagen: Die Bank hat die Karte abgelehnt.")
    assert said["result SUCCEEDED"].startswith("Geprüft:")
    # 1,234.56 plus 19 % tax, written by CLDR for German (a no-break space before €).
    assert said["outstanding"] == "0,00\xa0€"
    assert said["bill total"] == "1.469,13\xa0€"
    assert said["payment result"] == "Bezahlt: Die Rechnung wurde von dieser Karte abgebucht."

    assert emails["registration-code"]["subject"] == "Ihr Bestätigungscode für Onramp Cloud"
    assert "Der Code gilt einmalig und 10 Minuten lang." in emails["registration-code"]["body"]
    assert "die erste ist am 3. November 2026 fällig" in emails["card-bound"]["body"]
    issued = emails["bill-issued"]["body"]
    assert "für den Zeitraum 1.–30. Nov. 2026:" in issued
    assert "ECS: 1.234,56\xa0€" in issued
    assert "Steuer (19\xa0%): 234,57\xa0€" in issued
    assert "Gesamt: 1.469,13\xa0€" in issued
    assert emails["bill-paid"]["subject"].startswith("Zahlungsbestätigung für Ihre Rechnung B-")
    assert "Vielen Dank: 1.469,13\xa0€ für die Rechnung" in emails["bill-paid"]["body"]
    assert emails["service-ticket"]["subject"].startswith("Wir haben Ihre Anfrage ST-")

    first_lines = sorted(sms["body"].splitlines()[0] for sms in seen.sms)
    assert first_lines == [
        "Ihr Code für Onramp Cloud, um Ihr Passwort zurückzusetzen:",
        "Ihr Code für Onramp Cloud, um Ihre Mobilnummer hinzuzufügen:",
        "Ihr Code für Onramp Cloud, um Ihre Sicherheitsrufnummer einzurichten:",
    ]
    # German fits the GSM 03.38 alphabet (ä, ö, ü and ß are in it): one 7-bit segment each.
    assert {(sms["encoding"], sms["segments"]) for sms in seen.sms} == {("GSM-7", 1)}


async def test_the_whole_sign_up_in_arabic(app_factory, clock) -> None:
    async with _app(app_factory, clock) as app:
        seen = await sign_up_in(app, clock, "ar", "layla.hassan@example.com", "SA")
    said, emails = seen.said, seen.emails

    assert said["region name"] == "المملكة العربية السعودية"
    assert said["governing law"] == "قوانين سنغافورة"
    assert said["untranslated agreement note"].startswith(
        "> هذه الاتفاقية غير متاحة باللغة العربية"
    )
    assert said["invalid email"] == "يُرجى إدخال عنوان بريد إلكتروني مثل name@example.com."
    assert said["password policy"].startswith("يُرجى استخدام 8 أحرف على الأقل.")  # few: 3–10
    assert said["required field"] == "يُرجى ملء هذا الحقل."
    assert said["result FAILED"].startswith("فشل: رفض البنك البطاقة.")
    assert said["result SUCCEEDED"].startswith("تم التحقق:")
    assert said["message title"] == "أكمِل معلومات حسابك"

    assert emails["registration-code"]["subject"] == "رمز التحقق الخاص بك في Onramp Cloud"
    assert "يصلح هذا الرمز لمرة واحدة خلال 10 دقائق." in emails["registration-code"]["body"]
    assert "3 نوفمبر 2026" in emails["card-bound"]["body"]
    issued = emails["bill-issued"]["body"]
    assert "الإجمالي:" in issued
    assert "1,419.74" in issued  # 1,234.56 SAR plus 15 % VAT
    assert emails["service-ticket"]["subject"].startswith("تلقّينا طلبك ST-")

    first_lines = sorted(sms["body"].splitlines()[0] for sms in seen.sms)
    assert first_lines == [
        "رمز Onramp Cloud لإضافة رقم هاتفك المحمول:",
        "رمز Onramp Cloud لإعادة تعيين كلمة المرور:",
        "رمز Onramp Cloud لإعداد هاتف الأمان:",
    ]
    # Arabic is outside GSM 03.38: UCS-2, and short enough for one 70-unit segment.
    assert {(sms["encoding"], sms["segments"]) for sms in seen.sms} == {("UCS-2", 1)}
